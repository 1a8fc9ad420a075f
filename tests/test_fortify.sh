#!/bin/sh
# SPDX-License-Identifier: MIT
# The library is built with _FORTIFY_SOURCE=2 (configure says whether; it
# needs an optimising build): its imports then include glibc's checked
# variants (__fprintf_chk, __snprintf_chk, __read_chk, ...), and none of the
# unchecked calls the fortify headers replace is left.  Run from the build
# directory; MAN_NM is the nm configure found.
set -u
lib=.libs/libuthread.so
nm=${MAN_NM:-nm}
[ "${UTHREAD_FORTIFY:-no}" = yes ] || { echo "configured without _FORTIFY_SOURCE=2 (CFLAGS do not optimise): skip"; exit 77; }
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
imports=$($nm -D --undefined-only "$lib" | awk '{print $NF}' | sed 's/@.*//')
checked=$(echo "$imports" | grep '^__.*_chk$' | tr '\n' ' ')
[ -n "$checked" ] || { echo "FAIL: no __*_chk import: the library was built without _FORTIFY_SOURCE"; exit 1; }
echo "checked calls: $checked"
# fprintf always becomes __fprintf_chk at level 2; an unchecked one left
# means a file was compiled without the flag.
if echo "$imports" | grep -qx 'fprintf'; then
	echo "FAIL: fprintf is imported unchecked"
	exit 1
fi
echo "library built with _FORTIFY_SOURCE=2"
