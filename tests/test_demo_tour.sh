#!/bin/sh
# SPDX-License-Identifier: MIT
# uthread-tour --quick, as JSON and as text: the structure of the output and
# the facts that are certain on Linux (a fork child's write is not seen by
# its parent, a thread's is; a vfork parent resumes only after the child's
# end; glibc's fork() is the clone system call; ...).
. "${srcdir:-.}/tests/demo-json.sh"

tour=./demos/uthread-tour
j=$work/tour.json
run "$j" $tour --quick --json --out "$work/out"
[ "$rc" = 0 ] || fail "uthread-tour --quick --json exited with $rc"
valid_jsonl "$j"
grep -q '^{"kind":"meta","program":"uthread-tour","mode":"quick"' "$j" || fail "no meta line"
grep -q '^{"kind":"end","failed":0}$' "$j" || fail "the end line does not say failed:0"

obs() { line "$j" observation method "$1"; }
valgrind=$(field "$(grep '^{"kind":"meta"' "$j")" valgrind)

# Processes: nothing the child changed is seen by the parent.
for m in fork posix_spawn fork+exec "clone process"; do
	l=$(obs "$m")
	[ -n "$l" ] || { fail "no observation for $m"; continue; }
	expect "$l" error "" "$m"
	expect "$l" var_seen none "$m"
	expect "$l" fd_seen none "$m"
	expect "$l" cwd_seen none "$m"
	expect "$l" handler_seen none "$m"
	expect "$l" pid new "$m"
	expect "$l" tid "=pid" "$m"
	expect "$l" ppid parent "$m"
done
expect "$(obs fork)" returns pid "fork"
expect "$(obs posix_spawn)" returns "0 +pid" "posix_spawn"

# Threads: everything is shared, same pid, a tid of their own.
for m in uthread pthread; do
	l=$(obs "$m")
	[ -n "$l" ] || { fail "no observation for $m"; continue; }
	for k in var_seen fd_seen cwd_seen handler_seen; do
		expect "$l" $k all "$m"
	done
	expect "$l" pid same "$m"
	expect "$l" tid own "$m"
	expect "$l" returns "0 +hdl" "$m"
done

# vfork: memory shared, the rest copied; the child acts first and the
# parent resumes only after the child's end (valgrind runs vfork as fork).
if [ "$valgrind" = 0 ]; then
	l=$(obs vfork)
	expect "$l" var_seen all "vfork"
	expect "$l" fd_seen none "vfork"
	expect "$l" cwd_seen none "vfork"
	expect "$l" child_first all "vfork"
	expect "$l" parent_waits_for_end all "vfork"
	expect "$(obs vfork+exec)" child_first all "vfork+exec"
	l=$(obs "clone(VM|VFORK)")
	expect "$l" var_seen all "clone(VM|VFORK)"
	expect "$l" parent_waits_for_end all "clone(VM|VFORK)"

	# What glibc 2.36 calls on x86-64, seen through the seccomp listener.
	expect "$(line "$j" syscalls call "fork()")" first clone "fork()"
	expect "$(line "$j" syscalls call "vfork()")" first vfork "vfork()"
	for c in "pthread_create()" "uthread_create()"; do
		made=$(field "$(line "$j" syscalls call "$c")" made)
		case "$made" in
		clone*"VM|FS|FILES|SIGHAND|THREAD"*) ;;
		*) fail "$c made '$made', not a clone with the thread flags" ;;
		esac
	done
fi

# Costs: 9 methods x 3 sizes, 5 samples each; claims: 7 with verdicts.
n=$(grep -c '^{"kind":"cost",' "$j")
[ "$n" -eq 27 ] || [ "$valgrind" = 1 ] || fail "$n cost lines, expected 27"
grep '^{"kind":"cost",' "$j" | grep -v '"samples":5,' | grep -q . && fail "a cost line without 5 samples"
grep -q '^{"kind":"fork_slope","ms_per_gib":' "$j" || fail "no fork slope"
n=$(grep -c '^{"kind":"claim",' "$j")
[ "$n" -eq 7 ] || fail "$n claims, expected 7"
grep '^{"kind":"claim",' "$j" | grep -q '"verdict":""' && fail "a claim without a verdict"
v=$(field "$(grep '^{"kind":"claim","id":5,' "$j")" verdict)
[ "$valgrind" = 1 ] || [ "$v" = holds ] || fail "claim 5 (fork() is clone): verdict '$v'"

# Files: the CSV always, the plot when gnuplot drew it.
f=$(grep '^{"kind":"files"' "$j")
csv=$(field "$f" csv)
[ -s "$csv" ] || fail "no CSV at '$csv'"
[ "$(head -n 1 "$csv")" = "size_mib,rss_mib,method,label,samples,median_us,min_us,max_us" ] ||
	fail "CSV header"
if [ "$(field "$f" plot)" = drawn ]; then
	png=$(field "$f" png)
	[ -s "$png" ] && [ -s "$(field "$f" svg)" ] || fail "plot said drawn, files missing"
	head -c 4 "$png" | grep -q PNG || fail "$png is not a PNG"
elif command -v gnuplot >/dev/null 2>&1; then
	fail "gnuplot is installed but no plot: $(field "$f" message)"
fi

# The text: five sections, each once even though stdout is a file (stdio
# is flushed before every fork), 80 columns, the paths named at the end.
t=$work/tour.txt
run "$t" $tour --quick --out "$work/out2" --trials 2
[ "$rc" = 0 ] || fail "uthread-tour --quick exited with $rc"
tour_sections "$t" text
n=$(grep -c '^uthread-tour:' "$t")
[ "$n" = 1 ] || fail "text: the title was printed $n times"
grep -q "^variable written  *no  *[YESno]* *no  *no  *no  *YES  *YES$" "$t" ||
	fail "text: the variable row"
grep -q "spawncost.csv" "$t" || fail "text: the CSV path is not named"
narrow "$t"

run "$work/help" $tour --help
[ "$rc" = 0 ] && grep -q "^Exit status" "$work/help" || fail "--help"
run "$work/bad" $tour --bogus 2>/dev/null
[ "$rc" = 2 ] || fail "a bad option exited with $rc, not 2"
finish
