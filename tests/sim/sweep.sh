#!/bin/sh
# sweep.sh - tf-sim's predictions: both scheduling designs at P = 16 ... 10,240
# ranks (16 a node, InfiniBand-like network) on a T1L-like and a T3L-like
# UTS tree, scaled so that every rank has about 0.3 s of work; one CSV line
# a run.
#
#   tests/sim/sweep.sh BUILD_DIR OUT.csv [P ...]
#
# Environment: SCHEDS (default "central peers"), WORKLOADS (default
# "geo bin"), SIM_OPTS (more tf-sim options for every run), TIMEOUT (a run's
# real-time limit in seconds, default 900).
#
# Coarse nodes: a node costs K = 64 of tf-uts's nodes (93.5 ns geometric,
# 65.6 ns binomial, times 64) and a task walks 4096 / 64 = 64 of them, so a
# task's time is tf-uts's (at most 0.38 ms and 0.27 ms) while the tree has
# 64 times fewer nodes to generate.
#
# T1L-like: geometric, fixed shape, depth 13, root seed 31 (b0 4: 83 M
# coarse nodes, 496 s of work, as T1L's shape), b0 chosen so that the tree
# has about 60,000 coarse nodes (0.36 s) a rank: 2.80 at 16 ranks, 3.91
# at 1,024, 4.68 at 10,240 (0.31 to 0.48 s of work a rank).
#
# T3L-like: binomial, q 0.200014, m 5 (q m just above 1), root seed 29, node
# depth at most 300 and b0 = 240 P: about 1.3 ms of work under each of the
# root's children, 0.28 to 0.31 s a rank. T3L itself (b0 2000, no depth limit) has
# a critical path of about 1.2 s (chains of 13,826 nodes), which bounds any
# design to W / (P * 1.2 s); the limited depth keeps the critical path at
# 0.04 to 0.08 s, a quarter of a rank's work or less, and the many root
# children give the work.
set -eu
build=$1
out=$2
shift 2
ps=${*:-16 64 256 1024 4096 10240}
sim=$build/bin/tf-sim
scheds=${SCHEDS:-central peers}
workloads=${WORKLOADS:-geo bin}
limit=${TIMEOUT:-900}
k=64
per=60000
for p in $ps; do
    n=$((p * per))
    # b0 of a depth-13 geometric tree of about n nodes: sum of b0^h, h 0..13
    b0=$(awk -v n="$n" 'BEGIN { lo = 2; hi = 8; for (i = 0; i < 60; i++) {
            m = (lo + hi) / 2; s = 0; t = 1; for (h = 0; h <= 13; h++) { s += t; t *= m }
            if (s * 83e6 / 89.5e6 < n) lo = m; else hi = m } printf "%.4f", lo }')
    for w in $workloads; do
        for sched in $scheds; do
            if [ "$w" = geo ]; then
                args="--workload uts-geo --b0 $b0 --depth 13 --seed 31 --node-ns $(awk -v k=$k 'BEGIN { print 93.5 * k }')"
            else
                args="--workload uts-bin --b0 $((240 * p)) --max-depth 300 --seed 29 --node-ns $(awk -v k=$k 'BEGIN { print 65.6 * k }')"
            fi
            # shellcheck disable=SC2086
            timeout "$limit" "$sim" --sched "$sched" --ranks "$p" --net ib $args --budget $((4096 / k)) \
                ${SIM_OPTS:-} --csv "$out" --quiet || echo "uts-$w P=$p $sched: failed or too slow" >&2
        done
    done
done
