#!/bin/bash
# tfrun-test.sh CASE NP TFRUN MPIEXEC [MPIEXEC FLAGS...]
#
# One integration test of tfrun under the MPI launcher at NP ranks; ctest
# runs every case at 1, 2 and 4 ranks (tests.cmake). Each case asserts what
# tfrun promises (tfrun --help) and fails with a message naming what did
# not hold. Every launcher call has a time limit: a hang is a failure.
set -u
case_name=$1 np=$2 tfrun=$3
shift 3
launcher=("$@")

direct=0
work=$(mktemp -d "${TMPDIR:-/tmp}/tfrun-test.XXXXXX")
cleanup() {
    # a killed run may leave ranks and commands behind: they are ours
    pkill -KILL -f "$work" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

fail() {
    echo "FAIL [$case_name np$np]: $*" >&2
    exit 1
}
note() { echo "# $*"; }

# run [timeout] -- tfrun args...: stdout in out.txt, stderr in err.txt, the
# launcher's exit status in $rc.
run() {
    local limit=60
    if [[ $1 != -- ]]; then limit=$1; shift; fi
    shift
    if ((direct)); then # an MPI singleton: no launcher
        timeout -k 5 "$limit" "$tfrun" "$@" >out.txt 2>err.txt
    else
        timeout -k 5 "$limit" "${launcher[@]}" -np "$np" "$tfrun" "$@" >out.txt 2>err.txt
    fi
    rc=$?
    [[ $rc -eq 124 || $rc -eq 137 ]] && { cat err.txt >&2; fail "timed out: tfrun $*"; }
    return 0
}
want_rc() {
    [[ $rc -eq $1 ]] || { cat err.txt >&2; fail "exit status $rc, want $1 ($2)"; }
}
# records of the journal (no comments), one per line
records() { grep -v '^#' "$1"; }
count() { records "$1" | wc -l; }

# the tfrun ranks under the launcher process $1, at any depth: Open MPI's
# mpirun starts them itself, MPICH's Hydra through a proxy per host
ranks_under() {
    local todo=("$1") found=() p k
    while ((${#todo[@]})); do
        p=${todo[0]}
        todo=("${todo[@]:1}")
        for k in $(pgrep -P "$p"); do
            if [[ $(ps -o args= -p "$k" 2>/dev/null) == "$tfrun"* ]]; then
                found+=("$k") # a rank: its commands are not ranks
            else
                todo+=("$k")
            fi
        done
    done
    echo "${found[@]}"
}
# the commands the ranks $@ run: their children but their guards (each a
# fork of its rank: the same arguments)
commands_of() {
    local r k
    for r in "$@"; do
        for k in $(pgrep -P "$r"); do
            [[ $(ps -o args= -p "$k" 2>/dev/null) == "$tfrun"* ]] || echo "$k"
        done
    done
}
# whether the launcher is MPICH's Hydra
hydra() { "${launcher[0]}" --version 2>&1 | grep -q HYDRA; }

# waits until the given processes are gone (ranks after their launcher was
# killed)
wait_gone() {
    for _ in $(seq 100); do
        local alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || return 0
        sleep 0.1
    done
    fail "ranks still alive 10 s after their launcher was killed"
}

case "$case_name" in

basic)
    # ids are line numbers; comments, blank lines, continuations; the
    # variables; each task's output is one whole block
    {
        echo "# a comment"
        echo ""
        for i in $(seq 30); do
            echo "sleep 0.01; for k in \$(seq 40); do echo \"T\$TF_TASK_ID:\$k:\$TF_RANK:\$TF_NTASKS:\$TF_CORES:\$TF_HOST\"; done; \\"
            echo "  echo \"E\$TF_TASK_ID\" >&2"
            echo "   # indented comment"
        done
    } >tasks.txt
    run -- tasks.txt
    want_rc 0 "all succeed"
    ids=$(awk 'NR>2 && (NR-3)%3==0 {print NR}' tasks.txt | tr '\n' ' ')
    got=$(grep -o '^T[0-9]*:1:' out.txt | tr -d 'T:' | sed 's/1$//' | sort -n | tr '\n' ' ')
    want=$(echo $ids | tr ' ' '\n' | sort -n | tr '\n' ' ')
    [[ "$got" == "$want" ]] || fail "task ids '$got', want the first lines '$want'"
    [[ $(wc -l <out.txt) -eq 1200 ]] || fail "$(wc -l <out.txt) output lines, want 1200"
    # blocks: the 40 lines of a task are consecutive and in order
    awk -F: '{ id=$1; if (prev != "" && id != prev && seen[id]) bad=1; seen[id]=1;
               if (id == prev && $2 != last+1) bad=1; if (id != prev && $2 != 1) bad=1;
               prev=id; last=$2 } END { exit bad }' out.txt || fail "output blocks interleaved"
    host=$(hostname)
    awk -F: -v n=30 -v h="$host" '$4 != n || $5 != 1 || $6 != h { exit 1 }' out.txt ||
        fail "TF_NTASKS/TF_CORES/TF_HOST wrong: $(head -1 out.txt)"
    ranks=$(cut -d: -f3 out.txt | sort -u | wc -l)
    ((np == 1 || ranks >= 2)) || fail "only $ranks rank ran tasks at np $np"
    [[ $(grep -c '^E[0-9]*$' err.txt) -eq 30 ]] || fail "stderr blocks missing"
    grep -q "30 tasks: 30 succeeded, 0 failed" err.txt || fail "summary: $(cat err.txt)"
    grep -q "busy share per rank: 0 " err.txt || fail "no busy share in the summary"
    # standard input as the task file
    seq 5 | sed 's/^/echo in/' | timeout 60 "${launcher[@]}" -np "$np" "$tfrun" -q - >out2.txt ||
        fail "tfrun - failed"
    [[ $(sort out2.txt | tr '\n' ' ') == "in1 in2 in3 in4 in5 " ]] || fail "stdin tasks: $(cat out2.txt)"
    ;;

tag-order)
    # --keep-order: task order whatever the run times; --tag on every line
    for i in $(seq 40); do
        echo "sleep 0.0$((RANDOM % 6)); echo a$i; printf 'b$i\\nc$i'"
    done >tasks.txt
    run -- -k --tag --window 8 tasks.txt
    want_rc 0 "all succeed"
    want=$(for i in $(seq 40); do printf '%s\ta%s\n%s\tb%s\n%s\tc%s\n' $i $i $i $i $i $i; done)
    [[ "$(cat out.txt)" == "$want" ]] || fail "keep-order/tag output differs: $(head -5 out.txt)"
    run -- --tag tasks.txt
    [[ $(grep -c $'^[0-9]*\tc[0-9]*$' out.txt) -eq 40 ]] || fail "--tag: untagged lines"
    ;;

outputs)
    # --output-dir files and an --output file
    for i in $(seq 25); do echo "echo out$i; echo err$i >&2; exit $((i % 5 == 0))"; done >tasks.txt
    run -- --output-dir res/sub tasks.txt
    want_rc 1 "five tasks fail"
    [[ -s out.txt ]] && fail "--output-dir wrote to stdout: $(head -2 out.txt)"
    for i in $(seq 25); do
        [[ $(cat res/sub/$i.out) == out$i && $(cat res/sub/$i.err) == err$i ]] ||
            fail "res/sub/$i.out or .err wrong"
    done
    ls res/sub | grep -q part && fail "temporary files left: $(ls res/sub | grep part)"
    run -- -o all.txt --journal j.txt tasks.txt
    want_rc 1 "five tasks fail"
    [[ $(sort all.txt | tr '\n' ' ') == "$(seq 25 | sed 's/^/out/' | sort | tr '\n' ' ')" ]] ||
        fail "--output file: $(cat all.txt)"
    [[ $(grep -c '^err' err.txt) -eq 25 ]] || fail "stderr blocks"
    # out_end of the last record is the file's size
    last=$(records j.txt | awk -F'\t' 'BEGIN{m=0} $11>m {m=$11} END{print m}')
    [[ $last -eq $(stat -c %s all.txt) ]] || fail "journal out_end $last, file $(stat -c %s all.txt)"
    ;;

