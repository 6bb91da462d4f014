#!/bin/sh
# leaders.sh TF_SIM: node leaders (--leaders node) at 256 ranks, 16 a node,
# peer scheduling: a map and a UTS-like tree pass every check, the relays
# are there (15 leaders besides rank 0), and with them rank 0 receives
# fewer messages on the map than without (its results come merged).
set -u
SIM=$1
fail() {
    echo "leaders.sh: $*" >&2
    exit 1
}
# rank 0's received messages from a run's report
received() { sed -n 's/^  rank 0: [0-9]* sent, \([0-9]*\) received.*/\1/p'; }

MAP="--sched peers --ranks 256 --workload map --tasks 51200 --task-us 100"
off=$("$SIM" $MAP --leaders off) || fail "map without leaders failed: $off"
on=$("$SIM" $MAP --leaders node) || fail "map with leaders failed: $on"
echo "$on"
echo "$on" | grep -q "node leaders: 15 besides rank 0" || fail "no node leaders in the map run"
r_off=$(echo "$off" | received)
r_on=$(echo "$on" | received)
[ -n "$r_off" ] && [ -n "$r_on" ] || fail "no count of rank 0's messages"
echo "rank 0 received: $r_off without leaders, $r_on with"
# a leader merges a node's results: at least 4 times fewer
[ $((4 * r_on)) -lt "$r_off" ] || fail "rank 0 received $r_on with leaders, $r_off without"

uts=$("$SIM" --sched peers --ranks 256 --workload uts-geo --b0 4 --depth 9 --seed 3 --jitter 5 \
    --leaders node) || fail "UTS-like with leaders failed: $uts"
echo "$uts"
echo "$uts" | grep -q "node leaders: 15 besides rank 0" || fail "no node leaders in the UTS-like run"
echo "$uts" | grep -q "checks: ok" || fail "UTS-like run: checks not ok"
