# SPDX-License-Identifier: MIT
# Valgrind sees the library exactly: memcheck, helgrind and DRD report
# nothing on a correct program and each bug seeded in the others
# (tests/test_valgrind_tools.sh has the table).
check_PROGRAMS += tests/valgrind/clean_sync tests/valgrind/seeded_race \
	tests/valgrind/seeded_lock_order tests/valgrind/seeded_use_after_free \
	tests/valgrind/seeded_leak
tests_valgrind_clean_sync_SOURCES = tests/valgrind/clean_sync.c
tests_valgrind_clean_sync_LDADD = libuthread.la
# -O0: the seeded bugs must survive the optimiser exactly as written.
tests_valgrind_seeded_race_SOURCES = tests/valgrind/seeded_race.c
tests_valgrind_seeded_race_CFLAGS = $(AM_CFLAGS) -O0
tests_valgrind_seeded_race_LDADD = libuthread.la
tests_valgrind_seeded_lock_order_SOURCES = tests/valgrind/seeded_lock_order.c
tests_valgrind_seeded_lock_order_CFLAGS = $(AM_CFLAGS) -O0
tests_valgrind_seeded_lock_order_LDADD = libuthread.la
tests_valgrind_seeded_use_after_free_SOURCES = tests/valgrind/seeded_use_after_free.c
tests_valgrind_seeded_use_after_free_CFLAGS = $(AM_CFLAGS) -O0
tests_valgrind_seeded_use_after_free_LDADD = libuthread.la
tests_valgrind_seeded_leak_SOURCES = tests/valgrind/seeded_leak.c
tests_valgrind_seeded_leak_CFLAGS = $(AM_CFLAGS) -O0
tests_valgrind_seeded_leak_LDADD = libuthread.la
TESTS_C += tests/test_valgrind_tools.sh
EXTRA_DIST += tests/test_valgrind_tools.sh