journal)
    # records, --resume, --resume-failed, refusals
    for i in $(seq 20); do
        echo "if [ $((i % 4)) -eq 0 ] && [ ! -e fixed ]; then exit 3; fi; echo ok$i"
    done >tasks.txt
    run -- --journal j.txt tasks.txt
    want_rc 1 "five tasks fail"
    [[ $(count j.txt) -eq 20 ]] || fail "$(count j.txt) records, want 20"
    [[ $(records j.txt | awk -F'\t' '$2=="exit:3"' | wc -l) -eq 5 ]] || fail "exit:3 records"
    records j.txt | awk -F'\t' 'NF != 11 || $10 != 1 || $7 < 0 || $6 < $5 {exit 1}' ||
        fail "malformed record: $(records j.txt | head -2)"
    run -- --journal j.txt tasks.txt
    want_rc 2 "journal exists without --resume"
    grep -q "j.txt: the journal exists: go on with --resume" err.txt || fail "message: $(cat err.txt)"
    run -- --journal j.txt --resume tasks.txt
    want_rc 1 "failed tasks stay failed under --resume"
    [[ -s out.txt ]] && fail "--resume ran tasks again: $(cat out.txt)"
    touch fixed
    run -- --journal j.txt --resume-failed tasks.txt
    want_rc 0 "the failed ones succeed now"
    [[ $(sort out.txt | tr '\n' ' ') == "ok12 ok16 ok20 ok4 ok8 " ]] || fail "rerun: $(cat out.txt)"
    [[ $(count j.txt) -eq 25 ]] || fail "$(count j.txt) records after the rerun"
    # a torn last line is tolerated: its task runs again
    printf '1\texit:0\t0\th' >>j.txt
    echo "echo extra" >>tasks.txt
    run -- --journal j.txt --resume tasks.txt
    want_rc 2 "another task file"
    grep -q "j.txt: made for another task file" err.txt || fail "message: $(cat err.txt)"
    sed -i '$d' tasks.txt
    run -- --journal j.txt --resume tasks.txt
    want_rc 0 "torn line tolerated"
    [[ $(tail -c 1 j.txt | od -An -c | tr -d ' ') == '\n' ]] || fail "torn line not cut"
    # garbage in the middle is refused, with its line
    sed -i '5s/\texit:[0-9]*\t/\texit:zero\t/' j.txt
    grep -q exit:zero j.txt || fail "the test could not spoil line 5"
    run -- --journal j.txt --resume tasks.txt
    want_rc 2 "garbage"
    grep -q "j.txt:5: not a journal record" err.txt || fail "message: $(cat err.txt)"
    ;;

kill-resume)
    # kill -9 of the launcher in the middle; --resume then runs exactly the
    # rest: every task once in the output and once in the journal
    for i in $(seq 400); do echo "sleep 0.00$((i % 9)); echo task$i"; done >tasks.txt
    "${launcher[@]}" -np "$np" "$tfrun" -q --journal j.txt -o all.txt tasks.txt 2>err.txt &
    pid=$!
    for _ in $(seq 100); do
        [[ -f j.txt && $(count j.txt) -ge 60 ]] && break
        sleep 0.05
    done
    ranks=$(ranks_under $pid)
    kill -9 $pid
    wait $pid 2>/dev/null
    [[ -n $ranks ]] || fail "no ranks found under the launcher"
    wait_gone $ranks
    before=$(count j.txt)
    ((before > 0 && before < 400)) || fail "$before tasks done before the kill: the test needs some"
    note "$before tasks done before kill -9"
    run -- --journal j.txt -o all.txt --resume tasks.txt
    want_rc 0 "the rest succeeds"
    [[ $(count j.txt) -eq 400 ]] || fail "$(count j.txt) records, want 400"
    [[ $(records j.txt | cut -f1 | sort -u | wc -l) -eq 400 ]] || fail "a task recorded twice"
    [[ $(wc -l <all.txt) -eq 400 && $(sort -u all.txt | wc -l) -eq 400 ]] ||
        fail "output: $(wc -l <all.txt) lines, $(sort -u all.txt | wc -l) distinct, want 400"
    grep -q "done before (journal)" err.txt || fail "summary: $(cat err.txt)"
    ;;

drain-usr1)
    # SIGUSR1 to the launcher: no new task, running ones finish, exit 3,
    # how to go on; the resume completes the rest
    for i in $(seq 60); do echo "sleep 0.2; echo task$i"; done >tasks.txt
    "${launcher[@]}" -np "$np" "$tfrun" --grace 20 --journal j.txt -o all.txt tasks.txt \
        >out.txt 2>err.txt &
    pid=$!
    sleep 1.5
    # Hydra (MPICH 4.0) forwards SIGUSR1 to the ranks but then may exit 0
    # whatever they return (always at 1 rank): there the ranks get the
    # signal, as a batch system's would.
    if hydra; then
        ranks=$(ranks_under $pid)
        [[ -n $ranks ]] || fail "no ranks to signal"
        kill -USR1 $ranks
    else
        kill -USR1 $pid
    fi
    t0=$(date +%s.%N)
    timeout 30 tail --pid=$pid -f /dev/null
    wait $pid
    rc=$?
    t=$(echo "$(date +%s.%N) - $t0" | bc)
    want_rc 3 "stopped by a signal"
    (($(echo "$t < 5" | bc))) || fail "the drain took $t s"
    grep -q "stopped by SIGUSR1" err.txt || fail "message: $(cat err.txt)"
    grep -q -- "to go on, run under the same launcher: tfrun --resume" err.txt || fail "hint"
    done1=$(count j.txt)
    ((done1 < 60)) || fail "no task left for the resume"
    [[ $(wc -l <all.txt) -eq $done1 ]] || fail "output lines $(wc -l <all.txt), records $done1"
    records j.txt | awk -F'\t' '$2 != "exit:0" {exit 1}' || fail "a drained task failed"
    run -- --journal j.txt -o all.txt --resume tasks.txt
    want_rc 0 "resume"
    [[ $(wc -l <all.txt) -eq 60 && $(sort -u all.txt | wc -l) -eq 60 ]] || fail "after resume"
    ;;

drain-term)
    # SIGTERM to the ranks (as srun and scancel send it): a command that
    # outlives --grace is stopped and runs again on resume
    { echo "sleep 60; echo long"; for i in $(seq 40); do echo "sleep 0.1; echo t$i"; done; } >tasks.txt
    "${launcher[@]}" -np "$np" "$tfrun" --grace 0.5 --journal j.txt -o all.txt tasks.txt \
        >out.txt 2>err.txt &
    pid=$!
    sleep 1.2
    t0=$(date +%s.%N)
    ranks=$(ranks_under $pid)
    [[ -n $ranks ]] || fail "no ranks to signal"
    kill -TERM $ranks
    timeout 30 tail --pid=$pid -f /dev/null
    wait $pid
    rc=$?
    t=$(echo "$(date +%s.%N) - $t0" | bc)
    want_rc 3 "stopped by SIGTERM"
    (($(echo "$t < 6" | bc))) || fail "the drain took $t s"
    grep -q "stopped by SIGTERM" err.txt || fail "message: $(cat err.txt)"
    records j.txt | cut -f1 | grep -qx 1 && fail "the killed command was recorded as done"
    grep -q long all.txt && fail "the killed command's output was written"
    run 90 -- --journal j.txt -o all.txt --resume --timeout 0.3 tasks.txt
    want_rc 1 "resume: the long task times out now"
    [[ $(records j.txt | awk -F'\t' '$1==1 {print $2}') == timeout ]] || fail "task 1 record"
    [[ $(grep -c '^t' all.txt) -eq 40 && $(sort -u all.txt | wc -l) -eq 40 ]] || fail "outputs"
    ;;

