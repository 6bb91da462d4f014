#!/usr/bin/env bash
# completion.sh - scripts/completion/tfrun.bash, sourced in bash, completes
# tfrun's options (read from TFRUN --help), file names after a FILE option
# and for the task file, directory names after --output-dir, nothing after
# a number. ctest runs it as "install.completion".
#
# usage: tests/install/completion.sh TFRUN
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tfrun="$(cd "$(dirname "${1:?usage: completion.sh TFRUN}")" && pwd)/$(basename "$1")"
fail() { echo "completion.sh: FAIL: $*" >&2; exit 1; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/tf-completion.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
touch tasks.txt notes.txt
mkdir outdir

# shellcheck source=/dev/null
source "$root/scripts/completion/tfrun.bash"
spec="$(complete -p tfrun)" || fail "no completion registered for tfrun"
[[ "$spec" == *"-F _tfrun"* ]] || fail "tfrun completes with: $spec"

# complete WORD... : COMPREPLY for the last word, sorted, on one line
complete_line() {
    COMP_WORDS=("$tfrun" "$@")
    COMP_CWORD=${#COMP_WORDS[@]}
    COMP_CWORD=$((COMP_CWORD - 1))
    COMP_LINE="${COMP_WORDS[*]}"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _tfrun 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd' '
}
expect() { # expect WANT WORD...
    local got
    got="$(complete_line "${@:2}")"
    if [[ "$got" == "$1" ]]; then
        printf 'ok    tfrun %-22s -> %s\n' "${*:2}" "$got"
    else
        fail "tfrun ${*:2}<TAB> gave '$got', want '$1'"
    fi
}

expect "--resume --resume-failed --resume-or-start" --res
expect "--keep-mpi-env --keep-order" --keep
expect "--journal" -q --jour
expect "notes.txt outdir tasks.txt" --journal ""
expect "tasks.txt" --journal t
expect "tasks.txt" -o ta
expect "outdir" --output-dir ""
expect "" --retries ""
expect "notes.txt outdir tasks.txt" -k ""
# every long option of --help completes from "--"
n_help="$("$tfrun" --help | grep -cE '^ {1,4}-' || true)"
all="$(complete_line --)"
for o in --tag --journal --cores-per-task --version --window; do
    [[ " $all " == *" $o "* ]] || fail "'--<TAB>' lacks $o: $all"
done
echo "ok    tfrun --<TAB> offers $(wc -w <<<"$all") options ($n_help option lines in --help)"
echo "completion.sh: PASS"
