"""Tests of scripts/scaling and scripts/lib/tfscaling.py: the fits on data
with a known answer (exact, noisy, and the coverage of the 95% interval),
the outputs of --analyze, bad usage, and real sweeps of tf-bench under
mpirun (strong, weak with {np*K}, a failing app, a run past --timeout).

Run by ctest (tests/scripts/CMakeLists.txt) as
    python3 test_scaling.py BIN_DIR
where BIN_DIR holds tf-bench; without the argument, $TF_BINARY_DIR/bin.
"""
import csv
import json
import math
import os
import random
import re
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("TF_SOURCE_DIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "scripts", "lib"))
import tfscaling as ts  # noqa: E402

SCALING = os.path.join(SRC, "scripts", "scaling")
BIN = os.path.join(os.environ.get("TF_BINARY_DIR", os.path.join(SRC, "build")), "bin")
PS = [1, 2, 4, 8, 16]
# scripts/scaling's launcher: $TF_MPIRUN (ctest sets the build's), else mpirun.
MPIRUN = os.environ.get("TF_MPIRUN") or "mpirun"


def amdahl_rows(f, t1, ps, reps=1, noise=0.0, additive=False, seed=1):
    """Runs whose times follow T(P) = t1*(f + (1 - f)/P), with Gaussian noise
    relative to T (or, additive, in seconds)."""
    rnd = random.Random(seed)
    rows = []
    for rep in range(1, reps + 1):
        for p in ps:
            t = t1 * (f + (1 - f) / p)
            if noise:
                t = t + rnd.gauss(0, noise) if additive else t * (1 + rnd.gauss(0, noise))
            rows.append({"run": "synthetic", "app": "synth", "np": p, "rep": rep,
                         "seconds": t, "wall_s": math.nan, "ok": True, "json": ""})
    return rows


def gustafson_rows(s, t1, ps, reps=1, noise=0.0, seed=1):
    """Weak scaling with serial fraction s: S_w(P) = P - s(P - 1) = P*t1/T(P)."""
    rnd = random.Random(seed)
    rows = []
    for rep in range(1, reps + 1):
        for p in ps:
            t = t1 * p / (p - s * (p - 1)) * (1 + rnd.gauss(0, noise) if noise else 1)
            rows.append({"run": "synthetic", "app": "synth", "np": p, "rep": rep,
                         "seconds": t, "wall_s": math.nan, "ok": True, "json": ""})
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=ts.CSV_FIELDS)
        w.writeheader()
        for r in rows:
            w.writerow(ts.csv_row(r))


