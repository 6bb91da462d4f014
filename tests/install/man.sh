#!/usr/bin/env bash
# man.sh - docs/man/tfrun.1 renders without a warning, and names every long
# option that "tfrun --help" prints (so the page cannot fall behind tfrun).
# ctest runs it as "install.man".
#
# usage: tests/install/man.sh TFRUN
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
page="$root/docs/man/tfrun.1"
tfrun="${1:?usage: man.sh TFRUN}"
fail() { echo "man.sh: FAIL: $*" >&2; exit 1; }

# groff's warnings (-ww: all of them) and mandoc's lint, where installed.
warnings="$(groff -ww -man -Tutf8 "$page" 2>&1 >/dev/null)" || fail "groff exited non-zero"
[[ -z "$warnings" ]] || fail "groff warns: $warnings"
if command -v mandoc >/dev/null; then
    lint="$(mandoc -T lint -W warning "$page" 2>&1)" || fail "mandoc -T lint: $lint"
fi
echo "renders: groff -ww${lint+, mandoc -T lint} clean"

# The page's text with roff's escapes for "-" undone.
text="$(sed -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\%//g' "$page")"
help="$("$tfrun" --help)" || fail "$tfrun --help exited non-zero"
mapfile -t opts < <(grep -oE -- '(^|[^A-Za-z0-9-])--[A-Za-z][A-Za-z0-9-]*' <<<"$help" |
    sed 's/^[^-]*//' | sort -u)
((${#opts[@]} >= 10)) || fail "only ${#opts[@]} long options in tfrun --help: $(echo "${opts[@]}")"
missing=()
for o in "${opts[@]}"; do
    grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" <<<"$text" || missing+=("$o")
done
((${#missing[@]} == 0)) || fail "tfrun --help has options docs/man/tfrun.1 does not name: ${missing[*]}"
echo "all ${#opts[@]} long options of tfrun --help are in the page"
echo "man.sh: PASS"
