#!/usr/bin/env bash
# modules.sh - the modulefiles that "cmake --install" writes work: installs
# BUILD_DIR into a temporary prefix, then, in a clean bash with Lmod, for the
# Lua and the Tcl modulefile: "module load taskfarm" with MODULEPATH at that
# prefix puts tfrun on PATH and its man page on MANPATH, pkg-config and CMake
# find the package, and "module unload" takes it all away again. ctest runs
# it as "install.modules"; it needs Lmod (Debian: lmod; scripts/setup).
#
# usage: tests/install/modules.sh [BUILD_DIR]    (default: build/)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
cmake="${CMAKE:-cmake}"
fail() { echo "modules.sh: FAIL: $*" >&2; exit 1; }

lmod_init=""
for f in /usr/share/lmod/lmod/init/bash /usr/share/lmod/init/bash /etc/profile.d/lmod.sh; do
    [[ -r "$f" ]] && { lmod_init="$f"; break; }
done
[[ -n "$lmod_init" ]] || fail "no Lmod (Debian: apt-get install lmod; scripts/setup installs it)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tf-modules.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
for kind in lmod tcl; do
    # The Lua file copes with a space in the prefix; Lmod's reader of Tcl
    # modulefiles (tcl2lua) does not, whatever the file says.
    prefix="$tmp/$kind prefix"
    [[ "$kind" == tcl ]] && prefix="$tmp/$kind-prefix"
    "$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
        { cat "$tmp/install.log"; fail "cmake --install"; }
    version="$(cat "$prefix/share/taskfarm/VERSION")"
    mpath="$prefix/share/taskfarm/modulefiles/$kind"
    file="$(find "$mpath" -type f -print -quit)"
    [[ -n "$file" ]] || fail "no $kind modulefile under $mpath"
    echo "== $kind: ${file#"$prefix"/}"
    # A login-like shell: nothing of taskfarm's on the paths beforehand.
    env -i HOME="$tmp" PATH=/usr/bin:/bin TERM=dumb CMAKE="$cmake" \
        MPATH="$mpath" PREFIX="$prefix" VERSION="$version" CONSUMER="$here" \
        TMPD="$tmp/$kind" bash --norc --noprofile -c '
        set -eu
        source "'"$lmod_init"'"
        fail() { echo "modules.sh: FAIL: '"$kind"': $*" >&2; exit 1; }
        ! command -v tfrun >/dev/null || fail "tfrun on PATH before the load"
        export MODULEPATH="$MPATH"
        module load taskfarm 2>"$TMPD.err" || { cat "$TMPD.err"; fail "module load taskfarm"; }
        [[ ! -s "$TMPD.err" ]] || { cat "$TMPD.err"; fail "module load said something"; }
        got="$(command -v tfrun)" || fail "tfrun not on PATH: $PATH"
        [[ "$got" == "$PREFIX/bin/tfrun" ]] || fail "tfrun is $got"
        echo "ok    PATH: $got ($(tfrun --version))"
        for p in scaling plot-trace; do
            [[ "$(command -v $p)" == "$PREFIX/bin/$p" ]] || fail "$p not on PATH"
        done
        page="$(man -w tfrun)" || fail "man -w tfrun finds nothing (MANPATH=${MANPATH-})"
        [[ "$page" == "$PREFIX/share/man/man1/tfrun.1"* ]] || fail "man -w tfrun: $page"
        man -w ls >/dev/null 2>&1 || ! [ -e /usr/share/man/man1/ls.1.gz ] ||
            fail "the system man pages are lost (MANPATH=$MANPATH)"
        echo "ok    MANPATH: $page"
        [[ "$(pkg-config --modversion taskfarm)" == "$VERSION" ]] ||
            fail "pkg-config --modversion taskfarm: $(pkg-config --modversion taskfarm 2>&1)"
        echo "ok    pkg-config: taskfarm $VERSION"
        "$CMAKE" -S "$CONSUMER" -B "$TMPD.build" >"$TMPD.cmake" 2>&1 ||
            { cat "$TMPD.cmake"; fail "find_package(taskfarm) with the module loaded"; }
        echo "ok    CMake: find_package(taskfarm) via CMAKE_PREFIX_PATH"
        [[ "$TASKFARM_ROOT" == "$PREFIX" ]] || fail "TASKFARM_ROOT=$TASKFARM_ROOT"
        module unload taskfarm
        ! command -v tfrun >/dev/null || fail "tfrun still on PATH after module unload"
        ! pkg-config --exists taskfarm || fail "pkg-config still finds taskfarm after unload"
        echo "ok    module unload taskfarm"
    ' || exit 1
done
echo "modules.sh: PASS"
