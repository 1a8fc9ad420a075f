/* SPDX-License-Identifier: MIT */
/*
 * test_prioprotect.c - the priority-ceiling protocol (UTHREAD_PRIO_PROTECT):
 * attribute and mutex ceilings are set, read and range-checked; a
 * SCHED_OTHER caller cannot be raised to a ceiling and gets EINVAL, as
 * with glibc; a SCHED_FIFO thread runs at the ceiling while it holds such
 * a mutex (the highest of those it holds) and comes back down after the
 * last unlock; a caller above the ceiling gets EINVAL.  The SCHED_FIFO part
 * needs the privilege (CAP_SYS_NICE or RLIMIT_RTPRIO): without it it is
 * skipped.  The thread records, the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

static void init_pp(uthread_mutex_t *m, int type, int ceiling)
{
	uthread_mutexattr_t a;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, UTHREAD_PRIO_PROTECT), 0);
	if (ceiling)
		assert_int_equal(uthread_mutexattr_setprioceiling(&a, ceiling), 0);
	assert_int_equal(uthread_mutex_init(m, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

static void attr_ceiling_is_set_read_and_range_checked(void **state)
{
	uthread_mutexattr_t a, dead;
	int lo = sched_get_priority_min(SCHED_FIFO), hi = sched_get_priority_max(SCHED_FIFO);
	int v = -1;

	(void)state;
	assert_int_equal(UTHREAD_PRIO_PROTECT, PTHREAD_PRIO_PROTECT);
	memset(&dead, 0, sizeof dead);
	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_getprioceiling(&a, &v), 0);
	assert_int_equal(v, lo); /* never set: the lowest, as glibc */
	assert_int_equal(uthread_mutexattr_setprioceiling(&a, hi), 0);
	assert_int_equal(uthread_mutexattr_getprioceiling(&a, &v), 0);
	assert_int_equal(v, hi);
	assert_int_equal(uthread_mutexattr_setprioceiling(&a, lo - 1), EINVAL);
	assert_int_equal(uthread_mutexattr_setprioceiling(&a, hi + 1), EINVAL);
	assert_int_equal(uthread_mutexattr_setprioceiling(&a, -1), EINVAL);
	assert_int_equal(uthread_mutexattr_getprioceiling(&a, &v), 0);
	assert_int_equal(v, hi); /* kept */
	assert_int_equal(uthread_mutexattr_setprotocol(&a, UTHREAD_PRIO_PROTECT), 0);
	assert_int_equal(uthread_mutexattr_getprotocol(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PRIO_PROTECT);
	assert_int_equal(uthread_mutexattr_setprioceiling(NULL, lo), EINVAL);
	assert_int_equal(uthread_mutexattr_getprioceiling(NULL, &v), EINVAL);
	assert_int_equal(uthread_mutexattr_getprioceiling(&a, NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_setprioceiling(&dead, lo), EINVAL);
	assert_int_equal(uthread_mutexattr_getprioceiling(&dead, &v), EINVAL);
	/* Robust and priority protect do not mix. */
	assert_int_equal(uthread_mutexattr_setrobust(&a, UTHREAD_MUTEX_ROBUST), 0);
	uthread_mutex_t m;
	assert_int_equal(uthread_mutex_init(&m, &a), ENOTSUP);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

static void mutex_ceiling_is_read_changed_and_checked(void **state)
{
	uthread_mutex_t m, plain = UTHREAD_MUTEX_INITIALIZER;
	int v = -1, old = -1;

	(void)state;
	init_pp(&m, UTHREAD_MUTEX_NORMAL, 10);
	assert_int_equal(uthread_mutex_getprioceiling(&m, &v), 0);
	assert_int_equal(v, 10);
	/* No lock with the protocol: a SCHED_OTHER caller may change it. */
	assert_int_equal(uthread_mutex_setprioceiling(&m, 42, &old), 0);
	assert_int_equal(old, 10);
	assert_int_equal(uthread_mutex_getprioceiling(&m, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(uthread_mutex_setprioceiling(&m, 43, NULL), 0);
	assert_int_equal(uthread_mutex_setprioceiling(&m, 0, &old), EINVAL);
	assert_int_equal(uthread_mutex_setprioceiling(&m, sched_get_priority_max(SCHED_FIFO) + 1,
	                                              &old), EINVAL);
	assert_int_equal(uthread_mutex_getprioceiling(&m, &v), 0);
	assert_int_equal(v, 43);
	assert_int_equal(uthread_mutex_getprioceiling(&m, NULL), EINVAL);
	assert_int_equal(uthread_mutex_getprioceiling(NULL, &v), EINVAL);
	assert_int_equal(uthread_mutex_setprioceiling(NULL, 5, &old), EINVAL);
	/* Not a priority-protect mutex. */
	assert_int_equal(uthread_mutex_getprioceiling(&plain, &v), EINVAL);
	assert_int_equal(uthread_mutex_setprioceiling(&plain, 5, &old), EINVAL);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
	assert_int_equal(uthread_mutex_getprioceiling(&m, &v), EINVAL); /* destroyed */
}

/* A SCHED_OTHER thread's priority is 0: the kernel refuses the ceiling as
 * its priority, and the lock answers EINVAL (glibc does the same). */
static void a_sched_other_caller_gets_einval_and_nothing_is_locked(void **state)
{
	uthread_mutex_t m;

	(void)state;
	if (sched_getscheduler(0) != SCHED_OTHER)
		skip();
	init_pp(&m, UTHREAD_MUTEX_ERRORCHECK, 0);
	assert_int_equal(uthread_mutex_lock(&m), EINVAL);
	assert_int_equal(uthread_mutex_trylock(&m), EINVAL);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	assert_int_equal(uthread_mutex_destroy(&m), 0); /* not held */
}

/* What the SCHED_FIFO thread saw. */
struct fifo {
	int skipped;          /* no privilege for SCHED_FIFO */
	int lock_r, prio_in, policy_in;
	int nested_r, prio_nested, prio_after_inner, prio_after;
	int below_r, try_below_r;
	int relock_r, set_held_r;
};

static int my_prio(int *policy)
{
	struct sched_param p;

	*policy = sched_getscheduler(0);
	return sched_getparam(0, &p) ? -1 : p.sched_priority;
}

static void *fifo_body(void *arg)
{
	struct fifo *f = arg;
	struct sched_param p = { .sched_priority = 10 }, other = { .sched_priority = 0 };
	uthread_mutex_t *ms = (uthread_mutex_t *)(f + 1);
	int pol;

	if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) {
		f->skipped = 1;
		return NULL;
	}
	f->lock_r = uthread_mutex_lock(&ms[0]);              /* ceiling 20 */
	f->prio_in = my_prio(&f->policy_in);
	f->relock_r = uthread_mutex_lock(&ms[0]);             /* errorcheck */
	f->set_held_r = uthread_mutex_setprioceiling(&ms[0], 21, NULL);
	f->nested_r = uthread_mutex_lock(&ms[1]);             /* ceiling 30 */
	f->prio_nested = my_prio(&pol);
	(void)uthread_mutex_unlock(&ms[1]);
	f->prio_after_inner = my_prio(&pol);
	(void)uthread_mutex_unlock(&ms[0]);
	f->prio_after = my_prio(&pol);
	f->below_r = uthread_mutex_lock(&ms[2]);              /* ceiling 5 */
	f->try_below_r = uthread_mutex_trylock(&ms[2]);
	(void)sched_setscheduler(0, SCHED_OTHER, &other);
	return NULL;
}

static void a_fifo_thread_runs_at_the_ceiling_while_it_holds_the_mutex(void **state)
{
	struct {
		struct fifo f;
		uthread_mutex_t m[3];
	} s;
	uthread_t t;

	(void)state;
	memset(&s, 0, sizeof s);
	init_pp(&s.m[0], UTHREAD_MUTEX_ERRORCHECK, 20);
	init_pp(&s.m[1], UTHREAD_MUTEX_NORMAL, 30);
	init_pp(&s.m[2], UTHREAD_MUTEX_NORMAL, 5);
	assert_int_equal(uthread_create(&t, NULL, fifo_body, &s.f), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	if (s.f.skipped)
		skip(); /* no privilege for SCHED_FIFO here */
	assert_int_equal(s.f.lock_r, 0);
	assert_int_equal(s.f.policy_in, SCHED_FIFO);
	assert_int_equal(s.f.prio_in, 20);
	assert_int_equal(s.f.relock_r, EDEADLK);
	assert_int_equal(s.f.set_held_r, EDEADLK); /* errorcheck held: as glibc */
	assert_int_equal(s.f.nested_r, 0);
	assert_int_equal(s.f.prio_nested, 30);
	assert_int_equal(s.f.prio_after_inner, 30); /* down only with the last */
	assert_int_equal(s.f.prio_after, 10);
	assert_int_equal(s.f.below_r, EINVAL);
	assert_int_equal(s.f.try_below_r, EINVAL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(uthread_mutex_destroy(&s.m[i]), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attr_ceiling_is_set_read_and_range_checked),
		cmocka_unit_test(mutex_ceiling_is_read_changed_and_checked),
		cmocka_unit_test(a_sched_other_caller_gets_einval_and_nothing_is_locked),
		cmocka_unit_test(a_fifo_thread_runs_at_the_ceiling_while_it_holds_the_mutex),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
