#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/watchdog.sh, which every test runs under: it passes a test's exit
# status through, and turns a hang (here: a forked child that sleeps, as
# a hung test's tu_in_child would) into exit 99 with a thread listing,
# killing the whole process group in time; the same listing and kill when
# it is stopped from outside or UTHREAD_TEST_DEADLINE passes; no child of
# a test outlives it.
set -u
wd="$(dirname "$0")/watchdog.sh"
unset UTHREAD_TEST_DEADLINE # the checks below set their own
fail() { echo "FAIL: $*"; exit 1; }
# gone SLEEP WHAT: no "sleep SLEEP" process is left (a second to die).
# Only sleep processes count: a watchdog's command line names the sleep
# too.  Regression: CI's run under load found the watcher of a watchdog
# stopped from outside still alive a second later (it was not killed).
gone() {
	sleep 1
	pgrep -af "^sleep $1" && { pkill -f "^sleep $1"; fail "$2 outlived it"; }
	pgrep -af "watchdog.sh.*sleep $1" && fail "$2's watchdog outlived it"
	return 0
}

sh "$wd" 10 sh -c 'exit 0' || fail "a passing test did not pass"
sh "$wd" 10 sh -c 'exit 77'; [ $? -eq 77 ] || fail "skip (77) not passed through"
sh "$wd" 10 sh -c 'exit 3'; [ $? -eq 3 ] || fail "failure (3) not passed through"

out=$(mktemp)
nap="4$$" # a sleep no other process runs, to find leftovers by
start=$(date +%s)
sh "$wd" 2 sh -c "sleep $nap & sleep $nap; wait" 2>"$out"
st=$?
took=$(( $(date +%s) - start ))
cat "$out"
[ "$st" -eq 99 ] || fail "a hung test gave status $st, not 99"
[ "$took" -lt 20 ] || fail "the hung test was killed only after $took s"
grep -q "still running after 2 s" "$out" || fail "no hang report"
grep -q "state S wchan" "$out" || fail "no thread listing"
rm -f "$out"
gone "$nap" "the hung test's child"
# The test gets SIGINT's default action back (a background job of a shell
# starts with it ignored): it dies of it.
sh "$wd" 10 sh -c 'kill -INT $$; exit 0'; st=$?
[ "$st" -eq 130 ] || fail "SIGINT did not end the test (status $st)"

# A test that ends leaving a forked child behind: the child goes too.
sh "$wd" 10 sh -c "sleep ${nap}1 >/dev/null 2>&1 & exit 0" || fail "the test with a leftover child failed"
gone "${nap}1" "a finished test's child"

# Stopped from outside (SIGQUIT here; SIGINT, SIGTERM and SIGHUP alike):
# the threads are listed and the test's group killed.
out=$(mktemp)
# (env: a background job of this shell would start with SIGQUIT ignored,
# and a shell cannot trap a signal ignored on entry; make's are not.)
env --default-signal=QUIT sh "$wd" 60 sh -c "sleep ${nap}2 & sleep ${nap}2; wait" 2>"$out" &
w=$!
sleep 2
kill -QUIT "$w"
wait "$w"; st=$?
# Its watcher went before it (before the fix it lingered up to a second).
pgrep -af "watchdog.sh 60 sh -c sleep ${nap}2" && fail "the stopped watchdog's watcher outlived it"
cat "$out"
[ "$st" -eq 130 ] || fail "a watchdog stopped from outside gave status $st, not 130"
grep -q "stopped from outside" "$out" || fail "no report when stopped from outside"
grep -q "state S wchan" "$out" || fail "no thread listing when stopped from outside"
rm -f "$out"
gone "${nap}2" "the stopped test's children"
# UTHREAD_TEST_DEADLINE (CI's stage budget) cuts a longer limit short.
start=$(date +%s)
UTHREAD_TEST_DEADLINE=$((start + 2)) sh "$wd" 60 sleep "${nap}3" 2>/dev/null; st=$?
took=$(( $(date +%s) - start ))
[ "$st" -eq 99 ] || fail "past the deadline the test gave status $st, not 99"
[ "$took" -lt 20 ] || fail "the deadline was kept only after $took s"
echo "watchdog: pass-through and hang reports as expected"
