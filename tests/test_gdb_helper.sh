#!/bin/sh
# SPDX-License-Identifier: MIT
# tools/uthread-gdb.py: `info uthreads` in gdb lists the uthreads of
# tests/gdb_target (stopped at a breakpoint) with the names, tids, states
# and handles the program itself printed, and says plainly when it cannot
# find the registry (program not started, libuthread not loaded yet,
# libuthread without debug information).  Skipped (77) without gdb, without
# Python in gdb, or where ptrace is not permitted.
set -u
script="${srcdir:-.}/tools/uthread-gdb.py"
target=tests/gdb_target
libtool=${LIBTOOL:-./libtool}

command -v gdb >/dev/null 2>&1 || { echo "gdb not installed: skip"; exit 77; }
[ -r "$script" ] || { echo "FAIL: $script not found"; exit 1; }
if command -v timeout >/dev/null 2>&1; then limit="timeout 120"; else limit=""; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/test_gdb.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

# gdb ARGS...: batch gdb without any gdbinit and without asking debuginfod
# servers for symbols, through libtool so the real binary (not its wrapper
# script) is debugged; output in $work/out.
gdb_run() {
	$limit "$libtool" --mode=execute gdb -batch -nx \
		-iex 'set debuginfod enabled off' "$@" >"$work/out" 2>&1
}

out=$(gdb -batch -nx -ex 'python print("python-" + "works")' 2>&1)
case $out in
*python-works*) ;;
*) echo "this gdb has no Python ($out): skip"; exit 77 ;;
esac
out=$($limit gdb -batch -nx -ex run --args /bin/sh -c true 2>&1)
case $out in
*"exited normally"*) ;;
*) echo "gdb cannot run a program here (ptrace not permitted?): skip"
   echo "$out"; exit 77 ;;
esac

# 1. The real thing: three named uthreads, one ended and not joined.
gdb_run -ex "source $script" -ex 'break gdb_target_stop' -ex "run $work/expect" \
	-ex 'info uthreads' -ex 'info uthreads -v' \
	-ex 'set language asm' -ex 'info uthreads' -ex kill "$target"
cat "$work/out"
[ -f "$work/expect" ] && [ "$(grep -c '^expect ' "$work/expect")" = 4 ] ||
	fail "the target did not print its 4 expect lines (did it reach the breakpoint?)"
while read -r _ name tid state handle; do
	if [ "$name" = - ]; then
		pat="^$handle  *0  *-  *$state  *-  *0x[0-9a-f]*-0x[0-9a-f]* "
	else
		pat="^$handle  *$tid  *$name  *$state  *[0-9][0-9]*  *0x[0-9a-f]*-0x[0-9a-f]* "
	fi
	n=$(grep -c "$pat" "$work/out")
	# Each thread's line is printed three times: once by each info
	# uthreads, the last with gdb's language set to assembly (as when the
	# selected frame is in syscall.S: types print without "struct").
	[ "$n" = 3 ] || fail "no line '$handle $tid $name $state' in info uthreads (found $n)"
done <"$work/expect"
rm -f "$work/expect"
grep -q '^0x1  *[0-9][0-9]*  *[^ ]*  *MAIN ' "$work/out" ||
	fail "the main thread's line is missing"
grep -q '^5 slot(s) in use' "$work/out" || fail "not 5 slots in use"
n=$(grep -c '^    0x[0-9a-f]*-0x[0-9a-f]*  *4096  guard' "$work/out")
[ "$n" = 4 ] || fail "info uthreads -v: $n guard pages of 4096 bytes, expected 4"
n=$(grep -c 'struct pthread at the thread pointer' "$work/out")
[ "$n" = 4 ] || fail "info uthreads -v: $n struct pthread lines, expected 4"

# 2. The program not started yet: the helper says so.
gdb_run -ex "source $script" -ex 'info uthreads' "$target"
grep -q 'the program is not running' "$work/out" ||
	{ cat "$work/out"; fail "not started: no 'not running' message"; }

# 3. Stopped at its first instruction, before the loader has mapped
#    libuthread: not loaded.
gdb_run -ex "source $script" -ex starti -ex 'info uthreads' -ex kill "$target"
grep -q 'libuthread is not loaded' "$work/out" ||
	{ cat "$work/out"; fail "before the loader ran: no 'not loaded' message"; }

# 4. A libuthread without debug information (the same library, stripped,
#    preloaded so it is the one the program uses).
if command -v strip >/dev/null 2>&1 && [ -f .libs/libuthread.so.0 ]; then
	mkdir "$work/lib"
	strip --strip-debug -o "$work/lib/libuthread.so.0" .libs/libuthread.so.0
	gdb_run -ex "source $script" \
		-ex "set environment LD_PRELOAD=$work/lib/libuthread.so.0" \
		-ex 'break gdb_target_stop' -ex run -ex 'info uthreads' -ex kill "$target"
	grep -q 'no debug information' "$work/out" ||
		{ cat "$work/out"; fail "stripped library: no 'no debug information' message"; }
else
	echo "no strip or no .libs/libuthread.so.0: the stripped case is not checked"
fi

[ $failed = 0 ] && echo "ok: info uthreads lists the target's threads and explains its refusals"
exit $failed
