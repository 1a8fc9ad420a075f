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

TESTS = $(TESTS_C)
# Tests must finish: a hang is a failure, not a stuck CI.
AM_TESTS_ENVIRONMENT = CMOCKA_MESSAGE_OUTPUT=stdout; export CMOCKA_MESSAGE_OUTPUT;
endif
