#!/usr/bin/env bash
# netns-test.sh CASE BINDIR MPIRUN [MPIRUN FLAGS...]
#
# Runs one program on a virtual cluster of 3 hosts x 2 ranks
# (cluster/netns/up: network namespaces on a bridge, TCP between hosts, each
# host under its own name), launched by Open MPI's mpirun (the cluster's
# mpirun.args) or MPICH's mpiexec (hydra: hosts.mpich, the rsh agent, the
# bridge as its interface), and checks that the work really ran on every host
# and that the results are exact. CASE:
#   tf-bench  tf-bench map, --chunk 1: 6 binding lines, 3 groups with one
#             leader each (the group's lowest rank, on the group's host),
#             rank 0 handing the other hosts' tasks to their leaders (node
#             leaders: rank 0 reaches 4 of the 6 ranks), tasks on every
#             rank (TF_STATS), the benchmark's own check
#   tf-uts    UTS sample tree T1 on 6 ranks: 4,130,071 nodes, depth 10,
#             3,305,118 leaves, tasks on every rank
#   tfrun     60 shell commands with a journal: every task once, exit 0,
#             its output line names the host the journal names, and all
#             three hosts ran some
#   tf-pingpong  2 ranks on two hosts (--map-by node): MPI sees two nodes,
#             every message arrives over TCP with its marks (first and last
#             byte) right
# Prints "ok [netns CASE]" at the end when every check passed; exits 1 on a
# failed check, 2 on bad usage. Root only (network namespaces).
set -euo pipefail

