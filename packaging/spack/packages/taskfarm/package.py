# Spack package for taskfarm. Use it from a checkout:
#
#   spack repo add packaging/spack
#   spack dev-build taskfarm@0.1.0 ^openmpi      (in the checkout's root)
#
# or copy packages/taskfarm into the site's own repository and add a url or
# git line for the site's mirror of the sources. docs/install.md has more.
# tests/install/spack_package.py checks this file against CMakeLists.txt and
# taskfarm.h (Spack itself is not needed for that).

from spack.package import *


class Taskfarm(CMakePackage):
    """A task farm on MPI: tfrun, a command farm with a journal for batch jobs
    that are cut short, and the taskfarm C library (map, submit, spawn) with
    dynamic load balancing across ranks."""

    license("BSD-3-Clause")

    # taskfarm.h's TF_VERSION_* (tests/install/versions.sh checks that they agree)
    version("0.1.0")

    variant("static", default=False,
            description="Build libtaskfarm as a static library (TF_BUILD_STATIC)")
    variant("benchmarks", default=False,
            description="Also install tf-bench, tf-uts and the other experiment apps "
            "(TF_INSTALL_BENCHMARKS)")

    depends_on("c", type="build")
    depends_on("cmake@3.21:", type="build")
    depends_on("pkgconfig", type="build")
    depends_on("mpi")
    depends_on("hwloc")
    depends_on("openssl")  # libcrypto: tfrun's journal (SHA-256)
    depends_on("python@3:", type="run")  # scaling, plot-trace
    depends_on("py-matplotlib", type="run")  # their plots
    depends_on("py-numpy", type="run")
    depends_on("libpng", when="+benchmarks")  # tf-mandelbrot
    depends_on("random123", when="+benchmarks")  # tf-pi
    depends_on("cunit", type="test")  # the tests build every app:
    depends_on("libpng", type="test")
    depends_on("random123", type="test")

    def cmake_args(self):
        return [
            self.define_from_variant("TF_BUILD_STATIC", "static"),
            self.define_from_variant("TF_INSTALL_BENCHMARKS", "benchmarks"),
            self.define("TF_BUILD_TESTS", self.run_tests),
            # the MPI of the spec, not whichever mpicc is first on PATH
            self.define("MPI_C_COMPILER", self.spec["mpi"].mpicc),
        ]
