#!/usr/bin/env bash
# deb.sh - the Debian package works: builds it from BUILD_DIR with
# "cpack -G DEB" (into a temporary directory, not the build tree), installs
# it with dpkg -i, then, with nothing but PATH=/usr/bin:/bin in the
# environment (no LD_LIBRARY_PATH, no PKG_CONFIG_PATH):
#   - the installed tfrun runs a small task file under mpiexec, and says the
#     package's version; scaling and plot-trace say it too;
#   - man -w tfrun finds the page; the completion file is where bash looks;
#   - tests/install/consumer.c, built with CMake's find_package(taskfarm)
#     and with cc + pkg-config, runs under mpiexec at 2 ranks;
# and removes (purges) the package with dpkg at the end, whatever happened.
# Needs root (it changes the system's packages): exits 77 (skipped) if not
# root, 1 if a taskfarm package was installed before (it is not ours to
# remove). ctest runs it as "install.deb" (label package).
#
# usage: tests/install/deb.sh [BUILD_DIR]    (default: build/)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
cmake="${CMAKE:-cmake}"
cpack="$(dirname "$cmake")/cpack"
[[ -x "$cpack" ]] || cpack=cpack
mpiexec="${TF_MPIEXEC:-mpiexec}"
read -r -a mpiexec_flags <<<"${TF_MPIEXEC_FLAGS-}"
fail() { echo "deb.sh: FAIL: $*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }

if [[ "$(id -u)" != 0 ]]; then
    echo "deb.sh: skipped: installing a package needs root"
    exit 77
fi
command -v dpkg-shlibdeps >/dev/null || fail "no dpkg-shlibdeps (Debian: dpkg-dev; scripts/setup)"
if dpkg-query -W -f='${Status}' taskfarm 2>/dev/null | grep -q 'install ok installed'; then
    fail "a taskfarm package is installed already (dpkg -r taskfarm first): not touching it"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tf-deb.XXXXXX")"
installed=0
cleanup() {
    local rc=$?
    if ((installed)); then
        echo
        echo "== dpkg --purge taskfarm"
        # (dpkg -r, and then not even dpkg's record of the package is left)
        dpkg --purge taskfarm >"$tmp/remove.log" 2>&1 || { cat "$tmp/remove.log"; rc=1; }
        if grep -i warning "$tmp/remove.log"; then
            echo "deb.sh: FAIL: dpkg warned while removing taskfarm" >&2
            rc=1
        fi
        if dpkg-query -W taskfarm >/dev/null 2>&1; then
            echo "deb.sh: FAIL: taskfarm is still installed" >&2
            rc=1
        elif [[ -e /usr/bin/tfrun || -e /usr/share/taskfarm ]]; then
            echo "deb.sh: FAIL: /usr/bin/tfrun or /usr/share/taskfarm is left after dpkg -r" >&2
            rc=1
        fi
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "cpack -G DEB"
"$cpack" --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb="$(find "$tmp/pkg" -maxdepth 1 -name 'taskfarm_*.deb' -print -quit)"
[[ -n "$deb" ]] || { cat "$tmp/cpack.log"; fail "cpack made no taskfarm_*.deb"; }
version="$(dpkg-deb -f "$deb" Version)"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "$(basename "$deb"): Version $version"
echo "Depends: $depends"
echo "Recommends: $(dpkg-deb -f "$deb" Recommends)"
[[ "$version" == "$(cat "$build/VERSION")" ]] || fail "package version $version, build $(cat "$build/VERSION")"
[[ "$depends" == *libhwloc* ]] || fail "Depends lacks hwloc's library: $depends"
[[ "$depends" =~ libopenmpi|libmpich ]] || fail "Depends lacks the MPI library: $depends"
dpkg-deb -c "$deb" | grep -qE '/usr/bin/tf-(bench|uts)$' &&
    fail "the benchmark apps are in the package (they need TF_INSTALL_BENCHMARKS)"

step "dpkg -i"
installed=1
dpkg -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "dpkg -i $deb"; }

# Everything below runs as a user's login would: no variable of ours.
clean() { env -i PATH=/usr/bin:/bin HOME="$tmp" "$@"; }
run_np() { # run_np N CMD...: under the MPI the package was built with
    clean OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        timeout 120 "$mpiexec" "${mpiexec_flags[@]}" -np "$@"
}

step "installed programs"
[[ "$(clean tfrun --version | head -n 1)" == "tfrun (taskfarm) $version" ]] ||
    fail "tfrun --version: $(clean tfrun --version 2>&1)"
for p in scaling plot-trace; do
    [[ "$(clean "$p" --version)" == "$p (taskfarm) $version" ]] ||
        fail "$p --version: $(clean "$p" --version 2>&1)"
done
echo "ok    tfrun, scaling, plot-trace --version: $version"
printf 'echo one-$TF_TASK_ID\n# a comment\necho two-$TF_TASK_ID\n' >"$tmp/tasks.txt"
out="$(cd "$tmp" && run_np 2 tfrun -q -k tasks.txt)" || fail "tfrun on a task file: $out"
[[ "$out" == $'one-1\ntwo-3' ]] || fail "tfrun printed '$out', want one-1, two-3"
echo "ok    mpiexec -np 2 tfrun tasks.txt"
page="$(clean man -w tfrun)" || fail "man -w tfrun finds no page"
echo "ok    man -w tfrun: $page"
clean man -l "$page" >/dev/null 2>&1 || fail "man -l $page"
[[ -f /usr/share/bash-completion/completions/tfrun ]] || fail "no bash completion file"
echo "ok    /usr/share/bash-completion/completions/tfrun"

step "consumer: find_package(taskfarm)"
clean "$cmake" -S "$here" -B "$tmp/cmake-build" >"$tmp/configure.log" 2>&1 ||
    { cat "$tmp/configure.log"; fail "configure the consumer against the package"; }
clean "$cmake" --build "$tmp/cmake-build" >"$tmp/build.log" 2>&1 ||
    { cat "$tmp/build.log"; fail "build the consumer with CMake"; }
grep -q "/usr/lib.*cmake/taskfarm" "$tmp/cmake-build/CMakeCache.txt" ||
    fail "CMake found another taskfarm: $(grep taskfarm_DIR "$tmp/cmake-build/CMakeCache.txt")"
run_np 2 "$tmp/cmake-build/consumer" 2 || fail "run the CMake-built consumer"

step "consumer: cc + pkg-config"
static=()
dpkg -L taskfarm | grep -q '/libtaskfarm\.so$' || static=(--static) # TF_BUILD_STATIC: libtaskfarm.a
flags="$(clean pkg-config "${static[@]}" --cflags --libs taskfarm)" || fail "pkg-config finds no taskfarm"
echo "pkg-config --cflags --libs taskfarm: $flags"
[[ "$flags" != *rpath* ]] || fail "an RPATH for a system prefix: $flags"
read -r -a pc <<<"$flags"
clean cc -o "$tmp/consumer-pc" "$here/consumer.c" "${pc[@]}" || fail "cc with pkg-config"
run_np 2 "$tmp/consumer-pc" 2 || fail "run the pkg-config-built consumer"

echo
echo "deb.sh: PASS"