drain-step)
    # SIGTERM to every process of the job at once, commands included (what
    # srun and scancel do to a job step), the commands first: a command that
    # dies of the drain's signal is not a failure; it runs again on resume
    { for i in 1 2 3 4; do echo "sleep 2.5; echo s$i"; done
      for i in $(seq 5 30); do echo "sleep 0.05; echo s$i"; done; } >tasks.txt
    "${launcher[@]}" -np "$np" "$tfrun" --grace 20 --journal j.txt -o all.txt tasks.txt \
        >out.txt 2>err.txt &
    pid=$!
    # until every rank runs one of the long commands (start-up may be slow)
    for _ in $(seq 150); do
        sleep 0.1
        ranks=$(ranks_under $pid)
        # shellcheck disable=SC2086
        cmds=$(commands_of $ranks)
        [[ -n "$ranks" && $(wc -w <<<"$cmds") -ge $(wc -w <<<"$ranks") ]] && break
    done
    [[ -n "$ranks" ]] || fail "no ranks to signal"
    [[ -n "$cmds" ]] || fail "no commands running"
    # shellcheck disable=SC2086
    kill -TERM $cmds
    sleep 0.2
    # shellcheck disable=SC2086
    kill -TERM $ranks
    timeout 30 tail --pid=$pid -f /dev/null
    wait $pid
    rc=$?
    want_rc 3 "stopped by SIGTERM"
    grep -q "stopped by SIGTERM" err.txt || fail "message: $(cat err.txt)"
    records j.txt | awk -F'\t' '$2 != "exit:0" {exit 1}' ||
        fail "a command killed by the drain's signal was recorded: $(records j.txt | grep -v exit:0)"
    run 90 -- --journal j.txt -o all.txt --resume tasks.txt
    want_rc 0 "resume"
    [[ $(wc -l <all.txt) -eq 30 && $(sort -u all.txt | wc -l) -eq 30 ]] || fail "after resume"
    ;;

timeout)
    # --timeout SEC and N% of the median; signals and exit codes recorded
    # (a command that dies of SIGTERM with no drain is a failure too)
    printf '%s\n' "sleep 30" "echo fast" "exit 7" "kill -SEGV \$\$" "kill -TERM \$\$" >tasks.txt
    t0=$(date +%s)
    run -- --timeout 0.5 --journal j.txt tasks.txt
    want_rc 1 "failures"
    (($(date +%s) - t0 < 15)) || fail "the timeout did not stop sleep 30"
    st=$(records j.txt | sort -n | cut -f2 | tr '\n' ' ')
    [[ "$st" == "timeout exit:0 exit:7 signal:SEGV signal:TERM " ]] || fail "statuses: $st"
    { for i in $(seq 12); do echo "sleep 0.05"; done; echo "sleep 30"; } >pct.txt
    t0=$(date +%s)
    run -- --timeout 400% --journal jp.txt --window 2 pct.txt
    want_rc 1 "the slow one is killed"
    (($(date +%s) - t0 < 15)) || fail "--timeout 400% did not stop sleep 30"
    [[ $(records jp.txt | awk -F'\t' '$1==13 {print $2}') == timeout ]] || fail "task 13"
    # the default window sends the first 4 x ranks + 16 tasks before any has
    # run: the slow last one of those must be stopped all the same
    n=$((4 * np + 16))
    { for i in $(seq $((n - 1))); do echo "sleep 0.05"; done; echo "sleep 30"; } >pw.txt
    t0=$(date +%s)
    run 20 -- --timeout 400% --journal jw.txt pw.txt
    want_rc 1 "the slow one is killed (default window)"
    (($(date +%s) - t0 < 15)) || fail "--timeout 400% did not stop sleep 30 (default window)"
    [[ $(records jw.txt | awk -F'\t' -v n=$n '$1==n {print $2}') == timeout ]] ||
        fail "task $n (default window): $(records jw.txt | awk -F'\t' -v n=$n '$1==n')"
    ;;

retries)
    # a task that fails its first try succeeds on the second, on another
    # rank where there is one; --halt-on-error stops the farm
    for i in $(seq 16); do
        echo "sleep 0.05; if [ -e m$i ]; then echo \$TF_RANK >>m$i; else echo \$TF_RANK >m$i; exit 1; fi"
    done >tasks.txt
    run -- --retries 2 --journal j.txt tasks.txt
    want_rc 0 "retried tasks succeed"
    records j.txt | awk -F'\t' '$10 != 2 || $2 != "exit:0" {exit 1}' || fail "tries: $(records j.txt)"
    grep -q "16 retried" err.txt || fail "summary: $(cat err.txt)"
    if ((np > 1)); then
        moved=0
        for i in $(seq 16); do [[ $(sed -n 1p m$i) != $(sed -n 2p m$i) ]] && moved=$((moved + 1)); done
        note "$moved of 16 retries ran on another rank"
        ((moved >= 12)) || fail "only $moved of 16 retries ran on another rank"
    fi
    for i in $(seq 200); do [[ $i == 5 ]] && echo "exit 9" || echo "sleep 0.02"; done >halt.txt
    run -- --halt-on-error --journal jh.txt halt.txt
    want_rc 1 "halted"
    n=$(count jh.txt)
    ((n < 200)) || fail "--halt-on-error ran all 200 tasks"
    [[ $(records jh.txt | awk -F'\t' '$1==5 {print $2}') == exit:9 ]] || fail "task 5 record"
    # --halt-on-error is --halt soon,fail=1
    grep -q "halted by task 5 (--halt soon,fail=1)" err.txt || fail "--halt-on-error: $(cat err.txt)"
    ;;

deadline)
    # no task starts that would not end by the deadline
    for i in $(seq 40); do echo "sleep 0.3"; done >tasks.txt
    dl=$(echo "$(date +%s.%N) + 2.5" | bc)
    run -- --deadline @$dl --journal j.txt tasks.txt
    want_rc 3 "stopped by the deadline"
    grep -q "stopped by --deadline" err.txt || fail "message: $(cat err.txt)"
    n=$(count j.txt)
    ((n > 0 && n < 40)) || fail "$n tasks ran before the deadline"
    records j.txt | awk -F'\t' -v d="$dl" '$6 > d + 0.25 {exit 1}' || fail "a task ended after the deadline"
    ;;

cores)
    # -c K: K cores a task, OMP_NUM_THREADS=K
    printf '%s\n' 'echo $TF_CORES $OMP_NUM_THREADS $(grep Cpus_allowed_list /proc/self/status | cut -f2)' >tasks.txt
    ncores=$(hwloc-calc --number-of core all 2>/dev/null || nproc)
    run -- -c 2 tasks.txt
    if ((ncores < 2)); then
        want_rc 2 "too few cores"
    else
        want_rc 0 "-c 2"
        read -r tc omp cpus <out.txt
        [[ $tc == 2 && $omp == 2 ]] || fail "TF_CORES=$tc OMP_NUM_THREADS=$omp"
        n=$(python3 -c "import sys; print(sum(int(b)-int(a)+1 if '-' in x else 1 for x in sys.argv[1].split(',') for a,b in [x.split('-') if '-' in x else (x,x)]))" "$cpus")
        ((n >= 2)) || fail "the task may use $cpus"
    fi
    run -- -c 9999 tasks.txt
    want_rc 2 "more cores than the host has"
    grep -q -- "-c 9999: host .* has [0-9]* cores" err.txt || fail "message: $(cat err.txt)"
    ;;

