# SPDX-License-Identifier: MIT
# The gdb helper (tools/uthread-gdb.py): `info uthreads` run by gdb in
# batch mode on tests/gdb_target, stopped at a breakpoint.  A shell test
# (see TEST_EXTENSIONS in tests/local.mk); it skips without gdb or ptrace.
check_PROGRAMS += tests/gdb_target
tests_gdb_target_SOURCES = tests/gdb_target.c
tests_gdb_target_LDADD = libuthread.la
TESTS_C += tests/test_gdb_helper.sh
EXTRA_DIST += tests/test_gdb_helper.sh
