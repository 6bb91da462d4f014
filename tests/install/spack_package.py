#!/usr/bin/env python3
"""spack_package.py - checks packaging/spack/packages/taskfarm/package.py
without Spack: it parses (ast), and, imported with a small stand-in for
spack.package's directives, declares the version of taskfarm.h, the variants
static and benchmarks mapped to CMake options that CMakeLists.txt defines,
and depends on mpi, hwloc and pkgconfig. ctest runs it as "install.spack".

usage: tests/install/spack_package.py [PACKAGE_PY]
       tests/install/spack_package.py --print-version [PACKAGE_PY]
"""

import ast
import os
import re
import sys
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
DEFAULT = os.path.join(ROOT, "packaging", "spack", "packages", "taskfarm", "package.py")


def fail(msg):
    print(f"spack_package.py: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def stub_spack():
    """A module spack.package with the directives package.py uses; each one
    records its call on the class being defined."""
    calls = []

    def directive(name):
        def record(*args, **kwargs):
            calls.append((name, args, kwargs))
        return record

    class Spec:
        def __init__(self, variants):
            self.variants = variants

        def __getitem__(self, name):
            return types.SimpleNamespace(mpicc=f"/opt/{name}/bin/mpicc")

    class CMakePackage:
        run_tests = False

        def __init__(self, variants):
            self.spec = Spec(variants)

        @staticmethod
        def define(name, value):
            if isinstance(value, bool):
                return f"-D{name}:BOOL={'ON' if value else 'OFF'}"
            return f"-D{name}:STRING={value}"

        def define_from_variant(self, name, variant):
            return self.define(name, self.spec.variants[variant])

    mod = types.ModuleType("spack.package")
    mod.CMakePackage = CMakePackage
    for name in ("version", "variant", "depends_on", "conflicts", "license", "maintainers",
                 "provides", "patch", "requires"):
        setattr(mod, name, directive(name))
    mod.__all__ = [n for n in vars(mod) if not n.startswith("_")]
    pkg = types.ModuleType("spack")
    pkg.package = mod
    sys.modules["spack"] = pkg
    sys.modules["spack.package"] = mod
    return mod, calls


def header_version():
    with open(os.path.join(ROOT, "lib", "include", "taskfarm.h")) as f:
        text = f.read()
    return ".".join(re.search(rf"^#define TF_VERSION_{p} (\d+)", text, re.M).group(1)
                    for p in ("MAJOR", "MINOR", "PATCH"))


def load(path):
    with open(path) as f:
        source = f.read()
    try:
        ast.parse(source, path)
    except SyntaxError as e:
        fail(f"{path}:{e.lineno}: {e.msg}")
    mod, calls = stub_spack()
    namespace = {"__name__": "taskfarm_package"}
    exec(compile(source, path, "exec"), namespace)
    cls = namespace.get("Taskfarm")
    if cls is None or not issubclass(cls, mod.CMakePackage):
        fail(f"{path}: no class Taskfarm(CMakePackage)")
    return cls, calls


def main(argv):
    print_version = bool(argv) and argv[0] == "--print-version"
    if print_version:
        argv = argv[1:]
    path = argv[0] if argv else DEFAULT
    cls, calls = load(path)
    versions = [c[1][0] for c in calls if c[0] == "version"]
    if print_version:
        print(versions[0] if versions else "")
        return 0

    want = header_version()
    if versions != [want]:
        fail(f"versions {versions}, want [{want!r}] (taskfarm.h)")
    print(f"ok    version {want} (taskfarm.h)")

    variants = {c[1][0]: c[2].get("default") for c in calls if c[0] == "variant"}
    if variants != {"static": False, "benchmarks": False}:
        fail(f"variants {variants}, want static and benchmarks, both off by default")
    deps = {re.split(r"[@+~ ]", c[1][0])[0] for c in calls if c[0] == "depends_on"}
    for need in ("mpi", "hwloc", "pkgconfig", "cmake"):
        if need not in deps:
            fail(f"no depends_on('{need}')")
    print(f"ok    variants {sorted(variants)}; depends on {', '.join(sorted(deps))}")

    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        options = set(re.findall(r"^option\((\w+)", f.read(), re.M))
    for static in (False, True):
        for bench in (False, True):
            args = cls({"static": static, "benchmarks": bench}).cmake_args()
            on = {"TF_BUILD_STATIC": static, "TF_INSTALL_BENCHMARKS": bench,
                  "TF_BUILD_TESTS": False}
            for name, value in on.items():
                if name not in options:
                    fail(f"cmake_args sets {name}, which CMakeLists.txt has no option() for")
                flag = f"-D{name}:BOOL={'ON' if value else 'OFF'}"
                if flag not in args:
                    fail(f"+static={static} +benchmarks={bench}: {flag} not in {args}")
            if not any(a.startswith("-DMPI_C_COMPILER") for a in args):
                fail(f"cmake_args does not name the spec's mpicc: {args}")
    print("ok    cmake_args map the variants to TF_BUILD_STATIC and TF_INSTALL_BENCHMARKS")
    print("spack_package.py: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
