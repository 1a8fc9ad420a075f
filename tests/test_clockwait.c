/* SPDX-License-Identifier: MIT */
/*
 * test_clockwait.c - the clock-aware waits (uthread_cond_clockwait,
 * uthread_mutex_clocklock, uthread_rwlock_clockrdlock/clockwrlock): each
 * gives up on the clock it is given, not before the deadline, takes only
 * CLOCK_REALTIME and CLOCK_MONOTONIC, and checks abstime as the timed
 * variants do; cond_clockwait is a cancellation point.  Also two
 * departures from POSIX fixed with them: a wait with a new mutex after a
 * broadcast released every waiter of the old one forms a new binding, and
 * a normal priority-inheritance (or robust) mutex relocked by its owner
 * deadlocks instead of answering EDEADLK.  Threads never call cmocka.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC };

/* Clocks glibc 2.36 refuses for a clock-aware wait (and -1, and junk). */
static const clockid_t bad_clocks[] = {
	CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW,
	CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
	CLOCK_TAI, -1, 12345,
};
#define NBAD (sizeof bad_clocks / sizeof bad_clocks[0])

static const char *clock_name(clockid_t c)
{
	return c == CLOCK_REALTIME ? "realtime" : "monotonic";
}

/* 1 if the kernel (or valgrind) knows FUTEX_LOCK_PI2: lock a free word
 * with it, and give it back. */
static int have_lock_pi2(void)
{
	uint32_t w = 0;

	if (syscall(SYS_futex, &w, FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0))
		return 0;
	(void)syscall(SYS_futex, &w, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
	return 1;
}

/* Returns uthread_mutex_init's answer: robust needs glibc's list. */
static int make_mutex(uthread_mutex_t *m, int type, int protocol, int robust)
{
	uthread_mutexattr_t a;
	int r;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, protocol), 0);
	assert_int_equal(uthread_mutexattr_setrobust(&a, robust), 0);
	r = uthread_mutex_init(m, &a);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
	return r;
}

static const struct kind {
	int type, protocol, robust;
	const char *name;
} kinds[] = {
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0, "normal" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, 0, "errorcheck" },
	{ UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE, 0, "recursive" },
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_INHERIT, 0, "normal+PI" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_INHERIT, 0, "errorcheck+PI" },
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 1, "normal+robust" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, 1, "errorcheck+robust" },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* Assert that a timed call returned ETIMEDOUT, on time, on clock. */
static void assert_timed_out(int r, clockid_t clock, const struct timespec *deadline)
{
	double late = su_ms_late(clock, deadline);

	print_message("  %s: %d, %.3f ms after the deadline\n", clock_name(clock), r, late);
	assert_int_equal(r, ETIMEDOUT);
	assert_true(late >= 0.0);
	assert_true(late < su_max_late_ms());
}

/* ------------------------------------------------------------------ */
/* uthread_cond_clockwait                                               */
/* ------------------------------------------------------------------ */

