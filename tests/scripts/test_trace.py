#!/usr/bin/env python3
"""test_trace.py - TF_TRACE and TF_STATS end to end, and scripts/plot-trace.

Runs tf-bench under mpirun -np 2 ($TF_MPIRUN where set) with TF_TRACE=FILE and TF_STATS=1, then
checks the file with Python's json (not only the line format the C test
reads), the stats table on stderr, and plot-trace's PNG, summary line and
bad-input handling.

usage: test_trace.py BIN_DIR [unittest options]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
PLOT = os.path.join(ROOT, "scripts", "plot-trace")
BIN = os.path.join(ROOT, "build", "bin")


# The launcher of the build's MPI (ctest sets TF_MPIRUN), as scripts/scaling.
MPIRUN = os.environ.get("TF_MPIRUN") or "mpirun"


def mpirun(np, args, env_extra, timeout=120):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1", **env_extra)
    cmd = [MPIRUN, "-np", str(np)]
    version = subprocess.run([MPIRUN, "--version"], capture_output=True, text=True, timeout=60)
    if os.geteuid() == 0 and "Open MPI" in version.stdout + version.stderr:
        cmd.append("--allow-run-as-root")
    return subprocess.run(cmd + args, env=env, capture_output=True, text=True, timeout=timeout)


class TraceAndStats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tf-trace-test-")
        cls.trace = os.path.join(cls.dir, "t.json")
        cls.tasks, cls.repeat = 3000, 2
        cls.proc = mpirun(2, [os.path.join(BIN, "tf-bench"), "spawn", "--tasks", str(cls.tasks),
                             "--chunk", "1", "--work-us", "5", "--repeat", str(cls.repeat)],
                         {"TF_TRACE": cls.trace, "TF_STATS": "1"})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_run_ok(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)

    def test_trace_json(self):
        with open(self.trace) as f:
            d = json.load(f)
        self.assertEqual(d["displayTimeUnit"], "ms")
        self.assertEqual(d["otherData"]["ranks"], 2)
        self.assertEqual(d["otherData"]["dropped_events"], 0)
        ev = d["traceEvents"]
        names = {e["pid"]: e["args"]["name"] for e in ev
                 if e["ph"] == "M" and e["name"] == "process_name"}
        self.assertEqual(sorted(names), [0, 1])
        self.assertTrue(names[1].startswith("rank 1 ("), names[1])
        tasks = [e for e in ev if e.get("cat") == "task"]
        self.assertEqual(len(tasks), self.tasks * self.repeat)
        ids = [e["args"]["id"] for e in tasks]
        self.assertEqual(len(set(ids)), len(ids), "a task appears twice")
        self.assertEqual({e["pid"] for e in tasks}, {0, 1})
        for e in tasks:
            self.assertEqual((e["ph"], e["tid"], e["name"]), ("X", 0, "node"))
            self.assertGreaterEqual(e["dur"], 0)
            self.assertGreaterEqual(e["ts"], 0)
        # a rank's tasks do not overlap (one main thread)
        for pid in (0, 1):
            s = sorted((e["ts"], e["ts"] + e["dur"]) for e in tasks if e["pid"] == pid)
            overlaps = sum(1 for a, b in zip(s, s[1:]) if b[0] < a[1] - 0.002)
            self.assertEqual(overlaps, 0)
        msgs = [e for e in ev if e.get("cat") == "msg"]
        self.assertTrue(msgs)
        for e in msgs:
            self.assertEqual((e["ph"], e["tid"]), ("i", 1))
            self.assertIn(e["args"]["peer"], (0, 1))
        sends = sum(1 for e in msgs if e["name"] == "send")
        recvs = sum(1 for e in msgs if e["name"] == "recv")
        self.assertEqual(sends, recvs)  # every message of a run is received
        self.assertFalse(os.path.exists(self.trace + ".tmp"))

    def test_stats_lines(self):
        lines = [ln for ln in self.proc.stderr.splitlines() if ln.startswith("taskfarm: stats:")]
        self.assertTrue(lines, self.proc.stderr)
        rows = [ln.split()[2:] for ln in lines]
        ranks = [r[0] for r in rows if r and r[0].isdigit()]
        self.assertEqual(ranks, ["0", "1"])  # one tf_run: one table
        totals = [r for r in rows if r and r[0] == "total"]
        self.assertEqual(len(totals), 1)
        self.assertEqual(int(totals[0][1]), self.tasks * self.repeat)
        per_rank = sum(int(r[1]) for r in rows if r and r[0].isdigit())
        self.assertEqual(per_rank, self.tasks * self.repeat)
        self.assertTrue(any("load imbalance" in ln and "coordinator share" in ln for ln in lines))

    def test_plot(self):
        out = os.path.join(self.dir, "g.png")
        r = subprocess.run([sys.executable, PLOT, self.trace, "-o", out, "--title", "test"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertIn(f"2 ranks, {self.tasks * self.repeat} tasks", r.stdout)
        self.assertIn("mean utilization", r.stdout)


class FileTasks(unittest.TestCase):
    """tf-hashfiles traced: every file task once, after its I/O; the
    service thread's reads and the main thread's waits for I/O appear."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tf-trace-files-")
        cls.trace = os.path.join(cls.dir, "t.json")
        cls.files = 30
        cls.proc = mpirun(2, [os.path.join(BIN, "tf-hashfiles"), "--make", str(cls.files),
                             "--size", "200000", os.path.join(cls.dir, "in")],
                         {"TF_TRACE": cls.trace})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_events(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        with open(self.trace) as f:
            ev = json.load(f)["traceEvents"]
        tasks = [e for e in ev if e["ph"] == "X" and e.get("cat") == "task"]
        self.assertEqual(len(tasks), self.files)
        self.assertTrue(all(e["name"] == "sha256" for e in tasks))
        self.assertEqual(len({e["args"]["id"] for e in tasks}), self.files)
        waits = [e for e in ev if e["ph"] == "X" and e["name"] == "wait for I/O"]
        self.assertEqual(len(waits), self.files)  # one per file task, on its main thread
        self.assertTrue(all(e["tid"] == 0 for e in waits))
        reads = [e for e in ev if e["ph"] == "X" and e["name"] == "read"]
        self.assertTrue(all(e["tid"] == 1 and e["args"]["bytes"] == 200000 for e in reads))
        self.assertLessEqual(len(reads), self.files)
        # a task starts where its wait for I/O ended, on the same rank
        ends = {(e["pid"], round(e["ts"] + e["dur"], 1)) for e in waits}
        starts = [(e["pid"], round(e["ts"], 1)) for e in tasks]
        near = sum(any(p == q and abs(t - u) <= 50 for q, u in ends) for p, t in starts)
        self.assertEqual(near, self.files)


class PlotBadInput(unittest.TestCase):
    def plot(self, path):
        out = os.path.join(tempfile.gettempdir(), f"tf-plot-bad-{os.getpid()}.png")
        r = subprocess.run([sys.executable, PLOT, path, "-o", out],
                           capture_output=True, text=True, timeout=60)
        self.assertFalse(os.path.exists(out))
        return r

    def check_bad(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            f.write(text)
        try:
            r = self.plot(f.name)
            self.assertEqual(r.returncode, 2, r.stderr)
            err = r.stderr.strip().splitlines()
            self.assertEqual(len(err), 1, r.stderr)
            self.assertIn(f.name, err[0])
        finally:
            os.remove(f.name)

    def test_missing(self):
        r = self.plot("/nonexistent/trace.json")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent/trace.json", r.stderr)

    def test_not_json(self):
        self.check_bad("hello")

    def test_truncated(self):
        self.check_bad('{"traceEvents":[\n{"ph":"X","pid":0,"tid":0,"ts":1,"dur":')

    def test_no_events(self):
        self.check_bad('{"traceEvents":[]}')

    def test_wrong_shape(self):
        self.check_bad('{"traceEvents":{"a":1}}')


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BIN = sys.argv.pop(1)
    unittest.main()
