"""Tests of scripts/scaling: the fits on data with a known answer, the
outputs of --analyze, bad usage, and one real sweep of tf-amdahl."""
import csv
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("TF_SOURCE_DIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "scripts", "lib"))
import tfscaling as ts  # noqa: E402

SCALING = os.path.join(SRC, "scripts", "scaling")
PS = [1, 2, 4, 8, 16]


def amdahl_rows(f, t1, ps, reps=1, noise=0.0, seed=1):
    rnd = random.Random(seed)
    rows = []
    for r in range(reps):
        for p in ps:
            t = t1 * (f + (1 - f) / p) * (1 + rnd.gauss(0, noise) if noise else 1)
            rows.append({"np": p, "seconds": t, "ok": True, "rep": r + 1})
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ts.CSV_FIELDS)
        for r in rows:
            w.writerow(["synthetic", "synth", r["np"], r.get("rep", 1), f"{r['seconds']:.9f}",
                        "", 1 if r["ok"] else 0, ""])


def run(*args):
    return subprocess.run([SCALING, *args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


class Fits(unittest.TestCase):
    def test_amdahl_exact(self):
        rows = amdahl_rows(0.2, 10.0, PS)
        fit = ts.fit_amdahl(rows)
        self.assertAlmostEqual(fit["f"], 0.2, delta=1e-9)
        self.assertAlmostEqual(fit["t1"], 10.0, delta=1e-9)
        self.assertAlmostEqual(fit["r2"], 1.0, delta=1e-12)
        self.assertLess(fit["f_se"], 1e-9)
        summary = ts.strong_metrics(ts.summarize(rows))
        for s in summary:
            p = s["np"]
            self.assertAlmostEqual(s["speedup"], 1 / (0.2 + 0.8 / p), delta=1e-9)
            self.assertAlmostEqual(s["efficiency"], s["speedup"] / p, delta=1e-12)
            if p > 1:  # Karp-Flatt recovers f exactly when Amdahl holds
                self.assertAlmostEqual(s["karp_flatt"], 0.2, delta=1e-9)
            else:
                self.assertTrue(math.isnan(s["karp_flatt"]))

    def test_amdahl_noisy(self):
        rows = amdahl_rows(0.05, 30.0, PS, reps=5, noise=0.01, seed=7)
        fit = ts.fit_amdahl(rows)
        self.assertGreater(fit["f_se"], 0)
        self.assertLess(abs(fit["f"] - 0.05), 4 * fit["f_se"] + 1e-3)
        self.assertLess(fit["f_lo"], fit["f"])
        self.assertGreater(fit["f_hi"], fit["f"])
        self.assertEqual(fit["n"], 25)

    def test_amdahl_needs_two_rank_counts(self):
        self.assertIsNone(ts.fit_amdahl(amdahl_rows(0.1, 5.0, [4], reps=3)))

    def test_failed_runs_left_out(self):
        rows = amdahl_rows(0.3, 10.0, PS)
        rows.append({"np": 2, "seconds": 1e9, "ok": False})
        self.assertAlmostEqual(ts.fit_amdahl(rows)["f"], 0.3, delta=1e-9)
        self.assertEqual(ts.summarize(rows)[1]["runs"], 1)

    def test_relative_speedup_without_one_rank(self):
        summary = ts.strong_metrics(ts.summarize(amdahl_rows(0.0, 8.0, [2, 4, 8])))
        self.assertAlmostEqual(summary[0]["speedup"], 2.0, delta=1e-12)
        self.assertAlmostEqual(summary[2]["speedup"], 8.0, delta=1e-9)

    def test_gustafson(self):
        s_true, t = 0.1, 5.0
        rows = []
        for p in PS:  # scaled work: T(P) = t * P / (P - s (P - 1))
            rows.append({"np": p, "seconds": t * p / (p - s_true * (p - 1)), "ok": True})
        fit = ts.fit_gustafson(rows, t)
        self.assertAlmostEqual(fit["s"], s_true, delta=1e-9)
        summary = ts.weak_metrics(ts.summarize(rows))
        self.assertAlmostEqual(summary[-1]["speedup"], 16 - s_true * 15, delta=1e-9)

    def test_placeholders(self):
        self.assertEqual(ts.substitute(["--n", "{np*1000}", "x{np}"], 4), ["--n", "4000", "x4"])


class Analyze(unittest.TestCase):
    def test_outputs(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "scaling.csv")
            write_csv(path, amdahl_rows(0.1, 20.0, PS, reps=3, noise=0.005))
            r = run("--analyze", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            m = re.search(r"Amdahl fit over 15 runs: serial fraction f = ([0-9.]+) ± ([0-9.]+)",
                          r.stdout)
            self.assertIsNotNone(m, r.stdout)
            self.assertLess(abs(float(m.group(1)) - 0.1), 4 * float(m.group(2)) + 2e-3)
            for name in ("summary.csv", "report.md", "speedup.png", "speedup.svg",
                         "efficiency.png", "efficiency.svg"):
                self.assertGreater(os.path.getsize(os.path.join(d, name)), 100, name)
            for name in ("speedup.png", "efficiency.png"):
                with open(os.path.join(d, name), "rb") as fh:
                    self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n")
            with open(os.path.join(d, "speedup.svg")) as fh:
                head = fh.read(200)
            self.assertTrue(head.startswith("<?xml") or head.startswith("<svg"), head)
            with open(os.path.join(d, "summary.csv")) as fh:
                summary = list(csv.DictReader(fh))
            self.assertEqual([int(s["np"]) for s in summary], PS)
            with open(os.path.join(d, "report.md")) as fh:
                report = fh.read()
            self.assertIn("| 16 | 3 |", report)
            self.assertIn("![speedup](speedup.png)", report)


class BadUsage(unittest.TestCase):
    def check(self, args, message):
        r = run(*args)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(message, lines[0])
        self.assertTrue(lines[0].startswith("scaling: "), lines[0])

    def test_cases(self):
        self.check(["tf-amdahl"], "--ranks is required")
        self.check(["tf-amdahl", "--ranks", "1,x"], "--ranks: want distinct positive")
        self.check(["tf-amdahl", "--ranks", "0,2"], "--ranks: want distinct positive")
        self.check(["tf-amdahl", "--ranks", "1,2", "--repeat", "0"], "--repeat: want a whole")
        self.check(["tf-amdahl", "--ranks", "1", "--bind", "socket"], "--bind: want auto")
        self.check(["no-such-app", "--ranks", "1"], "no-such-app: no such program")
        self.check(["tf-amdahl", "--ranks", "1", "--work-ms", "{np}"], "needs --weak")
        self.check(["tf-amdahl", "--ranks"], "--ranks needs a value")
        self.check(["--analyze", "/nonexistent/scaling.csv"], "/nonexistent/scaling.csv")

    def test_malformed_csv(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "scaling.csv")
            with open(path, "w") as fh:
                fh.write("run,app,np,rep,seconds,wall_s,ok,json\nr,a,2,1,1.0,,1,\nr,a,two,1,1,,1,\n")
            self.check(["--analyze", path], f"{path}:3: malformed row")
            with open(path, "w") as fh:
                fh.write("hello,world\n1,2\n")
            self.check(["--analyze", path], f"{path}:1: not a scaling.csv")


class Sweep(unittest.TestCase):
    def test_amdahl_sweep(self):
        binary = os.path.join(os.environ.get("TF_TEST_BIN", ""), "tf-amdahl")
        if not os.access(binary, os.X_OK):
            self.fail(f"tf-amdahl not found at {binary} (set TF_TEST_BIN)")
        with tempfile.TemporaryDirectory() as d:
            r = run(binary, "--serial-fraction", "0.5", "--work-ms", "300", "--grain-us", "500",
                    "--ranks", "1,2", "--repeat", "2", "--out", d, "--name", "sweep")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            with open(os.path.join(d, "sweep", "scaling.csv")) as fh:
                rows = list(csv.DictReader(fh))
            self.assertEqual(len(rows), 4)
            self.assertTrue(all(x["ok"] == "1" for x in rows))
            self.assertEqual(sorted(int(x["np"]) for x in rows), [1, 1, 2, 2])
            for x in rows:  # the time is the app's own, from its JSON line
                self.assertEqual(float(x["seconds"]), json.loads(x["json"])["seconds"])
            self.assertTrue(os.path.exists(os.path.join(d, "sweep", "logs", "np2-rep2.log")))
            self.assertIn("Amdahl fit over 4 runs", r.stdout)


if __name__ == "__main__":
    unittest.main()
