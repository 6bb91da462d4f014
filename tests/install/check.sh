#!/usr/bin/env bash
# check.sh - does an installed taskfarm work for a program outside the tree?
#
# Installs BUILD_DIR into a temporary prefix, then builds consumer.c against
# that prefix three ways and runs each under mpiexec -np 2, without
# LD_LIBRARY_PATH (the .pc file gives an RPATH for a prefix like this one):
#   1. CMake: find_package(taskfarm) with CMAKE_PREFIX_PATH
#   2. mpicc consumer.c $(pkg-config --cflags --libs taskfarm)
#   3. cc    consumer.c $(pkg-config --cflags --libs taskfarm)   (no wrapper)
# It also checks that the shared library exports only tf_ names, and that
# the installed programs (tfrun, scaling, plot-trace) run from the prefix
# with a bare environment, the man page and completion are there and the
# benchmark apps are not (unless the build has TF_INSTALL_BENCHMARKS).
# ctest runs it as "install.cmake_package"; it runs alone just as well.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: tests/install/check.sh [BUILD_DIR]

Installs BUILD_DIR (default: build/ at the repository root) into a temporary
prefix and builds and runs tests/install/consumer.c against it with CMake's
find_package(taskfarm), with mpicc + pkg-config and with cc + pkg-config.

Environment (all optional):
  CMAKE             cmake to use (default: cmake)
  CC                C compiler for the plain pkg-config build (default: cc)
  TF_MPICC          MPI compiler wrapper (default: mpicc)
  TF_MPIEXEC        mpiexec to run with (default: mpiexec)
  TF_MPIEXEC_FLAGS  extra mpiexec flags (default: --allow-run-as-root
                    --oversubscribe when mpiexec is Open MPI's)
  TF_KEEP_TMP=1     keep the temporary directory and print where it is
EOF
}

case "${1:-}" in
-h | --help) usage; exit 0 ;;
esac

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build_dir="$(cd "${1:-$root/build}" && pwd)"
cmake="${CMAKE:-cmake}"
cc="${CC:-cc}"
mpicc="${TF_MPICC:-mpicc}"
mpiexec="${TF_MPIEXEC:-mpiexec}"
is_ompi=0
if [[ "$("$mpiexec" --version 2>&1 || true)" =~ Open\ MPI|OpenRTE ]]; then
    is_ompi=1
fi
if [[ -z "${TF_MPIEXEC_FLAGS+set}" ]]; then
    TF_MPIEXEC_FLAGS=""
    ((is_ompi)) && TF_MPIEXEC_FLAGS="--allow-run-as-root --oversubscribe"
fi
read -r -a mpiexec_flags <<<"$TF_MPIEXEC_FLAGS"
# Nothing may find the library through LD_LIBRARY_PATH.
unset LD_LIBRARY_PATH

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tf-install.XXXXXX")"
if [[ "${TF_KEEP_TMP:-0}" == 1 ]]; then
    echo "check.sh: keeping $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi
prefix="$tmp/prefix"

step() { printf '\n== %s\n' "$*"; }
fail() { echo "check.sh: FAIL: $*" >&2; exit 1; }
# runs "$@" 2 at 2 ranks: the consumer checks that it got 2
run_np2() { timeout 120 "$mpiexec" "${mpiexec_flags[@]}" -np 2 "$@" 2; }

step "install $build_dir into $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$tmp/install.log" ||
    { cat "$tmp/install.log"; fail "cmake --install"; }

header="$(find "$prefix" -name taskfarm.h -print -quit)"
lib="$(find "$prefix" -name 'libtaskfarm.so*' -type f -print -quit)"
static=0 # TF_BUILD_STATIC: libtaskfarm.a instead, linked with pkg-config --static
if [[ -z "$lib" ]]; then
    lib="$(find "$prefix" -name 'libtaskfarm.a' -type f -print -quit)"
    [[ -n "$lib" ]] && static=1
fi
pc="$(find "$prefix" -name taskfarm.pc -print -quit)"
config="$(find "$prefix" -name taskfarmConfig.cmake -print -quit)"
[[ -n "$header" ]] || fail "no taskfarm.h installed"
[[ -n "$lib" ]] || fail "no libtaskfarm.so (nor .a) installed"
[[ -n "$pc" ]] || fail "no taskfarm.pc installed"
[[ -n "$config" ]] || fail "no taskfarmConfig.cmake installed"
libdir="$(dirname "$lib")"
echo "header $header"
echo "lib    $lib"
echo "pc     $pc"
echo "config $config"
extra_headers="$(find "$prefix" -name '*.h' ! -name taskfarm.h)"
[[ -z "$extra_headers" ]] || fail "private headers installed: $extra_headers"

