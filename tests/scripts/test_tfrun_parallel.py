#!/usr/bin/env python3
"""test_tfrun_parallel.py - tfrun's CMD ::: ARGS against GNU parallel's own.

For every row of a table of inputs (values with spaces, quotes, $, backticks,
newlines, tabs, glob characters, a leading -, empty strings, every byte but
NUL; every replacement string; :::, ::::, -a, :::+, ::::+, --colsep) it runs
`tfrun --dry-run ARGS` (an MPI singleton, no launcher) and
`parallel -k -j1 --dry-run ARGS` and fails on any byte of difference. Then it
runs a few rows for real, tfrun and parallel, and checks that each command
received exactly the bytes of its values.

GNU parallel is a test dependency (scripts/setup installs it): without it
this test fails, it does not pass unseen.

usage: test_tfrun_parallel.py TFRUN [unittest options]
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

TFRUN = None
PARALLEL = shutil.which("parallel")

SPECIAL = [b"a b", b"it's", b"$x", b"`ls`", b'a"b', b"", b"-n", b"*.c", b"a\tb", b"a\nb",
           b"\xff\xfe", b"a'''b", b"'", b"''", b"ab'", b"'ab", b"~", b"a;b", b"a|b&c",
           b"$(id)", b"\\", b"x\\y", b"?", b"[ab]", b"{}", b"{1}", b"!x", b"#c", b"%", b"\r",
           b"a\n", b"\nb", b"\xc3\xa9", b"--x=y", b"a  b ", b" ", b"\"'\"", b"plain-._+/09"]
# every byte but NUL (no argument holds one) and newline (a row of its own)
EVERY_BYTE = [bytes([i]) + b"x" for i in range(1, 256) if i != 10]
PATHS = [b".bashrc", b"a.", b"dir.x/file", b"a.b.c", b"/a", b"/", b"a/", b"/x/y.z/",
         b"a b/c d.e f", b"x..y", b"", b"./a.b", b"../c", b"a.b/", b"a/.b", b"a//b", b"//a",
         b"a/b//", b"///", b".", b"..", b"it's/a.b", b"/a/b", b"$d/x y.tar.gz"]

# file name -> content, made in the work directory
FILES = {
    "cols.txt": b"a\tb c\t\t\n\n\tx\nlast\r\nq\t",
    "special.txt": b"\n".join(v for v in SPECIAL if b"\n" not in v) + b"\nno newline",
    "n.txt": b"1\n2\n",
    "l.txt": b"x\ny\nz\n",
    "csv.txt": b"a,,b\n,\n1,2,3,\n",
    "empty-last.txt": b"one\n\n",
    "cr.txt": b"a\r\nb \r\nc\r\r\n d ,e \r\n\rx,\ry\r,\r\n",
}

# (name, arguments after the program, standard input)
ROWS = [
    ("special", [b"echo", b":::"] + SPECIAL, b""),
    ("every-byte", [b"echo", b":::"] + EVERY_BYTE, b""),
    ("in-a-word", [b"echo", b"x{}y{}z", b":::"] + SPECIAL, b""),
    ("transforms", [b"echo", b"{}", b"{.}", b"{/}", b"{//}", b"{/.}", b"{#}", b":::"] + PATHS,
     b""),
    ("positional", [b"echo", b"{3}", b"{1}", b"{2}", b"{-1}", b"{1.}", b"{2/}", b"{1//}",
                    b"{2/.}", b"{4}", b":::", b"d/a.b", b"e f/g.h", b":::", b"e/f.g", b"it's",
                    b":::", b"1", b"2"], b""),
    ("positional-transforms", [b"echo", b"{1/}", b"{1//}", b"{1.}", b"{1/.}", b":::"] + PATHS,
     b""),
    ("all-of-several", [b"echo", b"{}", b"{.}", b":::", b"a.b", b"c d.e", b":::", b"d/c.d"],
     b""),
    ("appended", [b"echo", b":::", b"a b", b"c", b":::", b"'", b""], b""),
    ("template-not-quoted", [b"printf", b"%s|%s\\n", b"\"$HOME\"", b"'{}'", b"{1", b"{x}",
                             b"{{}}", b"{ }", b":::", b"v w"], b""),
    ("no-repl-string", [b"echo", b"{1", b"{0x}", b"{-}", b":::", b"a", b"b c"], b""),
    ("values-are-commands", [b":::", b"echo a", b"echo \"b c\"", b"true"], b""),
    ("values-are-commands-2", [b":::", b"echo", b"printf", b":::", b"a", b"b c"], b""),
    ("product", [b"echo", b":::", b"1", b"2", b":::", b"A", b"B", b":::", b"x", b"y", b"z"],
     b""),
    ("link", [b"echo", b":::", b"a", b"b", b"c", b":::+", b"1", b"2", b":::", b"X", b"Y",
              b":::+", b"11", b"22", b"33"], b""),
    ("link-first", [b"echo", b":::+", b"a", b"b", b":::", b"c"], b""),
    ("files", [b"echo", b"::::", b"n.txt", b"l.txt"], b""),
    ("file-special", [b"echo", b"{}", b"{#}", b"::::", b"special.txt"], b""),
    ("file-empty-lines", [b"echo", b"::::", b"empty-last.txt", b"cols.txt"], b""),
    ("file-link", [b"echo", b"::::", b"l.txt", b"::::+", b"n.txt"], b""),
    ("arg-file-first", [b"-a", b"n.txt", b"echo", b":::", b"A", b"B", b"::::", b"l.txt"], b""),
    ("arg-files", [b"-a", b"n.txt", b"--arg-file", b"l.txt", b"echo"], b""),
    ("arg-file-template", [b"-a", b"special.txt", b"echo", b"[{}]", b"{.}"], b""),
    ("stdin", [b"echo", b"::::", b"-", b"n.txt"], b"s 1\ns'2\n"),
    ("stdin-arg-file", [b"-a", b"-", b"echo", b":::", b"A"], b"s1\ns2"),
    ("colsep-tab", [b"--colsep", b"\\t", b"echo", b"{1}-{2}-{3}", b"::::", b"cols.txt"], b""),
    ("colsep-appended", [b"--colsep", b"\\t", b"echo", b"::::", b"cols.txt"], b""),
    ("colsep-all", [b"--colsep", b"\\t", b"echo", b"{}", b"::::", b"cols.txt"], b""),
    ("colsep-values", [b"--colsep", b" ", b"echo", b"{2}", b":::", b"a b", b"c d", b"e"], b""),
    ("colsep-two-sources", [b"--colsep", b"\\t", b"echo", b"{1}", b"{2}", b"{3}", b"::::",
                            b"cols.txt", b":::", b"X"], b""),
    ("colsep-regex", [b"--colsep", b",+", b"echo", b"{1}", b"{2}", b"{3}", b"{4}", b"::::",
                      b"csv.txt"], b""),
    ("colsep-comma", [b"--colsep", b",", b"echo", b"::::", b"csv.txt"], b""),
    ("colsep-trims", [b"--colsep", b",", b"echo", b"{1}/{2}/{3}", b"::::", b"cr.txt", b":::",
                      b" a ,b", b" "], b""),
    ("trim-no", [b"--trim", b"n", b"--colsep", b",", b"echo", b"::::", b"cr.txt"], b""),
    ("trim", [b"--trim", b"lr", b"echo", b":::", b" a ", b" \t\vb\f\r", b"  "], b""),
    ("trim-l", [b"--trim", b"l", b"echo", b":::", b" a ", b"b"], b""),
    ("trim-r", [b"--trim", b"r", b"echo", b":::", b" a ", b"b"], b""),
    ("files-link", [b"echo", b":::", b"a", b"b", b"c", b"::::+", b"n.txt", b"l.txt"], b""),
]

# rows also run for real: what each command prints must be its values' bytes
REAL = [
    ("special", [b"printf", b"'[%s]\\n'", b":::"] + SPECIAL),
    ("every-byte", [b"printf", b"'[%s]\\n'", b":::"] + EVERY_BYTE),
    ("positional", [b"printf", b"'[%s][%s]\\n'", b"{2}", b"{1}", b":::"] + SPECIAL[:8] +
     [b":::", b"x y", b"$'"]),
    ("file", [b"printf", b"'<%s>'", b"::::", b"special.txt"]),
]


def run(argv, stdin, cwd, timeout=120):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               LC_ALL="C")
    return subprocess.run(argv, input=stdin, cwd=cwd, env=env, capture_output=True,
                          timeout=timeout)


def show(b):
    return repr(b)[:4000]


class AgainstParallel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tfrun-parallel.")
        for name, data in FILES.items():
            with open(os.path.join(cls.dir, name), "wb") as f:
                f.write(data)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_0_parallel_installed(self):
        self.assertIsNotNone(PARALLEL, "GNU parallel is not installed (scripts/setup installs "
                             "it: apt-get install parallel); tfrun cannot be compared with it")

    def compare(self, name, args, stdin):
        if PARALLEL is None:
            self.fail("GNU parallel is not installed")
        p = run([PARALLEL, "--will-cite", "-k", "-j1", "--dry-run"] + args, stdin, self.dir)
        t = run([TFRUN, "--dry-run"] + args, stdin, self.dir)
        self.assertEqual(p.returncode, 0, f"{name}: parallel failed: {p.stderr!r}")
        self.assertEqual(t.returncode, 0, f"{name}: tfrun failed: {t.stderr!r}")
        self.assertEqual(t.stdout, p.stdout,
                         f"{name}: tfrun --dry-run {show(args)}\n"
                         f"tfrun:    {show(t.stdout)}\nparallel: {show(p.stdout)}")

    def test_dry_run_rows(self):
        for name, args, stdin in ROWS:
            with self.subTest(row=name):
                self.compare(name, args, stdin)

    def test_real_runs(self):
        if PARALLEL is None:
            self.fail("GNU parallel is not installed")
        for name, args in REAL:
            with self.subTest(row=name):
                p = run([PARALLEL, "--will-cite", "-k", "-j1"] + args, b"", self.dir)
                t = run([TFRUN, "-q", "-k"] + args, b"", self.dir)
                self.assertEqual(t.returncode, 0, f"{name}: tfrun failed: {t.stderr!r}")
                self.assertEqual(p.returncode, 0, f"{name}: parallel failed: {p.stderr!r}")
                self.assertEqual(t.stdout, p.stdout, f"{name}: tfrun {show(t.stdout)}\n"
                                 f"parallel {show(p.stdout)}")
                if name in ("special", "every-byte"):
                    values = args[3:]
                    # a newline splits a ::: value (parallel reads them as lines)
                    want = b"".join(b"[" + piece + b"]\n"
                                    for v in values for piece in v.split(b"\n"))
                    self.assertEqual(t.stdout, want, f"{name}: not the values' bytes")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    TFRUN = os.path.abspath(sys.argv.pop(1))
    unittest.main()
