#!/usr/bin/env bash
# shellcheck disable=SC2016 # $1 is the inner shell's
# cmd.sh - the command farms a shell user has: GNU parallel and xargs, each
# running N short commands 2 at a time.
#
#   cmd.sh parallel|xargs N true|echo
#
# true runs /bin/true I; echo runs sh -c 'echo $1 >/dev/null' _ I (the
# command throws its output away, so the tool has none to collect). The time is the wall time of the whole invocation, the tool's own
# start-up included. Prints one CSV line:
#   TOOL,cmd-WORKLOAD,N,2,seconds,tasks_per_second
set -uo pipefail
tool="${1:-}" n="${2:-}" wl="${3:-true}"
case "$tool:$wl" in
parallel:true) run() { seq "$n" | parallel --will-cite -j2 /bin/true; } ;;
parallel:echo) run() { seq "$n" | parallel --will-cite -j2 -q sh -c 'echo $1 >/dev/null' _ {}; } ;;
xargs:true) run() { seq "$n" | xargs -P2 -n1 /bin/true; } ;;
xargs:echo) run() { seq "$n" | xargs -P2 -I{} sh -c 'echo $1 >/dev/null' _ {}; } ;;
*) echo "usage: cmd.sh parallel|xargs N true|echo" >&2; exit 2 ;;
esac
case "$n" in ''|*[!0-9]*) echo "cmd.sh: N: not a number: '$n'" >&2; exit 2 ;; esac
t0=$(date +%s.%N)
run || { echo "cmd.sh: $tool failed" >&2; exit 1; }
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v tool="$tool" -v wl="$wl" -v n="$n" \
    'BEGIN { d = b - a; printf "%s,cmd-%s,%d,2,%.6f,%.1f\n", tool, wl, n, d, n / d }'
