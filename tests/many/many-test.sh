#!/usr/bin/env bash
# many-test.sh SECONDS NP PATTERN... -- LAUNCHER [FLAGS...] -- PROGRAM [ARGS...]
#
# Runs PROGRAM on NP ranks of this machine, many more ranks than cores
# (every rank unbound: TF_BIND=none and the launcher's --bind-to none), and
# checks that it ended within SECONDS with exit status 0 and that its output
# (stdout and stderr together) matches every extended regular expression
# PATTERN. Prints the run's time and "ok [many NP]" when every check passed;
# exits 1 on a failed check (with the output's tail), 2 on bad usage.
set -euo pipefail

usage() { echo "usage: many-test.sh SECONDS NP PATTERN... -- LAUNCHER [FLAGS...] -- PROGRAM [ARGS...]" >&2; exit 2; }
(($# >= 2)) || usage
secs="$1" np="$2"
shift 2
[[ "$secs" =~ ^[1-9][0-9]*$ && "$np" =~ ^[1-9][0-9]*$ ]] || usage
patterns=()
while (($#)) && [[ "$1" != -- ]]; do patterns+=("$1"); shift; done
(($#)) || usage
shift
launcher=()
while (($#)) && [[ "$1" != -- ]]; do launcher+=("$1"); shift; done
(($# >= 2)) && ((${#launcher[@]})) || usage
shift
program=("$@")

fail() { echo "FAIL [many $np]: $*" >&2; exit 1; }
version="$("${launcher[0]}" --version 2>&1 || true)"
if [[ "$version" == *"Open MPI"* || "$version" == *OpenRTE* ]]; then
    bind=(--bind-to none)
elif [[ "$version" == *HYDRA* ]]; then
    bind=(-bind-to none)
else
    bind=()
fi
export TF_BIND=none

log="$(mktemp "${TMPDIR:-/tmp}/tf-many.XXXXXX")"
trap 'rm -f "$log"' EXIT
start=$(date +%s.%N)
rc=0
timeout -k 10 "$secs" "${launcher[@]}" "${bind[@]}" -np "$np" "${program[@]}" >"$log" 2>&1 || rc=$?
took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if ((rc != 0)); then
    tail -40 "$log" >&2
    ((rc == 124 || rc == 137)) && fail "no end within $secs s: ${program[*]}"
    fail "exit status $rc after $took s: ${program[*]}"
fi
for p in "${patterns[@]}"; do
    grep -Eq -- "$p" "$log" || { tail -40 "$log" >&2; fail "no line matches '$p'"; }
done
grep -E '^taskfarm: stats: (steals|run)' "$log" | sed 's/^/many-test: /' || true
echo "many-test: $np ranks, $took s: ${program[*]}"
echo "ok [many $np]"
