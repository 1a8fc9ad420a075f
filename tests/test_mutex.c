/* SPDX-License-Identifier: MIT */
/*
 * test_mutex.c - uthread_mutex_*: mutual exclusion for every type and
 * protocol (exact counters), the errorcheck and recursive ownership rules,
 * trylock, timedlock deadlines, destroy, bad input, attributes, and signal
 * handlers running in a thread asleep on a contended mutex.  Threads never
 * call cmocka: they record what they saw and the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

#define MAX_THREADS 8

/* A mutex of the given type and protocol. */
static void make_mutex(uthread_mutex_t *m, int type, int protocol)
{
	uthread_mutexattr_t a;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, protocol), 0);
	assert_int_equal(uthread_mutex_init(m, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

/* ------------------------------------------------------------------ */
/* Mutual exclusion: exact counters.                                    */
/* ------------------------------------------------------------------ */

struct counting {
	uthread_mutex_t *m;
	long iters;
	long counter;       /* plain: only the mutex protects it */
	int errors;         /* lock/unlock calls that did not return 0 */
	int ready, go;      /* start gate: all threads run at once */
};

static void *count_under_lock(void *p)
{
	struct counting *c = p;

	tu_add(&c->ready, 1);
	tu_wait(&c->go, 1, -1);
	for (long i = 0; i < c->iters; i++) {
		if (uthread_mutex_lock(c->m) != 0) {
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		c->counter++;
		if (uthread_mutex_unlock(c->m) != 0)
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* nthreads threads add iters each under m; the total must be exact. */
static void check_exact_count(uthread_mutex_t *m, int nthreads, long iters)
{
	struct counting c = { m, iters, 0, 0, 0, 0 };
	uthread_t t[MAX_THREADS];

	for (int i = 0; i < nthreads; i++)
		assert_int_equal(uthread_create(&t[i], NULL, count_under_lock, &c), 0);
	tu_wait(&c.ready, nthreads, -1);
	tu_set(&c.go, 1);
	for (int i = 0; i < nthreads; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.counter, (long)nthreads * iters);
	/* Left unlocked: destroy succeeds. */
	assert_int_equal(uthread_mutex_destroy(m), 0);
}

static void normal_mutex_keeps_eight_threads_counter_exact(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE);
	check_exact_count(&m, 8, su_iters(100000, 2000));
}

static void statically_initialised_mutex_keeps_counter_exact(void **state)
{
	static uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;

	(void)state;
	check_exact_count(&m, 8, su_iters(100000, 2000));
}

static void errorcheck_mutex_keeps_eight_threads_counter_exact(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	check_exact_count(&m, 8, su_iters(100000, 2000));
}

static void recursive_mutex_keeps_eight_threads_counter_exact(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE);
	check_exact_count(&m, 8, su_iters(100000, 2000));
}

static void priority_inheritance_mutex_keeps_counter_exact(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_INHERIT);
	/* Four threads: every contended PI lock is a system call. */
	check_exact_count(&m, 4, su_iters(100000, 2000));
}

static void priority_inheritance_errorcheck_mutex_keeps_counter_exact(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_INHERIT);
	check_exact_count(&m, 4, su_iters(25000, 1000));
}

/* ------------------------------------------------------------------ */
/* Ownership: errorcheck and recursive.                                 */
/* ------------------------------------------------------------------ */

static int unlock_in_thread(void *p)
{
	return uthread_mutex_unlock(p);
}

static int trylock_in_thread(void *p)
{
	int r = uthread_mutex_trylock(p);

	if (r == 0)
		r = uthread_mutex_unlock(p) == 0 ? 0 : -1;
	return r;
}

static void errorcheck_relock_by_owner_is_edeadlk(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_lock(&m), EDEADLK);
	assert_int_equal(uthread_mutex_trylock(&m), EBUSY);
	/* Still held exactly once. */
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void errorcheck_unlock_by_another_thread_is_eperm(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(su_in_thread(unlock_in_thread, &m), EPERM);
	/* The failed unlock left it held by us. */
	assert_int_equal(su_in_thread(trylock_in_thread, &m), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(su_in_thread(trylock_in_thread, &m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void errorcheck_unlock_of_unlocked_mutex_is_eperm(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void priority_inheritance_unlock_by_another_thread_is_eperm(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_INHERIT);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(su_in_thread(unlock_in_thread, &m), EPERM);
	assert_int_equal(su_in_thread(trylock_in_thread, &m), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(su_in_thread(trylock_in_thread, &m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void recursive_mutex_is_free_only_after_the_last_of_a_thousand_unlocks(void **state)
{
	uthread_mutex_t m;
	const int depth = 1000;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE);
	for (int i = 0; i < depth; i++)
		assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_trylock(&m), 0); /* the owner may, too */
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	for (int i = 0; i < depth - 1; i++) {
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		/* Sample: another thread still finds it held. */
		if (i % 100 == 0 || i == depth - 2)
			assert_int_equal(su_in_thread(trylock_in_thread, &m), EBUSY);
	}
	assert_int_equal(uthread_mutex_destroy(&m), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(su_in_thread(trylock_in_thread, &m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void recursive_unlock_by_another_thread_is_eperm(void **state)
{
	uthread_mutex_t m;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(su_in_thread(unlock_in_thread, &m), EPERM);
	/* Neither level was taken away. */
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(su_in_thread(trylock_in_thread, &m), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(su_in_thread(trylock_in_thread, &m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

/* ------------------------------------------------------------------ */
/* trylock, destroy                                                     */
/* ------------------------------------------------------------------ */

static const struct kind {
	int type, protocol;
	const char *name;
} kinds[] = {
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, "normal" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, "errorcheck" },
	{ UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE, "recursive" },
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_INHERIT, "normal+PI" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_INHERIT, "errorcheck+PI" },
	{ UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_INHERIT, "recursive+PI" },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static void trylock_of_a_mutex_held_by_another_thread_is_ebusy(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;

		print_message("%s\n", kinds[k].name);
		make_mutex(&m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(su_in_thread(trylock_in_thread, &m), 0);
		assert_int_equal(uthread_mutex_trylock(&m), 0);
		assert_int_equal(su_in_thread(trylock_in_thread, &m), EBUSY);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(su_in_thread(trylock_in_thread, &m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void trylock_of_a_normal_mutex_held_by_the_caller_is_ebusy(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;

	(void)state;
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_trylock(&m), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_trylock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void destroy_of_a_locked_mutex_is_ebusy(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;

		print_message("%s\n", kinds[k].name);
		make_mutex(&m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(uthread_mutex_lock(&m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), EBUSY);
		/* The failed destroy left a working, held mutex. */
		assert_int_equal(su_in_thread(trylock_in_thread, &m), EBUSY);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void lock_of_a_destroyed_mutex_is_einval(void **state)
{
	struct timespec ts = su_deadline(CLOCK_REALTIME, 1000);

	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;

		print_message("%s\n", kinds[k].name);
		make_mutex(&m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
		assert_int_equal(uthread_mutex_lock(&m), EINVAL);
		assert_int_equal(uthread_mutex_trylock(&m), EINVAL);
		assert_int_equal(uthread_mutex_timedlock(&m, &ts), EINVAL);
	}
	{
		uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;

		assert_int_equal(uthread_mutex_destroy(&m), 0);
		assert_int_equal(uthread_mutex_lock(&m), EINVAL);
		/* A destroyed mutex may be initialised again. */
		assert_int_equal(uthread_mutex_init(&m, NULL), 0);
		assert_int_equal(uthread_mutex_lock(&m), 0);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

/* ------------------------------------------------------------------ */
/* timedlock                                                            */
/* ------------------------------------------------------------------ */

struct holder {
	uthread_mutex_t *m;
	int locked;           /* set once the holder has the mutex */
	int release;          /* main sets it: unlock now */
	long release_after_ms;/* >= 0: unlock on its own after this long */
	int lock_r, unlock_r;
};

static void *hold_mutex(void *p)
{
	struct holder *h = p;

	h->lock_r = uthread_mutex_lock(h->m);
	tu_set(&h->locked, 1);
	if (h->release_after_ms >= 0)
		tu_sleep_ms(h->release_after_ms);
	else
		while (!tu_peek(&h->release))
			usleep(500);
	h->unlock_r = uthread_mutex_unlock(h->m);
	return NULL;
}

static void start_holder(struct holder *h, uthread_t *t)
{
	assert_int_equal(uthread_create(t, NULL, hold_mutex, h), 0);
	while (!tu_peek(&h->locked))
		usleep(200);
	(void)tu_get(&h->locked);
	assert_int_equal(h->lock_r, 0);
}

static void stop_holder(struct holder *h, uthread_t t)
{
	tu_set(&h->release, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(h->unlock_r, 0);
}

static void timedlock_of_a_held_mutex_times_out_not_before_the_deadline(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;
		struct holder h = { &m, 0, 0, -1, -1, -1 };
		struct timespec deadline;
		uthread_t t;
		double late;
		int r;

		print_message("%s\n", kinds[k].name);
		make_mutex(&m, kinds[k].type, kinds[k].protocol);
		start_holder(&h, &t);
		deadline = su_deadline(CLOCK_REALTIME, 100);
		r = uthread_mutex_timedlock(&m, &deadline);
		late = su_ms_late(CLOCK_REALTIME, &deadline);
		assert_int_equal(r, ETIMEDOUT);
		print_message("  returned %.3f ms after the deadline\n", late);
		assert_true(late >= 0.0);
		assert_true(late < su_max_late_ms());
		/* A deadline already in the past: ETIMEDOUT at once. */
		deadline.tv_sec -= 10;
		assert_int_equal(uthread_mutex_timedlock(&m, &deadline), ETIMEDOUT);
		stop_holder(&h, t);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void timedlock_with_a_deadline_before_1970_times_out(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;
		struct holder h = { &m, 0, 0, -1, -1, -1 };
		struct timespec before_epoch = { -1, 0 };
		uthread_t t;
		int r;

		print_message("%s\n", kinds[k].name);
		make_mutex(&m, kinds[k].type, kinds[k].protocol);
		start_holder(&h, &t);
		/* A valid timespec (tv_nsec in range) that has long passed. */
		r = uthread_mutex_timedlock(&m, &before_epoch);
		stop_holder(&h, t);
		assert_int_equal(r, ETIMEDOUT);
		/* Free: locked at once, the deadline is not even looked at. */
		assert_int_equal(uthread_mutex_timedlock(&m, &before_epoch), 0);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void timedlock_succeeds_when_the_mutex_is_freed_before_the_deadline(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;
		struct holder h = { &m, 0, 0, 50, -1, -1 };
		struct timespec deadline;
		uthread_t t;

		print_message("%s\n", kinds[k].name);
		make_mutex(&m, kinds[k].type, kinds[k].protocol);
		start_holder(&h, &t);
		deadline = su_deadline(CLOCK_REALTIME, 10000);
		assert_int_equal(uthread_mutex_timedlock(&m, &deadline), 0);
		/* Well before the deadline. */
		assert_true(su_ms_late(CLOCK_REALTIME, &deadline) < -5000.0);
		assert_int_equal(uthread_join(t, NULL), 0);
		assert_int_equal(h.unlock_r, 0);
		/* Ours now: another thread cannot take it. */
		assert_int_equal(su_in_thread(trylock_in_thread, &m), EBUSY);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void timedlock_of_a_free_mutex_succeeds_at_once(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
	struct timespec past = { 0, 0 };

	(void)state;
	/* POSIX: no timeout check when the mutex can be locked at once. */
	assert_int_equal(uthread_mutex_timedlock(&m, &past), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void timedlock_with_a_bad_timespec_is_einval(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;
		struct timespec neg = su_deadline(CLOCK_REALTIME, 1000);
		struct timespec big = neg;

		print_message("%s\n", kinds[k].name);
		neg.tv_nsec = -1;
		big.tv_nsec = 1000000000L;
		make_mutex(&m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(uthread_mutex_timedlock(&m, &neg), EINVAL);
		assert_int_equal(uthread_mutex_timedlock(&m, &big), EINVAL);
		assert_int_equal(uthread_mutex_timedlock(&m, NULL), EINVAL);
		/* None of them locked it. */
		assert_int_equal(su_in_thread(trylock_in_thread, &m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

/* ------------------------------------------------------------------ */
/* Bad input, attributes                                                */
/* ------------------------------------------------------------------ */

static void null_pointers_are_einval_everywhere(void **state)
{
	uthread_mutexattr_t a;
	struct timespec ts = su_deadline(CLOCK_REALTIME, 1000);
	int v;

	(void)state;
	assert_int_equal(uthread_mutex_init(NULL, NULL), EINVAL);
	assert_int_equal(uthread_mutex_destroy(NULL), EINVAL);
	assert_int_equal(uthread_mutex_lock(NULL), EINVAL);
	assert_int_equal(uthread_mutex_trylock(NULL), EINVAL);
	assert_int_equal(uthread_mutex_timedlock(NULL, &ts), EINVAL);
	assert_int_equal(uthread_mutex_unlock(NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_init(NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_destroy(NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_settype(NULL, UTHREAD_MUTEX_NORMAL), EINVAL);
	assert_int_equal(uthread_mutexattr_gettype(NULL, &v), EINVAL);
	assert_int_equal(uthread_mutexattr_setprotocol(NULL, UTHREAD_PRIO_NONE), EINVAL);
	assert_int_equal(uthread_mutexattr_getprotocol(NULL, &v), EINVAL);
	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_gettype(&a, NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_getprotocol(&a, NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

static void mutexattr_rejects_invalid_types_and_protocols(void **state)
{
	uthread_mutexattr_t a;
	int v;

	(void)state;
	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_gettype(&a, &v), 0);
	assert_int_equal(v, UTHREAD_MUTEX_DEFAULT);
	assert_int_equal(uthread_mutexattr_getprotocol(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PRIO_NONE);

	assert_int_equal(uthread_mutexattr_settype(&a, UTHREAD_MUTEX_RECURSIVE), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, -1), EINVAL);
	assert_int_equal(uthread_mutexattr_settype(&a, 3), EINVAL);
	assert_int_equal(uthread_mutexattr_settype(&a, 0x1000), EINVAL);
	assert_int_equal(uthread_mutexattr_gettype(&a, &v), 0);
	assert_int_equal(v, UTHREAD_MUTEX_RECURSIVE); /* unchanged */

	assert_int_equal(uthread_mutexattr_setprotocol(&a, UTHREAD_PRIO_INHERIT), 0);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, -1), EINVAL);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, 3), EINVAL);
	assert_int_equal(uthread_mutexattr_getprotocol(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PRIO_INHERIT); /* unchanged */

	/* A destroyed attribute object is rejected, also by mutex_init. */
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, UTHREAD_MUTEX_NORMAL), EINVAL);
	assert_int_equal(uthread_mutexattr_gettype(&a, &v), EINVAL);
	assert_int_equal(uthread_mutexattr_destroy(&a), EINVAL);
	{
		uthread_mutex_t m;
		assert_int_equal(uthread_mutex_init(&m, &a), EINVAL);
	}
}

static void mutexattr_type_decides_the_relock_behaviour(void **state)
{
	uthread_mutex_t m;

	(void)state;
	/* The attribute really reaches the mutex: recursive relocks. */
	make_mutex(&m, UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_trylock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
	/* Errorcheck refuses. */
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_lock(&m), EDEADLK);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

/* ------------------------------------------------------------------ */
/* Signal handlers in a thread asleep on the mutex                      */
/* ------------------------------------------------------------------ */

#define SIG_WORKERS 3

static int handled; /* su_add/su_get */

static void count_signal(int sig)
{
	(void)sig;
	tu_add(&handled, 1);
}

struct sigtest {
	uthread_mutex_t m;
	long counter;           /* protected by m */
	int inside;             /* threads inside the critical section */
	int violations;         /* entries while someone else was inside */
	int errors;
	int stop;
	long done[SIG_WORKERS]; /* each worker's own increments */
};

static struct sigtest sg;

static void enter(struct sigtest *s)
{
	/* Relaxed is enough: a second thread inside means the lock failed. */
	if (__atomic_fetch_add(&s->inside, 1, __ATOMIC_RELAXED) != 0)
		__atomic_fetch_add(&s->violations, 1, __ATOMIC_RELAXED);
}

static void leave(struct sigtest *s)
{
	__atomic_fetch_sub(&s->inside, 1, __ATOMIC_RELAXED);
}

static void *sig_worker(void *p)
{
	long me = (long)(intptr_t)p, n = 0;

	while (!tu_peek(&sg.stop)) {
		if (uthread_mutex_lock(&sg.m) != 0) {
			__atomic_fetch_add(&sg.errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		enter(&sg);
		sg.counter++;
		leave(&sg);
		if (uthread_mutex_unlock(&sg.m) != 0)
			__atomic_fetch_add(&sg.errors, 1, __ATOMIC_RELAXED);
		n++;
		/* valgrind runs one thread at a time: leave the main thread
		 * its share. */
		if (tu_on_valgrind())
			uthread_yield();
	}
	sg.done[me] = n;
	return NULL;
}

/*
 * Rounds: the main thread takes the mutex, waits until a worker sleeps on
 * it, sends that worker SIGUSR1 and waits for the handler, then holds on a
 * little (the worker goes back to sleep) and lets go.  A lock that returned
 * after the interrupted sleep without owning the mutex would let the worker
 * in while main is inside, or lose increments.
 */
static void signals_to_a_thread_asleep_on_a_mutex(int type, int restart)
{
	uthread_t t[SIG_WORKERS];
	int rounds = (int)su_iters(100, 20), sent = 0;
	long total = 0;

	memset(&sg, 0, sizeof sg);
	make_mutex(&sg.m, type, UTHREAD_PRIO_NONE);
	su_handle(SIGUSR1, count_signal, restart);
	handled = 0;
	for (long i = 0; i < SIG_WORKERS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, sig_worker,
		                                (void *)(intptr_t)i), 0);
	for (int r = 0; r < rounds; r++) {
		pid_t tid = su_tid(t[r % SIG_WORKERS]);
		int before;

		assert_true(tid > 0);
		assert_int_equal(uthread_mutex_lock(&sg.m), 0);
		enter(&sg);
		if (su_wait_futex_sleep(tid, 200)) {
			before = tu_get(&handled);
			assert_int_equal(su_tgkill(tid, SIGUSR1), 0);
			assert_true(tu_wait(&handled, before + 1, 2000));
			sent++;
			usleep(300); /* it goes back to sleep on the mutex */
		}
		sg.counter++;
		total++;
		leave(&sg);
		assert_int_equal(uthread_mutex_unlock(&sg.m), 0);
		usleep(200); /* let the workers run */
	}
	tu_set(&sg.stop, 1);
	for (int i = 0; i < SIG_WORKERS; i++) {
		assert_int_equal(uthread_join(t[i], NULL), 0);
		total += sg.done[i];
	}
	signal(SIGUSR1, SIG_DFL);
	print_message("%d signals delivered to sleepers, %ld increments\n", sent, total);
	/* Most rounds must really have hit a sleeper, or the test tests nothing. */
	assert_true(sent >= rounds / 2);
	assert_int_equal(sg.errors, 0);
	assert_int_equal(sg.violations, 0);
	assert_int_equal(sg.counter, total);
	assert_int_equal(uthread_mutex_destroy(&sg.m), 0);
}

static void signal_handler_in_a_thread_asleep_on_a_mutex_keeps_mutual_exclusion(void **state)
{
	(void)state;
	signals_to_a_thread_asleep_on_a_mutex(UTHREAD_MUTEX_NORMAL, 0);
}

static void restarting_signal_handler_in_a_mutex_sleeper_keeps_mutual_exclusion(void **state)
{
	(void)state;
	signals_to_a_thread_asleep_on_a_mutex(UTHREAD_MUTEX_NORMAL, 1);
}

static void signal_handler_in_an_errorcheck_mutex_sleeper_keeps_mutual_exclusion(void **state)
{
	(void)state;
	signals_to_a_thread_asleep_on_a_mutex(UTHREAD_MUTEX_ERRORCHECK, 0);
}

/* Lock once and unlock: the contender of the backoff test. */
static void *lock_once(void *p)
{
	uthread_mutex_t *m = p;

	if (uthread_mutex_lock(m) != 0 || uthread_mutex_unlock(m) != 0)
		return (void *)1;
	return NULL;
}

/*
 * The backoff hint (uthread/backoff.h): each lock that spins without
 * getting the mutex counts one miss in __spin; after four misses in a row
 * only every sixteenth slow path spins, and the skipped ones are counted
 * too.  So 16 contended locks, each waiting until its contender has given
 * up spinning and marked the word contended, leave __spin at 1, 2, ...,
 * 15, then 17 (the 16th probes, misses, and counts both).  Under valgrind
 * nothing spins and the hint stays 0.  Every lock still gets the mutex.
 */
static void a_spin_that_runs_out_is_counted_and_then_only_probes(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;

	(void)state;
	for (unsigned round = 1; round <= 16; round++) {
		uthread_t t;
		void *ret;
		unsigned want = tu_on_valgrind() ? 0 : round < 16 ? round : 17;

		assert_int_equal(uthread_mutex_lock(&m), 0);
		assert_int_equal(uthread_create(&t, NULL, lock_once, &m), 0);
		/* 2: the contender is done spinning and is going to sleep. */
		for (int ms = 0; __atomic_load_n(&m.__lock, __ATOMIC_ACQUIRE) != 2; ms++) {
			assert_true(ms < 10000);
			tu_sleep_ms(1);
		}
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_join(t, &ret), 0);
		assert_null(ret);
		assert_int_equal(__atomic_load_n(&m.__spin, __ATOMIC_RELAXED), want);
	}
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normal_mutex_keeps_eight_threads_counter_exact),
		cmocka_unit_test(statically_initialised_mutex_keeps_counter_exact),
		cmocka_unit_test(errorcheck_mutex_keeps_eight_threads_counter_exact),
		cmocka_unit_test(recursive_mutex_keeps_eight_threads_counter_exact),
		cmocka_unit_test(priority_inheritance_mutex_keeps_counter_exact),
		cmocka_unit_test(priority_inheritance_errorcheck_mutex_keeps_counter_exact),
		cmocka_unit_test(errorcheck_relock_by_owner_is_edeadlk),
		cmocka_unit_test(errorcheck_unlock_by_another_thread_is_eperm),
		cmocka_unit_test(errorcheck_unlock_of_unlocked_mutex_is_eperm),
		cmocka_unit_test(priority_inheritance_unlock_by_another_thread_is_eperm),
		cmocka_unit_test(recursive_mutex_is_free_only_after_the_last_of_a_thousand_unlocks),
		cmocka_unit_test(recursive_unlock_by_another_thread_is_eperm),
		cmocka_unit_test(trylock_of_a_mutex_held_by_another_thread_is_ebusy),
		cmocka_unit_test(trylock_of_a_normal_mutex_held_by_the_caller_is_ebusy),
		cmocka_unit_test(destroy_of_a_locked_mutex_is_ebusy),
		cmocka_unit_test(lock_of_a_destroyed_mutex_is_einval),
		cmocka_unit_test(timedlock_of_a_held_mutex_times_out_not_before_the_deadline),
		cmocka_unit_test(timedlock_with_a_deadline_before_1970_times_out),
		cmocka_unit_test(timedlock_succeeds_when_the_mutex_is_freed_before_the_deadline),
		cmocka_unit_test(timedlock_of_a_free_mutex_succeeds_at_once),
		cmocka_unit_test(timedlock_with_a_bad_timespec_is_einval),
		cmocka_unit_test(null_pointers_are_einval_everywhere),
		cmocka_unit_test(mutexattr_rejects_invalid_types_and_protocols),
		cmocka_unit_test(mutexattr_type_decides_the_relock_behaviour),
		cmocka_unit_test(signal_handler_in_a_thread_asleep_on_a_mutex_keeps_mutual_exclusion),
		cmocka_unit_test(restarting_signal_handler_in_a_mutex_sleeper_keeps_mutual_exclusion),
		cmocka_unit_test(signal_handler_in_an_errorcheck_mutex_sleeper_keeps_mutual_exclusion),
		cmocka_unit_test(a_spin_that_runs_out_is_counted_and_then_only_probes),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
