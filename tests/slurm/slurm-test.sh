#!/usr/bin/env bash
# slurm-test.sh CASE SRC BIN [MPIEXEC] - submits the batch templates of cluster/slurm/
# to a Slurm of its own (cluster/local-slurm/up: own directory, free ports)
# and checks what they leave behind. SRC is the source tree, BIN the build's
# bin/ directory, MPIEXEC the build's launcher (default mpirun): Open MPI's
# (jobs use mpirun and srun --mpi=pmix) or MPICH's Hydra (mpiexec.mpich and
# srun --mpi=pmi2). Cases:
#   sweep     sweep.sbatch over tf-bench at 1 and 2 ranks, once with srun
#             steps and once with mpirun: the job ends COMPLETED with exit
#             code 0, scaling.csv, summary.csv and report.md have every rank
#             count, the plots and logs are there
#   requeue   tfrun.sbatch over 40 tasks on 2 ranks; once some are journaled
#             the walltime warning is sent by hand (scancel --batch --signal
#             TERM): tfrun drains, the job requeues itself (Restarts=1), the
#             second run resumes, and in the end every task ran exactly once
#             and the job is COMPLETED with exit code 0
#   no-requeue  what must not requeue: a failed task (the job ends FAILED,
#             exit code 1, Restarts=0), and a drain with TFRUN_MAX_RESTARTS=0
#             (exit code 3, Restarts=0)
# Prints the job ids, every state change scontrol shows, the job's log and
# each check, and prints "ok [CASE]" last. Needs root (the daemons); exits 77
# (skipped, with the reason) when not root.
# shellcheck disable=SC2016 # until_also='...' is expanded later, by eval in watch
set -euo pipefail

case="${1:-}" src="${2:-}" bin="${3:-}" mpiexec="${4:-mpirun}"
[[ "$case" =~ ^(sweep|requeue|no-requeue)$ && -d "$src" && -d "$bin" ]] ||
    { echo "usage: slurm-test.sh sweep|requeue|no-requeue SRC BIN [MPIEXEC]" >&2; exit 2; }
src="$(cd "$src" && pwd)" bin="$(cd "$bin" && pwd)"
# The build's MPI decides the launchers inside the jobs: Open MPI's mpirun
# and srun --mpi=pmix, or MPICH's mpiexec (Hydra) and srun --mpi=pmi2.
if [[ "$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "$mpiexec" --version 2>&1 || true)" == *HYDRA* ]]; then
    srun_mpi="srun --mpi=pmi2"
else
    srun_mpi="srun --mpi=pmix"
fi
t_start=$(date +%s.%N)

# to fd 3, the test's stdout, also from inside $(...)
exec 3>&1
log() { printf '[%s %6.1fs] %s\n' "$case" "$(echo "$(date +%s.%N) - $t_start" | bc)" "$*" >&3; }
fail() { log "FAIL: $*"; exit 1; }
check() { # check DESCRIPTION COMMAND...: runs the command, logs the result
    local what="$1"
    shift
    if "$@"; then log "check: $what: yes"; else fail "check: $what: NO"; fi
}

if ((EUID != 0)); then
    echo "SKIP: the Slurm tests start munged, slurmctld and slurmd, which needs root (run ctest -L slurm as root)"
    exit 77
fi
export PATH="$PATH:/usr/sbin:/sbin"
for c in slurmctld slurmd sbatch scontrol munged; do
    command -v "$c" >/dev/null ||
        fail "$c is not installed: scripts/setup installs slurmctld slurmd slurm-client munge"
done

work="$(mktemp -d /tmp/tf-slurm-test.XXXXXX)"
sdir=""
# shellcheck disable=SC2317 # run by the trap
finish() {
    local rc=$?
    if ((rc != 0)) && [[ -n "$sdir" ]]; then
        log "the Slurm logs' tails:"
        tail -n 15 "$sdir/log/slurmctld.log" "$sdir/log/slurmd.log" 2>/dev/null | sed 's/^/    /' || true
    fi
    if [[ -f "$sdir/slurm.conf" ]]; then
        "$src/cluster/local-slurm/down" "$sdir" || log "down $sdir failed"
    fi
    rm -rf "$work"
    exit "$rc"
}
trap finish EXIT
trap 'log "FAIL: stopped by a signal"; exit 130' INT TERM
# Every wait below has its own time limit; together they stay under ctest's
# timeout (tests/slurm/CMakeLists.txt), whose SIGKILL would leave the
# daemons running.

