#!/usr/bin/env bash
# versions.sh - every place that states taskfarm's version says the one in
# lib/include/taskfarm.h (TF_VERSION_*): the programs' --version, the scripts',
# CMake's project and package version files, the pkg-config file, the man
# page, the Spack package. ctest runs it as "install.versions".
#
# usage: tests/install/versions.sh [BUILD_DIR]    (default: build/)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"

header="$root/lib/include/taskfarm.h"
want="$(for p in MAJOR MINOR PATCH; do
    sed -n "s/^#define TF_VERSION_$p \([0-9][0-9]*\)\$/\1/p" "$header"
done | paste -sd.)"
[[ "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "versions.sh: FAIL: no version in $header" >&2; exit 1; }
echo "taskfarm.h: $want"

bad=0
check() { # check WHAT GOT
    if [[ "$2" == "$want" ]]; then
        printf 'ok    %-40s %s\n' "$1" "$2"
    else
        printf 'FAIL  %-40s %s (taskfarm.h: %s)\n' "$1" "${2:-nothing}" "$want"
        bad=1
    fi
}
# "PROG (taskfarm) X.Y.Z" -> X.Y.Z, only if the program is PROG
version_of() { # version_of NAME CMD...
    local out
    out="$("${@:2}" --version 2>&1 </dev/null | head -1 || true)"
    sed -n "s/^$1 (taskfarm) \([0-9.]*\)\$/\1/p" <<<"$out"
}

for prog in "$build"/bin/tfrun "$build"/bin/tf-*; do
    [[ -x "$prog" ]] || continue
    name="$(basename "$prog")"
    check "$name --version" "$(version_of "$name" "$prog")"
done
check "scripts/scaling --version" "$(version_of scaling "$root/scripts/scaling")"
check "scripts/plot-trace --version" "$(version_of plot-trace "$root/scripts/plot-trace")"

check "CMake project (VERSION file)" "$(tr -d '\n' <"$build/VERSION")"
check "taskfarm.pc Version" "$(sed -n 's/^Version: //p' "$build/lib/taskfarm.pc")"
check "taskfarmConfigVersion.cmake" \
    "$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/lib/taskfarmConfigVersion.cmake")"
check "CPack (CPackConfig.cmake)" \
    "$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")"
check "docs/man/tfrun.1 .TH" \
    "$(sed -n 's/^\.TH TFRUN 1 "[^"]*" "taskfarm \([^"]*\)".*/\1/p' "$root/docs/man/tfrun.1")"
check "packaging/spack package.py" \
    "$(python3 "$here/spack_package.py" --print-version "$root/packaging/spack/packages/taskfarm/package.py")"

if ((bad)); then
    echo "versions.sh: FAIL: the versions above disagree with taskfarm.h" >&2
    exit 1
fi
echo "versions.sh: PASS"
