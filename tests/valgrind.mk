# SPDX-License-Identifier: MIT
# helgrind and DRD see the library's synchronisation exactly: nothing on a
# correct program, the race in a seeded one (tests/test_valgrind_tools.sh).
check_PROGRAMS += tests/valgrind/clean_sync tests/valgrind/seeded_race
tests_valgrind_clean_sync_SOURCES = tests/valgrind/clean_sync.c
tests_valgrind_clean_sync_LDADD = libuthread.la
tests_valgrind_seeded_race_SOURCES = tests/valgrind/seeded_race.c
tests_valgrind_seeded_race_CFLAGS = $(AM_CFLAGS) -O0
tests_valgrind_seeded_race_LDADD = libuthread.la
TESTS_C += tests/test_valgrind_tools.sh
EXTRA_DIST += tests/test_valgrind_tools.sh
