#!/bin/sh
# SPDX-License-Identifier: MIT
# The manual pages in man/, checked against the library that was built:
# - every uthread_* function the shared library exports has a page in
#   man/man3: a real page whose NAME and SYNOPSIS list it, or a one-line
#   ".so man3/<page>.3" link to one;
# - every real page has the sections of a pthread-style page, and an ERRORS
#   section that lists error numbers unless all its functions always
#   succeed;
# - groff reports nothing, neither typeset (groff -ww -z -man) nor as man
#   shows it in a terminal (-Tutf8);
# - every SYNOPSIS, as a reader sees it, compiles against include/uthread.h:
#   a prototype that drifts from the header fails here.
# - every page is listed in man/local.mk (so it is installed and shipped).
# Run from the build directory; srcdir, MAN_NM and MAN_CC come from
# AM_TESTS_ENVIRONMENT (tests/man.mk).  Without groff, the groff and SYNOPSIS
# checks are skipped with a message; the others still run.
srcdir=${srcdir:-.}
man=$srcdir/man
nm=${MAN_NM:-nm}
cc=${MAN_CC:-cc}

# Functions that cannot fail: a page documenting only these may say so
# instead of listing error numbers.
never_fail=" uthread_exit uthread_self uthread_equal uthread_yield uthread_getspecific uthread_testcancel uthread_cleanup_push uthread_cleanup_pop "

failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/test_man_pages.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT

[ -d "$man/man3" ] || { echo "FAIL: no directory $man/man3"; exit 1; }

