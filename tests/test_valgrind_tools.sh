#!/bin/sh
# SPDX-License-Identifier: MIT
# helgrind and DRD on uthread programs: silent on a correct program that
# uses every primitive, loud on a seeded race (an unprotected counter), so
# the library's annotations neither lie nor blind the tools.  Skipped (77)
# without valgrind.
set -u
command -v valgrind >/dev/null 2>&1 || { echo "valgrind not installed: skip"; exit 77; }
# Built with --disable-valgrind-annotations, the tools cannot see what the
# futex primitives mean: nothing to check here.
grep -q '^#define UTHREAD_ANNOTATIONS 1' config.h 2>/dev/null ||
	{ echo "built without valgrind annotations: skip"; exit 77; }
# Run from the top build directory, as automake does; the programs are built there.
dir=tests
libtool=${LIBTOOL:-./libtool}
fail=0
for tool in helgrind drd; do
	"$libtool" --mode=execute valgrind -q --tool=$tool --error-exitcode=99 \
		"$dir/valgrind/clean_sync" >clean-$tool.out 2>&1
	st=$?
	if [ $st -ne 0 ]; then
		echo "FAIL: $tool on a correct program: exit $st"; cat clean-$tool.out; fail=1
	else
		echo "ok: $tool reports nothing on clean_sync"
	fi
	"$libtool" --mode=execute valgrind -q --tool=$tool --error-exitcode=99 \
		"$dir/valgrind/seeded_race" >race-$tool.out 2>&1
	st=$?
	if [ $st -ne 99 ] || ! grep -q -i "race\|conflicting" race-$tool.out; then
		echo "FAIL: $tool missed the seeded race (exit $st)"; cat race-$tool.out; fail=1
	else
		echo "ok: $tool reports the seeded race"
	fi
	rm -f clean-$tool.out race-$tool.out
done
exit $fail
