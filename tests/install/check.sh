#!/usr/bin/env bash
# check.sh - does an installed taskfarm work for a program outside the tree?
#
# Installs BUILD_DIR into a temporary prefix, then builds consumer.c against
# that prefix three ways and runs each under mpiexec -np 2:
#   1. CMake: find_package(taskfarm) with CMAKE_PREFIX_PATH
#   2. mpicc consumer.c $(pkg-config --cflags --libs taskfarm)
#   3. cc    consumer.c $(pkg-config --cflags --libs taskfarm)   (no wrapper)
# It also checks that the shared library exports only tf_ names.
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
# Ranks started on this host inherit the environment; Open MPI is told too.
export_ld=()
((is_ompi)) && export_ld=(-x LD_LIBRARY_PATH)

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
pc="$(find "$prefix" -name taskfarm.pc -print -quit)"
config="$(find "$prefix" -name taskfarmConfig.cmake -print -quit)"
[[ -n "$header" ]] || fail "no taskfarm.h installed"
[[ -n "$lib" ]] || fail "no libtaskfarm.so installed"
[[ -n "$pc" ]] || fail "no taskfarm.pc installed"
[[ -n "$config" ]] || fail "no taskfarmConfig.cmake installed"
libdir="$(dirname "$lib")"
echo "header $header"
echo "lib    $lib"
echo "pc     $pc"
echo "config $config"
extra_headers="$(find "$prefix" -name '*.h' ! -name taskfarm.h)"
[[ -z "$extra_headers" ]] || fail "private headers installed: $extra_headers"

step "exported symbols"
# Only the public API (tf_*) may be visible; tf__* are internal.
exported="$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
    grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' || true)"
echo "$(wc -l <<<"$exported") symbols exported"
internal="$(grep -E '^tf__' <<<"$exported" || true)"
[[ -z "$internal" ]] || fail "internal symbols exported: $internal"
foreign="$(grep -vE '^tf_' <<<"$exported" || true)"
[[ -z "$foreign" ]] || fail "non-tf_ symbols exported: $foreign"

step "1/3 find_package(taskfarm)"
"$cmake" -S "$here" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/configure.log" ||
    { cat "$tmp/configure.log"; fail "configure the consumer"; }
"$cmake" --build "$tmp/cmake-build" || fail "build the consumer with CMake"
run_np2 "$tmp/cmake-build/consumer" || fail "run the CMake-built consumer"

pkgconf() { PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config "$@" taskfarm; }
echo
echo "pkg-config --cflags: $(pkgconf --cflags)"
echo "pkg-config --libs:   $(pkgconf --libs)"

step "2/3 $mpicc + pkg-config"
read -r -a pc_flags <<<"$(pkgconf --cflags --libs)"
"$mpicc" -o "$tmp/consumer-mpicc" "$here/consumer.c" "${pc_flags[@]}" ||
    fail "compile with $mpicc and pkg-config"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    run_np2 "${export_ld[@]}" "$tmp/consumer-mpicc" || fail "run the mpicc-built consumer"

step "3/3 $cc + pkg-config"
"$cc" -o "$tmp/consumer-cc" "$here/consumer.c" "${pc_flags[@]}" ||
    fail "compile with $cc and pkg-config"
LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    run_np2 "${export_ld[@]}" "$tmp/consumer-cc" || fail "run the cc-built consumer"

echo
echo "check.sh: PASS"