progress)
    # a progress line every N seconds when stderr is not a terminal
    for i in $(seq 10); do echo "sleep 0.15"; done >tasks.txt
    run -- --progress 0.2 tasks.txt
    want_rc 0 "ok"
    grep -Eq "^tfrun: [0-9]+/10 done, 0 failed, [0-9.]+/s, ETA [0-9:?]+$" err.txt ||
        fail "no progress line: $(cat err.txt)"
    run -- -q tasks.txt
    [[ -s err.txt ]] && fail "-q printed: $(cat err.txt)"
    # the launcher's variables do not reach the tasks unless asked
    echo 'env | grep -c "^OMPI_COMM_WORLD\|^PMIX_RANK\|^PMI_RANK\|^MPI_LOCALNRANKS" || true' >env.txt
    run -- -q env.txt
    [[ $(cat out.txt) == 0 ]] || fail "launcher variables passed: $(cat out.txt)"
    ;;

bad-input)
    # each a one-line error naming the file, line or option; exit status 2
    echo "echo fine" >tasks.txt
    printf 'echo 1\necho 2\necho \0x\n' >nul.txt
    cp /bin/true true.bin
    { echo "echo a"; printf 'echo %*s\n' 10485760 x; } >big.txt
    printf 'echo 1\necho 2 \\\n' >bs.txt
    mkdir adir
    # Open MPI's mpirun takes 2 s to end a job whose rank exits non-zero:
    # at 1 rank tfrun runs as an MPI singleton and every case is tried; at
    # 2 and 4 ranks the cases marked "all" (one of each kind) run under the
    # launcher.
    ((np == 1)) && direct=1
    expect() { # expect [all] REGEX tfrun-args...
        local every=0
        [[ $1 == all ]] && { every=1; shift; }
        ((np == 1 || every)) || return 0
        local re=$1
        shift
        run -- "$@"
        [[ $rc -eq 2 ]] || { cat out.txt err.txt >&2; fail "tfrun $*: exit status $rc, want 2"; }
        grep -Eq -- "$re" err.txt || fail "tfrun $*: message '$(cat err.txt)', want /$re/"
        [[ $(grep -c . err.txt) -le 12 ]] || fail "tfrun $*: more than one message: $(cat err.txt)"
        [[ -s out.txt ]] && fail "tfrun $*: wrote to stdout: $(cat out.txt)"
        return 0
    }
    expect all "^tfrun: nosuch.txt: No such file or directory$" nosuch.txt
    expect "^tfrun: adir: is a directory$" adir
    # unreadable even for root: open works, read fails
    expect "^tfrun: /proc/self/mem: Input/output error$" /proc/self/mem
    expect all "^tfrun: nul.txt:3: NUL byte: not a text file of commands$" nul.txt
    expect "^tfrun: true.bin:1: NUL byte" true.bin
    expect all "^tfrun: big.txt:2: a command of more than 131071 bytes" big.txt
    expect "^tfrun: bs.txt:2: the last line ends in a backslash$" bs.txt
    expect all "^tfrun: --journal tasks.txt/j: Not a directory$" --journal tasks.txt/j tasks.txt
    expect "^tfrun: --journal adir: not a regular file$" --journal adir tasks.txt
    expect all "^tfrun: --output-dir tasks.txt/d: Not a directory$" --output-dir tasks.txt/d tasks.txt
    expect "^tfrun: --output tasks.txt/o: Not a directory$" -o tasks.txt/o tasks.txt
    expect all "^tfrun: unknown option '--frobnicate' \(see tfrun --help\)$" --frobnicate tasks.txt
    expect "^tfrun: --timeout: want a time" --timeout abc tasks.txt
    expect "^tfrun: --timeout: want a time" --timeout 0 tasks.txt
    expect "^tfrun: --timeout: want a number" --timeout x% tasks.txt
    # an N% longer than any number is refused whole, not read cut short
    expect "^tfrun: --timeout: want a number.*, got '5\.0{70}x'$" \
        --timeout "5.$(printf '0%.0s' {1..70})x%" tasks.txt
    expect "^tfrun: --retries: want a whole number" --retries -1 tasks.txt
    expect all "^tfrun: --deadline: '@1' is in the past$" --deadline @1 tasks.txt
    expect "^tfrun: --deadline: want \+SEC" --deadline soon tasks.txt
    expect all "^tfrun: -c: want a whole number" -c 0 tasks.txt
    expect "^tfrun: --grace: want a time" --grace -1 tasks.txt
    expect "^tfrun: --max-output: want a size" --max-output 2G tasks.txt
    expect "^tfrun: --resume needs --journal FILE$" --resume tasks.txt
    expect "^tfrun: --output and --output-dir exclude each other$" -o x --output-dir d tasks.txt
    expect "^tfrun: --tag has no effect with --output-dir$" --tag --output-dir d tasks.txt
    expect "^tfrun: unexpected argument 'more.txt' \(one task file only\)$" tasks.txt more.txt
    expect "^tfrun: no task file" --tag
    expect "^tfrun: --journal needs a value$" --journal
    if [[ $(id -u) != 0 ]]; then
        cp tasks.txt secret.txt
        chmod 000 secret.txt
        expect "^tfrun: secret.txt: Permission denied$" secret.txt
    fi
    # nothing was run, nothing was written
    [[ -e d || -e x ]] && fail "a refused run left files"
    ;;

journal-foreign-id)
    # a journal record of a task the task file does not have: one line naming
    # the journal, its line and the id; exit status 2; no crash (this case
    # runs under ASan too); the journal is left as it was
    printf 'echo a\necho b\necho c\n' >tasks.txt
    run -- -q --journal j.txt tasks.txt
    want_rc 0 "all succeed"
    sed -i '4s/^[0-9]*\t/9\t/' j.txt
    records j.txt | cut -f1 | grep -qx 9 || fail "the test could not change line 4's id"
    sum=$(md5sum <j.txt)
    run -- --journal j.txt --resume tasks.txt
    want_rc 2 "a record of an unknown task"
    grep -Eq "^tfrun: j.txt:4: task 9 is not in tasks.txt$" err.txt || fail "message: $(cat err.txt)"
    [[ $(grep -c '^tfrun:' err.txt) -eq 1 ]] || fail "more than one message: $(cat err.txt)"
    grep -Eq "Sanitizer|Segmentation|signal 11" err.txt && fail "crashed: $(cat err.txt)"
    [[ -s out.txt ]] && fail "tasks ran: $(cat out.txt)"
    [[ $(md5sum <j.txt) == "$sum" ]] || fail "the journal was changed"
    ;;

