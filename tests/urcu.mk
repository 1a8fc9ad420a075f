# SPDX-License-Identifier: MIT
# uthreads as liburcu reader threads (configure found liburcu).  One source,
# one program per flavour: each flavour is its own library, and its header
# maps the same generic names (rcu_read_lock, call_rcu, ...) onto its own
# symbols, so a program speaks to exactly one flavour.
if HAVE_URCU
URCU_TESTS = tests/test_urcu_memb tests/test_urcu_mb tests/test_urcu_qsbr
TESTS_C += $(URCU_TESTS)
check_PROGRAMS += $(URCU_TESTS)

tests_test_urcu_memb_SOURCES = tests/test_urcu.c tests/syncutil.h
tests_test_urcu_memb_CPPFLAGS = $(TEST_CPPFLAGS) $(URCU_MEMB_CFLAGS) -DURCU_FLAVOUR_MEMB
tests_test_urcu_memb_LDADD = $(TEST_LDADD) $(URCU_MEMB_LIBS)

tests_test_urcu_mb_SOURCES = tests/test_urcu.c tests/syncutil.h
tests_test_urcu_mb_CPPFLAGS = $(TEST_CPPFLAGS) $(URCU_MB_CFLAGS) -DURCU_FLAVOUR_MB
tests_test_urcu_mb_LDADD = $(TEST_LDADD) $(URCU_MB_LIBS)

tests_test_urcu_qsbr_SOURCES = tests/test_urcu.c tests/syncutil.h
tests_test_urcu_qsbr_CPPFLAGS = $(TEST_CPPFLAGS) $(URCU_QSBR_CFLAGS) -DURCU_FLAVOUR_QSBR
tests_test_urcu_qsbr_LDADD = $(TEST_LDADD) $(URCU_QSBR_LIBS)
endif