static void cond_clockwait_times_out_on_the_clock_it_is_given(void **state)
{
	(void)state;
	/* Whatever the clock attribute says: the realtime clock is decades
	 * ahead of the monotonic one, so the wrong clock fails at once or
	 * never. */
	for (size_t attr = 0; attr < 2; attr++) {
		uthread_condattr_t a;
		uthread_cond_t c;
		uthread_mutex_t m;

		assert_int_equal(uthread_condattr_init(&a), 0);
		assert_int_equal(uthread_condattr_setclock(&a, clocks[attr]), 0);
		assert_int_equal(uthread_cond_init(&c, &a), 0);
		assert_int_equal(uthread_condattr_destroy(&a), 0);
		assert_int_equal(make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, 0), 0);
		print_message("cond on %s\n", clock_name(clocks[attr]));
		for (size_t k = 0; k < 2; k++) {
			struct timespec deadline = su_deadline(clocks[k], 50);

			assert_int_equal(uthread_mutex_lock(&m), 0);
			assert_timed_out(uthread_cond_clockwait(&c, &m, clocks[k], &deadline),
			                 clocks[k], &deadline);
			/* The mutex is ours again. */
			assert_int_equal(uthread_mutex_unlock(&m), 0);
		}
		assert_int_equal(uthread_cond_destroy(&c), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

struct flagged {
	uthread_mutex_t m;
	uthread_cond_t c;
	int flag; /* under m */
};

static void *set_flag_and_signal(void *p)
{
	struct flagged *f = p;

	/* The lock succeeds only once the waiter's wait released m. */
	if (uthread_mutex_lock(&f->m) == 0) {
		f->flag = 1;
		(void)uthread_cond_signal(&f->c);
		(void)uthread_mutex_unlock(&f->m);
	}
	return NULL;
}

static void cond_clockwait_returns_zero_when_signalled_before_the_deadline(void **state)
{
	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct flagged f;
		struct timespec deadline = su_deadline(clocks[k], 10000);
		uthread_t t;
		int r = 0;

		memset(&f, 0, sizeof f);
		assert_int_equal(make_mutex(&f.m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, 0), 0);
		assert_int_equal(uthread_cond_init(&f.c, NULL), 0);
		assert_int_equal(uthread_mutex_lock(&f.m), 0);
		assert_int_equal(uthread_create(&t, NULL, set_flag_and_signal, &f), 0);
		while (!f.flag && r == 0)
			r = uthread_cond_clockwait(&f.c, &f.m, clocks[k], &deadline);
		assert_int_equal(r, 0);
		assert_int_equal(f.flag, 1);
		assert_true(su_ms_late(clocks[k], &deadline) < 0.0);
		assert_int_equal(uthread_mutex_unlock(&f.m), 0);
		assert_int_equal(uthread_join(t, NULL), 0);
		assert_int_equal(uthread_cond_destroy(&f.c), 0);
		assert_int_equal(uthread_mutex_destroy(&f.m), 0);
	}
}

static void cond_clockwait_bad_input(void **state)
{
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;
	uthread_mutex_t m;
	struct timespec ok = su_deadline(CLOCK_MONOTONIC, 1000);
	struct timespec past = { 0, 0 }, negative = { -1, 0 };
	struct timespec bad_ns[] = { { ok.tv_sec, -1 }, { ok.tv_sec, 1000000000L } };

	(void)state;
	assert_int_equal(make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, 0), 0);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_cond_clockwait(NULL, &m, CLOCK_MONOTONIC, &ok), EINVAL);
	assert_int_equal(uthread_cond_clockwait(&c, NULL, CLOCK_MONOTONIC, &ok), EINVAL);
	assert_int_equal(uthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, NULL), EINVAL);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(uthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &bad_ns[i]),
		                 EINVAL);
	for (size_t i = 0; i < NBAD; i++) {
		print_message("clock %d\n", (int)bad_clocks[i]);
		assert_int_equal(uthread_cond_clockwait(&c, &m, bad_clocks[i], &ok), EINVAL);
	}
	/* A time already past (the kernel would refuse a negative one): a
	 * timeout, with the mutex released and taken back. */
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(uthread_cond_clockwait(&c, &m, clocks[k], &past), ETIMEDOUT);
		assert_int_equal(uthread_cond_clockwait(&c, &m, clocks[k], &negative), ETIMEDOUT);
	}
	/* Still held exactly once, by us. */
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	/* Not holding a checked mutex: EPERM, as timedwait. */
	assert_int_equal(uthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &ok), EPERM);
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

struct cancelled_wait {
	uthread_mutex_t m;
	uthread_cond_t c;
	int waiting;   /* under m */
	int unlock_r;  /* the cleanup handler's unlock (tu_set) */
};

static void unlock_in_cleanup(void *p)
{
	struct cancelled_wait *w = p;

	/* An errorcheck mutex: 0 only if the wait took it back first. */
	tu_set(&w->unlock_r, uthread_mutex_unlock(&w->m) == 0 ? 1 : -1);
}

static void *wait_until_cancelled(void *p)
{
	struct cancelled_wait *w = p;
	struct timespec deadline = su_deadline(CLOCK_MONOTONIC, 60000);

	if (uthread_mutex_lock(&w->m))
		return NULL;
	w->waiting = 1;
	uthread_cleanup_push(unlock_in_cleanup, w);
	for (;;)
		(void)uthread_cond_clockwait(&w->c, &w->m, CLOCK_MONOTONIC, &deadline);
	uthread_cleanup_pop(0);
	return NULL;
}

