#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/watchdog.sh, which every test runs under: it passes a test's exit
# status through, and turns a hang (here: a forked child that sleeps, as
# a hung test's tu_in_child would) into exit 99 with a thread listing,
# killing the whole process group in time.
set -u
wd="$(dirname "$0")/watchdog.sh"
fail() { echo "FAIL: $*"; exit 1; }

sh "$wd" 10 sh -c 'exit 0' || fail "a passing test did not pass"
sh "$wd" 10 sh -c 'exit 77'; [ $? -eq 77 ] || fail "skip (77) not passed through"
sh "$wd" 10 sh -c 'exit 3'; [ $? -eq 3 ] || fail "failure (3) not passed through"

out=$(mktemp)
nap="4242.$$" # a sleep no other process runs, to find leftovers by
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
sleep 1
pgrep -af "sleep $nap" && { pkill -f "sleep $nap"; fail "the hung test's child outlived it"; }
echo "watchdog: pass-through and hang reports as expected"