output-same-file)
    # -o naming the task file or the journal (under any spelling, through a
    # link) is refused before anything is written: exit status 2, one line,
    # every file as it was. Open MPI's mpirun takes 2 s to end a job whose
    # rank exits non-zero: at 2 and 4 ranks only the cases marked "all" run.
    for i in 1 2 3; do echo "echo task$i"; done >tasks.txt
    ln -s tasks.txt link.txt
    ln tasks.txt hard.txt
    mkdir sub
    run -- -q --journal old.txt tasks.txt
    want_rc 0 "a journal to resume from"
    ((np == 1)) && direct=1
    sums() { md5sum tasks.txt old.txt; }
    before=$(sums)
    refused() { # refused [all] REGEX tfrun-args...
        local every=0
        [[ $1 == all ]] && { every=1; shift; }
        ((np == 1 || every)) || return 0
        local re=$1
        shift
        run -- "$@"
        [[ $rc -eq 2 ]] || { cat out.txt err.txt >&2; fail "tfrun $*: exit status $rc, want 2"; }
        grep -Eq -- "$re" err.txt || fail "tfrun $*: message '$(cat err.txt)', want /$re/"
        [[ $(grep -c '^tfrun:' err.txt) -eq 1 ]] || fail "tfrun $*: messages: $(cat err.txt)"
        [[ -s out.txt ]] && fail "tfrun $*: tasks ran: $(cat out.txt)"
        [[ $(sums) == "$before" ]] || fail "tfrun $*: a file was changed"
        [[ -e new.txt ]] && fail "tfrun $*: new.txt was made"
        return 0
    }
    refused all "^tfrun: --output tasks.txt: the same file as the task file tasks.txt$" \
        -o tasks.txt tasks.txt
    refused "^tfrun: --output ./tasks.txt: the same file as the task file tasks.txt$" \
        -o ./tasks.txt tasks.txt
    refused "^tfrun: --output link.txt: the same file as the task file tasks.txt$" \
        -o link.txt tasks.txt
    refused "^tfrun: --output hard.txt: the same file as the task file tasks.txt$" \
        -o hard.txt tasks.txt
    refused "^tfrun: --output $work/tasks.txt: the same file as the task file tasks.txt$" \
        -o "$work/tasks.txt" tasks.txt
    refused all "^tfrun: --output old.txt: the same file as the journal old.txt$" \
        -o old.txt --journal old.txt --resume tasks.txt
    refused "^tfrun: --output ./old.txt: the same file as the journal old.txt$" \
        -o ./old.txt --journal old.txt --resume-failed tasks.txt
    # neither exists yet: the same name however spelt
    refused all "^tfrun: --output new.txt: the same file as the journal new.txt$" \
        -o new.txt --journal new.txt tasks.txt
    refused "^tfrun: --output sub/../new.txt: the same file as the journal ./new.txt$" \
        -o sub/../new.txt --journal ./new.txt tasks.txt
    ln -s new.txt dangling.txt
    refused "^tfrun: --output dangling.txt: the same file as the journal new.txt$" \
        -o dangling.txt --journal new.txt tasks.txt
    refused "^tfrun: --journal link.txt: the same file as the task file tasks.txt$" \
        --journal link.txt --resume tasks.txt
    if ((np == 1)); then # standard input reaches a singleton as is
        run -- -o tasks.txt - <tasks.txt
        want_rc 2 "-o the file standard input reads"
        grep -q "^tfrun: --output tasks.txt: the same file as the task file <stdin>$" err.txt ||
            fail "message: $(cat err.txt)"
        [[ $(sums) == "$before" ]] || fail "-o the standard input's file: changed"
    fi
    direct=0
    # other files are fine
    run -- -q -o sub/all.txt tasks.txt
    want_rc 0 "another file"
    [[ $(sort sub/all.txt | tr '\n' ' ') == "task1 task2 task3 " ]] || fail "output: $(cat sub/all.txt)"
    ;;

journal-lost)
    # --resume with no journal is refused unless --resume-or-start says to
    # start one; a journal deleted or replaced during the run is noticed
    # (warning, exit status 4) and its records are not lost
    printf 'echo a\necho b\necho c\n' >quick.txt
    ((np == 1)) && direct=1 # Open MPI's mpirun takes 2 s to end after a refusal
    run -- --journal none.txt --resume quick.txt
    want_rc 2 "--resume without a journal"
    grep -Eq "^tfrun: --journal none.txt: no journal to resume from \(--resume-or-start starts one\)$" \
        err.txt || fail "message: $(cat err.txt)"
    [[ -e none.txt || -s out.txt ]] && fail "--resume without a journal ran or made one"
    run -- --journal none.txt --resume-failed quick.txt
    want_rc 2 "--resume-failed without a journal"
    direct=0
    run -- -q --journal q.txt --resume-or-start quick.txt
    want_rc 0 "--resume-or-start starts a new journal"
    [[ $(count q.txt) -eq 3 && $(wc -l <out.txt) -eq 3 ]] || fail "new journal: $(cat q.txt)"
    run -- -q --journal q.txt --resume-or-start quick.txt
    want_rc 0 "--resume-or-start resumes"
    [[ -s out.txt ]] && fail "--resume-or-start ran tasks again: $(cat out.txt)"
    # deleted by a task while the run goes on (at 1 rank the run lasts past
    # the first sync of the journal, which notices it; else the end does)
    { echo "rm j.txt; sleep 0.1"; for i in $(seq 2 8); do echo "sleep 0.2; echo t$i"; done; } >tasks.txt
    run -- --journal j.txt tasks.txt
    want_rc 4 "the journal was deleted"
    grep -Eq "^tfrun: warning: j.txt was deleted during the run: its records are written to it again$" \
        err.txt || fail "message: $(cat err.txt)"
    [[ $(count j.txt) -eq 8 && $(records j.txt | cut -f1 | sort -u | wc -l) -eq 8 ]] ||
        fail "records after the deletion: $(cat j.txt)"
    if ((np == 1)); then # noticed during the run, before the summary
        grep -n "" err.txt | grep -E "warning: j.txt was deleted|tasks: 8 succeeded" | cut -d: -f2- |
            head -1 | grep -q warning || fail "noticed only at the end: $(cat err.txt)"
    fi
    run -- -q --journal j.txt --resume tasks.txt
    want_rc 0 "resume from the journal written again"
    [[ -s out.txt ]] && fail "the resume ran tasks again: $(cat out.txt)"
    rm j.txt
    # replaced by another file: that one is left alone
    sed -i '1s/^rm j.txt; /mv j.txt moved.txt; echo other >j.txt; /' tasks.txt
    run -- --journal j.txt tasks.txt
    want_rc 4 "the journal was replaced"
    grep -Eq "^tfrun: warning: j.txt was replaced during the run: its records are in j.txt.saved$" \
        err.txt || fail "message: $(cat err.txt)"
    [[ $(cat j.txt) == other ]] || fail "the file that replaced the journal was changed"
    [[ $(count j.txt.saved) -eq 8 ]] || fail "saved records: $(cat j.txt.saved)"
    run -- -q --journal j.txt.saved --resume tasks.txt
    want_rc 0 "resume from the saved journal"
    [[ -s out.txt ]] && fail "the resume ran tasks again: $(cat out.txt)"
    ;;

rank-killed)
    # kill -9 of one rank's process: the launcher ends the job, and every
    # rank's command (its shell and the shell's children) dies with its
    # rank; none goes on to write after the job ended, so --resume runs
    # each unfinished task exactly once. The sleep's length is unique to
    # this test: it finds the commands.
    mark="sleep 6.$$"
    for i in 1 2 3 4; do echo "[ -e fast ] || $mark; echo \$TF_TASK_ID >>side.log"; done >tasks.txt
    "${launcher[@]}" -np "$np" "$tfrun" -q --journal j.txt tasks.txt >out.txt 2>err.txt &
    pid=$!
    want=$((np < 4 ? np : 4))
    for _ in $(seq 150); do
        sleep 0.1
        (($(pgrep -fc "^$mark\$") >= want)) && break
    done
    t0=$(date +%s.%N)
    (($(pgrep -fc "^$mark\$") >= want)) || fail "the commands did not start"
    victim=
    for r in $(ranks_under $pid); do
        victim=$r
        tr '\0' '\n' <"/proc/$r/environ" 2>/dev/null | grep -Eqx '(OMPI_COMM_WORLD_RANK|PMI_RANK)=1' &&
            break
    done
    [[ -n $victim ]] || fail "no ranks found under the launcher"
    kill -9 "$victim"
    timeout 30 tail --pid=$pid -f /dev/null
    kill -0 $pid 2>/dev/null && fail "the job did not end 30 s after one of its ranks was killed"
    wait $pid
    note "the job ended $(echo "$(date +%s.%N) - $t0" | bc) s after the kill"
    # the commands go with their ranks (at once, not when their sleep ends)
    for _ in $(seq 10); do
        pgrep -f "$mark" >/dev/null || break
        sleep 0.1
    done
    left=$(pgrep -fa "$mark")
    if [[ -n $left ]]; then
        pkill -KILL -f "$mark"
        fail "commands outlived their killed job: $left"
    fi
    touch fast
    run -- -q --journal j.txt --resume tasks.txt
    want_rc 0 "the resume runs the rest"
    # an orphan of the first run would have written by now
    sleep "$(echo "$t0 + 6.5 - $(date +%s.%N)" | bc | sed 's/^-.*/0/')"
    [[ $(sort -n side.log | tr '\n' ' ') == "1 2 3 4 " ]] ||
        fail "task ids in side.log: $(sort -n side.log | tr '\n' ' '), want each once"
    ;;

