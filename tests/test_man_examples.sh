#!/bin/sh
# SPDX-License-Identifier: MIT
# Every program in the EXAMPLES section of a manual page (a .EX/.EE block
# that includes <uthread.h>) is compiled with -Wall -Wextra -Werror against
# the library that was built, run with a time limit, and must exit 0: an
# example a reader copies has to work.  Every real page must have one.
# Run from the build directory; srcdir and MAN_CC come from
# AM_TESTS_ENVIRONMENT (tests/man.mk).
srcdir=${srcdir:-.}
man=$srcdir/man
cc=${MAN_CC:-cc}
libdir=$(pwd)/.libs

failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

[ -f "$libdir/libuthread.so" ] || [ -f "$libdir/libuthread.a" ] ||
	{ echo "FAIL: no libuthread in $libdir: build the library first"; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/test_man_examples.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

# Print the example programs of a page, each after a line "@@@"; undo the
# roff escapes code needs (\e backslash, \- minus, \(aq quote, \& nothing).
extract() {
	awk '
		function unroff(s) {
			gsub(/\\e/, "\001", s)
			gsub(/\\-/, "-", s)
			gsub(/\\\(aq/, "'\''", s)
			gsub(/\\\(dq/, "\"", s)
			gsub(/\\&/, "", s)
			gsub(/\001/, "\\", s)
			return s
		}
		/^\.SH / { inex = ($0 ~ /^\.SH "?EXAMPLES?"?$/); next }
		inex && /^\.EX/ { code = ""; incode = 1; next }
		inex && /^\.EE/ {
			incode = 0
			if (code ~ /#include <uthread\.h>/) { print "@@@"; printf "%s", code }
			next
		}
		incode { code = code unroff($0) "\n" }
	' "$1"
}

run() {
	if command -v timeout >/dev/null 2>&1; then
		timeout 60 "$@"
	else
		"$@"
	fi
}

nprog=0
for page in "$man"/man3/*.3 "$man"/man7/*.7; do
	[ -f "$page" ] || continue
	sed -n '1{/^\.so/q1}' "$page" || continue   # a link page
	p=${page#"$man"/}
	b=$(basename "$page" | tr . _)
	extract "$page" | awk -v dir="$work" -v b="$b" '
		/^@@@$/ { n++; f = dir "/" b "_" n ".c"; next }
		{ print > f }'
	found=no
	for c in "$work/$b"_*.c; do
		[ -f "$c" ] || continue
		found=yes
		nprog=$((nprog + 1))
		exe=${c%.c}
		echo "+ $p: $(basename "$c")"
		if ! $cc -std=gnu11 -Wall -Wextra -Werror -I"$srcdir/include" -o "$exe" "$c" \
			-L"$libdir" -luthread -Wl,-rpath,"$libdir"; then
			fail "$p: its example does not compile"
			continue
		fi
		run "$exe"
		rc=$?
		[ $rc = 0 ] || fail "$p: its example exited with status $rc"
	done
	[ $found = yes ] || fail "$p: no example program (a .EX block with #include <uthread.h> under EXAMPLES)"
done
[ $nprog -ge 30 ] || fail "only $nprog example programs found in $man"
[ $failed = 0 ] && echo "PASS: $nprog example programs compiled and ran"
exit $failed
