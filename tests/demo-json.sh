# SPDX-License-Identifier: MIT
# demo-json.sh - sourced by tests/test_demo_*.sh.  Runs a demo from the
# build tree with a time limit, picks fields out of its JSON lines, and
# counts failures.  The demos print one flat JSON object per line, so a
# field is one sed expression away.

failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/test_demo.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

fail() {
	echo "FAIL: $*"
	failed=1
}

# run OUTFILE PROGRAM ARGS...: run with a time limit, stdout to OUTFILE,
# stderr shown; sets $rc.
run() {
	out=$1
	shift
	echo "+ $*"
	if command -v timeout >/dev/null 2>&1; then
		timeout 120 "$@" >"$out"
	else
		"$@" >"$out"
	fi
	rc=$?
}

# line FILE KIND KEY VALUE: the first line of kind KIND whose KEY is the
# string VALUE.
line() {
	grep "^{\"kind\":\"$2\"" "$1" | grep -F "\"$3\":\"$4\"" | head -n 1
}

# field LINE KEY: the value of KEY in LINE (a string without quotes, or a
# number).
field() {
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

# expect LINE KEY VALUE WHAT: KEY in LINE must be VALUE.
expect() {
	got=$(field "$1" "$2")
	[ "$got" = "$3" ] || fail "$4: $2 is '$got', expected '$3'"
}

# tour_sections FILE WHAT: uthread-tour's five sections are each in FILE
# once.
tour_sections() {
	for s in "1. What the child shares" "2. What each one costs" "3. Which system call" \
		"4. The popular claims" "5. Files"; do
		n=$(grep -c "^$s" "$1")
		[ "$n" = 1 ] || fail "$2: section '$s' printed $n times"
	done
}

# valid_jsonl FILE: every line is one object {"kind":...}.
valid_jsonl() {
	[ -s "$1" ] || { fail "$1: no output"; return; }
	bad=$(grep -cv '^{"kind":"[a-z_]*".*}$' "$1")
	[ "$bad" = 0 ] || fail "$1: $bad lines are not JSON objects with a kind"
}

# narrow FILE: no line wider than 79 columns (an 80-column terminal).
narrow() {
	wide=$(awk 'length > 79' "$1" | head -n 3)
	[ -z "$wide" ] || fail "$1: lines wider than 79 columns: $wide"
}

finish() {
	if [ "$failed" = 0 ]; then
		echo "PASS"
		exit 0
	fi
	exit 1
}