# Its own directory, known before anything starts: what up started is
# stopped even if up fails half-way.
sdir="$work/slurm"
timeout 60 "$src/cluster/local-slurm/up" --dir "$sdir" --cpus 2 >/dev/null || fail "cluster/local-slurm/up failed"
[[ -f "$sdir/env.sh" ]] || fail "cluster/local-slurm/up printed '$sdir', not its directory"
# shellcheck source=/dev/null
. "$sdir/env.sh"
log "Slurm up in $sdir ($(sinfo -V), node $(sinfo -h -o '%n %c CPUs %t'))"

# ---- jobs ---------------------------------------------------------------------

# field JOB NAME: one field of `scontrol show job` (empty once the job is gone)
field() {
    timeout 10 scontrol -o show job "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
# submit NAME SBATCH-ARGS...: prints the job id
submit() {
    local name="$1" id
    shift
    id="$(cd "$work" && timeout 30 sbatch --parsable "$@")" || fail "sbatch $* failed"
    id="${id%%;*}"
    [[ "$id" =~ ^[0-9]+$ ]] || fail "sbatch printed '$id', not a job id"
    log "submitted $name: job $id (sbatch $*)"
    echo "$id"
}
# watch JOB TIMEOUT UNTIL: logs every change of state, restart count and
# reason until the state matches the regex UNTIL (and the optional command
# in $until_also succeeds); fails after TIMEOUT seconds
until_also=""
last_seen=""
watch() {
    local job="$1" limit="$2" until="$3" t0 line state
    t0=$(date +%s)
    while :; do
        line="$(timeout 10 scontrol -o show job "$job" 2>/dev/null || true)"
        state="$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$line")"
        local now
        now="state $state, Restarts=$(sed -n 's/.*Restarts=\([0-9]*\).*/\1/p' <<<"$line")"
        now+=", Reason=$(sed -n 's/.*Reason=\([^ ]*\).*/\1/p' <<<"$line")"
        now+=", ExitCode=$(sed -n 's/.*ExitCode=\([^ ]*\).*/\1/p' <<<"$line")"
        if [[ "$now" != "$last_seen" ]]; then
            log "job $job: $now"
            last_seen="$now"
        fi
        if [[ "$state" =~ ^($until)$ ]] && { [[ -z "$until_also" ]] || eval "$until_also"; }; then
            return 0
        fi
        [[ -n "$state" ]] || fail "job $job is gone from scontrol"
        (($(date +%s) - t0 < limit)) || fail "job $job: not $until after $limit s"
        sleep 0.25
    done
}
show_log() {
    log "the job's output log ($(basename "$1"), last ${2:-40} lines):"
    tail -n "${2:-40}" "$1" | sed 's/^/    /'
}
records() { grep -v '^#' "$1" || true; }

# ---- cases --------------------------------------------------------------------

