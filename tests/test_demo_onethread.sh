#!/bin/sh
# SPDX-License-Identifier: MIT
# uthread-onethread: creates and joins both kinds of thread, marks each
# round, and --layout finds, from inside each thread, a guard page below
# its stack and libc's static TLS at the same distance below the thread
# pointer in a uthread as in a pthread (the same TLS layout, glibc's).
. "${srcdir:-.}/tests/demo-json.sh"

prog=./demos/uthread-onethread

run "$work/plain" $prog --rounds 2
[ "$rc" = 0 ] || fail "--rounds 2: exited with $rc"
n=$(grep -c '^== uthread_create + uthread_join, round [12] of 2$' "$work/plain")
[ "$n" = 2 ] || fail "--rounds 2: $n uthread round markers, expected 2"
n=$(grep -c '^== pthread_create + pthread_join, round [12] of 2$' "$work/plain")
[ "$n" = 2 ] || fail "--rounds 2: $n pthread round markers, expected 2"

run "$work/layout" $prog --layout
[ "$rc" = 0 ] || fail "--layout: exited with $rc"
cat "$work/layout"
# A guard page of its own below the stack, or (glibc 2.42 and later on
# Linux 6.13 and later, pthreads only) a guard region inside the mapping.
n=$(grep -c '^  read-write mapping  *[0-9]* bytes, guard \(below\|inside\) it 4096 bytes$' "$work/layout")
[ "$n" = 2 ] || fail "--layout: $n threads with a 4096-byte guard page, expected 2"
errno_at=$(sed -n 's/^  &errno .* = thread pointer - \([0-9]*\)$/\1/p' "$work/layout" | sort -u)
[ -n "$errno_at" ] && [ "$(printf '%s\n' "$errno_at" | wc -l)" = 1 ] ||
	fail "--layout: errno is not at one distance below the thread pointer in both: $errno_at"

run "$work/bad" $prog --only nothing
[ "$rc" = 2 ] || fail "--only nothing: exit $rc, expected 2"

exit $failed