static void cond_clockwait_is_a_cancellation_point(void **state)
{
	struct cancelled_wait w;
	void *ret = NULL;
	uthread_t t;

	(void)state;
	memset(&w, 0, sizeof w);
	assert_int_equal(make_mutex(&w.m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, 0), 0);
	assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
	assert_int_equal(uthread_create(&t, NULL, wait_until_cancelled, &w), 0);
	/* Once we hold m with waiting set, the thread is inside the wait. */
	for (;;) {
		assert_int_equal(uthread_mutex_lock(&w.m), 0);
		if (w.waiting)
			break;
		assert_int_equal(uthread_mutex_unlock(&w.m), 0);
		tu_sleep_ms(1);
	}
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_cancel(t), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, UTHREAD_CANCELED);
	/* The handler ran holding the mutex again, as POSIX says. */
	assert_int_equal(tu_get(&w.unlock_r), 1);
	assert_int_equal(uthread_cond_destroy(&w.c), 0);
	assert_int_equal(uthread_mutex_destroy(&w.m), 0);
}

/* ------------------------------------------------------------------ */
/* uthread_mutex_clocklock                                              */
/* ------------------------------------------------------------------ */

struct clocked {
	void *lock;
	clockid_t clock;
	long ms;
	int r;
	double late;
};

/* In another thread: clocklock, unlocking again on success. */
static int clocklock_in_thread(void *p)
{
	struct clocked *k = p;
	struct timespec deadline = su_deadline(k->clock, k->ms);
	int r = uthread_mutex_clocklock(k->lock, k->clock, &deadline);

	k->late = su_ms_late(k->clock, &deadline);
	if (r == 0 || r == EOWNERDEAD)
		(void)uthread_mutex_unlock(k->lock);
	return r;
}

static void mutex_clocklock_times_out_on_the_clock_it_is_given(void **state)
{
	int pi2 = have_lock_pi2();

	(void)state;
	print_message("FUTEX_LOCK_PI2: %s\n", pi2 ? "yes" : "no");
	for (size_t i = 0; i < NKINDS; i++) {
		const struct kind *kd = &kinds[i];
		uthread_mutex_t m;
		int r = make_mutex(&m, kd->type, kd->protocol, kd->robust);

		print_message("%s\n", kd->name);
		if (kd->robust && r == ENOTSUP)
			continue; /* no robust list here: test_robust says why */
		assert_int_equal(r, 0);
		for (size_t k = 0; k < 2; k++) {
			struct clocked c = { &m, clocks[k], 50, 0, 0 };
			struct timespec deadline = su_deadline(clocks[k], 1000);
			/* Only a wait needs LOCK_PI2; a free mutex is taken. */
			int pi_mono = kd->protocol == UTHREAD_PRIO_INHERIT &&
			              clocks[k] == CLOCK_MONOTONIC;

			/* Free: taken at once. */
			assert_int_equal(uthread_mutex_clocklock(&m, clocks[k], &deadline), 0);
			/* Held by us: another thread times out on its clock. */
			r = su_in_thread(clocklock_in_thread, &c);
			if (pi_mono && !pi2) {
				assert_int_equal(r, EINVAL); /* as glibc 2.36 */
			} else {
				print_message("  %s: %.3f ms late\n", clock_name(clocks[k]), c.late);
				assert_int_equal(r, ETIMEDOUT);
				assert_true(c.late >= 0.0);
				assert_true(c.late < su_max_late_ms());
			}
			assert_int_equal(uthread_mutex_unlock(&m), 0);
			/* Free again: the other thread takes it. */
			c.ms = 1000;
			assert_int_equal(su_in_thread(clocklock_in_thread, &c), 0);
		}
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void mutex_clocklock_bad_input(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
	struct timespec ok = su_deadline(CLOCK_MONOTONIC, 1000);
	struct timespec past = { 0, 0 }, negative = { -1, 0 };
	struct timespec bad_ns[] = { { ok.tv_sec, -1 }, { ok.tv_sec, 1000000000L } };

	(void)state;
	for (size_t i = 0; i < NBAD; i++) {
		print_message("clock %d\n", (int)bad_clocks[i]);
		/* The clock is checked first, even when m is free. */
		assert_int_equal(uthread_mutex_clocklock(&m, bad_clocks[i], &ok), EINVAL);
		assert_int_equal(uthread_mutex_clocklock(NULL, bad_clocks[i], &ok), EINVAL);
	}
	assert_int_equal(uthread_mutex_clocklock(NULL, CLOCK_MONOTONIC, &ok), EINVAL);
	assert_int_equal(uthread_mutex_clocklock(&m, CLOCK_MONOTONIC, NULL), EINVAL);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(uthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &bad_ns[i]),
		                 EINVAL);
	/* None of those took it. */
	assert_int_equal(uthread_mutex_trylock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	for (size_t k = 0; k < 2; k++) {
		/* A past time on a free mutex: taken, as glibc. */
		assert_int_equal(uthread_mutex_clocklock(&m, clocks[k], &past), 0);
		/* ... and on a held one: a timeout, also before the epoch. */
		struct clocked c = { &m, clocks[k], -1000, 0, 0 };
		assert_int_equal(su_in_thread(clocklock_in_thread, &c), ETIMEDOUT);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_mutex_clocklock(&m, clocks[k], &negative), 0);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
	}
	/* A destroyed mutex. */
	assert_int_equal(uthread_mutex_destroy(&m), 0);
	assert_int_equal(uthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &ok), EINVAL);
}