sweep_case() {
    local launcher="$1" name="sweep-$1" job out
    last_seen=""
    job="$(submit "$name" --ntasks-per-node=2 --export="ALL,TASKFARM_DIR=$src,SWEEP_OUT=$work/results,SWEEP_NAME=$name,SWEEP_REPEAT=2,SWEEP_LAUNCHER=$launcher,SWEEP_SRUN=$srun_mpi,TF_MPIRUN=$mpiexec" \
        "$src/cluster/slurm/sweep.sbatch" "$bin/tf-bench" map --tasks 20000)"
    watch "$job" 90 "COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY"
    show_log "$work/sweep-$job.log" 30
    out="$work/results/$name"
    check "job $job ended COMPLETED with exit code 0:0" \
        test "$(field "$job" JobState) $(field "$job" ExitCode)" == "COMPLETED 0:0"
    local f
    for f in scaling.csv summary.csv report.md meta.json speedup.png efficiency.png \
        logs/np1-rep1.log logs/np2-rep2.log; do
        check "$name/$f exists" test -s "$out/$f"
    done
    # scaling.csv: run,app,np,rep,seconds,wall_s,ok,json
    local runs
    runs="$(awk -F, 'NR > 1 && $7 == 1 { n[$3]++ } END { for (p in n) print p ":" n[p] }' \
        "$out/scaling.csv" | sort | tr '\n' ' ')"
    check "scaling.csv: 2 ok runs at each of 1 and 2 ranks ($runs)" test "$runs" == "1:2 2:2 "
    runs="$(awk -F, 'NR > 1 { print $1 ":" $2 }' "$out/summary.csv" | tr '\n' ' ')"
    check "summary.csv: rows for 1 and 2 ranks with 2 runs each ($runs)" test "$runs" == "1:2 2:2 "
    check "report.md has the table rows for 1 and 2 ranks" \
        test "$(grep -cE '^\| [12] \| 2 \|' "$out/report.md")" == 2
    check "report.md has the Amdahl fit" grep -q "Amdahl fit" "$out/report.md"
    check "meta.json: status done" grep -q '"status": "done"' "$out/meta.json"
    check "meta.json says launcher $launcher" grep -q "\"launcher\": \"$launcher\"" "$out/meta.json"
    local first
    first="$(head -n 1 "$out/logs/np2-rep1.log")"
    log "the 2-rank run's command: $first"
    if [[ "$launcher" == srun ]]; then
        check "the runs are $srun_mpi steps, bound to cores" \
            grep -q "^\\\$ $srun_mpi -n 2 --cpu-bind=cores " "$out/logs/np2-rep1.log"
    else
        check "the runs are $(basename "$mpiexec") runs bound to cores" \
            grep -qE "^\\\$ $mpiexec .*-np 2 --bind-to core" "$out/logs/np2-rep1.log"
    fi
    check "tf-bench saw 2 ranks in the 2-rank runs" grep -q '"ranks":2' "$out/logs/np2-rep1.log"
}

# the task file of the requeue case: 40 tasks of 0.5 s, ids 1..40
tasks40() {
    local _
    for _ in $(seq 40); do echo "sleep 0.5; echo \$TF_TASK_ID"; done >"$work/tasks.txt"
}

requeue_case() {
    tasks40
    local farm="$work/farm" job n
    job="$(submit tfrun --ntasks-per-node=2 --export="ALL,TFRUN=$bin/tfrun,TFRUN_LAUNCHER=$mpiexec,TFRUN_DIR=$farm,TFRUN_GRACE=5,TFRUN_MAX_RESTARTS=3" \
        "$src/cluster/slurm/tfrun.sbatch" tasks.txt)"
    # the first run: running, and some tasks journaled
    until_also='(($(records "$farm/journal.txt" 2>/dev/null | wc -l) >= 8))'
    watch "$job" 60 RUNNING
    until_also=""
    n=$(records "$farm/journal.txt" | wc -l)
    log "$n tasks journaled: the walltime warning by hand: scancel --batch --signal=TERM $job"
    timeout 10 scancel --batch --signal=TERM "$job" || fail "scancel failed"
    # drain, requeue (pending, Restarts=1), the second run, the end
    until_also='[[ "$(field "$job" Restarts)" == 1 ]]'
    watch "$job" 30 "PENDING|REQUEUED|RUNNING|COMPLETED|COMPLETING"
    until_also=""
    watch "$job" 90 "COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL"
    local logf="$work/tfrun-$job.log"
    show_log "$logf" 60

    check "job $job ended COMPLETED with exit code 0:0" \
        test "$(field "$job" JobState) $(field "$job" ExitCode)" == "COMPLETED 0:0"
    check "the job was requeued once (Restarts=$(field "$job" Restarts))" \
        test "$(field "$job" Restarts)" == 1
    check "the batch shell got the warning and told tfrun to drain" \
        grep -q "SIGTERM (the walltime warning): tfrun drains" "$logf"
    check "the first run stopped early (tfrun: stopped by SIGUSR1, exit status 3)" \
        grep -q "tfrun: stopped by SIGUSR1: [1-9][0-9]* of 40 tasks not done" "$logf"
    check "tfrun printed the resume command" \
        grep -q "tfrun: to go on, run under the same launcher: tfrun --resume .*--journal $farm/journal.txt" "$logf"
    check "the script requeued the job" grep -q "requeueing job $job (restart 1 of at most 3)" "$logf"
    check "a second run started (SLURM_RESTART_COUNT=1) with --resume" \
        grep -q "run 2 (SLURM_RESTART_COUNT=1)" "$logf"
    check "the second run's tfrun had --resume" grep -qE '^tfrun.sbatch: .* \$ .* --resume tasks.txt$' "$logf"
    local before
    before="$(sed -n 's/.*; \([0-9]*\) done before (journal).*/\1/p' "$logf" | tail -n 1)"
    check "the second run found $before tasks done before, some but not all" \
        test "${before:-0}" -gt 0 -a "${before:-0}" -lt 40
    check "the second run ended with every task done" grep -q "every task is done" "$logf"

    local ids dups
    ids="$(records "$farm/journal.txt" | awk -F'\t' '$2 == "exit:0" { print $1 }' | sort -n)"
    dups="$(uniq -d <<<"$ids" | tr '\n' ' ')"
    check "journal: no task succeeded twice (${dups:-none})" test -z "$dups"
    check "journal: tasks 1..40 each succeeded" test "$(uniq <<<"$ids" | tr '\n' ' ')" == "$(seq -s ' ' 40) "
    check "journal: no failed record" test -z "$(records "$farm/journal.txt" | awk -F'\t' '$2 != "exit:0"')"
    ids="$(sort -n "$farm/output.txt")"
    dups="$(uniq -d <<<"$ids" | tr '\n' ' ')"
    check "output.txt: every task printed once (duplicates: ${dups:-none})" \
        test -z "$dups" -a "$(tr '\n' ' ' <<<"$ids")" == "$(seq -s ' ' 40) "
}

