#!/bin/sh
# SPDX-License-Identifier: MIT
# uthread-clonelab: each flag shares exactly what it says (observed by the
# lab), the kernel's refusals and the lab's own come back as documented
# exit codes, and under valgrind a set valgrind cannot run is refused.
. "${srcdir:-.}/tests/demo-json.sh"

lab=./demos/uthread-clonelab

# lab NAME ARGS...: run the lab with --json; its observation line in $obs.
lab() {
	name=$1
	shift
	run "$work/$name.json" $lab --json --trials 3 "$@"
	[ "$rc" = 0 ] || fail "$name: exited with $rc"
	valid_jsonl "$work/$name.json"
	obs=$(grep '^{"kind":"observation"' "$work/$name.json")
	expect "$obs" trials 3 "$name"
}

lab fork --preset fork
for k in var_seen fd_seen cwd_seen handler_seen; do
	expect "$obs" $k none "preset fork"
done
expect "$obs" pid new "preset fork"
expect "$obs" returns pid "preset fork"

lab thread --preset thread
for k in var_seen fd_seen cwd_seen handler_seen; do
	expect "$obs" $k all "preset thread"
done
expect "$obs" pid same "preset thread"
expect "$obs" tid own "preset thread"
expect "$obs" returns tid "preset thread"
grep -q '^{"kind":"flag","name":"THREAD","explain":"..*"}$' "$work/thread.json" ||
	fail "preset thread: THREAD is not explained"

lab vfork --preset vfork
expect "$obs" var_seen all "preset vfork"
expect "$obs" fd_seen none "preset vfork"
expect "$obs" child_first all "preset vfork"
expect "$obs" parent_waits_for_end all "preset vfork"

# One flag at a time: it shares its own thing and nothing else.
lab files --flags FILES
expect "$obs" fd_seen all "FILES"
expect "$obs" var_seen none "FILES"
expect "$obs" cwd_seen none "FILES"
lab fs --flags clone_fs
expect "$obs" cwd_seen all "FS"
expect "$obs" fd_seen none "FS"
lab vm --flags VM
expect "$obs" var_seen all "VM"
expect "$obs" handler_seen none "VM"
lab vmsighand --flags "VM|SIGHAND"
expect "$obs" handler_seen all "VM|SIGHAND"
expect "$obs" pid new "VM|SIGHAND"

# The kernel refuses SIGHAND without VM (EINVAL): exit 1, its answer shown.
run "$work/sighand" $lab --flags SIGHAND
[ "$rc" = 1 ] || fail "SIGHAND alone exited with $rc, not 1"
grep -q "Invalid argument" "$work/sighand" || fail "SIGHAND alone: EINVAL not shown"
# Flags the lab does not offer, and nonsense: exit 2.
for f in PARENT SETTLS NOSUCHFLAG; do
	run "$work/bad" $lab --flags $f 2>/dev/null
	[ "$rc" = 2 ] || fail "--flags $f exited with $rc, not 2"
done
run "$work/bad" $lab --preset nosuch 2>/dev/null
[ "$rc" = 2 ] || fail "--preset nosuch exited with $rc, not 2"
run "$work/list" $lab --list
[ "$rc" = 0 ] || fail "--list exited with $rc"
narrow "$work/list"
run "$work/text" $lab --preset thread --trials 2
narrow "$work/text"

# Under valgrind: VM without FS and FILES aborts valgrind, so it is refused
# (exit 3); the thread preset runs.
if command -v valgrind >/dev/null 2>&1 && [ -x ./libtool ]; then
	vg="./libtool --mode=execute valgrind -q --error-exitcode=99"
	run "$work/vgvm" $vg $lab --flags VM --trials 1
	[ "$rc" = 3 ] || fail "under valgrind, --flags VM exited with $rc, not 3"
	run "$work/vgthread" $vg $lab --preset thread --trials 1
	[ "$rc" = 0 ] || fail "under valgrind, --preset thread exited with $rc"
else
	echo "valgrind not installed: its part skipped"
fi
finish