/* ------------------------------------------------------------------ */
/* uthread_rwlock_clockrdlock, clockwrlock                              */
/* ------------------------------------------------------------------ */

static int clockrdlock_in_thread(void *p)
{
	struct clocked *k = p;
	struct timespec deadline = su_deadline(k->clock, k->ms);
	int r = uthread_rwlock_clockrdlock(k->lock, k->clock, &deadline);

	k->late = su_ms_late(k->clock, &deadline);
	if (r == 0)
		(void)uthread_rwlock_unlock(k->lock);
	return r;
}

static int clockwrlock_in_thread(void *p)
{
	struct clocked *k = p;
	struct timespec deadline = su_deadline(k->clock, k->ms);
	int r = uthread_rwlock_clockwrlock(k->lock, k->clock, &deadline);

	k->late = su_ms_late(k->clock, &deadline);
	if (r == 0)
		(void)uthread_rwlock_unlock(k->lock);
	return r;
}

static void assert_thread_timed_out(int (*fn)(void *), struct clocked *c)
{
	int r = su_in_thread(fn, c);

	print_message("  %s: %d, %.3f ms late\n", clock_name(c->clock), r, c->late);
	assert_int_equal(r, ETIMEDOUT);
	assert_true(c->late >= 0.0);
	assert_true(c->late < su_max_late_ms());
}

static void rwlock_clocklocks_time_out_on_the_clock_they_are_given(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	for (size_t k = 0; k < 2; k++) {
		struct timespec deadline = su_deadline(clocks[k], 1000);
		struct clocked c = { &rw, clocks[k], 50, 0, 0 };

		/* Write-locked by us: readers and writers time out. */
		assert_int_equal(uthread_rwlock_clockwrlock(&rw, clocks[k], &deadline), 0);
		assert_thread_timed_out(clockrdlock_in_thread, &c);
		assert_thread_timed_out(clockwrlock_in_thread, &c);
		assert_int_equal(uthread_rwlock_unlock(&rw), 0);
		/* Read-locked: another reader enters, a writer times out. */
		assert_int_equal(uthread_rwlock_clockrdlock(&rw, clocks[k], &deadline), 0);
		assert_int_equal(su_in_thread(clockrdlock_in_thread, &c), 0);
		assert_thread_timed_out(clockwrlock_in_thread, &c);
		assert_int_equal(uthread_rwlock_unlock(&rw), 0);
		/* Free: both take it. */
		c.ms = 1000;
		assert_int_equal(su_in_thread(clockwrlock_in_thread, &c), 0);
		assert_int_equal(su_in_thread(clockrdlock_in_thread, &c), 0);
	}
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void rwlock_clocklocks_bad_input(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;
	struct timespec ok = su_deadline(CLOCK_MONOTONIC, 1000);
	struct timespec bad_ns[] = { { ok.tv_sec, -1 }, { ok.tv_sec, 1000000000L } };
	struct timespec past = { 0, 0 };

	(void)state;
	for (size_t i = 0; i < NBAD; i++) {
		print_message("clock %d\n", (int)bad_clocks[i]);
		assert_int_equal(uthread_rwlock_clockrdlock(&rw, bad_clocks[i], &ok), EINVAL);
		assert_int_equal(uthread_rwlock_clockwrlock(&rw, bad_clocks[i], &ok), EINVAL);
	}
	assert_int_equal(uthread_rwlock_clockrdlock(NULL, CLOCK_MONOTONIC, &ok), EINVAL);
	assert_int_equal(uthread_rwlock_clockwrlock(NULL, CLOCK_MONOTONIC, &ok), EINVAL);
	assert_int_equal(uthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, NULL), EINVAL);
	assert_int_equal(uthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, NULL), EINVAL);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(uthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &bad_ns[i]),
		                 EINVAL);
		assert_int_equal(uthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &bad_ns[i]),
		                 EINVAL);
	}
	/* None of those took it; a past time on a free lock does. */
	assert_int_equal(uthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &past), 0);
	/* The write holder: EDEADLK, but a bad clock is seen first (glibc). */
	assert_int_equal(uthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ok), EDEADLK);
	assert_int_equal(uthread_rwlock_clockwrlock(&rw, CLOCK_REALTIME, &past), EDEADLK);
	assert_int_equal(uthread_rwlock_clockwrlock(&rw, CLOCK_BOOTTIME, &ok), EINVAL);
	/* Held by us: a past time in another thread times out. */
	struct clocked c = { &rw, CLOCK_MONOTONIC, -1000, 0, 0 };
	assert_int_equal(su_in_thread(clockrdlock_in_thread, &c), ETIMEDOUT);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

