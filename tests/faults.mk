# SPDX-License-Identifier: MIT
# Fault injection: creation without address space, without a task, with
# huge stack and guard sizes; each fails cleanly and the library recovers.
TESTS_C += tests/test_faults
check_PROGRAMS += tests/test_faults
tests_test_faults_SOURCES = tests/test_faults.c tests/testutil.h
tests_test_faults_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_faults_LDADD = $(TEST_LDADD)