disk-full)
    # A full disk under --output, --journal and --output-dir: exit status 4
    # ("could not record the work"), the summary counts only what was
    # recorded and says how many tasks ran but could not be, a task whose
    # output could not be kept is not recorded as failed, and once there is
    # room --resume ends the work with every output exactly once. The full
    # disks are small tmpfs mounts in a mount namespace of this case's own.
    if [[ -z ${TFRUN_TEST_NS:-} ]]; then
        cd / && rm -rf "$work"
        trap - EXIT
        TFRUN_TEST_NS=1 exec unshare -m --propagation private "$0" "$case_name" "$np" "$tfrun" \
            "${launcher[@]}"
    fi
    trap 'umount -l "$work"/m1 "$work"/m2 "$work"/m3 2>/dev/null; cleanup' EXIT
    mkdir m1 m2 m3
    for m in m1 m2 m3; do
        mount -t tmpfs -o size=64k tmpfs $m || fail "cannot mount a tmpfs on $m"
    done
    # the summary's count of succeeded tasks is the journal's count of whole
    # records (a torn last one, cut by --resume, is none; the header is two
    # lines)
    summary_ok() { # JOURNAL
        local s n
        s=$(grep -o '[0-9]* succeeded, 0 failed' err.txt | cut -d' ' -f1)
        n=$(($(tr -cd '\n' <"$1" | wc -c) - 2))
        [[ -n $s && $s -eq $n ]] || fail "summary: '$(grep succeeded err.txt)', $n records in $1"
        grep -Eq '^tfrun: could not record the work \(.*No space left on device\): [0-9]+ tasks? ran but (is|are) not recorded' err.txt ||
            fail "no 'could not record' line: $(cat err.txt)"
        grep -q "tfrun: to go on, .*--resume" err.txt || fail "no hint to resume: $(cat err.txt)"
    }

    # --output to a device that is always full
    for i in $(seq 20); do echo "echo out$i"; done >t0.txt
    run -- -o /dev/full --journal j0.txt t0.txt
    want_rc 4 "--output /dev/full"
    grep -q "/dev/full: No space left on device" err.txt || fail "message: $(cat err.txt)"
    summary_ok j0.txt

    # --output on a file system that fills in the middle of the run
    for i in $(seq 60); do echo "printf '%03d%2999s\n' $i x"; done >t1.txt
    run -- -o m1/all.txt --journal j1.txt t1.txt
    want_rc 4 "--output on a full disk"
    summary_ok j1.txt
    mount -o remount,size=1m m1 || fail "cannot grow m1"
    run -- -o m1/all.txt --journal j1.txt --resume t1.txt
    want_rc 0 "--output: resumed with room"
    [[ $(count j1.txt) -eq 60 && $(records j1.txt | cut -f1 | sort -u | wc -l) -eq 60 ]] ||
        fail "--output: $(count j1.txt) records after the resume, want 60 tasks once"
    [[ $(cut -c1-3 m1/all.txt | sort | tr '\n' ' ') == "$(seq -f %03g 60 | tr '\n' ' ')" ]] ||
        fail "--output: the file does not hold each task's output once"

    # --journal on a file system with one page left
    head -c 61000 /dev/zero >m2/filler
    for i in $(seq 150); do echo "true $i"; done >t2.txt
    run -- --journal m2/j.txt t2.txt
    want_rc 4 "--journal on a full disk"
    summary_ok m2/j.txt
    rm m2/filler
    run -- --journal m2/j.txt --resume t2.txt
    want_rc 0 "--journal: resumed with room"
    [[ $(count m2/j.txt) -eq 150 && $(records m2/j.txt | cut -f1 | sort -u | wc -l) -eq 150 ]] ||
        fail "--journal: $(count m2/j.txt) records after the resume, want 150 tasks once"

    # --output-dir: the commands' writes fail; their tasks did not fail
    for i in $(seq 30); do echo "echo out$i; echo err$i >&2"; done >t3.txt
    run -- --output-dir m3 --journal j3.txt t3.txt
    want_rc 4 "--output-dir on a full disk"
    records j3.txt | awk -F'\t' '$2 != "exit:0" {exit 1}' ||
        fail "--output-dir: a task whose output was lost was recorded: $(records j3.txt | grep -v exit:0)"
    summary_ok j3.txt
    ls m3 | grep -q part && fail "--output-dir: part files left: $(ls m3 | grep part | head -3)"
    for id in $(records j3.txt | cut -f1); do
        [[ $(cat m3/$id.out) == out$id && $(cat m3/$id.err) == err$id ]] ||
            fail "--output-dir: task $id recorded, its files wrong"
    done
    mount -o remount,size=1m m3 || fail "cannot grow m3"
    run -- --output-dir m3 --journal j3.txt --resume t3.txt
    want_rc 0 "--output-dir: resumed with room"
    grep -q -- "--max-output" err.txt && fail "--output-dir: a note on --max-output: $(cat err.txt)"
    [[ $(count j3.txt) -eq 30 ]] || fail "--output-dir: $(count j3.txt) records, want 30"
    for i in $(seq 30); do
        [[ $(cat m3/$i.out) == out$i && $(cat m3/$i.err) == err$i ]] ||
            fail "--output-dir: m3/$i.out or .err wrong after the resume"
    done
    ;;

stale-parts)
    # the part files a killed run left in --output-dir (ID.out.part-RANK-PID,
    # ID.err.part-RANK-PID) are removed when the next run starts, and only
    # those; the outputs are right
    mkdir res
    for i in $(seq 6); do echo "echo out$i; echo err$i >&2"; done >tasks.txt
    echo stale >res/3.out.part-0-4242
    echo stale >res/3.err.part-1-4242
    echo stale >res/17.out.part-12-99999
    for f in notes.part-1-2 3.out.part-x 3.log.part-0-1 3.out.part-0-1.bak keep.txt; do
        echo theirs >"res/$f"
    done
    run -- --output-dir res tasks.txt
    want_rc 0 "all succeed"
    left=$(ls res | grep -E '^[0-9]+\.(out|err)\.part-[0-9]+-[0-9]+$')
    [[ -z $left ]] && [[ ! -e res/3.out.part-0-4242 ]] || fail "stale part files left: $left"
    for f in notes.part-1-2 3.out.part-x 3.log.part-0-1 3.out.part-0-1.bak keep.txt; do
        [[ $(cat "res/$f" 2>/dev/null) == theirs ]] || fail "res/$f, not tfrun's, was touched"
    done
    for i in $(seq 6); do
        [[ $(cat res/$i.out) == out$i && $(cat res/$i.err) == err$i ]] || fail "res/$i.out or .err wrong"
    done
    # and on --resume
    echo stale >res/5.out.part-3-777
    run -- --output-dir res --journal j.txt tasks.txt
    want_rc 0 "with a journal"
    echo stale >res/5.out.part-3-777
    run -- --output-dir res --journal j.txt --resume tasks.txt
    want_rc 0 "resume"
    [[ -e res/5.out.part-3-777 ]] && fail "--resume left a stale part file"
    [[ $(cat res/5.out) == out5 ]] || fail "res/5.out wrong after the resume"
    ;;

bar)
    # --bar under the launcher with standard output and error into one
    # file: no line holds both the bar and a task's output, and the summary
    # comes after the last task's output
    for i in $(seq 12); do echo "sleep 0.1; echo line $i"; done >tasks.txt
    timeout -k 5 60 "${launcher[@]}" -np "$np" "$tfrun" --bar --progress 0.05 tasks.txt >all.txt 2>&1
    rc=$?
    cp all.txt err.txt
    want_rc 0 "all succeed"
    grep -aq 'ETA' all.txt || fail "no bar drawn: $(cat -A all.txt)"
    mixed=$(grep -a 'ETA' all.txt | grep -a 'line [0-9]') &&
        fail "the bar and task output on one line: $(echo "$mixed" | cat -A | head -3)"
    [[ $(grep -ac '^line [0-9]*$' all.txt) -eq 12 ]] ||
        fail "task output lines not whole: $(cat -A all.txt | head -20)"
    last=$(grep -an '^line [0-9]' all.txt | tail -1 | cut -d: -f1)
    sum=$(grep -an 'tfrun: 12 tasks: 12 succeeded' all.txt | cut -d: -f1)
    [[ -n $sum ]] && ((sum > last)) || fail "summary (line $sum) before task output (line $last)"
    ;;
