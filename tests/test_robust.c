/* SPDX-License-Identifier: MIT */
/*
 * test_robust.c - robust mutexes: an owner that ends holding one hands the
 * next locker EOWNERDEAD (also a locker already asleep, a detached owner,
 * a condition-variable waiter); consistent makes it usable again, an
 * unlock without it makes it ENOTRECOVERABLE; the types keep their checks;
 * uthread's mutexes share the kernel's list with glibc's robust mutexes in
 * a uthread and in a pthread; contended counts stay exact.  Threads never
 * call cmocka: they record what they saw and the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

/*
 * helgrind and DRD have no notion of a lock whose owner died: they report
 * the death (a thread exiting with a lock held) and then every unlock by
 * the thread that took the lock over.  Under them the tests of an owner's
 * death are skipped; memcheck and native runs do them all.
 */
#define SKIP_UNDER_A_THREAD_CHECKER() \
	do { \
		if (tu_on_thread_checker()) \
			skip(); \
	} while (0)

static void robust_init(uthread_mutex_t *m, int type)
{
	uthread_mutexattr_t a;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(uthread_mutexattr_setrobust(&a, UTHREAD_MUTEX_ROBUST), 0);
	assert_int_equal(uthread_mutex_init(m, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

/* Thread body: lock m and end holding it; returns the lock's answer. */
static void *lock_and_end(void *arg)
{
	return (void *)(intptr_t)uthread_mutex_lock(arg);
}

/* A uthread locks m and ends holding it; joined when this returns. */
static void die_holding(uthread_mutex_t *m)
{
	uthread_t t;
	void *r = (void *)-1;

	assert_int_equal(uthread_create(&t, NULL, lock_and_end, m), 0);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_int_equal((intptr_t)r, 0);
}

/* ------------------------------------------------------------------ */

static void attr_robustness_is_set_read_and_checked(void **state)
{
	uthread_mutexattr_t a;
	int v = -1;

	(void)state;
	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_getrobust(&a, &v), 0);
	assert_int_equal(v, UTHREAD_MUTEX_STALLED);
	assert_int_equal(uthread_mutexattr_setrobust(&a, UTHREAD_MUTEX_ROBUST), 0);
	assert_int_equal(uthread_mutexattr_getrobust(&a, &v), 0);
	assert_int_equal(v, UTHREAD_MUTEX_ROBUST);
	assert_int_equal(uthread_mutexattr_setrobust(&a, 2), EINVAL);
	assert_int_equal(uthread_mutexattr_setrobust(&a, -1), EINVAL);
	assert_int_equal(uthread_mutexattr_setrobust(NULL, UTHREAD_MUTEX_ROBUST), EINVAL);
	assert_int_equal(uthread_mutexattr_getrobust(&a, NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_getrobust(NULL, &v), EINVAL);
	/* Robust with priority inheritance is not offered. */
	uthread_mutex_t m;
	assert_int_equal(uthread_mutexattr_setprotocol(&a, UTHREAD_PRIO_INHERIT), 0);
	assert_int_equal(uthread_mutex_init(&m, &a), ENOTSUP);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
	assert_int_equal(uthread_mutexattr_setrobust(&a, UTHREAD_MUTEX_ROBUST), EINVAL);
	assert_int_equal(uthread_mutexattr_getrobust(&a, &v), EINVAL);
}

static void an_owner_that_ends_holding_it_gives_eownerdead_and_consistent_recovers_it(void **state)
{
	static const int types[] = { UTHREAD_MUTEX_NORMAL, UTHREAD_MUTEX_ERRORCHECK,
	                             UTHREAD_MUTEX_RECURSIVE };

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	for (unsigned i = 0; i < sizeof types / sizeof types[0]; i++) {
		uthread_mutex_t m;
		robust_init(&m, types[i]);
		die_holding(&m);
		assert_int_equal(uthread_mutex_destroy(&m), EBUSY); /* still held */
		assert_int_equal(uthread_mutex_lock(&m), EOWNERDEAD);
		assert_int_equal(uthread_mutex_consistent(&m), 0);
		assert_int_equal(uthread_mutex_consistent(&m), EINVAL); /* once */
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_mutex_lock(&m), 0);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		/* And again: the state resets each time. */
		die_holding(&m);
		assert_int_equal(uthread_mutex_trylock(&m), EOWNERDEAD);
		assert_int_equal(uthread_mutex_consistent(&m), 0);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void unlocking_without_consistent_makes_it_not_recoverable(void **state)
{
	uthread_mutex_t m;
	struct timespec ts;

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	robust_init(&m, UTHREAD_MUTEX_NORMAL);
	die_holding(&m);
	assert_int_equal(uthread_mutex_lock(&m), EOWNERDEAD);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_lock(&m), ENOTRECOVERABLE);
	assert_int_equal(uthread_mutex_trylock(&m), ENOTRECOVERABLE);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	assert_int_equal(uthread_mutex_timedlock(&m, &ts), ENOTRECOVERABLE);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM); /* nobody holds it */
	assert_int_equal(uthread_mutex_consistent(&m), EINVAL);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

/* An owner that holds m until told to end (without unlocking). */
struct holder {
	uthread_mutex_t *m;
	int locked, go;
	int unlock;             /* 1: unlock before ending */
};

static void *hold_until_told(void *arg)
{
	struct holder *h = arg;

	if (uthread_mutex_lock(h->m))
		return (void *)1;
	tu_set(&h->locked, 1);
	tu_wait(&h->go, 1, -1);
	if (h->unlock && uthread_mutex_unlock(h->m))
		return (void *)2;
	return NULL; /* else ends holding m */
}

struct locker {
	uthread_mutex_t *m;
	int r;
	int done;
	int careless;           /* 1: after EOWNERDEAD, unlock without consistent */
};

static void *lock_consistent_unlock(void *arg)
{
	struct locker *l = arg;

	l->r = uthread_mutex_lock(l->m);
	if (l->r == EOWNERDEAD && l->careless) {
		if (uthread_mutex_unlock(l->m) == 0)
			l->r = -ENOTRECOVERABLE; /* what it leaves behind */
	} else if (l->r == EOWNERDEAD && uthread_mutex_consistent(l->m) == 0 &&
	           uthread_mutex_unlock(l->m) == 0) {
		l->r = -EOWNERDEAD; /* all three went as they should */
	} else if (l->r == 0) {
		uthread_mutex_unlock(l->m);
	}
	tu_set(&l->done, 1);
	return NULL;
}

/* Wait until thread t sleeps in the kernel on m, marked as waited for. */
static int sleeps_on(uthread_t t, uthread_mutex_t *m)
{
	long long end = tu_deadline_ms(5000);

	while (tu_now_ms() < end) {
		if (su_wait_futex_sleep(su_tid(t), 100) &&
		    (__atomic_load_n(&m->__lock, __ATOMIC_RELAXED) & FUTEX_WAITERS))
			return 1;
	}
	return 0;
}

static void a_sleeping_locker_is_woken_with_eownerdead_when_the_owner_ends(void **state)
{
	uthread_mutex_t m;
	struct holder h = { &m, 0, 0, 0 };
	struct locker l = { &m, -1, 0, 0 };
	uthread_t ht, lt;

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	robust_init(&m, UTHREAD_MUTEX_ERRORCHECK);
	assert_int_equal(uthread_create(&ht, NULL, hold_until_told, &h), 0);
	assert_true(tu_wait(&h.locked, 1, 5000));
	assert_int_equal(uthread_create(&lt, NULL, lock_consistent_unlock, &l), 0);
	assert_true(sleeps_on(lt, &m));
	assert_int_equal(tu_get(&l.done), 0);
	tu_set(&h.go, 1);
	assert_int_equal(uthread_join(ht, NULL), 0);
	assert_int_equal(uthread_join(lt, NULL), 0);
	assert_int_equal(l.r, -EOWNERDEAD);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

/*
 * Two lockers asleep when the owner ends: the kernel wakes one, which gets
 * EOWNERDEAD; FUTEX_WAITERS survives the death, so its unlock wakes the
 * other (normal path: 0).  With careless set, the first unlocks without
 * consistent, and the other is woken to be told ENOTRECOVERABLE.
 */
static void two_sleepers_at_an_owner_death(int careless)
{
	uthread_mutex_t m;
	struct holder h = { &m, 0, 0, 0 };
	struct locker l[2] = { { &m, -1, 0, careless }, { &m, -1, 0, careless } };
	uthread_t ht, lt[2];

	robust_init(&m, UTHREAD_MUTEX_NORMAL);
	assert_int_equal(uthread_create(&ht, NULL, hold_until_told, &h), 0);
	assert_true(tu_wait(&h.locked, 1, 5000));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(uthread_create(&lt[i], NULL, lock_consistent_unlock, &l[i]), 0);
		assert_true(sleeps_on(lt[i], &m));
	}
	tu_set(&h.go, 1);
	assert_int_equal(uthread_join(ht, NULL), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(uthread_join(lt[i], NULL), 0);
	/* Either may be the one the kernel woke. */
	int first = l[0].r == (careless ? -ENOTRECOVERABLE : -EOWNERDEAD) ? 0 : 1;
	assert_int_equal(l[first].r, careless ? -ENOTRECOVERABLE : -EOWNERDEAD);
	assert_int_equal(l[1 - first].r, careless ? ENOTRECOVERABLE : 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void two_sleepers_at_an_owner_death_are_both_served(void **state)
{
	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	two_sleepers_at_an_owner_death(0);
}

static void sleepers_are_told_when_the_mutex_becomes_not_recoverable(void **state)
{
	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	two_sleepers_at_an_owner_death(1);
}

static void a_detached_owner_that_ends_holding_it_gives_eownerdead(void **state)
{
	uthread_mutex_t m;
	struct holder h = { &m, 0, 0, 0 };
	uthread_attr_t a;
	uthread_t t;
	int r = -1;

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	robust_init(&m, UTHREAD_MUTEX_NORMAL);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_create(&t, &a, hold_until_told, &h), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_true(tu_wait(&h.locked, 1, 5000));
	tu_set(&h.go, 1);
	/* No join: the kernel marks m when the thread ends, and wakes us. */
	r = uthread_mutex_lock(&m);
	assert_int_equal(r, EOWNERDEAD);
	assert_int_equal(uthread_mutex_consistent(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void the_types_keep_their_checks(void **state)
{
	uthread_mutex_t n, e, r;
	struct holder h = { &e, 0, 0, 1 };
	uthread_t t;
	void *hr = (void *)-1;

	(void)state;
	robust_init(&n, UTHREAD_MUTEX_NORMAL);
	robust_init(&e, UTHREAD_MUTEX_ERRORCHECK);
	robust_init(&r, UTHREAD_MUTEX_RECURSIVE);
	/* The word names the owner, but a normal one deadlocks on a relock
	 * all the same (POSIX, glibc): the timed lock waits until the end. */
	assert_int_equal(uthread_mutex_lock(&n), 0);
	{
		struct timespec ts = su_deadline(CLOCK_REALTIME, 20);

		assert_int_equal(uthread_mutex_timedlock(&n, &ts), ETIMEDOUT);
	}
	assert_int_equal(uthread_mutex_trylock(&n), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&n), 0);
	assert_int_equal(uthread_mutex_unlock(&n), EPERM);
	assert_int_equal(uthread_mutex_lock(&e), 0);
	assert_int_equal(uthread_mutex_lock(&e), EDEADLK);
	assert_int_equal(uthread_mutex_unlock(&e), 0);
	assert_int_equal(uthread_mutex_unlock(&e), EPERM);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(uthread_mutex_lock(&r), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(uthread_mutex_unlock(&r), 0);
	assert_int_equal(uthread_mutex_unlock(&r), EPERM);
	/* Held by another thread: EPERM to unlock, EBUSY to try, and a
	 * timed lock times out; consistent is not ours to call. */
	assert_int_equal(uthread_create(&t, NULL, hold_until_told, &h), 0);
	assert_true(tu_wait(&h.locked, 1, 5000));
	assert_int_equal(uthread_mutex_unlock(&e), EPERM);
	assert_int_equal(uthread_mutex_trylock(&e), EBUSY);
	assert_int_equal(uthread_mutex_consistent(&e), EINVAL);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	assert_int_equal(uthread_mutex_timedlock(&e, &ts), ETIMEDOUT);
	tu_set(&h.go, 1);
	assert_int_equal(uthread_join(t, &hr), 0);
	assert_null(hr); /* it unlocked */
	assert_int_equal(uthread_mutex_lock(&e), 0);
	assert_int_equal(uthread_mutex_unlock(&e), 0);
	/* consistent on a mutex that is not robust, or not owner-dead. */
	uthread_mutex_t plain = UTHREAD_MUTEX_INITIALIZER;
	assert_int_equal(uthread_mutex_lock(&plain), 0);
	assert_int_equal(uthread_mutex_consistent(&plain), EINVAL);
	assert_int_equal(uthread_mutex_unlock(&plain), 0);
	assert_int_equal(uthread_mutex_lock(&n), 0);
	assert_int_equal(uthread_mutex_consistent(&n), EINVAL);
	assert_int_equal(uthread_mutex_unlock(&n), 0);
	assert_int_equal(uthread_mutex_consistent(NULL), EINVAL);
	assert_int_equal(uthread_mutex_destroy(&n), 0);
	assert_int_equal(uthread_mutex_destroy(&e), 0);
	assert_int_equal(uthread_mutex_destroy(&r), 0);
}

/* ------------------------------------------------------------------ */
/* One list with glibc's robust mutexes                                 */
/* ------------------------------------------------------------------ */

struct both {
	uthread_mutex_t *um[2];
	pthread_mutex_t *pm[3]; /* pm[2]: priority inheritance (bit 0 on the list) */
	int r;
};

/* Interleaved on the list: glibc, uthread, glibc, uthread.  Then one of
 * each leaves from the middle of the list and comes back on top, and the
 * thread ends holding all four. */
static int lock_both_kinds(struct both *b)
{
	if (pthread_mutex_lock(b->pm[0]) || uthread_mutex_lock(b->um[0]) ||
	    pthread_mutex_lock(b->pm[2]) ||
	    pthread_mutex_lock(b->pm[1]) || uthread_mutex_lock(b->um[1]))
		return 1;
	/* um[0]'s neighbours are a plain glibc entry and a PI one. */
	if (uthread_mutex_unlock(b->um[0]) || pthread_mutex_unlock(b->pm[1]) ||
	    uthread_mutex_lock(b->um[0]) || pthread_mutex_lock(b->pm[1]))
		return 2;
	return 0;
}

static void *both_in_a_uthread(void *arg)
{
	struct both *b = arg;

	b->r = lock_both_kinds(b);
	return NULL;
}

static void *both_in_a_pthread(void *arg)
{
	struct both *b = arg;

	b->r = lock_both_kinds(b);
	return NULL;
}

static void glibc_robust_mutexes_and_ours_share_the_list(int in_pthread)
{
	SKIP_UNDER_A_THREAD_CHECKER();
	uthread_mutex_t um[2];
	pthread_mutex_t pm[3];
	pthread_mutexattr_t pa;
	struct both b = { { &um[0], &um[1] }, { &pm[0], &pm[1], &pm[2] }, -1 };

	robust_init(&um[0], UTHREAD_MUTEX_NORMAL);
	robust_init(&um[1], UTHREAD_MUTEX_ERRORCHECK);
	assert_int_equal(pthread_mutexattr_init(&pa), 0);
	assert_int_equal(pthread_mutexattr_setrobust(&pa, PTHREAD_MUTEX_ROBUST), 0);
	assert_int_equal(pthread_mutex_init(&pm[0], &pa), 0);
	assert_int_equal(pthread_mutex_init(&pm[1], &pa), 0);
	assert_int_equal(pthread_mutexattr_setprotocol(&pa, PTHREAD_PRIO_INHERIT), 0);
	assert_int_equal(pthread_mutex_init(&pm[2], &pa), 0);
	assert_int_equal(pthread_mutexattr_destroy(&pa), 0);
	if (in_pthread) {
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, both_in_a_pthread, &b), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
	} else {
		uthread_t t;
		assert_int_equal(uthread_create(&t, NULL, both_in_a_uthread, &b), 0);
		assert_int_equal(uthread_join(t, NULL), 0);
	}
	assert_int_equal(b.r, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(uthread_mutex_lock(&um[i]), EOWNERDEAD);
		assert_int_equal(pthread_mutex_lock(&pm[i]), EOWNERDEAD);
		assert_int_equal(uthread_mutex_consistent(&um[i]), 0);
		assert_int_equal(pthread_mutex_consistent(&pm[i]), 0);
	}
	assert_int_equal(pthread_mutex_lock(&pm[2]), EOWNERDEAD);
	assert_int_equal(pthread_mutex_consistent(&pm[2]), 0);
	assert_int_equal(pthread_mutex_unlock(&pm[2]), 0);
	assert_int_equal(pthread_mutex_destroy(&pm[2]), 0);
	/* Unlocked in another order than locked: the list stays sound. */
	for (int i = 1; i >= 0; i--) {
		assert_int_equal(uthread_mutex_unlock(&um[i]), 0);
		assert_int_equal(pthread_mutex_unlock(&pm[i]), 0);
		assert_int_equal(uthread_mutex_destroy(&um[i]), 0);
		assert_int_equal(pthread_mutex_destroy(&pm[i]), 0);
	}
}

static void a_uthread_holding_glibc_and_uthread_robust_mutexes_ends(void **state)
{
	(void)state;
	glibc_robust_mutexes_and_ours_share_the_list(0);
}

static void a_pthread_holding_glibc_and_uthread_robust_mutexes_ends(void **state)
{
	(void)state;
	glibc_robust_mutexes_and_ours_share_the_list(1);
}

/* ------------------------------------------------------------------ */
/* Condition variables, and counts under contention                     */
/* ------------------------------------------------------------------ */

struct cv {
	uthread_mutex_t m;
	uthread_cond_t c;
	int waiting;            /* under m */
	int r;
};

static void *wait_on_cv(void *arg)
{
	struct cv *v = arg;

	if (uthread_mutex_lock(&v->m))
		return NULL;
	v->waiting = 1;
	v->r = uthread_cond_wait(&v->c, &v->m);
	if (v->r == EOWNERDEAD && uthread_mutex_consistent(&v->m) == 0)
		v->r = -EOWNERDEAD;
	uthread_mutex_unlock(&v->m);
	return NULL;
}

/* Lock m, wake the waiter, and end holding m. */
static void *broadcast_and_end(void *arg)
{
	struct cv *v = arg;

	if (uthread_mutex_lock(&v->m))
		return (void *)1;
	uthread_cond_broadcast(&v->c);
	return NULL;
}

static void a_cond_wait_returns_eownerdead_when_the_mutex_owner_ended(void **state)
{
	struct cv v = { .waiting = 0, .r = -1 };
	uthread_t w, b;
	int waiting = 0;

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	robust_init(&v.m, UTHREAD_MUTEX_NORMAL);
	assert_int_equal(uthread_cond_init(&v.c, NULL), 0);
	assert_int_equal(uthread_create(&w, NULL, wait_on_cv, &v), 0);
	while (!waiting) {
		/* waiting is set under m, and m is free once the waiter sleeps. */
		assert_int_equal(uthread_mutex_lock(&v.m), 0);
		waiting = v.waiting;
		assert_int_equal(uthread_mutex_unlock(&v.m), 0);
		if (!waiting)
			tu_sleep_ms(1);
	}
	assert_int_equal(uthread_create(&b, NULL, broadcast_and_end, &v), 0);
	assert_int_equal(uthread_join(b, NULL), 0);
	assert_int_equal(uthread_join(w, NULL), 0);
	assert_int_equal(v.r, -EOWNERDEAD);
	assert_int_equal(uthread_cond_destroy(&v.c), 0);
	assert_int_equal(uthread_mutex_destroy(&v.m), 0);
}

#define COUNTERS 4

struct count {
	uthread_mutex_t m;
	long n, per_thread;
	int errors;
};

static void *count_up(void *arg)
{
	struct count *c = arg;

	for (long i = 0; i < c->per_thread; i++) {
		if (uthread_mutex_lock(&c->m)) {
			tu_add(&c->errors, 1);
			break;
		}
		c->n++;
		if (uthread_mutex_unlock(&c->m))
			tu_add(&c->errors, 1);
	}
	return NULL;
}

static void contended_counts_are_exact(void **state)
{
	static struct count c;
	uthread_t t[COUNTERS];

	(void)state;
	robust_init(&c.m, UTHREAD_MUTEX_ERRORCHECK);
	c.n = 0;
	c.errors = 0;
	c.per_thread = tu_on_valgrind() ? 2000 : 100000;
	for (int i = 0; i < COUNTERS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, count_up, &c), 0);
	for (int i = 0; i < COUNTERS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.n, COUNTERS * c.per_thread);
	assert_int_equal(uthread_mutex_destroy(&c.m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attr_robustness_is_set_read_and_checked),
		cmocka_unit_test(an_owner_that_ends_holding_it_gives_eownerdead_and_consistent_recovers_it),
		cmocka_unit_test(unlocking_without_consistent_makes_it_not_recoverable),
		cmocka_unit_test(a_sleeping_locker_is_woken_with_eownerdead_when_the_owner_ends),
		cmocka_unit_test(two_sleepers_at_an_owner_death_are_both_served),
		cmocka_unit_test(sleepers_are_told_when_the_mutex_becomes_not_recoverable),
		cmocka_unit_test(a_detached_owner_that_ends_holding_it_gives_eownerdead),
		cmocka_unit_test(the_types_keep_their_checks),
		cmocka_unit_test(a_uthread_holding_glibc_and_uthread_robust_mutexes_ends),
		cmocka_unit_test(a_pthread_holding_glibc_and_uthread_robust_mutexes_ends),
		cmocka_unit_test(a_cond_wait_returns_eownerdead_when_the_mutex_owner_ended),
		cmocka_unit_test(contended_counts_are_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
