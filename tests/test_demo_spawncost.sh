#!/bin/sh
# SPDX-License-Identifier: MIT
# uthread-spawncost at two small sizes: every method measured at every
# size, the ratios and the fork slope reported, the CSV (and the plot,
# when gnuplot is installed) written, bad sizes refused.
. "${srcdir:-.}/tests/demo-json.sh"

sc=./demos/uthread-spawncost
j=$work/sc.json
run "$j" $sc --sizes 1,8 --reps 3 --json --out "$work/out"
[ "$rc" = 0 ] || fail "exited with $rc"
valid_jsonl "$j"
for m in fork vfork clone-vm-vfork posix_spawn fork-exec vfork-exec uthread pthread; do
	n=$(grep -c "^{\"kind\":\"cost\",.*\"method\":\"$m\",\"samples\":3," "$j")
	[ "$n" = 2 ] || fail "$m: $n sizes measured, expected 2"
done
grep -q '"method":"clone-process"' "$j" && fail "clone-process measured without being asked"
grep -q '^{"kind":"fork_slope","ms_per_gib":' "$j" || fail "no fork slope"
# Timings are not asserted (make check runs tests side by side); their
# statistics must be consistent: 0 < min <= median <= max.
grep '^{"kind":"cost",' "$j" | sed 's/.*"median_us":\([^,]*\),"min_us":\([^,]*\),"max_us":\([^}]*\)}/\1 \2 \3/' |
	awk '!($2 > 0 && $2 <= $1 && $1 <= $3) { bad++ } END { exit bad > 0 }' ||
	fail "a cost line with inconsistent median/min/max"
r=$(field "$(grep '^{"kind":"cost_size","size_mib":8,' "$j")" fork_vfork_ratio)
awk "BEGIN { exit !($r > 0) }" || fail "fork/vfork at 8 MiB is '$r'"
csv=$(field "$(grep '^{"kind":"files"' "$j")" csv)
[ "$(wc -l <"$csv")" = 17 ] || fail "CSV: $(wc -l <"$csv") lines, expected 17"
if command -v gnuplot >/dev/null 2>&1; then
	[ -s "$work/out/spawncost.png" ] && [ -s "$work/out/spawncost.svg" ] || fail "no plot"
fi

run "$work/text" $sc --sizes 1,4 --reps 2 --methods fork,vfork,uthread --out "$work/out2"
[ "$rc" = 0 ] || fail "text run exited with $rc"
grep -q "^  fork+_exit " "$work/text" || fail "text: no fork row"
grep -q "grows by .* ms per GiB" "$work/text" || fail "text: no slope"
narrow "$work/text"

for bad in "--sizes 16,4" "--sizes x" "--methods nosuch" "--reps 0"; do
	run "$work/bad" $sc $bad 2>/dev/null
	[ "$rc" = 2 ] || fail "'$bad' exited with $rc, not 2"
done
finish
