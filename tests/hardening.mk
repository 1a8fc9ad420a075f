# SPDX-License-Identifier: MIT
# Hardening: stacks not executable, guard pages, the stack-protector canary
# and the pointer guard in every uthread.
TESTS_C += tests/test_hardening
check_PROGRAMS += tests/test_hardening
tests_test_hardening_SOURCES = tests/test_hardening.c tests/testutil.h
tests_test_hardening_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_hardening_LDADD = $(TEST_LDADD)

# A program whose PT_GNU_STACK asks for an executable stack: glibc makes its
# pthread stacks executable, uthread does not (yet), so this is an expected
# failure.  When the library follows PT_GNU_STACK it XPASSes: drop the
# XFAIL_TESTS line then.
TESTS_C += tests/test_execstack
check_PROGRAMS += tests/test_execstack
XFAIL_TESTS = tests/test_execstack
tests_test_execstack_SOURCES = tests/test_execstack.c tests/testutil.h
tests_test_execstack_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_execstack_LDFLAGS = -Wl,-z,execstack
tests_test_execstack_LDADD = $(TEST_LDADD)