no_requeue_case() {
    # a failed task: exit status 1, no requeue
    printf '%s\n' "true" "exit 1" "true" >"$work/fails.txt"
    local job logf
    job="$(submit failing-task --ntasks-per-node=2 --export="ALL,TFRUN=$bin/tfrun,TFRUN_LAUNCHER=$mpiexec,TFRUN_DIR=$work/fails" \
        "$src/cluster/slurm/tfrun.sbatch" fails.txt)"
    watch "$job" 60 "COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL"
    show_log "$work/tfrun-$job.log" 12
    check "job $job ended FAILED with exit code 1:0" \
        test "$(field "$job" JobState) $(field "$job" ExitCode)" == "FAILED 1:0"
    check "it was not requeued (Restarts=$(field "$job" Restarts))" test "$(field "$job" Restarts)" == 0
    check "the log says why" grep -q "not requeued (exit status 1)" "$work/tfrun-$job.log"

    # a drain with no restarts left: exit status 3, no requeue
    tasks40
    local farm="$work/capped"
    last_seen=""
    job="$(submit capped --ntasks-per-node=2 --export="ALL,TFRUN=$bin/tfrun,TFRUN_LAUNCHER=$mpiexec,TFRUN_DIR=$farm,TFRUN_GRACE=5,TFRUN_MAX_RESTARTS=0" \
        "$src/cluster/slurm/tfrun.sbatch" tasks.txt)"
    until_also='(($(records "$farm/journal.txt" 2>/dev/null | wc -l) >= 4))'
    watch "$job" 60 RUNNING
    until_also=""
    log "scancel --batch --signal=TERM $job"
    timeout 10 scancel --batch --signal=TERM "$job" || fail "scancel failed"
    watch "$job" 60 "COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL"
    logf="$work/tfrun-$job.log"
    show_log "$logf" 12
    check "job $job ended FAILED with exit code 3:0" \
        test "$(field "$job" JobState) $(field "$job" ExitCode)" == "FAILED 3:0"
    check "it was not requeued (Restarts=$(field "$job" Restarts))" test "$(field "$job" Restarts)" == 0
    check "the log names the cap" grep -q "not requeued: 0 restarts already (TFRUN_MAX_RESTARTS=0)" "$logf"
    check "the journal has what ran, not all 40" \
        test "$(records "$farm/journal.txt" | wc -l)" -lt 40
}

case "$case" in
sweep)
    sweep_case srun
    sweep_case mpirun
    ;;
requeue) requeue_case ;;
no-requeue) no_requeue_case ;;
esac
log "ok [$case]"
