#!/usr/bin/env python3
"""test_configure_mpiexec.py - configuring with TF_MPIEXEC given as a bare
program name (README: -DTF_MPIEXEC=mpiexec.mpich) finds it on PATH, and a
name that is on no PATH stops the configure with a line naming TF_MPIEXEC.

CMake turns a relative FILEPATH given with -D into a path under the
directory it runs in; a launcher taken from there would not run, and every
MPI test would fail. Run by ctest (tests/scripts/CMakeLists.txt), label
`script`:
    python3 test_configure_mpiexec.py [unittest options]
"""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.environ.get("TF_SOURCE_DIR") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))


def configure(mpiexec, cwd):
    """cmake's exit status and output for a tests-off configure in cwd."""
    p = subprocess.run(["cmake", "-S", ROOT, "-B", os.path.join(cwd, "b"),
                        "-DTF_BUILD_TESTS=OFF", "-DTF_MPIEXEC=" + mpiexec],
                       cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=300)
    return p.returncode, p.stdout


class ConfigureMpiexec(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tf-cfg-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_bare_name_found_on_path(self):
        want = shutil.which("mpiexec")
        self.assertIsNotNone(want, "no mpiexec on PATH")
        rc, out = configure("mpiexec", self.dir)
        self.assertEqual(rc, 0, out)
        m = re.search(r"taskfarm \S+: .*, mpiexec (\S+)", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(os.path.realpath(m.group(1)), os.path.realpath(want), out)

    def test_missing_name_refused(self):
        rc, out = configure("no-such-mpiexec", self.dir)
        self.assertNotEqual(rc, 0, out)
        self.assertRegex(out, r"TF_MPIEXEC.*no-such-mpiexec")


if __name__ == "__main__":
    unittest.main()
