#!/bin/sh
# SPDX-License-Identifier: MIT
# Valgrind's tools on uthread programs: silent on a correct program that
# uses every primitive, loud on each seeded bug, so the library neither
# hides its own memory from memcheck nor lies to (or blinds) helgrind and
# DRD with its annotations.  The seeded programs are expected failures: the
# tool must exit with --error-exitcode and name the bug.  Skipped (77)
# without valgrind.
#
#   program                  tool       must report
#   clean_sync               memcheck   nothing (no error, no leak)
#   seeded_use_after_free    memcheck   an invalid read of a block freed by a uthread
#   seeded_leak              memcheck   4,321 bytes definitely lost in a uthread
#   clean_sync               helgrind   nothing
#   clean_sync               drd        nothing
#   seeded_race              helgrind   the race on the counter
#   seeded_race              drd        the conflicting accesses
#   seeded_lock_order        helgrind   the inconsistent lock order
set -u
command -v valgrind >/dev/null 2>&1 || { echo "valgrind not installed: skip"; exit 77; }
# Run from the top build directory, as automake does; the programs are built there.
dir=tests/valgrind
libtool=${LIBTOOL:-./libtool}
supp=${srcdir:-.}/tests/valgrind.supp
fail=0

# run TOOL PROGRAM: valgrind's output in $out, its exit status in $st.
run()
{
	out=$2-$1.out
	"$libtool" --mode=execute valgrind -q --tool="$1" --error-exitcode=99 --fair-sched=yes \
		--suppressions="$supp" $extra "$dir/$2" >"$out" 2>&1
	st=$?
}

# clean TOOL PROGRAM
clean()
{
	run "$1" "$2"
	if [ $st -ne 0 ]; then
		echo "FAIL: $1 on the correct $2: exit $st"; cat "$out"; fail=1
	else
		echo "ok: $1 reports nothing on $2"
	fi
	rm -f "$out"
}

# seeded TOOL PROGRAM PATTERN...: every pattern must be in the report.
seeded()
{
	tool=$1 prog=$2
	shift 2
	run "$tool" "$prog"
	missing=
	for p in "$@"; do
		grep -q -e "$p" "$out" || missing="$missing '$p'"
	done
	if [ $st -ne 99 ] || [ -n "$missing" ]; then
		echo "FAIL: $tool missed the bug seeded in $prog (exit $st, not found:$missing)"
		cat "$out"; fail=1
	else
		echo "ok: $tool reports the bug seeded in $prog"
	fi
	rm -f "$out"
}

extra="--leak-check=full --errors-for-leak-kinds=definite,possible"
clean memcheck clean_sync
seeded memcheck seeded_use_after_free "Invalid read" "free_it"
seeded memcheck seeded_leak "4,321 bytes .* definitely lost" "leak_in_thread"

# Built with --disable-valgrind-annotations, helgrind and DRD cannot see
# what the futex primitives mean: nothing more to check.
if ! grep -q '^#define UTHREAD_ANNOTATIONS 1' config.h 2>/dev/null; then
	echo "built without valgrind annotations: helgrind and DRD checks skipped"
	exit $fail
fi
extra=
clean helgrind clean_sync
clean drd clean_sync
seeded helgrind seeded_race "Possible data race" "bump"
seeded drd seeded_race "Conflicting" "bump"
extra="--history-level=approx"
seeded helgrind seeded_lock_order "lock order" "b_then_a"
exit $fail
