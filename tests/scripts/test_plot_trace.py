#!/usr/bin/env python3
"""test_plot_trace.py - scripts/plot-trace's chart on a small made-up trace,
without MPI: each rank's service row is drawn where the docstring and the
axis label say (above its main row, on the screen), nearer its own main row
than the neighbouring rank's, in alternately shaded rank bands; and the
command line writes a PNG.

Run by ctest (tests/scripts/CMakeLists.txt), label `script`:
    python3 test_plot_trace.py [unittest options]
"""
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
PLOT = os.path.join(ROOT, "scripts", "plot-trace")


def load():
    loader = importlib.machinery.SourceFileLoader("plot_trace", PLOT)
    spec = importlib.util.spec_from_loader("plot_trace", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def events(ranks=3):
    """Per rank: two tasks and a wait on the main thread, a read on the
    service thread and three message instants."""
    ev = []
    for r in range(ranks):
        ev.append({"ph": "M", "pid": r, "name": "process_name", "args": {"name": f"rank {r}"}})
        ev += [{"ph": "X", "pid": r, "tid": 0, "ts": 10 + r, "dur": 400, "cat": "task",
                "name": "work"},
               {"ph": "X", "pid": r, "tid": 0, "ts": 500, "dur": 50, "cat": "wait",
                "name": "wait for work"},
               {"ph": "X", "pid": r, "tid": 0, "ts": 600, "dur": 300, "cat": "task",
                "name": "work"},
               {"ph": "X", "pid": r, "tid": 1, "ts": 5, "dur": 100, "cat": "io",
                "name": "read"}]
        ev += [{"ph": "i", "s": "t", "pid": r, "tid": 1, "ts": t} for t in (1, 450, 880)]
    return ev


class Geometry(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pt = load()
        t = cls.pt.Trace()
        for e in events():
            t.event(e)
        cls.fig, cls.info = cls.pt.render(t, "test")
        cls.ax = cls.fig.axes[0]
        cls.fig.canvas.draw()

    def extent(self, gid):
        """(bottom, top) on the screen, in pixels (up is larger), of every
        bar collection with that gid."""
        ys = []
        for c in self.ax.collections:
            if c.get_gid() != gid:
                continue
            for path in c.get_paths():
                v = c.get_transform().transform(path.vertices)
                ys += list(v[:, 1])
        self.assertTrue(ys, f"no bars with gid {gid}")
        return min(ys), max(ys)

    def test_service_row_above_its_own_main_row(self):
        for r in range(3):
            main, svc = self.extent(f"{r}/0"), self.extent(f"{r}/1")
            self.assertGreater(svc[0], main[1], f"rank {r}: service row not above main row")
        # and the words say so
        doc = " ".join(self.pt.__doc__.split())
        self.assertIn("a thin row above it for the service thread", doc)
        self.assertNotIn("below", doc)
        self.assertIn("service above", self.ax.get_ylabel())

    def test_service_row_nearer_its_own_rank(self):
        def gap(a, b):
            return max(a[0] - b[1], b[0] - a[1])

        for r in range(3):
            svc = self.extent(f"{r}/1")
            own = gap(svc, self.extent(f"{r}/0"))
            other = min(gap(svc, self.extent(f"{q}/0")) for q in range(3) if q != r)
            self.assertGreater(other, 3 * own,
                               f"rank {r}: its service row is about as near another rank's")

    def test_rank_bands_alternate(self):
        bands = sorted((p.get_gid(), p.get_facecolor()) for p in self.ax.patches
                       if (p.get_gid() or "").startswith("band/"))
        self.assertEqual([g for g, _ in bands], ["band/1"])  # ranks 0 and 2 unshaded
        self.assertEqual(self.info["tasks"], 6)


class CommandLine(unittest.TestCase):
    def test_png_and_summary(self):
        with tempfile.TemporaryDirectory() as d:
            trace, out = os.path.join(d, "t.json"), os.path.join(d, "g.png")
            with open(trace, "w") as f:
                json.dump({"traceEvents": events(2)}, f)
            r = subprocess.run([sys.executable, PLOT, trace, "-o", out], capture_output=True,
                               text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("2 ranks, 4 tasks", r.stdout)
            with open(out, "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