/* ------------------------------------------------------------------ */
/* A new binding after a broadcast                                      */
/* ------------------------------------------------------------------ */

#define WAITERS 3

struct binding {
	uthread_mutex_t m0, m1;
	uthread_cond_t c;
	int ready; /* under m0 */
	int go;    /* under m0 */
	int woke;  /* tu_add */
	int errors;
};

static void *wait_on_m0(void *p)
{
	struct binding *b = p;

	if (uthread_mutex_lock(&b->m0)) {
		tu_add(&b->errors, 1);
		return NULL;
	}
	b->ready++;
	while (!b->go)
		if (uthread_cond_wait(&b->c, &b->m0))
			tu_add(&b->errors, 1);
	tu_add(&b->woke, 1);
	(void)uthread_mutex_unlock(&b->m0);
	return NULL;
}

/* Hold m0 once all WAITERS are inside their wait. */
static void lock_when_all_wait(struct binding *b)
{
	for (;;) {
		assert_int_equal(uthread_mutex_lock(&b->m0), 0);
		if (b->ready == WAITERS)
			return;
		assert_int_equal(uthread_mutex_unlock(&b->m0), 0);
		tu_sleep_ms(1);
	}
}

static void wait_with_a_new_mutex_after_a_broadcast(int hold_m0)
{
	struct binding b;
	uthread_t t[WAITERS];

	memset(&b, 0, sizeof b);
	assert_int_equal(make_mutex(&b.m0, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0), 0);
	assert_int_equal(make_mutex(&b.m1, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0), 0);
	assert_int_equal(uthread_cond_init(&b.c, NULL), 0);
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, wait_on_m0, &b), 0);
	lock_when_all_wait(&b);
	b.go = 1;
	if (!hold_m0)
		assert_int_equal(uthread_mutex_unlock(&b.m0), 0);
	assert_int_equal(uthread_cond_broadcast(&b.c), 0);
	/* Every waiter of m0 is released, though (holding m0) none has
	 * retaken it yet: the next wait forms a new binding (POSIX). */
	assert_int_equal(uthread_mutex_lock(&b.m1), 0);
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 30);
	assert_timed_out(uthread_cond_timedwait(&b.c, &b.m1, &deadline), CLOCK_REALTIME,
	                 &deadline);
	deadline = su_deadline(CLOCK_MONOTONIC, 30);
	assert_timed_out(uthread_cond_clockwait(&b.c, &b.m1, CLOCK_MONOTONIC, &deadline),
	                 CLOCK_MONOTONIC, &deadline);
	assert_int_equal(uthread_mutex_unlock(&b.m1), 0);
	if (hold_m0)
		assert_int_equal(uthread_mutex_unlock(&b.m0), 0);
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(tu_get(&b.woke), WAITERS);
	assert_int_equal(tu_get(&b.errors), 0);
	assert_int_equal(uthread_cond_destroy(&b.c), 0);
	assert_int_equal(uthread_mutex_destroy(&b.m0), 0);
	assert_int_equal(uthread_mutex_destroy(&b.m1), 0);
}

static void a_wait_with_a_new_mutex_after_a_broadcast_under_the_old_one_binds_anew(void **state)
{
	(void)state;
	wait_with_a_new_mutex_after_a_broadcast(1);
}

