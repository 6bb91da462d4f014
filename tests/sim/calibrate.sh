#!/bin/sh
# calibrate.sh - tf-sim against tf-uts as measured with the single
# coordinator (--sched central) on the 16-core machine (docs/BENCHMARKS.md,
# "16 cores"; docs/device/uts-T*-scaling-2026-11-27.csv): the efficiency at
# 2, 4, 8 and 16 ranks (one node), the simulator's default costs beside the
# calibrated ones.
#
#   tests/sim/calibrate.sh BUILD_DIR [--quick]
#
# --quick: 16 ranks only. Exits 1 when a run fails its checks, or when the
# calibrated simulator is more than 5 points from the measurement at 16
# ranks (T1L or T3L).
#
# Every parameter comes from a measurement, none was fitted:
#   - the node's time: the 16-core machine's own T(1) (12.04 s for T1L's
#     102,181,082 nodes: 117.8 ns; 8.94 s for T3L's 111,345,631: 80.3 ns);
#   - the trees: T1L-like, root seed 31 (geometric, b0 4, depth 13, as T1L:
#     83 M nodes); T3L-like, root seed 79 (binomial, b0 2000, q 0.200014,
#     m 5, as T3L: 93.9 M nodes, depth 16,370; T3L: 111 M, depth 17,844),
#     of the seeds 1 to 613 whose tree has T3L's size within 20%, the
#     one whose depth is nearest T3L's;
#   - one core a rank (the 16-core machine has no second hardware thread:
#     --report-bindings in docs/device/machine-2026-11-27.txt), so a
#     service turn takes its time from the running task;
#   - a timed sleep lasts 50 us longer (Linux's default timer slack);
#   - a woken service thread waits for its core while the main thread runs
#     a task, for a time drawn from the request-to-answer times of 406
#     steals (TF_TRACE, "cat":"steal") of tf-uts at 2 ranks on the 2-core
#     development machine (T1L and T3L, --hungry off, 4 runs each, Open
#     MPI binding each rank to a core): the quantiles 0, 5%, ..., 100% in
#     microseconds below (median 588 us, 90th percentile 2,614 us); most
#     of it was a second sleep after an MPI_Improbe that missed the
#     message, which the builds measured on 16 cores did as well (the
#     service loop now probes again after each sleep).
set -eu

build=${1:?usage: calibrate.sh BUILD_DIR [--quick]}
quick=${2:-}
sim="$build/bin/tf-sim"
[ -x "$sim" ] || { echo "calibrate.sh: no $sim (cmake --build $build --target tf-sim)" >&2; exit 2; }

preempt=124,195,307,365,390,464,545,565,572,578,588,603,615,634,657,738,863,1246,2614,4031,10739
calib="--shared-core 1 --slack-ns 50000 --preempt-us $preempt"
t1l="--workload uts-geo --seed 31 --node-ns 117.8"
t3l="--workload uts-bin --seed 79 --node-ns 80.3"

# measured efficiencies, T(1) / (P T(P)), from the 16-core run
measured() { # tree P
    case "$1 $2" in
    "T1L 2") echo 99.4 ;; "T1L 4") echo 100.8 ;; "T1L 8") echo 85.2 ;; "T1L 16") echo 90.9 ;;
    "T3L 2") echo 94.9 ;; "T3L 4") echo 80.8 ;; "T3L 8") echo 55.8 ;; "T3L 16") echo 29.9 ;;
    esac
}

# the efficiency in percent of one central run, or exit 1 if it fails
eff() { # P options...
    p=$1
    shift
    out=$("$sim" --sched central --ranks "$p" "$@") || {
        echo "calibrate.sh: tf-sim --ranks $p $* failed:" >&2
        echo "$out" >&2
        exit 1
    }
    echo "$out" | sed -n 's/.*efficiency \([0-9.]*\).*/\1/p' | head -n 1 | awk '{printf "%.1f", 100 * $1}'
}

ranks="2 4 8 16"
[ "$quick" = --quick ] && ranks=16
bad=0
printf '| ranks | T1L measured | sim, default costs | sim, calibrated | T3L measured | sim, default costs | sim, calibrated |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|\n'
for p in $ranks; do
    # shellcheck disable=SC2086
    a=$(eff "$p" $t1l)
    # shellcheck disable=SC2086
    b=$(eff "$p" $t1l $calib)
    # shellcheck disable=SC2086
    c=$(eff "$p" $t3l)
    # shellcheck disable=SC2086
    d=$(eff "$p" $t3l $calib)
    m1=$(measured T1L "$p")
    m3=$(measured T3L "$p")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$p" "$m1" "$a" "$b" "$m3" "$c" "$d"
    if [ "$p" = 16 ]; then
        for pair in "$b $m1 T1L" "$d $m3 T3L"; do
            # shellcheck disable=SC2086
            set -- $pair
            if awk -v s="$1" -v m="$2" 'BEGIN { d = s - m; exit !(d > 5 || d < -5) }'; then
                echo "calibrate.sh: $3 at 16 ranks: simulated $1%, measured $2%: more than 5 points apart" >&2
                bad=1
            fi
        done
    fi
done
exit $bad