# ---------------------------------------------------------------- helpers
# section PAGE NAME: the source lines of section NAME (.SH NAME) of PAGE.
section() {
	awk -v want="$2" '
		/^\.SH / { s = $0; sub(/^\.SH /, "", s); gsub(/"/, "", s); inside = (s == want); next }
		inside' "$1"
}

# names PAGE: the function names in PAGE's NAME section, one a line.
names() {
	section "$1" NAME | tr '\n' ' ' | sed 's/\\-.*//' | tr ', ' '\n\n' | grep .
}

# so_target FILE: the page a ".so" link names, or nothing for a real page.
so_target() {
	sed -n '1s/^\.so[ 	]*//p' "$1"
}

# ---------------------------------------------------------------- symbols
if [ -f .libs/libuthread.so ]; then
	syms=$($nm -D --defined-only .libs/libuthread.so | awk '$2 == "T" && $3 ~ /^uthread_/ { print $3 }' | sort -u)
elif [ -f .libs/libuthread.a ]; then
	syms=$($nm -g --defined-only .libs/libuthread.a | awk '$2 == "T" && $3 ~ /^uthread_/ { print $3 }' | sort -u)
else
	echo "FAIL: no .libs/libuthread.so or .libs/libuthread.a in $(pwd): build the library first"
	exit 1
fi
nsyms=$(echo "$syms" | grep -c .)
echo "exported uthread_* functions: $nsyms"
# A test that finds nothing to check must not pass.
[ "$nsyms" -ge 50 ] || fail "only $nsyms uthread_* symbols found with '$nm' (expected the whole API)"

for s in $syms; do
	page=$man/man3/$s.3
	if [ ! -f "$page" ]; then
		fail "$s is exported but has no page man/man3/$s.3"
		continue
	fi
	real=$page
	t=$(so_target "$page")
	if [ -n "$t" ]; then
		real=$man/$t
		[ -f "$real" ] || { fail "man3/$s.3 links to $t, which does not exist"; continue; }
		[ -z "$(so_target "$real")" ] || { fail "man3/$s.3 links to $t, itself a link"; continue; }
	fi
	names "$real" | grep -qx "$s" ||
		fail "$s: its page $(basename "$real") does not list it in NAME"
	section "$real" SYNOPSIS | grep -q "$s(" ||
		fail "$s: its page $(basename "$real") has no prototype of it in SYNOPSIS"
done

# ---------------------------------------------------------------- pages
have_groff=yes
command -v groff >/dev/null 2>&1 || have_groff=no
[ $have_groff = yes ] ||
	echo "SKIP: groff is not installed (Debian: groff-base): the groff and SYNOPSIS checks are not run"

npages=0
for page in "$man"/man3/*.3 "$man"/man7/*.7; do
	[ -f "$page" ] || continue
	p=${page#"$man"/}
	t=$(so_target "$page")
	if [ -n "$t" ]; then
		[ "$(wc -l <"$page")" -eq 1 ] || fail "$p: a .so link page must be one line"
		[ -f "$man/$t" ] || fail "$p: links to $t, which does not exist"
		continue
	fi
	npages=$((npages + 1))
	required="NAME SYNOPSIS DESCRIPTION EXAMPLES"
	case $p in man3/*) required="$required RETURN_VALUE ERRORS NOTES" ;; esac
	for sec in $required "SEE_ALSO"; do
		sec=$(echo "$sec" | tr _ ' ')
		grep -q "^\.SH \"\{0,1\}$sec\"\{0,1\}\$" "$page" || fail "$p: no $sec section"
	done
	case $p in
	man3/*)
		can_fail=no
		for n in $(names "$page"); do
			case $never_fail in *" $n "*) ;; *) can_fail=yes ;; esac
		done
		if [ $can_fail = yes ] && ! section "$page" ERRORS | grep -q '^\.B E[A-Z0-9]*$'; then
			fail "$p: its functions can fail but ERRORS lists no error number (.TP / .B Exxx)"
		fi
		;;
	esac

	[ $have_groff = yes ] || continue
	# -I: ".so man3/x.3" resolves from man/, as it does from the man
	# directory it is installed in.
	for dev in ps utf8; do
		out=$(groff -ww -z -man -T$dev -I "$man" "$page" 2>&1)
		[ -z "$out" ] || fail "$p: groff -ww -z -man -T$dev reports: $out"
	done
done
[ "$npages" -ge 30 ] || fail "only $npages real pages found in $man"
# A page not listed in man/local.mk is neither installed nor in the tarball.
for page in "$man"/man3/*.3 "$man"/man7/*.7; do
	[ -f "$page" ] || continue
	p=man/${page#"$man"/}
	grep -q "[ 	]$p\( \|\$\)" "$man/local.mk" || fail "$p is not listed in man/local.mk"
done
# Every .so link also goes through groff, so a broken link is reported.
if [ $have_groff = yes ]; then
	for page in "$man"/man3/*.3; do
		[ -n "$(so_target "$page")" ] || continue
		out=$(groff -ww -z -man -I "$man" "$page" 2>&1)
		[ -z "$out" ] || fail "${page#"$man"/}: groff reports: $out"
	done
fi

# ---------------------------------------------------------------- SYNOPSIS
# The SYNOPSIS as a reader sees it (groff's plain text), minus the include
# line and the link instructions, compiled after #include <uthread.h>: the
# header and the page must agree on every type.
if [ $have_groff = yes ]; then
	for page in "$man"/man3/*.3; do
		[ -z "$(so_target "$page")" ] || continue
		b=$(basename "$page" .3)
		c=$work/synopsis_$b.c
		{
			echo "#include <uthread.h>"
			# A name the header makes a macro (the cleanup
			# handlers) is declared here as the page shows it.
			for n in $(names "$page"); do echo "#undef $n"; done
			groff -man -Tascii -P-c -P-b -P-o -P-u "$page" 2>/dev/null |
				sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
				sed -e '1d' -e '/Link with/,$d' -e '/#include/d' \
				    -e 's/\[\[noreturn\]\][ ]*//'
		} >"$c"
		grep -q "(" "$c" || { fail "man3/$b.3: no prototype found in the rendered SYNOPSIS"; continue; }
		if ! out=$($cc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only -I"$srcdir/include" "$c" 2>&1); then
			fail "man3/$b.3: its SYNOPSIS does not compile against uthread.h:"
			echo "$out"
			sed 's/^/    | /' "$c"
		fi
	done
fi

if [ $failed = 0 ]; then
	echo "PASS: $nsyms functions, $npages pages"
fi
exit $failed
