# SPDX-License-Identifier: MIT
# The cmocka test suite: 'make check'.  Each tests/<area>.mk adds its
# programs to TESTS_C; they all link libuthread and cmocka.
if ENABLE_TESTS
TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/tests
TEST_LDADD = libuthread.la $(CMOCKA_LIBS)
TESTS_C =
check_PROGRAMS =
check_LTLIBRARIES =
EXTRA_DIST += tests/testutil.h

include $(top_srcdir)/tests/lifecycle.mk
include $(top_srcdir)/tests/libc.mk
include $(top_srcdir)/tests/sync.mk
include $(top_srcdir)/tests/demos.mk
include $(top_srcdir)/tests/faults.mk
include $(top_srcdir)/tests/hardening.mk
include $(top_srcdir)/tests/valgrind.mk
include $(top_srcdir)/tests/gdb.mk
include $(top_srcdir)/tests/man.mk
include $(top_srcdir)/tests/bench.mk
include $(top_srcdir)/tests/urcu.mk
TESTS_C += tests/test_watchdog.sh
EXTRA_DIST += tests/test_watchdog.sh

TESTS = $(TESTS_C)
AM_TESTS_ENVIRONMENT = CMOCKA_MESSAGE_OUTPUT=stdout; export CMOCKA_MESSAGE_OUTPUT; \
	$(MAN_TESTS_ENVIRONMENT) $(HARDENING_TESTS_ENVIRONMENT)
endif

# Every test runs under tests/watchdog.sh: a test still running after
# TEST_TIMEOUT seconds (VALGRIND_TEST_TIMEOUT under valgrind) is reported
# as ERROR, with what its threads were doing, instead of hanging the run.
TEST_TIMEOUT = 300
VALGRIND_TEST_TIMEOUT = 900
WATCHDOG = $(SHELL) $(top_srcdir)/tests/watchdog.sh
LOG_COMPILER = $(WATCHDOG) $(TEST_TIMEOUT)
EXTRA_DIST += tests/watchdog.sh

# Shell tests run under the shell, never under valgrind (which would check
# the shell); the programs they start are checked by their own C tests.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(WATCHDOG) $(TEST_TIMEOUT) $(SHELL)

# ------------------------------------------------ make check-valgrind
# The same programs under memcheck, helgrind and DRD (run through libtool,
# so valgrind checks the real binaries, not libtool's wrapper scripts).
# Tests lower their iteration counts under valgrind; none skips a check,
# except that the liburcu tests skip under helgrind and DRD, which cannot
# see liburcu's grace periods (tests/test_urcu.c says more).
@VALGRIND_CHECK_RULES@
# As m4/ax_valgrind_check.m4 has it, with the watchdog in front of valgrind
# (libtool still swaps the test's wrapper script for the real binary).
VALGRIND_LOG_COMPILER = $(valgrind_lt) $(WATCHDOG) $(VALGRIND_TEST_TIMEOUT) \
	$(VALGRIND) $(VALGRIND_SUPPRESSIONS) --error-exitcode=1 $(VALGRIND_FLAGS)
VALGRIND_SUPPRESSIONS_FILES = $(top_srcdir)/tests/valgrind.supp
# --fair-sched=yes: valgrind runs one thread at a time, and its default
# lock lets threads that never sleep (the tests' busy workers) pass it
# among themselves for minutes while a joiner, woken by the kernel, waits
# to run (test_fork hung under memcheck and helgrind without it).
VALGRIND_FLAGS = --num-callers=30 --max-threads=1200 --child-silent-after-fork=yes \
	--fair-sched=yes
VALGRIND_memcheck_FLAGS = --leak-check=full --errors-for-leak-kinds=definite,possible \
	--show-leak-kinds=definite,possible
VALGRIND_helgrind_FLAGS = --history-level=approx
# DRD checks stack variables too: the tests share them between threads all
# the time.  It also makes DRD drop what it knows of a synchronisation
# object on a stack frame once the frame is gone; without it a flag
# annotated on the stack and a lock later built at the same address are
# one object of the wrong kind to DRD (valgrind 3.19's DRD ignores
# ANNOTATE_HAPPENS_BEFORE_FORGET_ALL).
VALGRIND_drd_FLAGS = --check-stack-var=yes
EXTRA_DIST += tests/valgrind.supp