static void a_wait_with_a_new_mutex_after_a_broadcast_binds_anew(void **state)
{
	(void)state;
	wait_with_a_new_mutex_after_a_broadcast(0);
}

struct m1_waiter {
	struct binding *b;
	int waiting; /* under m1 */
	int r;
};

static void *wait_on_m1(void *p)
{
	struct m1_waiter *w = p;
	struct binding *b = w->b;
	struct timespec deadline = su_deadline(CLOCK_MONOTONIC, 60000);
	int r = 0;

	if (uthread_mutex_lock(&b->m1))
		return NULL;
	w->waiting = 1;
	while (!b->go && r == 0)
		r = uthread_cond_clockwait(&b->c, &b->m1, CLOCK_MONOTONIC, &deadline);
	w->r = r;
	(void)uthread_mutex_unlock(&b->m1);
	return NULL;
}

/*
 * A signal unblocks the only waiter of m0, while we hold m0: it cannot
 * retake m0, and may not even have run yet, but it is no longer blocked
 * on the condition variable, so the next wait binds anew (POSIX; glibc
 * has no check).  Many rounds, to meet the waiter at every point.
 */
static void a_wait_with_a_new_mutex_after_a_signal_released_the_only_waiter_binds_anew(void **state)
{
	long rounds = su_iters(200, 10);

	(void)state;
	for (long i = 0; i < rounds; i++) {
		struct binding b;
		uthread_t t;

		memset(&b, 0, sizeof b);
		assert_int_equal(make_mutex(&b.m0, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0), 0);
		assert_int_equal(make_mutex(&b.m1, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0), 0);
		assert_int_equal(uthread_cond_init(&b.c, NULL), 0);
		assert_int_equal(uthread_create(&t, NULL, wait_on_m0, &b), 0);
		for (;;) {
			assert_int_equal(uthread_mutex_lock(&b.m0), 0);
			if (b.ready == 1)
				break;
			assert_int_equal(uthread_mutex_unlock(&b.m0), 0);
			sched_yield();
		}
		b.go = 1;
		assert_int_equal(uthread_cond_signal(&b.c), 0);
		assert_int_equal(uthread_mutex_lock(&b.m1), 0);
		struct timespec past = { 0, 0 };
		assert_int_equal(uthread_cond_clockwait(&b.c, &b.m1, CLOCK_MONOTONIC, &past),
		                 ETIMEDOUT);
		assert_int_equal(uthread_mutex_unlock(&b.m1), 0);
		assert_int_equal(uthread_mutex_unlock(&b.m0), 0);
		assert_int_equal(uthread_join(t, NULL), 0);
		assert_int_equal(tu_get(&b.woke), 1);
		assert_int_equal(tu_get(&b.errors), 0);
		assert_int_equal(uthread_cond_destroy(&b.c), 0);
		assert_int_equal(uthread_mutex_destroy(&b.m0), 0);
		assert_int_equal(uthread_mutex_destroy(&b.m1), 0);
	}
}

/* The new binding is a binding: while its waiter is blocked, the old
 * mutex is refused, and a signal still reaches the waiter. */
