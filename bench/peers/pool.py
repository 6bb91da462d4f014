#!/usr/bin/python3
"""pool.py - Python's multiprocessing.Pool as a task farm: what a Python user
reaches for first.

    pool.py N map1|mapdefault

2 worker processes (fork). The task is empty: task(i) = i + 1, checked.
map1 is Pool.map(task, range(N), chunksize=1), one task a message;
mapdefault lets Pool.map choose its chunks (N / (4 x workers) per chunk).
The pool is started and warmed with 8 tasks before the clock starts.
Prints one CSV line: py-pool-VARIANT,empty,N,2,seconds,tasks_per_second
"""
import sys
import time
from multiprocessing import Pool

WORKERS = 2


def task(i):
    return i + 1


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("map1", "mapdefault"):
        sys.exit("usage: pool.py N map1|mapdefault")
    n, variant = int(sys.argv[1]), sys.argv[2]
    chunk = {"map1": 1, "mapdefault": None}[variant]
    with Pool(WORKERS) as pool:
        pool.map(task, range(8), chunksize=1)
        t0 = time.perf_counter()
        out = pool.map(task, range(n), chunksize=chunk)
        t = time.perf_counter() - t0
    if out != [i + 1 for i in range(n)]:
        sys.exit("pool.py: wrong results")
    print(f"py-pool-{variant},empty,{n},{WORKERS},{t:.6f},{n / t:.1f}")


if __name__ == "__main__":
    main()
