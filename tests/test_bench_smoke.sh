#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/uthread-bench in quick mode: not its figures (benchmarks are not
# tests), but that it runs, checks its results, and writes the table, the
# targets, the CSV, the JSON and the gnuplot script it promises.  Run from
# the top build directory, as automake does.
set -u
bench=./bench/uthread-bench
out=bench-smoke.$$
fail=0
trap 'rm -rf "$out" "$out.txt"' EXIT

check() { # check DESCRIPTION COMMAND...
	what=$1
	shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

"$bench" --quick --pin 0 --out "$out" create_join once_fast_path threads_10k_maps \
	>"$out.txt" 2>&1
st=$?
cat "$out.txt"
check "runs and exits 0" test $st -eq 0
check "prints a row per benchmark" test "$(grep -c -E '^(create_join|once_fast_path|threads_10k_maps) ' "$out.txt")" -eq 3
check "prints the kernel floor of create+join" grep -q 'kernel floor' "$out.txt"
check "says it ran pinned" grep -q 'pinned to CPUs 0' "$out.txt"
check "marks the targets met or missed" grep -q -E '^  create_join .*(met|MISSED)$' "$out.txt"
check "rounds.csv: header + 3 benchmarks x 3 rounds" test "$(wc -l <"$out/rounds.csv")" -eq 10
check "summary.csv: header + 3 benchmarks" test "$(wc -l <"$out/summary.csv")" -eq 4
check "results.json names the machine and every benchmark" \
	sh -c "grep -q '\"machine\"' '$out/results.json' && test \$(grep -c '\"name\"' '$out/results.json') -eq 3"
check "writes the gnuplot script" test -s "$out/ratios.gp"
if command -v gnuplot >/dev/null 2>&1; then
	check "draws the chart (gnuplot installed)" test -s "$out/ratios.png" -a -s "$out/ratios.svg"
fi
"$bench" --help | grep -q -- '--out DIR'
check "--help documents --out" test $? -eq 0
"$bench" no_such_benchmark >/dev/null 2>&1
check "an unknown benchmark is refused with exit 2" test $? -eq 2
"$bench" --pin 99999 create_join >/dev/null 2>&1
check "an impossible CPU set is refused with exit 2" test $? -eq 2
"$bench" -r 0 >/dev/null 2>&1
check "0 rounds are refused with exit 2" test $? -eq 2
exit $fail
