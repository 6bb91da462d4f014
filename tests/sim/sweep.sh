#!/bin/sh
# sweep.sh - tf-sim's predictions: both scheduling designs at P = 16 ... 10,240
# ranks (16 a node, InfiniBand-like network) on a T1L-like and a T3L-like
# UTS tree, scaled so that every rank has work; one CSV line a run.
#
#   tests/sim/sweep.sh BUILD_DIR OUT.csv [P ...]
#
# T1L-like: geometric, fixed shape, depth 13, b0 4 (83 M nodes, root seed
# 31) while that gives every rank 50,000 nodes or more, else b0 raised
# until the tree has about 50,000 nodes a rank. T3L-like: binomial, b0
# 2000, q 0.200014, m 5: 168 M nodes (seed 29) while that is 50,000 nodes a
# rank or more, else the first root seed from 100 whose tree has 25,000 to
# 100,000 nodes a rank. No plotting tool is required: the CSV has
# efficiency and r0_msgs_per_s against ranks for each sched and workload.
set -eu
build=$1
out=$2
shift 2
ps=${*:-16 64 256 1024 4096 10240}
sim=$build/bin/tf-sim
per=50000
for p in $ps; do
    n=$((p * per))
    # b0 of a depth-13 geometric tree of about n nodes: sum of b0^h, h 0..13
    b0=$(awk -v n="$n" 'BEGIN { lo = 4; hi = 8; for (i = 0; i < 60; i++) {
            m = (lo + hi) / 2; s = 0; t = 1; for (h = 0; h <= 13; h++) { s += t; t *= m }
            if (s * 83e6 / 89.5e6 < n) lo = m; else hi = m } printf "%.4f", (n <= 83e6 ? 4 : lo) }')
    for sched in central peers; do
        timeout 900 "$sim" --sched "$sched" --ranks "$p" --net ib --workload uts-geo --b0 "$b0" \
            --depth 13 --seed 31 --csv "$out" --quiet || echo "uts-geo P=$p $sched: failed" >&2
        if [ "$n" -le 168000000 ]; then
            t3="--seed 29"
        else
            t3="--seed 100 --uts-target $n"
        fi
        # shellcheck disable=SC2086
        timeout 900 "$sim" --sched "$sched" --ranks "$p" --net ib --workload uts-bin $t3 \
            --csv "$out" --quiet || echo "uts-bin P=$p $sched: failed" >&2
    done
done