case_="${1:-}"
bindir="${2:-}"
shift 2 || true
mpirun=("$@")
[[ -n "$case_" && -d "$bindir" && ${#mpirun[@]} -gt 0 ]] ||
    { echo "usage: netns-test.sh tf-bench|tf-uts|tfrun|tf-pingpong BINDIR MPIRUN [FLAGS...]" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

fail() { echo "FAIL [netns $case_]: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || fail "needs root (network namespaces); run the tests as root"
version="$("${mpirun[@]}" --version 2>&1 || true)"
if [[ "$version" == *"Open MPI"* || "$version" == *OpenRTE* ]]; then
    flavor=openmpi
elif [[ "$version" == *HYDRA* ]]; then
    flavor=mpich
else
    fail "${mpirun[0]}: neither Open MPI's mpirun nor MPICH's hydra"
fi

case "$case_" in
tf-bench) prefix=tnb ;;
tf-uts) prefix=tnu ;;
tfrun) prefix=tnr ;;
tf-pingpong) prefix=tnp ;;
*) echo "netns-test.sh: unknown case '$case_' (tf-bench, tf-uts, tfrun, tf-pingpong)" >&2; exit 2 ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/tf-netns-test.XXXXXX")"
cluster="$work/cluster"
cleanup() {
    [[ -f "$cluster/cluster.conf" ]] && "$root/cluster/netns/down" "$cluster" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
# One run of a case at a time on this machine, whichever build tree runs it
# (ctest's RESOURCE_LOCK holds within one ctest only); the lock also keeps
# two clusters from taking the same free subnet.
exec 9>"/tmp/tf-netns-test.lock"
flock -w 300 9 || fail "another netns test held the lock for 300 s"
# A cluster left by a killed earlier run of this case holds the bridge: its
# processes first, then its namespaces and bridge.
if ip link show "$prefix-br" >/dev/null 2>&1; then
    echo "netns-test: taking down a leftover cluster with prefix $prefix"
    for i in 1 2 3; do
        for p in $(ip netns pids "$prefix$i" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip link del "${prefix}v$i" 2>/dev/null || true
        ip netns del "$prefix$i" 2>/dev/null || true
    done
    ip link del "$prefix-br" 2>/dev/null || true
fi
"$root/cluster/netns/up" --hosts 3 --slots 2 --prefix "$prefix" --dir "$cluster" >/dev/null ||
    fail "cluster/netns/up failed"
# The launcher's flags for the cluster, and how it passes a variable on.
if [[ "$flavor" == openmpi ]]; then
    read -r -a args <"$cluster/mpirun.args"
    setenv() { local kv; for kv; do printf '%s\n' -x "$kv"; done; }
    by_node=(--map-by node)
else
    args=(-f "$cluster/hosts.mpich" -launcher rsh -launcher-exec "$cluster/rsh" -iface "$prefix-br")
    setenv() { local kv; for kv; do printf '%s\n' -genv "${kv%%=*}" "${kv#*=}"; done; }
    by_node=(-ppn 1)
fi
hosts=("${prefix}1" "${prefix}2" "${prefix}3")
echo "netns-test: $flavor, 3 hosts (${hosts[*]}) x 2 slots, $(cat "$cluster/hostfile" | tr '\n' ' ')"

# launch LOG PROGRAM ARGS...: 6 ranks over the cluster, binding reported,
# statistics on; fails the test if the launch fails or hangs.
launch() {
    local log="$1"
    shift
    local rc=0
    local envs
    mapfile -t envs < <(setenv TF_BIND=none TF_REPORT_BINDING=1 TF_STATS=1 TF_VERBOSE=2)
    timeout -k 10 150 "${mpirun[@]}" "${args[@]}" -np 6 "${envs[@]}" "$@" >"$log" 2>&1 || rc=$?
    if ((rc != 0)); then
        tail -40 "$log" >&2
        ((rc == 124 || rc == 137)) && fail "the launch timed out (exit status $rc)"
        fail "the launch exited $rc"
    fi
}

# check_placement LOG: one binding line per rank; each host runs two ranks;
# one group per host whose leader is its lowest rank.
check_placement() {
    local log="$1"
    python3 - "$log" "${hosts[@]}" <<'EOF'
import re, sys
log, hosts = sys.argv[1], sys.argv[2:]
pat = re.compile(r"taskfarm: binding: host (\S+) rank (\d+) .* group (\d+) "
                 r"\(leader (\d+), local (\d+)/(\d+)\)")
rows = {}
for line in open(log, errors="replace"):
    m = pat.search(line)
    if m:
        host, rank, group, leader, local, size = m.group(1), *map(int, m.groups()[1:])
        if rank in rows:
            sys.exit(f"FAIL: rank {rank} reported its binding twice")
        rows[rank] = (host, group, leader, local, size)
if sorted(rows) != list(range(6)):
    sys.exit(f"FAIL: binding lines for ranks {sorted(rows)}, want 0..5")
by_host = {}
for rank, (host, group, leader, local, size) in rows.items():
    by_host.setdefault(host, []).append(rank)
if sorted(by_host) != sorted(hosts):
    sys.exit(f"FAIL: ranks ran on {sorted(by_host)}, want {sorted(hosts)}")
groups = {}
for host, ranks in sorted(by_host.items()):
    ranks.sort()
    if len(ranks) != 2:
        sys.exit(f"FAIL: host {host} ran ranks {ranks}, want 2")
    gs = {rows[r][1] for r in ranks}
    leaders = {rows[r][2] for r in ranks}
    if len(gs) != 1 or leaders != {ranks[0]}:
        sys.exit(f"FAIL: host {host}: groups {gs}, leaders {leaders}; want one group led by {ranks[0]}")
    if sorted(rows[r][3] for r in ranks) != [0, 1] or {rows[r][4] for r in ranks} != {2}:
        sys.exit(f"FAIL: host {host}: local ranks wrong")
    groups[gs.pop()] = host
if sorted(groups) != [0, 1, 2]:
    sys.exit(f"FAIL: groups {sorted(groups)}, want 0, 1, 2 (one per host)")
for g, host in sorted(groups.items()):
    ranks = by_host[host]
    print(f"netns-test: group {g} on {host}: ranks {ranks}, leader {ranks[0]}")
EOF
}

# check_every_rank_worked LOG: in TF_STATS's tables, every rank ran tasks.
check_every_rank_worked() {
    local log="$1"
    python3 - "$log" <<'EOF'
import re, sys
tasks = {}
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"taskfarm: stats:\s+(\d+)\s+(\d+)\s", line)
    if m:
        tasks[int(m.group(1))] = tasks.get(int(m.group(1)), 0) + int(m.group(2))
if sorted(tasks) != list(range(6)):
    sys.exit(f"FAIL: statistics for ranks {sorted(tasks)}, want 0..5")
idle = [r for r, n in tasks.items() if n == 0]
if idle:
    sys.exit(f"FAIL: ranks {idle} ran no task")
print("netns-test: tasks per rank " + ", ".join(f"{r}: {n}" for r, n in sorted(tasks.items())))
EOF
}

log="$work/run.log"
case "$case_" in
tf-bench)
    launch "$log" "$bindir/tf-bench" map --tasks 30000 --chunk 1 --repeat 2
    check_placement "$log" || fail "placement"
    check_every_rank_worked "$log" || fail "work spread"
    grep -q "node leaders: 3 groups, rank 0 reaches 4 of 6 ranks" "$log" ||
        fail "no node leaders (want 3 groups, rank 0 reaching 4 ranks)"
    json="$(grep '^{"bench"' "$log" | tail -1)"
    [[ "$json" == *'"tasks":30000,'* && "$json" == *'"ranks":6,'* && "$json" == *'"ok":true'* ]] ||
        fail "tf-bench's result: ${json:-none}"
    echo "netns-test: $(grep '^tf-bench map:' "$log")"
    ;;
