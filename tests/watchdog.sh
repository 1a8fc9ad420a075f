#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/watchdog.sh SECONDS PROGRAM [ARG...]
#
# Runs one test (natively, or under valgrind) and gives it SECONDS of wall
# time.  A test still running then is a hang as far as 'make check' and CI
# are concerned: the watchdog prints what each of the test's threads is
# doing (state, kernel wait channel, system call; a futex wait is system
# call 202 on x86-64) and the test's last lines stay in its .log, then it
# kills the test's whole process group and exits 99, which automake's
# harness reports as ERROR.  Otherwise it exits with the test's status.
# Stopped by SIGINT, SIGTERM, SIGHUP or SIGQUIT, it lists the threads the
# same way, kills the group and exits 130.
set -u
if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS PROGRAM [ARG...]" >&2
	exit 99
fi
limit=$1
shift
# UTHREAD_TEST_DEADLINE (seconds since the epoch, as date +%s prints): no
# test runs past it, whatever its own limit; CI sets it per stage so that a
# hang ends the stage with every log kept and the harness's report intact.
if [ -n "${UTHREAD_TEST_DEADLINE:-}" ]; then
	left=$((UTHREAD_TEST_DEADLINE - $(date +%s)))
	[ "$left" -lt 1 ] && left=1
	[ "$left" -lt "$limit" ] && limit=$left
fi

# What each thread of the test's processes is doing, on stderr (the log).
threads() {
	for proc in $(pgrep -g "$pid" 2>/dev/null || echo "$pid"); do
		for task in /proc/"$proc"/task/*; do
			[ -r "$task/stat" ] || continue
			# state is the field after "(comm)"; wchan and syscall as the kernel gives them
			state=$(sed 's/.*) //' "$task/stat" | cut -d' ' -f1)
			echo "  pid $proc tid ${task##*/} state $state wchan $(cat "$task/wchan" 2>/dev/null)" \
				"syscall $(cut -d' ' -f1 "$task/syscall" 2>/dev/null)" >&2
		done
	done
}

# The test runs in a session (and process group) of its own, so its forks
# die with it.  setsid does not fork here: a background job of this shell
# is not a group leader, so $! is the test's pid and its group's id.  The
# shell starts background jobs with SIGINT and SIGQUIT ignored; env gives
# the test their default actions back.
expired=$(mktemp "${TMPDIR:-/tmp}/uthread-watchdog.XXXXXX")
setsid env --default-signal=INT,QUIT "$@" &
pid=$!
# Stopped from outside (Ctrl-C, or kill): say what the test was doing,
# then end it.
# The watcher goes too, before we do (it would otherwise linger up to a
# second).
trap 'echo "watchdog: stopped from outside; the test'"'"'s threads:" >&2; threads;
	pkill -KILL -g "$pid";
	[ -n "${watcher:-}" ] && { kill "$watcher" 2>/dev/null; wait "$watcher"; };
	rm -f "$expired"; exit 130' INT TERM HUP QUIT

(
	trap - INT TERM HUP QUIT
	waited=0
	while [ "$waited" -lt "$limit" ]; do
		sleep 1
		kill -0 "$pid" 2>/dev/null || exit 0
		waited=$((waited + 1))
	done
	echo "watchdog: '$*' still running after $limit s; its processes' threads:" >&2
	threads
	echo expired >"$expired"
	pkill -KILL -g "$pid"
	exit 0 # not pkill as the last command: the shell would exec it
) &
watcher=$!

wait "$pid"
status=$?
if [ -s "$expired" ]; then
	# The watcher killed the test: let it finish killing the test's group.
	wait "$watcher"
	pkill -KILL -g "$pid"
	rm -f "$expired"
	echo "watchdog: killed after $limit s (a hang, or a machine far slower than expected)" >&2
	exit 99
fi
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
# Whatever the test forked and left running goes with it.
pkill -KILL -g "$pid" 2>/dev/null
rm -f "$expired"
exit "$status"
