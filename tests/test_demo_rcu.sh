#!/bin/sh
# SPDX-License-Identifier: MIT
# uthread-rcu --quick: a row of reads per second for 1, 2, 4 and 8 readers
# under RCU, the rwlock and the mutex, with both ratios; the writer's table;
# no inconsistent read; one CSV line per measurement; bad options refused.
# Skipped (77) when configure did not find liburcu and the demo was not
# built.  Speeds are not asserted: make check runs tests side by side.
. "${srcdir:-.}/tests/demo-json.sh"

rcu=./demos/uthread-rcu
if [ ! -x "$rcu" ]; then
	echo "SKIP: $rcu not built (no liburcu, or configured --without-urcu)"
	exit 77
fi

out=$work/rcu.txt
csv=$work/rcu.csv
run "$out" $rcu --quick --csv "$csv"
[ "$rc" = 0 ] || fail "--quick exited with $rc"
narrow "$out"
cat "$out"

rate='[0-9][0-9.]* [kM]'
ratio='[0-9][0-9.]*x'
grep -q '^ readers   RCU (memb)       rwlock        mutex  RCU/rwlock   RCU/mutex$' "$out" ||
	fail "no reads-per-second header"
for n in 1 2 4 8; do
	grep -q "^ *$n  *$rate  *$rate  *$rate  *$ratio  *$ratio\$" "$out" ||
		fail "no reads-per-second row for $n readers"
	grep -q "^ *$n  *[0-9][0-9]*  *[0-9][0-9]*  *[0-9][0-9]*\$" "$out" ||
		fail "no writer row for $n readers"
done
grep -q '^updates per second the writer made (1000 asked)$' "$out" || fail "no writer table"
grep -q '^the run used [0-9.]* CPUs on average ([0-9]* online)$' "$out" || fail "no CPU use line"
grep -q '^every read checked its entry: 0 inconsistent$' "$out" || fail "inconsistent reads"

# The CSV: a header and 4 reader counts x 3 schemes x 1 round, every
# measurement with reads and no inconsistent read.  The RCU writer never
# waits for readers, so it always makes updates; a locked writer may not
# get the lock in 0.15 s against eight readers on a busy machine.
[ "$(head -n 1 "$csv")" = "readers,scheme,round,seconds,reads_per_s,updates,inconsistent" ] ||
	fail "CSV header is '$(head -n 1 "$csv")'"
[ "$(wc -l <"$csv")" = 13 ] || fail "CSV: $(wc -l <"$csv") lines, expected 13"
for s in rcu rwlock mutex; do
	[ "$(grep -c "^[1248],$s,1," "$csv")" = 4 ] || fail "CSV: $s not measured at 1, 2, 4, 8 readers"
done
awk -F, 'NR > 1 && !($4 > 0 && $5 > 0 && $6 >= 0 && $7 == 0) { bad++ }
	$2 == "rcu" && !($6 > 0) { bad++ } END { exit bad > 0 }' "$csv" ||
	fail "CSV: a measurement without reads, an RCU one without updates, or an inconsistent read"

run "$work/help" $rcu --help
[ "$rc" = 0 ] || fail "--help exited with $rc"
grep -q '^Usage: uthread-rcu' "$work/help" || fail "--help prints no usage"
narrow "$work/help"

for bad in "--duration 0" "--duration x" "--rounds 0" "--rate 0" "--nosuch" "extra"; do
	run "$work/bad" $rcu $bad 2>/dev/null
	[ "$rc" = 2 ] || fail "'$bad' exited with $rc, not 2"
done
finish
