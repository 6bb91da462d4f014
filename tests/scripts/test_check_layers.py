#!/usr/bin/env python3
"""test_check_layers.py - scripts/check-layers on small made-up lib/src trees:
a clean tree passes; an upward include, an include that names no file, a
private header seen from outside its module, <mpi.h> in core and a file in
an unknown folder fail with the right line; sideways includes within a
layer, the public header and a private header seen from its own module pass.

usage: test_check_layers.py [unittest options]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
CHECK = os.path.join(ROOT, "scripts", "check-layers")

# A small tree that keeps every rule: each layer includes its own and lower
# layers, written with the folder, a header of its own folder also without.
CLEAN = {
    "core/buf.h": "#include <stddef.h>\n",
    "core/buf.c": '#include "core/buf.h"\n#include <stdlib.h>\n',
    "core/queue.h": '#include "buf.h"\n#include "taskfarm.h"\n',
    "system/output.h": '#include "core/buf.h"\n',
    "system/place.c": '#include <hwloc.h>\n#include <mpi.h>\n#include "system/output.h"\n',
    "rank/service.c": '#include <pthread.h>\n#include "system/output.h"\n#include "core/queue.h"\n',
    "role/coord.h": '#include "core/buf.h"\n',
    "role/coord.c": '#include "role/coord.h"\n#include "rank/service.h"\n',
    "rank/service.h": '#include "system/output.h"\n',
    "api/trace.h": '#include "taskfarm.h"\n',
    "api/driver.c": '#include "api/trace.h"\n#include "role/coord.h"\n',
    "pool.h": '#include "api/trace.h"\n#include "core/queue.h"\n',
    "pool.c": '#include "pool.h"\n#include "system/output.h"\n',
}


class CheckLayers(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tf-check-layers-")
        self.libsrc = os.path.join(self.dir, "lib", "src")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def tree(self, extra=None, drop=()):
        files = dict(CLEAN, **(extra or {}))
        for rel in drop:
            del files[rel]
        for rel, text in files.items():
            path = os.path.join(self.libsrc, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        return len(files)

    def run_check(self):
        return subprocess.run([sys.executable, CHECK, self.libsrc], capture_output=True,
                              text=True, timeout=60)

    def assert_ok(self, proc):
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertRegex(proc.stdout, r"^layers: ok \(\d+ files, \d+ includes\)\n$")

    def assert_fails_with(self, proc, line):
        """Exit 1 and LINE (after the LIBSRC prefix) as the only problem."""
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        out = proc.stdout.splitlines()
        self.assertEqual(len(out), 2, proc.stdout)
        self.assertEqual(out[0], f"{self.libsrc}/{line}")
        self.assertTrue(out[1].startswith("layers: FAILED, 1 problem(s)"), out[1])

    def test_clean_tree_passes(self):
        n = self.tree()
        proc = self.run_check()
        self.assert_ok(proc)
        quoted = sum(t.count('#include "') for t in CLEAN.values())
        self.assertIn(f"({n} files, {quoted} includes)", proc.stdout)

    def test_upward_include_fails(self):
        self.tree({"rank/worker.h": '#include "core/buf.h"\n',
                   "core/x.c": '/* a comment\n   over lines */\n#include <stdlib.h>\n'
                               '#include "core/buf.h"\n// #include "pool.h"\n'
                               '#include "rank/worker.h"\n'})
        self.assert_fails_with(self.run_check(),
                               "core/x.c:6: includes rank/worker.h (rank) from core")

    def test_pool_header_from_below_fails(self):
        self.tree({"system/wait.c": '#include "pool.h"\n'})
        self.assert_fails_with(self.run_check(),
                               "system/wait.c:1: includes pool.h (pool) from system")

    def test_relative_path_resolved(self):
        # "../rank/service.h" from system/ names rank/service.h
        self.tree({"system/files.c": '#include "files.h"\n#include "../rank/service.h"\n',
                   "system/files.h": "\n"})
        self.assert_fails_with(self.run_check(),
                               "system/files.c:2: includes rank/service.h (rank) from system")

    def test_sideways_include_passes(self):
        self.tree({"system/files.h": '#include "system/output.h"\n',
                   "system/files.c": '#include "system/files.h"\n#include "output.h"\n'})
        self.assert_ok(self.run_check())

    def test_unresolvable_include_fails(self):
        self.tree({"core/y.c": '#include "core/buf.h"\n\n#include "core/nothere.h"\n'})
        proc = self.run_check()
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn(f'{self.libsrc}/core/y.c:3: includes "core/nothere.h", which is no file',
                      proc.stdout)

    def test_private_header(self):
        private = {"role/coord_private.h": '#include "role/coord.h"\n',
                   "role/coord_steal.c": '#include "role/coord_private.h"\n',
                   "role/coord.c": '#include "coord_private.h"\n'}
        self.tree(private)
        self.assert_ok(self.run_check())
        # a file of the same folder outside the module
        self.tree(dict(private, **{"role/other.c": '#include "role/coord_private.h"\n'}))
        self.assert_fails_with(self.run_check(),
                               "role/other.c:1: includes role/coord_private.h, "
                               "private to role/coord*.c")

    def test_private_header_from_higher_layer_fails(self):
        self.tree({"role/coord_private.h": "\n",
                   "api/coord_view.c": '#include "role/coord_private.h"\n'})
        self.assert_fails_with(self.run_check(),
                               "api/coord_view.c:1: includes role/coord_private.h, "
                               "private to role/coord*.c")

    def test_private_header_from_header_fails(self):
        self.tree({"role/coord_private.h": "\n",
                   "role/coord_more.h": '#include "role/coord_private.h"\n'})
        proc = self.run_check()
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn("role/coord_more.h:1: includes role/coord_private.h", proc.stdout)

    def test_mpi_in_core_fails(self):
        self.tree({"core/z.c": '#include "core/buf.h"\n#include <mpi.h>\n'})
        self.assert_fails_with(self.run_check(),
                               "core/z.c:2: includes <mpi.h>, forbidden in core")

    def test_pthread_in_core_fails(self):
        self.tree({"core/buf.h": "#include <pthread.h>\n"})
        self.assert_fails_with(self.run_check(),
                               "core/buf.h:1: includes <pthread.h>, forbidden in core")

    def test_hwloc_outside_place_fails(self):
        self.tree({"system/wait.c": "#include <hwloc.h>\n"})
        self.assert_fails_with(self.run_check(),
                               "system/wait.c:1: includes <hwloc.h>, "
                               "allowed only in system/place.c")

    def test_unknown_folder_fails(self):
        self.tree({"misc/x.c": '#include "core/buf.h"\n'})
        proc = self.run_check()
        self.assertEqual(proc.returncode, 1, proc.stdout)
        self.assertIn(f"{self.libsrc}/misc/x.c: in unknown folder misc/", proc.stdout)

    def test_usage(self):
        proc = subprocess.run([sys.executable, CHECK, "--help"], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(proc.returncode, 0)
        self.assertIn("usage: scripts/check-layers [LIBSRC]", proc.stdout)
        proc = subprocess.run([sys.executable, CHECK, os.path.join(self.dir, "none")],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(proc.returncode, 2)


if __name__ == "__main__":
    unittest.main()
