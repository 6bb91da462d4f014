#!/bin/bash
# map-resume-test.sh CASE NP PROG MPIEXEC [MPIEXEC FLAGS...]
#
# tf_map_to_resume under the MPI launcher at NP ranks, through the test
# program map_resume (map_resume.c says what it prints). Each case asserts
# what taskfarm.h promises and fails with a message naming what did not
# hold; every launch has a time limit: a hang is a failure.
set -u
case_name=$1 np=$2 prog=$3
shift 3
launcher=("$@")
N=600

work=$(mktemp -d "${TMPDIR:-/tmp}/map-resume-test.XXXXXX")
cleanup() {
    # a killed run may leave ranks behind: they are ours
    pkill -KILL -f "$work" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

fail() {
    echo "FAIL [$case_name np$np]: $*" >&2
    exit 1
}
note() { echo "# $*"; }

# run -- FILE MODE N [options]: stdout in out.txt, stderr in err.txt, the
# exit status in $rc
run() {
    shift
    timeout -k 5 60 "${launcher[@]}" -np "$np" "$prog" "$@" >out.txt 2>err.txt
    rc=$?
    [[ $rc -eq 124 || $rc -eq 137 ]] && { cat err.txt >&2; fail "timed out: map_resume $*"; }
    return 0
}
want_rc() {
    [[ $rc -eq $1 ]] || { cat out.txt err.txt >&2; fail "exit status $rc, want $1 ($2)"; }
}
# the value after word $1 in the program's line
field() { sed -n "s/.* $1 \([^ ]*\).*/\1/p" out.txt; }
# whole entries of FILE's index
entries() { echo $((($(stat -c %s "$1.tfindex") - 104) / 24)); }

# the file an uninterrupted run makes, made by one
reference() {
    run -- ref.out start $N "$@"
    [[ $(wc -l <ref.out) -gt 0 ]] || fail "the reference run wrote nothing: $(cat err.txt)"
}

# the ranks under the launcher process $1, at any depth: Open MPI's mpirun
# starts them itself, MPICH's Hydra through a proxy per host
ranks_under() {
    local todo=("$1") found=() p k
    while ((${#todo[@]})); do
        p=${todo[0]}
        todo=("${todo[@]:1}")
        for k in $(pgrep -P "$p"); do
            if [[ $(ps -o args= -p "$k" 2>/dev/null) == "$prog"* ]]; then
                found+=("$k")
            else
                todo+=("$k")
            fi
        done
    done
    echo "${found[@]}"
}
wait_gone() {
    for _ in $(seq 100); do
        local alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        ((alive)) || return 0
        sleep 0.1
    done
    fail "ranks still alive 10 s after their launcher was killed"
}

case "$case_name" in

kill-resume)
    # kill -9 of the launcher and its ranks in the middle of the map (a job
    # killed: its ranks would otherwise run on until they notice); the
    # rerun maps exactly the positions the index lacked, and the file ends
    # as an uninterrupted run's, byte for byte
    reference
    "${launcher[@]}" -np "$np" "$prog" out start $N --slow-us 10000 >/dev/null 2>err.txt &
    pid=$!
    for _ in $(seq 200); do
        [[ -f out.tfindex ]] && (($(entries out) >= 60)) && break
        sleep 0.05
    done
    ranks=$(ranks_under $pid)
    kill -9 $pid $ranks
    wait $pid 2>/dev/null
    [[ -n $ranks ]] || fail "no ranks found under the launcher"
    wait_gone $ranks
    before=$(entries out)
    ((before > 0 && before < N)) || fail "$before positions done before the kill: the test needs some"
    note "$before of $N positions in the index after kill -9, $(stat -c %s out) bytes in the file"
    run -- out resume $N
    want_rc 0 "the rest succeeds"
    [[ $(field done_before) -eq $before ]] || fail "resumed after $(field done_before), want $before"
    [[ $(field ran) -eq $((N - before)) ]] || fail "ran $(field ran), want $((N - before))"
    [[ $(field tasks) -eq $((N - before)) ]] ||
        fail "the ranks executed $(field tasks) tasks, want $((N - before))"
    cmp -s out ref.out || fail "the file differs from an uninterrupted run's: $(cmp out ref.out)"
    [[ $(sort out | uniq -d | wc -l) -eq 0 ]] || fail "a record twice"
    [[ $(entries out) -eq $N ]] || fail "$(entries out) index entries, want $N"
    # a finished file: the rerun maps nothing
    run -- out resume-or-start $N
    want_rc 0 "nothing left"
    [[ $(field ran) -eq 0 && $(field tasks) -eq 0 ]] || fail "a finished map ran again: $(cat out.txt)"
    cmp -s out ref.out || fail "the rerun of a finished map changed the file"
    ;;

mismatch)
    # another n, function or nothing to resume: an error naming the file,
    # and the file untouched
    reference
    cp ref.out keep.out
    run -- ref.out resume $((N + 1))
    want_rc 3 "another n"
    grep -q "output 'ref.out' was made for another map (n differs)" err.txt ||
        fail "message: $(cat err.txt)"
    grep -q "rc TF_EMISMATCH .* tasks 0" out.txt || fail "$(cat out.txt)"
    run -- ref.out resume-or-start $N --fn cube
    want_rc 3 "another function"
    grep -q "(function differs): fn 'rec'.*fn 'cube'" err.txt || fail "message: $(cat err.txt)"
    cmp -s ref.out keep.out || fail "a refused resume changed the file"
    run -- none.out resume $N
    want_rc 3 "nothing to resume"
    grep -q "output 'none.out': no index 'none.out.tfindex' to resume from" err.txt ||
        fail "message: $(cat err.txt)"
    [[ -e none.out ]] && fail "a refused resume made the file"
    ;;

failed)
    # a failed position has no record, stays failed, and the rerun says so
    run -- out start $N --fail-at 7
    want_rc 1 "a task failed"
    grep -q "failed 1 " out.txt || fail "$(cat out.txt)"
    grep -q "^rec 7 " out && fail "the failed position has a record"
    [[ $(wc -l <out) -eq $((N - 1)) ]] || fail "$(wc -l <out) records, want $((N - 1))"
    run -- out resume $N
    want_rc 1 "failed before"
    grep -q "done_before $N failed_before 1 ran 0 failed 0 tasks 0" out.txt || fail "$(cat out.txt)"
    grep -q "1 of $N positions failed in an earlier run" err.txt || fail "message: $(cat err.txt)"
    ;;

*)
    fail "unknown case"
    ;;
esac
echo "ok [$case_name np$np]"
