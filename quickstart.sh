#!/bin/sh
# SPDX-License-Identifier: MIT
# quickstart.sh - on Debian 12, 13 or unstable: install the Debian packages uthread needs
# (only those missing), then autogen, configure, build, and run the main demo
# (uthread-tour --quick, a few seconds; it names the plot it wrote).
# Run from anywhere as root or as a user with sudo.  Options:
#   --no-demo    build only
#   -h, --help   this text
set -eu
cd "$(dirname "$0")"

demo=yes
for arg in "$@"; do
	case "$arg" in
	--no-demo) demo=no ;;
	-h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "quickstart.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
	esac
done

# build-essential brings gcc, g++ and make; valgrind also brings the client
# request headers the library's annotations use; gnuplot-nox draws the
# demo's plot; gdb runs the gdb helper's test (tools/uthread-gdb.py);
# groff-base lets 'make check' check the manual pages and man-db shows them
# (man -l); liburcu-dev is for the RCU tests and demo (configure skips them
# without it); procps gives tests/watchdog.sh pgrep and pkill.
packages="build-essential autoconf automake libtool pkg-config libcmocka-dev valgrind gnuplot-nox gdb groff-base man-db liburcu-dev procps"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "quickstart: installing$missing"
	if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
	# A snapshot archive (Debian unstable's, say) keeps serving a
	# Release file past its Valid-Until date, and apt refuses it.
	log=$(mktemp)
	if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 ||
		grep -q 'is expired' "$log"; then
		if grep -q 'is expired' "$log"; then
			echo "quickstart: the archive's Release file has expired; updating without the Valid-Until check"
			$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
				-o Acquire::Check-Valid-Until=false
		else
			cat "$log" >&2
			rm -f "$log"
			exit 1
		fi
	fi
	rm -f "$log"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

./autogen.sh >/dev/null 2>&1 || ./autogen.sh
./configure --quiet ${UTHREAD_CONFIGURE_FLAGS:-}
make -j"$(nproc)" >/dev/null
echo "quickstart: built libuthread in $(pwd)/.libs"
if [ "$demo" = yes ]; then
	./demos/uthread-tour --quick
fi
