#!/usr/bin/env bash
# netns-steal.sh BINDIR MPIRUN [MPIRUN FLAGS...]
#
# Peer stealing on a virtual cluster of 4 hosts x 4 ranks (cluster/netns/up),
# each host's link given a delay of TF_NETNS_DELAY_US microseconds each way
# (default 200) with tc netem where the kernel has it (where it does not,
# the run goes on over the plain links and says so). Runs tf-uts on sample
# tree T3 (deep and narrow: the ranks share it only by stealing) under the
# peer scheduling with TF_STATS=1 and TF_TRACE, and checks: exact counts,
# one binding line per rank (4 ranks on each host), and in the trace
# successful steals whose victim is on the thief's host and steals whose
# victim is on another host. Prints the steal counts and median latencies
# inside and across hosts, and "ok [netns steal]" when every check passed;
# exits 1 on a failed check, 2 on bad usage. Root only.
set -euo pipefail

bindir="${1:-}"
shift || true
mpirun=("$@")
[[ -d "$bindir" && ${#mpirun[@]} -gt 0 ]] ||
    { echo "usage: netns-steal.sh BINDIR MPIRUN [FLAGS...]" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
delay_us="${TF_NETNS_DELAY_US:-200}"
[[ "$delay_us" =~ ^[0-9]+$ ]] || { echo "netns-steal.sh: TF_NETNS_DELAY_US: want microseconds" >&2; exit 2; }
nhosts=4 slots=4 np=16 prefix=tns

fail() { echo "FAIL [netns steal]: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || fail "needs root (network namespaces); run the tests as root"
version="$("${mpirun[@]}" --version 2>&1 || true)"
if [[ "$version" == *"Open MPI"* || "$version" == *OpenRTE* ]]; then
    flavor=openmpi
elif [[ "$version" == *HYDRA* ]]; then
    flavor=mpich
else
    fail "${mpirun[0]}: neither Open MPI's mpirun nor MPICH's hydra"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/tf-netns-steal.XXXXXX")"
cluster="$work/cluster"
cleanup() {
    [[ -f "$cluster/cluster.conf" ]] && "$root/cluster/netns/down" "$cluster" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
# the same lock as netns-test.sh: one cluster at a time picks a subnet
exec 9>"/tmp/tf-netns-test.lock"
flock -w 300 9 || fail "another netns test held the lock for 300 s"
if ip link show "$prefix-br" >/dev/null 2>&1; then
    echo "netns-steal: taking down a leftover cluster with prefix $prefix"
    for i in $(seq 1 "$nhosts"); do
        for p in $(ip netns pids "$prefix$i" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip link del "${prefix}v$i" 2>/dev/null || true
        ip netns del "$prefix$i" 2>/dev/null || true
    done
    ip link del "$prefix-br" 2>/dev/null || true
fi
"$root/cluster/netns/up" --hosts "$nhosts" --slots "$slots" --prefix "$prefix" --dir "$cluster" >/dev/null ||
    fail "cluster/netns/up failed"

# The delay: on the host's end of its veth (what it sends) and on the
# bridge's end (what it receives), so that a message between two hosts
# waits twice the delay each way and a message inside a host not at all.
delayed="none"
if ((delay_us > 0)); then
    if err="$(tc -n "${prefix}1" qdisc add dev eth0 root netem delay "${delay_us}us" 2>&1)"; then
        for i in $(seq 1 "$nhosts"); do
            ((i == 1)) || tc -n "$prefix$i" qdisc add dev eth0 root netem delay "${delay_us}us"
            tc qdisc add dev "${prefix}v$i" root netem delay "${delay_us}us"
        done
        delayed="${delay_us} us each way at each end"
    else
        echo "netns-steal: no delay added (tc netem: ${err//$'\n'/ }): the hosts' links are plain TCP"
    fi
fi

if [[ "$flavor" == openmpi ]]; then
    read -r -a args <"$cluster/mpirun.args"
    setenv() { local kv; for kv; do printf '%s\n' -x "$kv"; done; }
else
    args=(-f "$cluster/hosts.mpich" -launcher rsh -launcher-exec "$cluster/rsh" -iface "$prefix-br")
    setenv() { local kv; for kv; do printf '%s\n' -genv "${kv%%=*}" "${kv#*=}"; done; }
fi
log="$work/run.log" trace="$work/trace.json"
mapfile -t envs < <(setenv TF_BIND=none TF_REPORT_BINDING=1 TF_STATS=1 TF_SCHED=peers "TF_TRACE=$trace")
rc=0
timeout -k 10 150 "${mpirun[@]}" "${args[@]}" -np "$np" "${envs[@]}" "$bindir/tf-uts" --sample T3 \
    >"$log" 2>&1 || rc=$?
if ((rc != 0)); then
    tail -40 "$log" >&2
    ((rc == 124 || rc == 137)) && fail "the launch timed out (exit status $rc)"
    fail "the launch exited $rc"
fi
json="$(grep '^{"app":"tf-uts"' "$log" | tail -1)"
for want in "\"ranks\":$np," '"nodes":4112897,' '"leaves":3599034,' '"depth":1572,' '"ok":true'; do
    [[ "$json" == *"$want"* ]] || fail "tf-uts's result lacks $want: ${json:-none}"
done
grep '^taskfarm: stats: steals' "$log" | sed 's/^/netns-steal: /' || fail "no steal statistics"
[[ -s "$trace" ]] || fail "no trace written"

python3 - "$log" "$trace" "$np" "$slots" "$delayed" <<'PYEOF' || fail "the trace's steals"
import json, re, statistics, sys
log, trace, np, slots, delayed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
host = {}
pat = re.compile(r"taskfarm: binding: host (\S+) rank (\d+) ")
for line in open(log, errors="replace"):
    m = pat.search(line)
    if m:
        host[int(m.group(2))] = m.group(1)
if sorted(host) != list(range(np)):
    sys.exit(f"FAIL: binding lines for ranks {sorted(host)}, want 0..{np - 1}")
per = {}
for r, h in host.items():
    per.setdefault(h, []).append(r)
for h, rs in per.items():
    if len(rs) != slots:
        sys.exit(f"FAIL: host {h} ran ranks {sorted(rs)}, want {slots}")
with open(trace) as f:
    doc = json.load(f)
events = doc["traceEvents"] if isinstance(doc, dict) else doc
lat = {"inside a host": [], "across hosts": []}
tried = {k: 0 for k in lat}
for e in events:
    if e.get("cat") != "steal":
        continue
    thief, victim = e["pid"], e["args"]["victim"]
    if thief not in host or victim not in host or thief == victim:
        sys.exit(f"FAIL: steal event with thief {thief}, victim {victim}")
    where = "inside a host" if host[thief] == host[victim] else "across hosts"
    tried[where] += 1
    if e["args"]["tasks"] > 0:
        lat[where].append(float(e["dur"]))
for where in lat:
    if not lat[where]:
        sys.exit(f"FAIL: no successful steal {where} ({tried[where]} tried)")
print(f"netns-steal: delay {delayed}")
for where, v in lat.items():
    print(f"netns-steal: steals {where}: {len(v)} got tasks of {tried[where]} tried, "
          f"median latency {statistics.median(v):.1f} us")
PYEOF
echo "ok [netns steal]"