tf-uts)
    launch "$log" "$bindir/tf-uts" --sample T1
    check_placement "$log" || fail "placement"
    check_every_rank_worked "$log" || fail "work spread"
    json="$(grep '^{"app":"tf-uts"' "$log" | tail -1)"
    for want in '"ranks":6,' '"nodes":4130071,' '"leaves":3305118,' '"depth":10,' '"ok":true'; do
        [[ "$json" == *"$want"* ]] || fail "tf-uts's result lacks $want: ${json:-none}"
    done
    echo "netns-test: $(grep '^Tree size' "$log")"
    ;;
tfrun)
    n=60
    for i in $(seq 1 "$n"); do
        echo 'echo "task $TF_TASK_ID $(hostname) $TF_HOST"; sleep 0.05'
    done >"$work/tasks"
    launch "$log" "$bindir/tfrun" --journal "$work/journal" -o "$work/out" --progress 0 "$work/tasks"
    check_placement "$log" || fail "placement"
    python3 - "$work/journal" "$work/out" "$n" "${hosts[@]}" <<'EOF' || fail "journal and outputs"
import sys
journal, out, n, hosts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
where = {}
for line in open(journal):
    if line.startswith("#") or not line.strip():
        continue
    f = line.rstrip("\n").split("\t")
    tid, status, rank, host = int(f[0]), f[1], int(f[2]), f[3]
    if tid in where:
        sys.exit(f"FAIL: task {tid} journaled twice")
    if status != "exit:0":
        sys.exit(f"FAIL: task {tid}: {status}")
    where[tid] = (host, rank)
if sorted(where) != list(range(1, n + 1)):
    sys.exit(f"FAIL: the journal has {len(where)} tasks, want 1..{n}")
said = {}
for line in open(out):
    w = line.split()
    if len(w) != 4 or w[0] != "task":
        sys.exit(f"FAIL: output line {line!r}")
    tid = int(w[1])
    if tid in said:
        sys.exit(f"FAIL: task {tid} wrote twice")
    if w[2] != w[3]:
        sys.exit(f"FAIL: task {tid}: hostname {w[2]} but TF_HOST {w[3]}")
    said[tid] = w[2]
if sorted(said) != list(range(1, n + 1)):
    sys.exit(f"FAIL: outputs of {len(said)} tasks, want {n}")
per_host = {h: 0 for h in hosts}
for tid, (host, rank) in where.items():
    if said[tid] != host:
        sys.exit(f"FAIL: task {tid} ran on {said[tid]}, the journal says {host}")
    if host not in per_host:
        sys.exit(f"FAIL: task {tid} ran on unknown host {host}")
    per_host[host] += 1
if 0 in per_host.values():
    sys.exit(f"FAIL: a host ran nothing: {per_host}")
print("netns-test: tasks per host (journal) " + ", ".join(f"{h}: {c}" for h, c in per_host.items()))
EOF
    grep '^tfrun: ' "$log" | sed 's/^/netns-test: /'
    ;;
tf-pingpong)
    rc=0
    timeout -k 10 120 "${mpirun[@]}" "${args[@]}" -np 2 "${by_node[@]}" "$bindir/tf-pingpong" \
        --iters 2000 --sizes 1,64K,3M --repeat 1 >"$log" 2>&1 || rc=$?
    ((rc == 0)) || { tail -20 "$log" >&2; fail "tf-pingpong exited $rc"; }
    cat "$log"
    [[ "$(grep -c '"same_node":false,.*"ok":true}' "$log")" == 3 ]] ||
        fail "want 3 sizes measured between two nodes, all intact"
    grep -q "\"host0\":\"${hosts[0]}\",\"host_peer\":\"${hosts[1]}\"" "$log" ||
        fail "want rank 0 on ${hosts[0]} and rank 1 on ${hosts[1]}"
    ;;
esac
echo "ok [netns $case_]"