step "installed programs"
for f in bin/tfrun bin/scaling bin/plot-trace share/man/man1/tfrun.1 \
    share/bash-completion/completions/tfrun share/doc/taskfarm/LICENSE; do
    [[ -e "$prefix/$f" ]] || fail "no $f installed"
done
version="$(cat "$prefix/share/taskfarm/VERSION")"
bare() { env -i PATH=/usr/bin:/bin HOME="$tmp" "$@"; } # no LD_LIBRARY_PATH, no PYTHONPATH
for p in tfrun scaling plot-trace; do
    got="$(bare "$prefix/bin/$p" --version 2>&1 | head -n 1)" || fail "$p --version: $got"
    [[ "$got" == "$p (taskfarm) $version" ]] || fail "installed $p --version: $got"
done
echo "ok    tfrun, scaling, plot-trace --version: $version"
if grep -q '^TF_INSTALL_BENCHMARKS:BOOL=ON' "$build_dir/CMakeCache.txt"; then
    [[ -x "$prefix/bin/tf-bench" ]] || fail "TF_INSTALL_BENCHMARKS=ON, but no tf-bench installed"
else
    extra="$(cd "$prefix/bin" && ls tf-* 2>/dev/null || true)"
    [[ -z "$extra" ]] || fail "benchmark apps installed without TF_INSTALL_BENCHMARKS: $extra"
fi
printf 'echo a\necho b-$TF_TASK_ID\n' >"$tmp/tasks.txt"
out="$(cd "$tmp" && bare OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
    timeout 120 "$(command -v "$mpiexec")" "${mpiexec_flags[@]}" -np 2 \
    "$prefix/bin/tfrun" -q -k tasks.txt 2>&1)" || fail "installed tfrun: $out"
[[ "$out" == $'a\nb-2' ]] || fail "installed tfrun printed '$out'"
echo "ok    mpiexec -np 2 PREFIX/bin/tfrun tasks.txt (bare environment)"
# scaling from the installed location reads a CSV with its own module
# (share/taskfarm/scripts/lib): an empty one is refused with its name.
: >"$tmp/empty.csv"
ana="$(bare "$prefix/bin/scaling" --analyze "$tmp/empty.csv" 2>&1 || true)"
[[ "$ana" == "scaling: $tmp/empty.csv:1: empty, not a scaling.csv" ]] ||
    fail "installed scaling --analyze: $ana"
echo "ok    PREFIX/bin/scaling --analyze reads with its installed module"
[[ ! -e "$prefix/share/taskfarm/scripts/lib/__pycache__" ]] ||
    fail "the installed scripts wrote __pycache__ into the prefix"

if ((static)); then
    step "exported symbols: none to check (static library)"
else
step "exported symbols"
# Only the public API (tf_*) may be visible; tf__* are internal.
exported="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
    grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' || true)"
echo "$(wc -l <<<"$exported") symbols exported"
internal="$(grep -E '^tf__' <<<"$exported" || true)"
[[ -z "$internal" ]] || fail "internal symbols exported: $internal"
foreign="$(grep -vE '^tf_' <<<"$exported" || true)"
[[ -z "$foreign" ]] || fail "non-tf_ symbols exported: $foreign"
fi

step "1/3 find_package(taskfarm)"
"$cmake" -S "$here" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/configure.log" ||
    { cat "$tmp/configure.log"; fail "configure the consumer"; }
"$cmake" --build "$tmp/cmake-build" || fail "build the consumer with CMake"
run_np2 "$tmp/cmake-build/consumer" || fail "run the CMake-built consumer"

static_flag=()
((static)) && static_flag=(--static)
pkgconf() { PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config "${static_flag[@]}" "$@" taskfarm; }
echo
echo "pkg-config --cflags: $(pkgconf --cflags)"
echo "pkg-config --libs:   $(pkgconf --libs)"

step "2/3 $mpicc + pkg-config"
read -r -a pc_flags <<<"$(pkgconf --cflags --libs)"
((static)) || [[ " ${pc_flags[*]} " == *" -Wl,-rpath,"* ]] ||
    fail "pkg-config gives no RPATH for the non-system prefix $prefix"
"$mpicc" -o "$tmp/consumer-mpicc" "$here/consumer.c" "${pc_flags[@]}" ||
    fail "compile with $mpicc and pkg-config"
run_np2 "$tmp/consumer-mpicc" || fail "run the mpicc-built consumer (no LD_LIBRARY_PATH)"

step "3/3 $cc + pkg-config"
"$cc" -o "$tmp/consumer-cc" "$here/consumer.c" "${pc_flags[@]}" ||
    fail "compile with $cc and pkg-config"
run_np2 "$tmp/consumer-cc" || fail "run the cc-built consumer (no LD_LIBRARY_PATH)"

echo
echo "check.sh: PASS"
