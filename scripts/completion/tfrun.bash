# bash completion for tfrun (taskfarm); installed as
# share/bash-completion/completions/tfrun, or: source scripts/completion/tfrun.bash
#
# The options are read from "tfrun --help" each time (it answers at once,
# without MPI), so an option added to tfrun completes without an edit here.
# An option whose value is a FILE (any upper-case word ending in FILE) or a
# DIR completes file or directory names; other values complete nothing; a
# word that is no option completes file names (the task file).

# Prints "OPTION VALUE" for each option of the tfrun in $1 (VALUE empty for
# a switch). The option lines of --help start with 1 to 4 spaces and a dash;
# the option column ends at the first two spaces. (mawk, Debian's awk, has no
# /x{1,4}/.)
_tfrun_options() {
    "$1" --help 2>/dev/null | awk '
        /^ +-/ {
            line = $0
            sub(/^ +/, "", line)
            if (length($0) - length(line) > 4) next # a continued description
            end = index(line, "  ")
            col = end ? substr(line, 1, end - 1) : line
            n = split(col, part, /, /)
            # the value (if any) is written after the last name of the group
            m = split(part[n], w, / /)
            value = m > 1 ? w[2] : ""
            for (k = 1; k <= n; k++) {
                split(part[k], w, / /)
                if (w[1] ~ /^--?[A-Za-z0-9]/) print w[1], value
            }
        }'
}

_tfrun() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" prog="${COMP_WORDS[0]}"
    ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD - 1]}"
    COMPREPLY=()
    local -a names=()
    local name value prev_value="" prev_takes=0
    while read -r name value; do
        names+=("$name")
        if [[ "$name" == "$prev" && -n "$value" ]]; then
            prev_takes=1
            prev_value="$value"
        fi
    done < <(_tfrun_options "$prog")

    if ((prev_takes)); then
        case "$prev_value" in
        *DIR*)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            ;;
        *FILE*)
            compopt -o filenames 2>/dev/null
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
        esac
        return 0
    fi
    if [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur")
        return 0
    fi
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
}

complete -F _tfrun tfrun