def scaling(*args, timeout=120):
    return subprocess.run([SCALING, *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def read_rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def script(directory, name, body):
    """An executable shell script: a stand-in app."""
    path = os.path.join(directory, name)
    with open(path, "w") as fh:
        fh.write("#!/bin/sh\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


class AmdahlFit(unittest.TestCase):
    def test_exact_data_gives_f_and_karp_flatt(self):
        rows = amdahl_rows(0.2, 10.0, PS)
        fit = ts.fit_amdahl(rows)
        self.assertAlmostEqual(fit["f"], 0.2, delta=1e-9)
        self.assertAlmostEqual(fit["t1"], 10.0, delta=1e-9)
        self.assertAlmostEqual(fit["r2"], 1.0, delta=1e-12)
        self.assertAlmostEqual(fit["max_speedup"], 5.0, delta=1e-8)
        self.assertLess(fit["f_se"], 1e-9)
        self.assertEqual((fit["n"], fit["dof"], fit["nps"]), (5, 3, PS))
        summary = ts.strong_metrics(ts.summarize(rows))
        for s in summary:
            p = s["np"]
            self.assertAlmostEqual(s["speedup"], 1 / (0.2 + 0.8 / p), delta=1e-9)
            self.assertAlmostEqual(s["efficiency"], s["speedup"] / p, delta=1e-12)
            if p > 1:  # Karp-Flatt is exactly f when Amdahl's law holds
                self.assertAlmostEqual(s["karp_flatt"], 0.2, delta=1e-9)
            else:
                self.assertTrue(math.isnan(s["karp_flatt"]))

    def test_noisy_data_within_its_uncertainty(self):
        rows = amdahl_rows(0.2, 10.0, PS, reps=5, noise=0.01, seed=7)
        fit = ts.fit_amdahl(rows)
        self.assertEqual(fit["n"], 25)
        self.assertGreater(fit["f_se"], 0)
        self.assertLess(fit["f_se"], 0.02)
        self.assertLess(abs(fit["f"] - 0.2), 3 * fit["f_se"])
        self.assertLess(fit["f_lo"], fit["f"])
        self.assertGreater(fit["f_hi"], fit["f"])
        self.assertAlmostEqual(fit["f_hi"] - fit["f"], ts.t95(23) * fit["f_se"], delta=1e-12)
        self.assertGreater(fit["r2"], 0.99)

    def test_interval_covers_the_truth_95_percent_of_the_time(self):
        # Homoscedastic noise, where least squares' standard errors are exact
        # but for the delta method's linearisation: 1000 seeded experiments.
        hits = 0
        for seed in range(1000):
            fit = ts.fit_amdahl(amdahl_rows(0.1, 10.0, PS, reps=3, noise=0.05,
                                            additive=True, seed=seed))
            hits += fit["f_lo"] <= 0.1 <= fit["f_hi"]
        self.assertGreaterEqual(hits, 930)
        self.assertLessEqual(hits, 970)

    def test_uses_every_run_not_the_medians(self):
        rows = amdahl_rows(0.25, 8.0, [1, 2, 4])
        rows.append(dict(rows[-1], seconds=rows[-1]["seconds"] * 1.5))
        fit = ts.fit_amdahl(rows)
        self.assertEqual(fit["n"], 4)
        self.assertNotAlmostEqual(fit["f"], 0.25, delta=1e-3)

    def test_failed_runs_left_out(self):
        rows = amdahl_rows(0.3, 10.0, PS)
        rows.append({"np": 2, "seconds": 1e9, "ok": False})
        rows.append({"np": 32, "seconds": math.nan, "ok": False})
        self.assertAlmostEqual(ts.fit_amdahl(rows)["f"], 0.3, delta=1e-9)
        summary = ts.strong_metrics(ts.summarize(rows))
        self.assertEqual([(s["np"], s["runs"], s["failed"]) for s in summary[1:2] + summary[-1:]],
                         [(2, 1, 1), (32, 0, 1)])
        self.assertTrue(math.isnan(summary[-1]["speedup"]))

    def test_one_rank_count_is_no_fit(self):
        with self.assertRaises(ts.FitError):
            ts.fit_amdahl(amdahl_rows(0.1, 5.0, [4], reps=3))
        summary, fit, why = ts.analyze(amdahl_rows(0.1, 5.0, [4], reps=3), weak=False)
        self.assertIsNone(fit)
        self.assertIn("two or more rank counts", why)
        self.assertEqual(summary[0]["speedup"], 4.0)

    def test_two_runs_two_parameters_has_no_uncertainty(self):
        fit = ts.fit_amdahl(amdahl_rows(0.1, 5.0, [1, 2]))
        self.assertEqual(fit["dof"], 0)
        self.assertTrue(math.isnan(fit["f_se"]))
        self.assertIn("three or more rank counts", ts.fit_warnings(fit, False)[0])
        self.assertNotIn("95%", ts.fit_text(fit, None, False))

    def test_two_rank_counts_give_no_interval_nor_limit(self):
        # Two rank counts fix both parameters of the law: repeats only tell
        # the noise of two means, not whether the law holds, so an interval
        # of f and an extrapolated 1/f would claim what the data cannot.
        for weak in (False, True):
            rows = (gustafson_rows(0.1, 5.0, [1, 2], reps=4, noise=0.02, seed=5) if weak
                    else amdahl_rows(0.05, 10.0, [1, 2], reps=4, noise=0.02, seed=5))
            _, fit, _ = ts.analyze(rows, weak)
            k = "s" if weak else "f"
            self.assertTrue(math.isfinite(fit[k]))
            for key in (f"{k}_se", f"{k}_lo", f"{k}_hi", "r2"):
                self.assertTrue(math.isnan(fit[key]), (weak, key, fit[key]))
            text = ts.fit_text(fit, None, weak)
            self.assertNotIn("95%", text)
            self.assertNotIn("max speedup", text)
            self.assertNotIn("±", text)
            self.assertNotIn("±", ts.fit_text(fit, None, weak, short=True))
            warn = ts.fit_warnings(fit, weak)
            self.assertEqual(len(warn), 1, warn)
            self.assertIn("only 2 rank counts", warn[0])
            self.assertIn("three or more", warn[0])
        self.assertTrue(math.isnan(fit.get("max_speedup", math.nan)))
        _, fit, _ = ts.analyze(amdahl_rows(0.05, 10.0, [1, 2, 4], reps=2, noise=0.02), False)
        self.assertEqual(ts.fit_warnings(fit, False), [])
        self.assertIn("max speedup", ts.fit_text(fit, None, False))

    def test_relative_speedup_without_one_rank(self):
        summary = ts.strong_metrics(ts.summarize(amdahl_rows(0.0, 8.0, [2, 4, 8])))
        self.assertEqual([round(s["speedup"], 9) for s in summary], [2.0, 4.0, 8.0])
        self.assertTrue(math.isnan(summary[0]["karp_flatt"]))  # P0 is the reference
        self.assertAlmostEqual(summary[1]["karp_flatt"], 0.0, delta=1e-12)

    def test_student_t(self):
        self.assertEqual(ts.t95(1), 12.706)
        self.assertEqual(ts.t95(30), 2.042)
        self.assertAlmostEqual(ts.t95(40), 2.0211, delta=2e-4)
        self.assertAlmostEqual(ts.t95(120), 1.9799, delta=2e-4)
        self.assertTrue(math.isnan(ts.t95(0)))


class SpreadAndInterval(unittest.TestCase):
    def test_ratio_interval_covers_the_truth_95_percent_of_the_time(self):
        # Log-normal times, 3 runs a side, unequal spread: the interval of
        # T(1)/T(4) covers the true ratio of the (geometric) means.
        hits = 0
        for seed in range(1000):
            rnd = random.Random(seed)
            t1 = [10.0 * math.exp(rnd.gauss(0, 0.05)) for _ in range(3)]
            t4 = [4.0 * math.exp(rnd.gauss(0, 0.02)) for _ in range(3)]
            lo, hi = ts.ratio_ci(t1, t4)
            hits += lo <= 2.5 <= hi
        self.assertGreaterEqual(hits, 930)
        self.assertLessEqual(hits, 985)
        self.assertTrue(all(math.isnan(x) for x in ts.ratio_ci([1.0], [0.5, 0.6])))
        self.assertEqual(ts.ratio_ci([2.0, 2.0], [1.0, 1.0]), (2.0, 2.0))

    def test_summary_has_spread_and_interval(self):
        rows = amdahl_rows(0.1, 10.0, [1, 2, 4], reps=4, noise=0.02, seed=3)
        summary = ts.strong_metrics(ts.summarize(rows))
        s1, s4 = summary[0], summary[2]
        t4 = [r["seconds"] for r in rows if r["np"] == 4]
        self.assertEqual((s4["min"], s4["max"]), (min(t4), max(t4)))
        self.assertAlmostEqual(s4["stdev"], statistics.stdev(t4), delta=1e-12)
        self.assertTrue(math.isnan(s1["speedup_lo"]))  # the reference: 1 by definition
        self.assertLess(s4["speedup_lo"], s4["speedup_hi"])
        self.assertLess(s4["speedup_lo"], 1 / (0.1 + 0.9 / 4) + 0.2)
        self.assertAlmostEqual(s4["efficiency_hi"], s4["speedup_hi"] / 4, delta=1e-12)
        weak = ts.weak_metrics(ts.summarize(gustafson_rows(0.1, 5.0, [1, 4], reps=3,
                                                           noise=0.01)))
        self.assertAlmostEqual(weak[1]["speedup_lo"], 4 * weak[1]["efficiency_lo"],
                               delta=1e-12)
        text = "\n".join(ts.table_lines(summary, False))
        self.assertIn("| speedup 95% CI |", text)
        self.assertIn(f"{s4['speedup_lo']:.4g}–{s4['speedup_hi']:.4g}", text)
        self.assertTrue(any("Welch" in n for n in ts.notes(summary, rows, False)))

    def test_warmup_runs_are_not_counted(self):
        rows = amdahl_rows(0.2, 10.0, [1, 2, 4], reps=2)
        warm = [dict(r, seconds=r["seconds"] * 3, warmup=True) for r in rows[:3]]
        summary, fit, _ = ts.analyze(warm + rows, weak=False)
        self.assertEqual([s["runs"] for s in summary], [2, 2, 2])
        self.assertAlmostEqual(fit["f"], 0.2, delta=1e-9)
        self.assertEqual(fit["n"], 6)
        self.assertIn("3 warm-up runs (1 per rank count, before the counted rounds) are left "
                      "out.", ts.notes(summary, warm + rows, False))

    def test_one_run_per_point_is_said(self):
        summary = ts.strong_metrics(ts.summarize(amdahl_rows(0.1, 10.0, PS)))
        self.assertEqual(ts.points_label(summary), "measured (1 run per point)")
        self.assertTrue(any(n.startswith("One run per rank count")
                            for n in ts.notes(summary, amdahl_rows(0.1, 10.0, PS), False)))
        summary = ts.summarize(amdahl_rows(0.1, 10.0, PS, reps=3))
        self.assertEqual(ts.points_label(summary), "measured: median of 3 runs")
        summary[0]["runs"] = 2
        self.assertEqual(ts.points_label(summary), "measured: median of 2–3 runs")

    def test_titles_are_shortened_not_wrapped(self):
        sha = "124af7767661740d9b746003ff1146c40ffa26d00a3e301ac7439d319123f46f"
        t = ts.short_title(f"tf-mandelbrot --expect-sha256 {sha} --width 4096")
        self.assertEqual(t, "tf-mandelbrot --expect-sha256 124af776… --width 4096")
        long = "tf-uts " + " ".join(f"--opt{i} {i}" for i in range(40))
        t = ts.short_title(long)
        self.assertLessEqual(len(t), ts.TITLE_MAX)
        self.assertTrue(t.endswith(" …") and t.startswith("tf-uts --opt0 0"), t)
        with tempfile.TemporaryDirectory() as d:
            rows = amdahl_rows(0.1, 10.0, [1, 2, 4], reps=2, noise=0.01)
            summary, fit, _ = ts.analyze(rows, False)
            titles = ts.plot(summary, fit, False, long + " " + sha, d, "host (16 cores)")
            self.assertEqual(len(titles), 2)
            self.assertTrue(all("\n" not in t and len(t) <= ts.TITLE_MAX for t in titles))


class GustafsonFit(unittest.TestCase):
    def test_exact(self):
        rows = gustafson_rows(0.1, 5.0, PS)
        fit = ts.fit_gustafson(rows)
        self.assertAlmostEqual(fit["s"], 0.1, delta=1e-9)
        self.assertAlmostEqual(fit["t1"], 5.0, delta=1e-9)
        self.assertLess(fit["s_se"], 1e-9)
        self.assertEqual((fit["n"], fit["nps"]), (5, PS))
        summary, fit2, _ = ts.analyze(rows, weak=True)
        self.assertAlmostEqual(fit2["s"], 0.1, delta=1e-9)
        self.assertAlmostEqual(summary[-1]["speedup"], 16 - 0.1 * 15, delta=1e-9)
        self.assertAlmostEqual(summary[-1]["efficiency"], (16 - 1.5) / 16, delta=1e-9)
        self.assertTrue(all(math.isnan(s["karp_flatt"]) for s in summary))

    def test_noisy_within_its_uncertainty(self):
        fit = ts.fit_gustafson(gustafson_rows(0.05, 5.0, PS, reps=5, noise=0.01, seed=3))
        self.assertGreater(fit["s_se"], 0)
        self.assertLess(abs(fit["s"] - 0.05), 3 * fit["s_se"])

    def test_interval_covers_the_truth_95_percent_of_the_time(self):
        # The noise of the 1-rank runs moves every scaled speedup: T(1) is a
        # parameter of the fit, so the interval must account for it.
        hits = sum(
            fit["s_lo"] <= 0.08 <= fit["s_hi"]
            for fit in (ts.fit_gustafson(gustafson_rows(0.08, 3.0, [1, 2, 4, 8], reps=3,
                                                        noise=0.01, seed=seed))
                        for seed in range(1000)))
        self.assertGreaterEqual(hits, 920)
        self.assertLessEqual(hits, 975)

    def test_without_one_rank_and_with_one_rank_count(self):
        fit = ts.fit_gustafson(gustafson_rows(0.05, 5.0, [2, 4, 8]))
        self.assertAlmostEqual(fit["s"], 0.05, delta=1e-9)
        _, fit, why = ts.analyze(gustafson_rows(0.05, 5.0, [4], reps=2), weak=True)
        self.assertIsNone(fit)
        self.assertIn("two or more rank counts", why)


class Analyze(unittest.TestCase):
    def test_outputs(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "scaling.csv")
            write_csv(path, amdahl_rows(0.1, 20.0, PS, reps=3, noise=0.005))
            r = scaling("--analyze", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("| np | runs | median s | min s | max s | stdev s | speedup | "
                          "speedup 95% CI | efficiency | Karp–Flatt |", r.stdout)
            self.assertIn("Amdahl fit T(P) = a + b/P over 15 runs at 5 rank counts", r.stdout)
            for name in ("summary.csv", "report.md", "speedup.png", "speedup.svg",
                         "efficiency.png", "efficiency.svg"):
                self.assertGreater(os.path.getsize(os.path.join(d, name)), 100, name)
            for name in ("speedup.png", "efficiency.png"):
                with open(os.path.join(d, name), "rb") as fh:
                    self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n", name)
            for name in ("speedup.svg", "efficiency.svg"):
                with open(os.path.join(d, name)) as fh:
                    head = fh.read(100)
                self.assertTrue(head.startswith("<?xml") or head.startswith("<svg"), head)
            summary = read_rows(os.path.join(d, "summary.csv"))
            self.assertEqual(list(summary[0]), ts.SUMMARY_FIELDS)
            self.assertEqual([int(s["np"]) for s in summary], PS)
            self.assertEqual(summary[0]["karp_flatt"], "")
            self.assertAlmostEqual(float(summary[3]["karp_flatt"]), 0.1, delta=0.02)
            with open(os.path.join(d, "report.md")) as fh:
                report = fh.read()
            self.assertTrue(report.startswith("# "))
            self.assertIn("| 16 | 3 |", report)
            self.assertIn("Amdahl fit", report)
            self.assertIn("![speedup](speedup.png)", report)
            self.assertIn("![efficiency](efficiency.png)", report)

    def test_weak_and_single_rank_count(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "scaling.csv")
            write_csv(path, gustafson_rows(0.1, 2.0, [1, 2, 4], reps=2, noise=0.01))
            r = scaling("--analyze", path, "--weak")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("scaled speedup", r.stdout)
            self.assertIn("Gustafson fit", r.stdout)
            self.assertTrue(os.path.exists(os.path.join(d, "speedup.svg")))
            write_csv(path, amdahl_rows(0.1, 2.0, [4], reps=2))
            r = scaling("--analyze", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Amdahl fit: not possible (needs ok runs at two or more rank counts)",
                          r.stdout)
            write_csv(path, amdahl_rows(0.1, 2.0, [1, 2], reps=3, noise=0.01))
            r = scaling("--analyze", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("scaling: warning: only 2 rank counts", r.stderr)
            self.assertNotIn("max speedup", r.stdout)
            with open(os.path.join(d, "report.md")) as fh:
                self.assertIn("only 2 rank counts", fh.read())
            self.assertTrue(os.path.exists(os.path.join(d, "efficiency.png")))

    def test_csv_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "scaling.csv")
            rows = amdahl_rows(0.1, 3.0, [1, 2], reps=2, noise=0.01)
            rows[0].update(json='{"seconds": 1.5, "note": "a, b"}', wall_s=1.75)
            rows[1]["ok"] = False
            write_csv(path, rows)
            back = ts.read_csv(path)
            for a, b in zip(rows, back):
                self.assertEqual((a["np"], a["rep"], a["seconds"], a["ok"], a["json"]),
                                 (b["np"], b["rep"], b["seconds"], b["ok"], b["json"]))
            self.assertEqual(back[0]["wall_s"], 1.75)


class Compare(unittest.TestCase):
    def test_overlay_of_runs(self):
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "fast-" + "ab12" * 10), os.path.join(d, "b")
            os.makedirs(a)
            os.makedirs(b)
            write_csv(os.path.join(a, "scaling.csv"), amdahl_rows(0.05, 10.0, PS, reps=3,
                                                                  noise=0.01))
            write_csv(os.path.join(b, "scaling.csv"), amdahl_rows(0.3, 10.0, [1, 2, 4]))
            with open(os.path.join(a, "meta.json"), "w") as fh:
                json.dump({"command": "scripts/scaling synth", "host": "h", "weak": False}, fh)
            r = scaling("--compare", a, "slow=" + os.path.join(b, "scaling.csv"),
                        os.path.join(b, "scaling.csv"), "--out", d, "--name", "cmp")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            out = os.path.join(d, "cmp")
            for name in ("compare.md", "compare.csv", "speedup.png", "speedup.svg",
                         "efficiency.png", "efficiency.svg", "meta.json"):
                self.assertGreater(os.path.getsize(os.path.join(out, name)), 100, name)
            rows = read_rows(os.path.join(out, "compare.csv"))
            self.assertEqual(list(rows[0]), ["label"] + ts.SUMMARY_FIELDS)
            labels = [x["label"] for x in rows]
            self.assertEqual(labels, [os.path.basename(a)] * 5 + ["slow"] * 3 + ["b"] * 3)
            with open(os.path.join(out, "compare.md")) as fh:
                md = fh.read()
            self.assertIn("## slow", md)
            self.assertIn("Command: `scripts/scaling synth`", md)
            self.assertIn("![speedup](speedup.png)", md)
            with open(os.path.join(out, "speedup.svg")) as fh:
                svg = fh.read()
            for label in ("slow (1 run per point)", "b (1 run per point)",
                          "fast-ab12ab12… (3 runs per point)"):  # the hash-like name cut
                self.assertTrue(f"<!-- {label} -->" in svg, f"no legend entry '{label}'")

    def test_legend_and_titles(self):
        runs = [("r1", ts.strong_metrics(ts.summarize(amdahl_rows(0.1, 5.0, [1, 2, 4], reps=2,
                                                                  noise=0.01)))),
                ("r2", ts.strong_metrics(ts.summarize(amdahl_rows(0.1, 5.0, [2, 4, 8]))))]
        with tempfile.TemporaryDirectory() as d:
            labels, titles = ts.compare_plot(runs, False, "compared: " + ", ".join(
                f"run-{i}-{'0123456789abcdef' * 2}" for i in range(12)), d)
        self.assertEqual(labels, ["r1 (2 runs per point)", "r2 (1 run per point)"])
        self.assertTrue(all(len(t) <= ts.TITLE_MAX and t.endswith(" …") for t in titles),
                        titles)

    def test_bad_usage(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "scaling.csv")
            write_csv(path, amdahl_rows(0.1, 5.0, [1, 2]))
            for args, message in (
                    (["--compare", path], "--compare needs two or more runs"),
                    (["--compare", path, os.path.join(d, "nope")],
                     f"{os.path.join(d, 'nope')}: no such file or directory (--compare)"),
                    (["--compare", path, d + "/.."], "no scaling.csv in it"),
                    (["--compare", path, path, "--ranks", "1"],
                     "--ranks has no meaning with --compare")):
                BadUsage.check(self, ["--out", d] + args, message)


class BadUsage(unittest.TestCase):
    def check(self, args, message):
        r = scaling(*args)
        self.assertEqual(r.returncode, 2, f"{args}: {r.stdout}{r.stderr}")
        self.assertNotIn("Traceback", r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, f"{args}: {r.stderr}")
        self.assertTrue(lines[0].startswith("scaling: "), lines[0])
        self.assertIn(message, lines[0], args)

    def test_command_line(self):
        app = os.path.join(BIN, "tf-bench")
        self.check([app], "--ranks is required")
        self.check([], "no app given")
        self.check([app, "--ranks"], "--ranks needs a value")
        for bad in ("1,x", "0,2", "1,,2", "-1", "", "2.5"):
            self.check([app, "--ranks", bad], "--ranks: want positive whole numbers")
        self.check([app, "--ranks", "1,2,1"], "--ranks: 1,2,1 names a rank count twice")
        self.check([app, "--ranks", "1", "--repeat", "0"], "--repeat: want a whole number")
        self.check([app, "--ranks", "1", "--repeat=two"], "--repeat: want a whole number")
        self.check([app, "--ranks", "1", "--warmup", "-1"], "--warmup: want a whole number")
        self.check([app, "--ranks", "1", "--warmup=101"], "--warmup: want a whole number")
        self.check([app, "--ranks", "1", "--bind", "socket"], "--bind: want auto, core or none")
        self.check([app, "--ranks", "1", "--launcher", "qsub"], "--launcher: want mpirun or srun")
        self.check([app, "--ranks", "1", "--timeout", "-5"], "--timeout: want a positive")
        self.check([app, "map", "--repeat", "1", "--ranks", "1", "--repeat", "2"],
                   "--repeat given twice (an app option of that name goes after --)")
        self.check(["--frobnicate", app, "--ranks", "1"], "unknown option '--frobnicate'")
        self.check(["no-such-app", "--ranks", "1"], "no-such-app: not found in")
        self.check(["/no/such/app", "--ranks", "1"], "/no/such/app: no such file")
        self.check([app, "--ranks", "1", "--tasks", "{np}"], "{np} in the app arguments needs "
                   "--weak")
        self.check([app, "--ranks", "1", "--weak", "--tasks", "{np+1}"],
                   "bad placeholder '{np+1}'")
        self.check([app, "--ranks", "1", "--name", "a/b"], "--name: want a plain directory")
        with tempfile.TemporaryDirectory() as d:
            plain = os.path.join(d, "app")
            open(plain, "w").close()
            self.check([plain, "--ranks", "1"], "not an executable file")

    def test_analyze(self):
        self.check(["--analyze", "/nonexistent/scaling.csv"],
                   "/nonexistent/scaling.csv: No such file or directory")
        self.check(["--analyze", "x.csv", "--ranks", "1"], "--ranks has no meaning with --analyze")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "scaling.csv")
            cases = [
                ("run,app,np,rep,seconds,wall_s,ok,json\nr,a,2,1,1.0,,1,\nr,a,two,1,1,,1,\n",
                 f"{path}:3: np 'two' is not a positive whole number"),
                ("run,app,np,rep,seconds,wall_s,ok,json\nr,a,2,1,fast,,1,\n",
                 f"{path}:2: seconds 'fast' is not a number"),
                ("run,app,np,rep,seconds,wall_s,ok,json\nr,a,2,1,-1,,1,\n",
                 f"{path}:2: seconds '-1' is not a time"),
                ("run,app,np,rep,seconds,wall_s,ok,json\nr,a,2,1,1,,maybe,\n",
                 f"{path}:2: ok 'maybe' is not 0 or 1"),
                ("run,app,np,rep,seconds,wall_s,ok,json\nr,a,2,1,1\n",
                 f"{path}:2: 5 fields, the header has 8"),
                ("hello,world\n1,2\n", f"{path}:1: not a scaling.csv (no column np, seconds, ok)"),
                ("", f"{path}:1: empty"),
                ("run,app,np,rep,seconds,wall_s,ok,json\n", f"{path}: no runs in it"),
            ]
            for text, message in cases:
                with open(path, "w") as fh:
                    fh.write(text)
                self.check(["--analyze", path], message)
            with open(path, "wb") as fh:
                fh.write(b"\xff\xfe\x00np")
            self.check(["--analyze", path], f"{path}: not a text file")


class Sweep(unittest.TestCase):
    """Real mpirun runs, each well under a second."""

    def setUp(self):
        self.bench = os.path.join(BIN, "tf-bench")
        if not os.access(self.bench, os.X_OK):
            self.fail(f"tf-bench not found at {self.bench} (pass the bin dir as argument)")

    def test_strong(self):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.monotonic()
            r = scaling(self.bench, "map", "--tasks", "20000", "--ranks", "1,2", "--repeat", "2",
                        "--out", d, "--name", "sweep", "--", "--repeat", "1")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertLess(time.monotonic() - t0, 60)
            out = os.path.join(d, "sweep")
            rows = read_rows(os.path.join(out, "scaling.csv"))
            self.assertEqual(list(rows[0]), ts.CSV_FIELDS)
            self.assertEqual(len(rows), 4)
            self.assertTrue(all(x["ok"] == "1" for x in rows))
            # interleaved: every rank count once, then again
            self.assertEqual([(int(x["rep"]), int(x["np"])) for x in rows],
                             [(1, 1), (1, 2), (2, 1), (2, 2)])
            for x in rows:  # the app's own time, from its JSON line, and mpirun's
                js = json.loads(x["json"])
                self.assertEqual(float(x["seconds"]), js["seconds"])
                self.assertEqual(js["ranks"], int(x["np"]))
                self.assertEqual(js["repeat"], 1)  # after --: the app's --repeat
                self.assertGreater(float(x["wall_s"]), float(x["seconds"]))
            for name in ("summary.csv", "report.md", "speedup.png", "speedup.svg",
                         "efficiency.png", "efficiency.svg", "meta.json",
                         "logs/np1-rep1.log", "logs/np2-rep2.log"):
                self.assertGreater(os.path.getsize(os.path.join(out, name)), 0, name)
            with open(os.path.join(out, "logs", "np2-rep1.log")) as fh:
                log = fh.read()
            self.assertIn("-np 2 --bind-to", log)
            self.assertIn('"ranks":2', log)
            with open(os.path.join(out, "meta.json")) as fh:
                meta = json.load(fh)
            for key in ("command", "date", "host", "nproc", "cpu", "mpi"):
                self.assertIn(key, meta)
            self.assertEqual(meta["status"], "done")
            # What a methods section needs: from the program, its build and the machine.
            m = meta["methods"]
            with open(os.path.join(SRC, "lib", "include", "taskfarm.h")) as fh:
                h = fh.read()
            version = ".".join(re.search(rf"#define TF_VERSION_{k} (\d+)", h).group(1)
                               for k in ("MAJOR", "MINOR", "PATCH"))
            self.assertEqual(m["taskfarm_version"], version)
            self.assertEqual(m["taskfarm_version_from"], "the app's --version")
            self.assertRegex(m["app_version"]["mpi_library"], r"Open MPI|MPICH")
            self.assertRegex(m["app_version"]["mpi_standard"], r"^\d+\.\d+$")
            self.assertRegex(m["linked"]["mpi"], r"libmpi")
            cache = os.path.join(os.path.dirname(os.path.realpath(BIN)), "CMakeCache.txt")
            if os.path.exists(cache):  # the build type, from the program and from the build
                with open(cache) as fh:
                    bt = re.search(r"^CMAKE_BUILD_TYPE:STRING=(.*)$", fh.read(), re.M).group(1)
                self.assertEqual(m["cmake"]["build_type"], bt)
                self.assertEqual(m["app_version"]["build_type"], bt or "none")
            self.assertEqual(m["kernel"].split()[:2], list(os.uname()[:1] + os.uname()[2:3]))
            self.assertGreaterEqual(m["topology"]["cores"], 1)
            self.assertEqual(m["tf_env"], {k: v for k, v in os.environ.items()
                                           if k.startswith("TF_")})
            with open(os.path.join(out, "report.md")) as fh:
                report = fh.read()
            for text in ("## Methods", "- MPI library linked: ", "- kernel: ", " cores, ",
                         "- TF_* environment: ", f"- taskfarm {version} "):
                self.assertIn(text, report)
            self.assertIn("| np | runs | median s |", r.stdout)
            self.assertIn("Amdahl fit T(P) = a + b/P over 4 runs at 2 rank counts", r.stdout)
            # The same directory is not overwritten.
            r = scaling(self.bench, "map", "--ranks", "1", "--out", d, "--name", "sweep")
            self.assertEqual(r.returncode, 2)
            self.assertIn("already holds a sweep", r.stderr)

    def test_version(self):
        r = subprocess.run([self.bench, "--version"], capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertRegex(lines[0], r"^tf-bench \(taskfarm\) \d+\.\d+\.\d+$")
        self.assertRegex(lines[1], r"^MPI library: (Open MPI|MPICH)")
        self.assertRegex(lines[3], r"^build: .*; compiler: .*; C flags: ")
        self.assertEqual(ts.app_version(self.bench)["mpi_standard"], lines[2].split(": ")[1])

    def test_weak_placeholders_and_launcher(self):
        with tempfile.TemporaryDirectory() as d:
            r = scaling(self.bench, "map", "--tasks", "{np*5000}", "--weak", "--ranks", "1,2",
                        "--repeat", "1", "--warmup", "1", "--out", d, "--name", "weak",
                        "--mpirun", f"env TF_SCALING_TEST=1 {MPIRUN}", "--", "--repeat", "1")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            rows = read_rows(os.path.join(d, "weak", "scaling.csv"))
            self.assertEqual([json.loads(x["json"])["tasks"] for x in rows], [5000, 10000] * 2)
            self.assertEqual([x["warmup"] for x in rows], ["1", "1", "0", "0"])
            self.assertIn("Gustafson fit", r.stdout)
            self.assertIn("| 2 | 1 |", r.stdout)  # the warm-up run not counted
            self.assertIn("2 warm-up runs (1 per rank count", r.stdout)
            self.assertTrue(os.path.exists(os.path.join(d, "weak", "logs", "np2-warmup1.log")))
            with open(os.path.join(d, "weak", "logs", "np2-rep1.log")) as fh:
                self.assertTrue(fh.readline().startswith(f"$ env TF_SCALING_TEST=1 {MPIRUN} "))

    def test_failed_and_timed_out_runs(self):
        with tempfile.TemporaryDirectory() as d:
            # Fails at 2 ranks only; prints no JSON, so the time is mpirun's.
            flaky = script(d, "flaky",
                           '[ "${OMPI_COMM_WORLD_SIZE:-$PMI_SIZE}" = 2 ] && exit 3\n'
                           'echo "no json here"\n')
            r = scaling(flaky, "--ranks", "1,2", "--repeat", "2", "--out", d, "--name", "f")
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            rows = read_rows(os.path.join(d, "f", "scaling.csv"))
            self.assertEqual([x["ok"] for x in rows], ["1", "0", "1", "0"])
            self.assertAlmostEqual(float(rows[0]["seconds"]), float(rows[0]["wall_s"]),
                                   delta=1e-5)
            self.assertIn("| 2 | 0 (2 failed) |", r.stdout)
            self.assertIn("2 of 4 runs failed", r.stdout)
            self.assertTrue(os.path.exists(os.path.join(d, "f", "report.md")))

            # Runs past --timeout are killed, with the ranks they started.
            pidfile = os.path.join(d, "pid")
            slow = script(d, "slow", f'echo $$ > "{pidfile}"\nexec sleep 60\n')
            t0 = time.monotonic()
            r = scaling(slow, "--ranks", "1", "--repeat", "1", "--timeout", "2", "--out", d,
                        "--name", "t")
            self.assertLess(time.monotonic() - t0, 40)
            self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
            self.assertIn("TIMEOUT", r.stderr)
            self.assertIn("no run succeeded", r.stderr)
            self.assertEqual(read_rows(os.path.join(d, "t", "scaling.csv"))[0]["ok"], "0")
            with open(pidfile) as fh:
                pid = int(fh.read())
            self.assertTrue(gone(pid), f"rank process {pid} outlived the timeout")


def gone(pid, wait=10.0):
    """Whether pid has exited (zombies count) within wait seconds."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BIN = sys.argv.pop(1)
    unittest.main()