static void the_new_binding_still_refuses_a_second_mutex(void **state)
{
	struct binding b;
	struct m1_waiter w = { &b, 0, -1 };
	struct timespec deadline = su_deadline(CLOCK_MONOTONIC, 1000);
	uthread_t t;

	(void)state;
	memset(&b, 0, sizeof b);
	assert_int_equal(make_mutex(&b.m0, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0), 0);
	assert_int_equal(make_mutex(&b.m1, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0), 0);
	assert_int_equal(uthread_cond_init(&b.c, NULL), 0);
	/* A first binding, to m0, released by a broadcast. */
	assert_int_equal(uthread_mutex_lock(&b.m0), 0);
	struct timespec past = { 0, 0 };
	assert_int_equal(uthread_cond_clockwait(&b.c, &b.m0, CLOCK_MONOTONIC, &past), ETIMEDOUT);
	assert_int_equal(uthread_mutex_unlock(&b.m0), 0);
	assert_int_equal(uthread_cond_broadcast(&b.c), 0);
	/* Then a waiter with m1. */
	assert_int_equal(uthread_create(&t, NULL, wait_on_m1, &w), 0);
	for (;;) {
		assert_int_equal(uthread_mutex_lock(&b.m1), 0);
		if (w.waiting)
			break;
		assert_int_equal(uthread_mutex_unlock(&b.m1), 0);
		tu_sleep_ms(1);
	}
	assert_int_equal(uthread_mutex_unlock(&b.m1), 0);
	assert_int_equal(uthread_mutex_lock(&b.m0), 0);
	assert_int_equal(uthread_cond_clockwait(&b.c, &b.m0, CLOCK_MONOTONIC, &deadline),
	                 EINVAL);
	assert_int_equal(uthread_mutex_unlock(&b.m0), 0);
	assert_int_equal(uthread_mutex_lock(&b.m1), 0);
	b.go = 1;
	assert_int_equal(uthread_cond_signal(&b.c), 0);
	assert_int_equal(uthread_mutex_unlock(&b.m1), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_int_equal(uthread_cond_destroy(&b.c), 0);
	assert_int_equal(uthread_mutex_destroy(&b.m0), 0);
	assert_int_equal(uthread_mutex_destroy(&b.m1), 0);
}

/* ------------------------------------------------------------------ */
/* A normal PI or robust mutex relocked by its owner                    */
/* ------------------------------------------------------------------ */

static void a_normal_pi_or_robust_mutex_relocked_by_its_owner_times_out(void **state)
{
	int pi2 = have_lock_pi2();

	(void)state;
	for (size_t i = 0; i < NKINDS; i++) {
		const struct kind *kd = &kinds[i];
		int checked = kd->type == UTHREAD_MUTEX_ERRORCHECK;
		uthread_mutex_t m;
		int r;

		if (kd->type == UTHREAD_MUTEX_RECURSIVE)
			continue; /* counts: not a relock that could deadlock */
		r = make_mutex(&m, kd->type, kd->protocol, kd->robust);
		if (kd->robust && r == ENOTSUP)
			continue;
		print_message("%s\n", kd->name);
		assert_int_equal(r, 0);
		assert_int_equal(uthread_mutex_lock(&m), 0);
		assert_int_equal(uthread_mutex_trylock(&m), EBUSY);
		for (size_t k = 0; k < 2; k++) {
			struct timespec deadline = su_deadline(clocks[k], 20);

			r = uthread_mutex_clocklock(&m, clocks[k], &deadline);
			if (checked)
				assert_int_equal(r, EDEADLK);
			else if (kd->protocol == UTHREAD_PRIO_INHERIT &&
			         clocks[k] == CLOCK_MONOTONIC && !pi2)
				assert_int_equal(r, EINVAL); /* as glibc 2.36 */
			else
				assert_timed_out(r, clocks[k], &deadline);
		}
		struct timespec deadline = su_deadline(CLOCK_REALTIME, 20);
		r = uthread_mutex_timedlock(&m, &deadline);
		if (checked)
			assert_int_equal(r, EDEADLK);
		else
			assert_timed_out(r, CLOCK_REALTIME, &deadline);
		/* Still held exactly once. */
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		if (kd->protocol == UTHREAD_PRIO_INHERIT || kd->robust || checked)
			assert_int_equal(uthread_mutex_unlock(&m), EPERM);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cond_clockwait_times_out_on_the_clock_it_is_given),
		cmocka_unit_test(cond_clockwait_returns_zero_when_signalled_before_the_deadline),
		cmocka_unit_test(cond_clockwait_bad_input),
		cmocka_unit_test(cond_clockwait_is_a_cancellation_point),
		cmocka_unit_test(mutex_clocklock_times_out_on_the_clock_it_is_given),
		cmocka_unit_test(mutex_clocklock_bad_input),
		cmocka_unit_test(rwlock_clocklocks_time_out_on_the_clock_they_are_given),
		cmocka_unit_test(rwlock_clocklocks_bad_input),
		cmocka_unit_test(a_wait_with_a_new_mutex_after_a_broadcast_under_the_old_one_binds_anew),
		cmocka_unit_test(a_wait_with_a_new_mutex_after_a_broadcast_binds_anew),
		cmocka_unit_test(a_wait_with_a_new_mutex_after_a_signal_released_the_only_waiter_binds_anew),
		cmocka_unit_test(the_new_binding_still_refuses_a_second_mutex),
		cmocka_unit_test(a_normal_pi_or_robust_mutex_relocked_by_its_owner_times_out),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