halt)
    # --halt soon,fail=2: each failure named on stderr as it happens, the
    # failed ids and the task that halted the run in the summary
    for i in $(seq 40); do
        case $i in 3 | 7) echo "exit 5" ;; 9) echo "kill -KILL \$\$" ;; *) echo "sleep 0.05" ;; esac
    done >t.txt
    run -- --halt soon,fail=2 --journal j.txt t.txt
    want_rc 1 "halted after failures"
    grep -Eq "^tfrun: task 3 failed: exit 5 \(rank [0-9]+ on .+, [0-9.]+ s\): exit 5$" err.txt ||
        fail "no line for task 3: $(cat err.txt)"
    # 7 and 9 may run together (the second failure halts): each that ran is named
    grep -q "^tfrun: task 7 failed: exit 5" err.txt ||
        ! records j.txt | grep -q '^7	' || fail "no line for task 7: $(cat err.txt)"
    grep -q "^tfrun: task 9 failed: killed by SIGKILL" err.txt ||
        ! records j.txt | grep -q '^9	' || fail "no line for task 9: $(cat err.txt)"
    grep -Eq "^tfrun: failed tasks: 3, (7|9)(, (7|9))? \([23] in all\)$" err.txt ||
        fail "failed ids: $(cat err.txt)"
    grep -Eq "^tfrun: halted by task (7|9) \(--halt soon,fail=2\): [0-9]+ of 40 tasks not run$" err.txt ||
        fail "who halted: $(cat err.txt)"
    (($(count j.txt) < 40)) || fail "--halt soon,fail=2 ran every task"
    # now,fail=1 stops the commands running on every rank at once
    { echo "sleep 0.3; exit 4"; for i in $(seq 8); do echo "sleep 30"; done; } >n.txt
    t0=$(date +%s)
    run -- --halt now,fail=1 n.txt
    want_rc 1 "halted now"
    (($(date +%s) - t0 < 15)) || fail "--halt now let the commands run on"
    grep -q "stopping the running tasks" err.txt || fail "halt now: $(cat err.txt)"
    # now,success=1 (parallel's -2): a success, though tasks were not run
    { echo "sleep 0.2"; for i in $(seq 6); do echo "sleep 30"; done; } >s.txt
    run -- --halt=-2 s.txt
    want_rc 0 "halted on a success"
    grep -q "halted by task 1 (--halt now,success=1): 6 of 7 tasks not run" err.txt ||
        fail "halt on success: $(cat err.txt)"
    ;;
report)
    # --joblog in GNU parallel's format, --summary-json, --status of the
    # journal without the launcher, TF_STATS=json
    printf 'echo a\nexit 3\nkill -TERM $$\nsleep 5\necho b; echo c >&2\n' >t.txt
    run -- --journal j.txt --joblog jl.txt --summary-json s.json --timeout 0.5 t.txt
    want_rc 1 "three fail"
    header=$'Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand'
    [[ $(head -1 jl.txt) == "$header" ]] || fail "joblog header: $(head -1 jl.txt | cat -A)"
    check_joblog() { # FILE: parallel's columns and field formats
        python3 - "$1" <<'PY' || fail "$1 is not in parallel's format: $(cat -A "$1")"
import re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])][1:]
assert len(rows) == 5, rows
fmt = [r"\d+", r"\S+", r"\d+\.\d{3}", r"[ \d]{5}\d\.\d{3}", r"\d+", r"\d+", r"-?\d+", r"\d+", r".+"]
for r in rows:
    assert len(r) == 9, r
    for f, v in zip(fmt, r):
        assert re.fullmatch(f, v), (f, v, r)
PY
    }
    check_joblog jl.txt
    ev() { awk -F'\t' -v c="$2" '$9 == c {print $7 "/" $8}' "$1"; }
    [[ $(ev jl.txt 'exit 3') == 3/0 && $(ev jl.txt 'kill -TERM $$') == 0/15 &&
        $(ev jl.txt 'sleep 5') == -1/15 && $(ev jl.txt 'echo a') == 0/0 ]] ||
        fail "joblog exit values and signals: $(cat jl.txt)"
    if command -v parallel >/dev/null; then # the same tasks under parallel itself
        parallel --will-cite -j1 --timeout 0.5 --joblog pl.txt :::: t.txt >/dev/null 2>&1
        check_joblog pl.txt
        for c in 'echo a' 'exit 3' 'kill -TERM $$' 'sleep 5'; do
            [[ $(ev jl.txt "$c") == $(ev pl.txt "$c") ]] ||
                fail "'$c': tfrun's joblog says $(ev jl.txt "$c"), parallel's $(ev pl.txt "$c")"
        done
    fi
    python3 - "$np" <<'PY' || fail "summary JSON: $(cat s.json)"
import json, sys
s = json.load(open("s.json"))
assert s["tasks"] == 5 and s["succeeded"] == 2 and s["failed"] == 3, s
assert sorted(s["failed_ids"]) == [2, 3, 4] and s["not_run"] == 0, s
assert s["not_recorded"] == 0 and s["exit_status"] == 1 and s["ranks"] == int(sys.argv[1]), s
assert s["elapsed_s"] > 0 and s["halted_by"] is None and s["stopped_by"] is None, s
PY
    # --status: a plain process, no launcher
    timeout 10 "$tfrun" --status --journal j.txt t.txt >st.txt 2>st.err
    [[ $? -eq 0 ]] || fail "--status: $(cat st.txt st.err)"
    grep -q "^done: 5 (2 succeeded, 3 failed)$" st.txt && grep -q "^failed: 3 (2 3 4)$" st.txt &&
        grep -q "^not yet run: 0$" st.txt && grep -q "^running when it stopped: " st.txt ||
        fail "--status: $(cat st.txt)"
    head -3 j.txt >part.txt
    timeout 10 "$tfrun" --status --journal part.txt t.txt >st.txt 2>st.err
    grep -q "^done: 1 (" st.txt && grep -q "^not yet run: 4 (" st.txt || fail "--status: $(cat st.txt)"
    { cat j.txt; echo "garbage line"; echo "more"; } >bad.txt
    timeout 10 "$tfrun" --status --journal bad.txt t.txt >st.txt 2>st.err
    [[ $? -eq 2 && $(wc -l <st.err) -eq 1 ]] && grep -q "^tfrun: bad.txt:8: " st.err ||
        fail "--status of a bad journal: $(cat st.err)"
    # the library's statistics as JSON, one object a line
    for i in $(seq 8); do echo "true"; done >q.txt
    TF_STATS=json run -- -q q.txt
    want_rc 0 "ok"
    python3 - "$np" <<'PY' || fail "TF_STATS=json: $(cat err.txt)"
import json, sys
objs = [json.loads(l) for l in open("err.txt") if l.startswith("{")]
assert objs, "no JSON line"
run = [o for o in objs if o.get("type") == "run"]
ranks = [o for o in objs if o.get("type") == "rank"]
assert len(run) == 1 and run[0]["ranks"] == int(sys.argv[1]), objs
assert len(ranks) == int(sys.argv[1]) and sum(o["tasks"] for o in ranks) == 8, ranks
assert not [l for l in open("err.txt") if l.startswith("taskfarm: stats:")], "text lines too"
PY
    ;;
