# SPDX-License-Identifier: MIT
# Synchronisation primitives: mutex, cond, once, keys, rwlock, barrier, sem, spin.
SYNC_TESTS = tests/test_mutex tests/test_cond tests/test_once tests/test_key \
	tests/test_rwlock tests/test_barrier tests/test_sem tests/test_spin \
	tests/test_robust tests/test_namedsem tests/test_clockwait
TESTS_C += $(SYNC_TESTS)
check_PROGRAMS += $(SYNC_TESTS)
EXTRA_DIST += tests/syncutil.h

tests_test_mutex_SOURCES = tests/test_mutex.c tests/syncutil.h
tests_test_mutex_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_mutex_LDADD = $(TEST_LDADD)

tests_test_cond_SOURCES = tests/test_cond.c tests/syncutil.h
tests_test_cond_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_cond_LDADD = $(TEST_LDADD)

tests_test_once_SOURCES = tests/test_once.c tests/syncutil.h
tests_test_once_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_once_LDADD = $(TEST_LDADD)

tests_test_key_SOURCES = tests/test_key.c tests/syncutil.h
tests_test_key_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_key_LDADD = $(TEST_LDADD)

tests_test_rwlock_SOURCES = tests/test_rwlock.c tests/syncutil.h
tests_test_rwlock_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_rwlock_LDADD = $(TEST_LDADD)

tests_test_barrier_SOURCES = tests/test_barrier.c tests/syncutil.h
tests_test_barrier_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_barrier_LDADD = $(TEST_LDADD)

tests_test_sem_SOURCES = tests/test_sem.c tests/syncutil.h
tests_test_sem_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_sem_LDADD = $(TEST_LDADD)
tests_test_namedsem_SOURCES = tests/test_namedsem.c tests/syncutil.h
tests_test_namedsem_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_namedsem_LDADD = $(TEST_LDADD)

tests_test_spin_SOURCES = tests/test_spin.c tests/syncutil.h
tests_test_spin_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_spin_LDADD = $(TEST_LDADD)

# The bad-input table's synchronisation rows (docs/bad-input.md).
TESTS_C += tests/test_badinput_sync
check_PROGRAMS += tests/test_badinput_sync
tests_test_badinput_sync_SOURCES = tests/test_badinput_sync.c tests/syncutil.h
tests_test_badinput_sync_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_badinput_sync_LDADD = $(TEST_LDADD)

tests_test_robust_SOURCES = tests/test_robust.c tests/syncutil.h
tests_test_robust_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_robust_LDADD = $(TEST_LDADD)

tests_test_clockwait_SOURCES = tests/test_clockwait.c tests/syncutil.h
tests_test_clockwait_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_clockwait_LDADD = $(TEST_LDADD)

# Process-shared objects across fork (MAP_SHARED memory).
TESTS_C += tests/test_pshared
check_PROGRAMS += tests/test_pshared
tests_test_pshared_SOURCES = tests/test_pshared.c tests/syncutil.h
tests_test_pshared_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_pshared_LDADD = $(TEST_LDADD)

# The rwlock attribute kind (reader or writer preference).
TESTS_C += tests/test_rwlock_kind
check_PROGRAMS += tests/test_rwlock_kind
tests_test_rwlock_kind_SOURCES = tests/test_rwlock_kind.c tests/syncutil.h
tests_test_rwlock_kind_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_rwlock_kind_LDADD = $(TEST_LDADD)

# The priority-ceiling protocol (UTHREAD_PRIO_PROTECT).
TESTS_C += tests/test_prioprotect
check_PROGRAMS += tests/test_prioprotect
tests_test_prioprotect_SOURCES = tests/test_prioprotect.c tests/syncutil.h
tests_test_prioprotect_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_prioprotect_LDADD = $(TEST_LDADD)
