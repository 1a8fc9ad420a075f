/* SPDX-License-Identifier: MIT */
/*
 * test_badinput_sync.c - the rows of the bad-input table (docs/bad-input.md)
 * for mutexes, condition variables, once, keys, read-write locks, barriers,
 * semaphores and spin locks that the primitives' own tests do not check:
 * uninitialised and destroyed objects, out-of-range values, wrong owners
 * and misuse.  Misuse that helgrind and DRD rightly report (releasing a
 * lock the caller does not hold, a thread ending with a lock held) is done
 * only outside valgrind, or simulated there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uthread.h>
#include "syncutil.h"

/* ------------------------------------------------------------------ */
/* Once                                                                 */
/* ------------------------------------------------------------------ */

static int once_runs;

static void count_once_run(void)
{
	once_runs++;
}

/*
 * A control holding a value uthread_once never stores was not initialised
 * with UTHREAD_ONCE_INIT.  It must be refused, not waited on for ever.
 * In a child: the broken library spins there until the alarm.
 */
static int once_with_foreign_values(void *arg)
{
	static const uthread_once_t bad[] = { 4, 7, 0xa5a5a5a5u, UINT_MAX };

	(void)arg;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uthread_once_t c = bad[i];

		SU_CHECK(uthread_once(&c, count_once_run) == EINVAL);
		SU_CHECK(c == bad[i]); /* untouched */
	}
	SU_CHECK(once_runs == 0);
	return 0;
}

static void once_with_a_control_it_never_stores_is_einval(void **state)
{
	(void)state;
	assert_int_equal(su_run_child(once_with_foreign_values, NULL, 2), 0);
}

/* ------------------------------------------------------------------ */
/* Read-write locks                                                     */
/* ------------------------------------------------------------------ */

/* POSIX: a try lock that cannot take the lock answers EBUSY, also when
 * the caller is the writer (EDEADLK is for the calls that would block). */
static void try_locks_by_the_write_holder_are_ebusy(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;

	(void)state;
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_tryrdlock(&rw), EBUSY);
	assert_int_equal(uthread_rwlock_trywrlock(&rw), EBUSY);
	/* Held exactly once, still by us. */
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(once_with_a_control_it_never_stores_is_einval),
		cmocka_unit_test(try_locks_by_the_write_holder_are_ebusy),
	};

	su_watchdog(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