cli)
    # GNU parallel's habits: --opt=value, time units, nothing to do is no
    # failure; a wrong option is answered with the likely one
    echo "echo fine" >t.txt
    direct=1 # refused before anything runs: no launcher needed
    for a in "--journl j.txt:^tfrun: unknown option '--journl': did you mean --journal\? \(see tfrun --help\)$" \
        "--timout=5:^tfrun: unknown option '--timout': did you mean --timeout\?" \
        "-j 4:^tfrun: -j: tfrun runs one task per rank: start N ranks with mpirun -np N" \
        "--jobs=4:^tfrun: --jobs: tfrun runs one task per rank" \
        "-P 4:^tfrun: -P: tfrun runs one task per rank" \
        "--tag=1:^tfrun: --tag takes no value, got '--tag=1'$" \
        "--grace 10x:^tfrun: --grace: want a time .*got '10x'$" \
        "--progress=1w:^tfrun: --progress: want a time" \
        "--halt sometimes:^tfrun: --halt: want never, or now\|soon,fail\|success\|done=N\[%\] .*'sometimes'$" \
        "--frobnicate:^tfrun: unknown option '--frobnicate' \(see tfrun --help\)$"; do
        read -ra args <<<"${a%%:^*}"
        run -- "${args[@]}" t.txt
        [[ $rc -eq 2 ]] || fail "tfrun ${args[*]}: exit status $rc, want 2"
        grep -Eq -- "^${a#*:^}" err.txt || fail "tfrun ${args[*]}: '$(cat err.txt)', want /^${a#*:^}/"
        [[ $(wc -l <err.txt) -eq 1 ]] || fail "tfrun ${args[*]}: more than one line: $(cat err.txt)"
    done
    direct=0
    : >empty.txt
    run -- --summary-json e.json empty.txt
    want_rc 0 "nothing to do"
    grep -q "^tfrun: empty.txt: no commands (it is empty): nothing to do$" err.txt || fail "$(cat err.txt)"
    python3 -c 'import json; s = json.load(open("e.json")); assert s["tasks"] == 0 and s["exit_status"] == 0' ||
        fail "summary JSON of nothing: $(cat e.json)"
    printf '# only\n\n   # comments\n' | timeout 60 "${launcher[@]}" -np "$np" "$tfrun" - 2>err.txt ||
        fail "a task list of comments: $(cat err.txt)"
    run -- --timeout=2m --grace=1h --progress=0 --deadline=+1d --retries=1 --journal=j.txt \
        --output=o.txt --halt=soon,fail=10% t.txt
    want_rc 0 "--opt=value"
    [[ $(cat o.txt) == fine && $(count j.txt) -eq 1 ]] || fail "--opt=value: $(cat o.txt err.txt)"
    ;;
args)
    # CMD ::: ARGS: --dry-run prints each command once whatever the ranks,
    # ids are the jobs' numbers ({#}, TF_TASK_ID), {%} is a rank + 1, the
    # values reach the command as they were, and the journal and --resume
    # work on them; a resume with other arguments is refused
    run -- --dry-run --journal j.txt echo {#} {} ::: "a b" "it's" ::: 1 2
    want_rc 0 "--dry-run"
    printf '%s\n' "echo 1 'a b' 1" "echo 2 'a b' 2" "echo 3 'it'\"'\"'s' 1" \
        "echo 4 'it'\"'\"'s' 2" >want.txt
    cmp -s out.txt want.txt || fail "--dry-run printed: $(cat out.txt)"
    [[ -e j.txt ]] && fail "--dry-run made a journal"
    printf 'echo 1\n# c\necho \\\n 2\n' >tasks.txt
    run -- --dry-run tasks.txt
    [[ $(cat out.txt) == $'echo 1\necho  2' ]] || fail "--dry-run of a task file: $(cat out.txt)"
    printf 'x y\n$HOME\n' >vals.txt
    # the template is not quoted: sh reads it as written
    run -- -k --journal j.txt printf "'%s|%s|%s|%s|%s\n'" {#} '"$TF_TASK_ID"' {%} {1} {2} :::: vals.txt \
        ::: '`x`' "'"
    want_rc 0 "a run"
    printf '%s\n' '1|1|x y|`x`' "2|2|x y|'" '3|3|$HOME|`x`' "4|4|\$HOME|'" >want.txt
    cut -d'|' -f1,2,4,5 out.txt | cmp -s - want.txt || fail "the commands got: $(cat out.txt)"
    cut -d'|' -f3 out.txt | awk -v np="$np" '$1 < 1 || $1 > np {exit 1}' ||
        fail "{%} not a rank + 1: $(cat out.txt)"
    head -1 j.txt | grep -q 'tasks=4$' || fail "journal header: $(head -1 j.txt)"
    [[ $(records j.txt | cut -f1 | sort -n | tr '\n' ' ') == "1 2 3 4 " ]] ||
        fail "journal ids: $(records j.txt)"
    # job 2 fails until ok2 exists; --resume-failed runs it alone. From here
    # on an MPI singleton: rank 0 alone reads the journal, and a launcher
    # takes 2 s more to end after a status that is not 0
    direct=1
    run -- --journal j2.txt '[ {} != 2 ] || [ -e ok2 ] && echo ran{}' ::: 1 2 3
    want_rc 1 "job 2 fails"
    touch ok2
    run -- --journal j2.txt --resume-failed '[ {} != 2 ] || [ -e ok2 ] && echo ran{}' \
        ::: 1 2 3
    want_rc 0 "the resume"
    [[ $(cat out.txt) == ran2 ]] || fail "the resume ran: $(cat out.txt)"
    run -- --dry-run --journal j2.txt --resume '[ {} != 2 ] || [ -e ok2 ] && echo ran{}' \
        ::: 1 2 3
    want_rc 0 "--dry-run --resume"
    [[ -z $(cat out.txt) ]] || fail "--dry-run --resume printed done tasks: $(cat out.txt)"
    run -- --journal j2.txt --resume '[ {} != 2 ] || [ -e ok2 ] && echo ran{}' ::: 1 2 4
    want_rc 2 "other arguments"
    grep -q "j2.txt: made for other commands than those the arguments make now" err.txt ||
        fail "message: $(cat err.txt)"
    # the command to go on quotes what it repeats: sh reads it back as it was
    run -- --deadline +0.25 --journal j3.txt 'sleep 0.1; echo {}' ::: "a b" "it's" c d e f
    want_rc 3 "stopped by the deadline"
    hint=$(sed -n 's/^tfrun: to go on, run under the same launcher: tfrun //p' err.txt)
    [[ -n $hint ]] || fail "no command to go on: $(cat err.txt)"
    eval "set -- $hint"
    run -- "$@"
    want_rc 0 "the command to go on ($hint)"
    [[ $(count j3.txt) -eq 6 ]] || fail "$(count j3.txt) records after going on ($hint)"
    # bad input: a line each, status 2
    run -- --colsep '(' echo ::: a
    want_rc 2 "a bad --colsep"
    grep -q "^tfrun: --colsep '(': " err.txt || fail "message: $(cat err.txt)"
    : >none.txt
    run -- echo :::: none.txt
    want_rc 0 "an empty argument file: nothing to do"
    grep -q "^tfrun: no commands (the argument file none.txt is empty): nothing to do$" err.txt ||
        fail "an empty argument file: $(cat err.txt)"
    run -- --dry-run echo :::: none.txt
    want_rc 0 "--dry-run with nothing to do"
    [[ -z $(cat out.txt) ]] || fail "--dry-run of nothing printed: $(cat out.txt)"
    run -- echo :::: nosuch.txt
    want_rc 2 "a missing argument file"
    grep -q "nosuch.txt" err.txt || fail "message: $(cat err.txt)"
    run -- --journal vals.txt echo :::: vals.txt
    want_rc 2 "the journal is the argument file"
    grep -q "the same file as the argument file vals.txt" err.txt || fail "message: $(cat err.txt)"
    ;;

*)
    fail "unknown case"
    ;;
esac
echo "ok [$case_name np$np]"
