# SPDX-License-Identifier: MIT
# Thread lifecycle, attributes, bad input, memory and fork tests.
TESTS_C += tests/test_create tests/test_badinput tests/test_memory \
	tests/test_fork tests/test_main_exit tests/test_join \
	tests/test_atfork
check_PROGRAMS += tests/test_create tests/test_badinput tests/test_memory \
	tests/test_fork tests/test_main_exit tests/test_join \
	tests/test_atfork

tests_test_create_SOURCES = tests/test_create.c
tests_test_create_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_create_LDADD = $(TEST_LDADD)

tests_test_join_SOURCES = tests/test_join.c
tests_test_join_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_join_LDADD = $(TEST_LDADD)

tests_test_badinput_SOURCES = tests/test_badinput.c
tests_test_badinput_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_badinput_LDADD = $(TEST_LDADD)

tests_test_memory_SOURCES = tests/test_memory.c
tests_test_memory_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_memory_LDADD = $(TEST_LDADD)

# test_fork's helper library comes after libuthread, so it is initialised
# first and its fork handler runs inside libuthread's (see forkhook.c).
check_LTLIBRARIES += tests/libforkhook.la
tests_libforkhook_la_SOURCES = tests/forkhook.c tests/forkhook.h
tests_libforkhook_la_LDFLAGS = -rpath $(abs_builddir)/tests -avoid-version
tests_test_fork_SOURCES = tests/test_fork.c tests/forkhook.h
tests_test_fork_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_fork_LDADD = $(TEST_LDADD) tests/libforkhook.la

tests_test_main_exit_SOURCES = tests/test_main_exit.c
tests_test_main_exit_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_main_exit_LDADD = $(TEST_LDADD)

# The stack cache: caller stacks never cached, reuse, bound.
TESTS_C += tests/test_stack
check_PROGRAMS += tests/test_stack
tests_test_stack_SOURCES = tests/test_stack.c tests/testutil.h
tests_test_stack_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_stack_LDADD = $(TEST_LDADD)

# Signals aimed at one thread, and per-thread masks.
TESTS_C += tests/test_signal
check_PROGRAMS += tests/test_signal
tests_test_signal_SOURCES = tests/test_signal.c tests/testutil.h
tests_test_signal_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_signal_LDADD = $(TEST_LDADD)

# fork() during the library's first-time initialisation.
TESTS_C += tests/test_books
check_PROGRAMS += tests/test_books
tests_test_books_SOURCES = tests/test_books.c tests/testutil.h
tests_test_books_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DGSCOPE_PATH=\"$(abs_builddir)/tests/.libs/libgscope.so\"
tests_test_books_LDADD = $(TEST_LDADD)
# A library test_books dlopens (RTLD_GLOBAL) and dlcloses (tests/stress/local.mk).
EXTRA_tests_test_books_DEPENDENCIES = tests/libgscope.la

TESTS_C += tests/test_probe
check_PROGRAMS += tests/test_probe
tests_test_probe_SOURCES = tests/test_probe.c tests/testutil.h
tests_test_probe_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_probe_LDADD = $(TEST_LDADD)

TESTS_C += tests/test_fork_init
check_PROGRAMS += tests/test_fork_init
tests_test_fork_init_SOURCES = tests/test_fork_init.c tests/testutil.h
tests_test_fork_init_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_fork_init_LDADD = $(TEST_LDADD)

# Cancellation and the cleanup handlers.  Two of its start routines are
# built without unwind tables, in a convenience library of their own.
TESTS_C += tests/test_cancel
check_PROGRAMS += tests/test_cancel
check_LTLIBRARIES += tests/libnounwind.la
tests_libnounwind_la_SOURCES = tests/cancel_nounwind.c tests/cancel_nounwind.h
tests_libnounwind_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests
tests_libnounwind_la_CFLAGS = $(AM_CFLAGS) -fno-asynchronous-unwind-tables -fno-unwind-tables
tests_test_cancel_SOURCES = tests/test_cancel.c tests/testutil.h
tests_test_cancel_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_cancel_LDADD = $(TEST_LDADD) tests/libnounwind.la

tests_test_atfork_SOURCES = tests/test_atfork.c tests/syncutil.h
tests_test_atfork_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_atfork_LDADD = $(TEST_LDADD)

# Scheduling, affinity and signal-mask attributes; a thread's actual ones.
TESTS_C += tests/test_sched
check_PROGRAMS += tests/test_sched
tests_test_sched_SOURCES = tests/test_sched.c tests/testutil.h
tests_test_sched_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_sched_LDADD = $(TEST_LDADD)
