/* SPDX-License-Identifier: MIT */
/*
 * test_sem.c - uthread_sem_*: posters and waiters balance exactly, trywait
 * at zero, timed waits, the value limit, bad input, posting from a signal
 * handler, destroy with a waiter, and a process-shared semaphore across
 * fork().  Threads never call cmocka: they record what they saw and the
 * main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

/* ------------------------------------------------------------------ */
/* Posters and waiters                                                  */
/* ------------------------------------------------------------------ */

#define POSTERS 2
#define WAITERS 2

struct pc {
	uthread_sem_t s;
	long n;                 /* posts per poster = waits per waiter */
	long waited;            /* atomic */
	int errors;
};

static void *post_n(void *p)
{
	struct pc *x = p;

	for (long i = 0; i < x->n; i++)
		if (uthread_sem_post(&x->s) != 0)
			__atomic_fetch_add(&x->errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void *wait_n(void *p)
{
	struct pc *x = p;

	for (long i = 0; i < x->n; i++) {
		if (uthread_sem_wait(&x->s) != 0)
			__atomic_fetch_add(&x->errors, 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&x->waited, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void two_posters_and_two_waiters_balance_to_zero(void **state)
{
	struct pc x;
	uthread_t t[POSTERS + WAITERS];
	int v = -1;

	(void)state;
	memset(&x, 0, sizeof x);
	x.n = su_iters(100000, 2000);
	assert_int_equal(uthread_sem_init(&x.s, 0, 0), 0);
	/* Waiters first: they find it empty and sleep. */
	for (int i = 0; i < WAITERS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, wait_n, &x), 0);
	for (int i = 0; i < POSTERS; i++)
		assert_int_equal(uthread_create(&t[WAITERS + i], NULL, post_n, &x), 0);
	for (int i = 0; i < POSTERS + WAITERS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(x.errors, 0);
	assert_int_equal(x.waited, WAITERS * x.n);
	assert_int_equal(uthread_sem_getvalue(&x.s, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uthread_sem_trywait(&x.s), EAGAIN);
	assert_int_equal(uthread_sem_destroy(&x.s), 0);
}

/* Two semaphores passing a token back and forth: every wait sleeps and
 * every post must wake it.  A lost wake hangs, which the child's alarm
 * turns into a failure. */
struct handoff {
	uthread_sem_t ping, pong;
	long n;
};

static void *answer(void *p)
{
	struct handoff *h = p;

	for (long i = 0; i < h->n; i++) {
		if (uthread_sem_wait(&h->ping) != 0 || uthread_sem_post(&h->pong) != 0)
			return (void *)1;
	}
	return NULL;
}

static int handoff_body(void *arg)
{
	static struct handoff h;
	uthread_t t;
	void *ret = &h;
	int v;

	(void)arg;
	h.n = su_iters(20000, 1000);
	SU_CHECK(uthread_sem_init(&h.ping, 0, 0) == 0);
	SU_CHECK(uthread_sem_init(&h.pong, 0, 0) == 0);
	SU_CHECK(uthread_create(&t, NULL, answer, &h) == 0);
	for (long i = 0; i < h.n; i++) {
		SU_CHECK(uthread_sem_post(&h.ping) == 0);
		SU_CHECK(uthread_sem_wait(&h.pong) == 0);
	}
	SU_CHECK(uthread_join(t, &ret) == 0);
	SU_CHECK(ret == NULL);
	SU_CHECK(uthread_sem_getvalue(&h.ping, &v) == 0 && v == 0);
	SU_CHECK(uthread_sem_getvalue(&h.pong, &v) == 0 && v == 0);
	return 0;
}

static void twenty_thousand_handoffs_between_two_semaphores_lose_no_wakeup(void **state)
{
	(void)state;
	assert_int_equal(su_run_child(handoff_body, NULL, 30), 0);
}

/* ------------------------------------------------------------------ */
/* Values and errors                                                    */
/* ------------------------------------------------------------------ */

static void trywait_at_zero_is_eagain(void **state)
{
	uthread_sem_t s;
	int v;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 2), 0);
	assert_int_equal(uthread_sem_trywait(&s), 0);
	assert_int_equal(uthread_sem_trywait(&s), 0);
	assert_int_equal(uthread_sem_trywait(&s), EAGAIN);
	assert_int_equal(uthread_sem_trywait(&s), EAGAIN);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 0); /* the failed tries took nothing */
	assert_int_equal(uthread_sem_post(&s), 0);
	assert_int_equal(uthread_sem_trywait(&s), 0);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void getvalue_follows_posts_and_waits(void **state)
{
	uthread_sem_t s;
	int v = -1;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 3), 0);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(uthread_sem_wait(&s), 0);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(uthread_sem_trywait(&s), 0);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 1);
	for (int i = 0; i < 10; i++)
		assert_int_equal(uthread_sem_post(&s), 0);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 11);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void timedwait_times_out_not_before_the_deadline(void **state)
{
	uthread_sem_t s;
	struct timespec deadline;
	double late;
	int r, v;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 0), 0);
	deadline = su_deadline(CLOCK_REALTIME, 100);
	r = uthread_sem_timedwait(&s, &deadline);
	late = su_ms_late(CLOCK_REALTIME, &deadline);
	assert_int_equal(r, ETIMEDOUT);
	print_message("returned %.3f ms after the deadline\n", late);
	assert_true(late >= 0.0);
	assert_true(late < su_max_late_ms());
	/* A token present: no timeout, even with a deadline in the past. */
	assert_int_equal(uthread_sem_post(&s), 0);
	deadline.tv_sec -= 10;
	assert_int_equal(uthread_sem_timedwait(&s, &deadline), 0);
	assert_int_equal(uthread_sem_timedwait(&s, &deadline), ETIMEDOUT);
	deadline = (struct timespec){ -1, 0 }; /* before 1970 */
	assert_int_equal(uthread_sem_timedwait(&s, &deadline), ETIMEDOUT);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 0);
	/* The timed-out waiters are gone: destroy succeeds. */
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

struct later {
	uthread_sem_t *s;
	long ms;
};

static void *post_later(void *p)
{
	struct later *l = p;

	tu_sleep_ms(l->ms);
	uthread_sem_post(l->s);
	return NULL;
}

static void timedwait_returns_zero_when_posted_before_the_deadline(void **state)
{
	uthread_sem_t s;
	struct later l = { &s, 30 };
	struct timespec deadline;
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 0), 0);
	assert_int_equal(uthread_create(&t, NULL, post_later, &l), 0);
	deadline = su_deadline(CLOCK_REALTIME, 10000);
	assert_int_equal(uthread_sem_timedwait(&s, &deadline), 0);
	assert_true(su_ms_late(CLOCK_REALTIME, &deadline) < -5000.0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void timedwait_with_a_bad_timespec_is_einval(void **state)
{
	uthread_sem_t s;
	struct timespec neg = su_deadline(CLOCK_REALTIME, 1000), big = neg;
	int v;

	(void)state;
	neg.tv_nsec = -1;
	big.tv_nsec = 1000000000L;
	assert_int_equal(uthread_sem_init(&s, 0, 1), 0);
	assert_int_equal(uthread_sem_timedwait(&s, &neg), EINVAL);
	assert_int_equal(uthread_sem_timedwait(&s, &big), EINVAL);
	assert_int_equal(uthread_sem_timedwait(&s, NULL), EINVAL);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 1); /* nothing taken */
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void post_at_the_maximum_value_is_eoverflow(void **state)
{
	uthread_sem_t s;
	int v;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, UTHREAD_SEM_VALUE_MAX), 0);
	assert_int_equal(uthread_sem_post(&s), EOVERFLOW);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal((unsigned)v, UTHREAD_SEM_VALUE_MAX);
	assert_int_equal(uthread_sem_trywait(&s), 0);
	assert_int_equal(uthread_sem_post(&s), 0);
	assert_int_equal(uthread_sem_post(&s), EOVERFLOW);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void init_rejects_values_above_the_maximum_and_bad_pshared(void **state)
{
	uthread_sem_t s;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, UTHREAD_SEM_VALUE_MAX + 1u), EINVAL);
	assert_int_equal(uthread_sem_init(&s, 0, ~0u), EINVAL);
	assert_int_equal(uthread_sem_init(&s, 2, 0), EINVAL);
	assert_int_equal(uthread_sem_init(&s, -1, 0), EINVAL);
	assert_int_equal(uthread_sem_init(NULL, 0, 0), EINVAL);
	assert_int_equal(uthread_sem_init(&s, 1, 0), 0);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void operations_on_null_or_destroyed_semaphores_are_einval(void **state)
{
	uthread_sem_t s;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 1000);
	int v;

	(void)state;
	assert_int_equal(uthread_sem_destroy(NULL), EINVAL);
	assert_int_equal(uthread_sem_wait(NULL), EINVAL);
	assert_int_equal(uthread_sem_trywait(NULL), EINVAL);
	assert_int_equal(uthread_sem_timedwait(NULL, &deadline), EINVAL);
	assert_int_equal(uthread_sem_post(NULL), EINVAL);
	assert_int_equal(uthread_sem_getvalue(NULL, &v), EINVAL);
	assert_int_equal(uthread_sem_init(&s, 0, 1), 0);
	assert_int_equal(uthread_sem_getvalue(&s, NULL), EINVAL);
	assert_int_equal(uthread_sem_destroy(&s), 0);
	assert_int_equal(uthread_sem_wait(&s), EINVAL);
	assert_int_equal(uthread_sem_trywait(&s), EINVAL);
	assert_int_equal(uthread_sem_timedwait(&s, &deadline), EINVAL);
	assert_int_equal(uthread_sem_post(&s), EINVAL);
	assert_int_equal(uthread_sem_getvalue(&s, &v), EINVAL);
	assert_int_equal(uthread_sem_destroy(&s), EINVAL);
}

/* ------------------------------------------------------------------ */
/* Posting from a signal handler                                        */
/* ------------------------------------------------------------------ */

static uthread_sem_t alarm_sem;
static volatile int alarm_posts, alarm_errors;

static void post_from_handler(int sig)
{
	int saved = errno;

	(void)sig;
	if (uthread_sem_post(&alarm_sem) == 0)
		alarm_posts++;
	else
		alarm_errors++;
	errno = saved;
}

static void post_from_a_timer_signal_handler_wakes_the_waiter(void **state)
{
	struct itimerval it;
	long long t0;
	int v;

	(void)state;
	assert_int_equal(uthread_sem_init(&alarm_sem, 0, 0), 0);
	alarm_posts = alarm_errors = 0;
	/* SA_RESTART: without it the handler would end the wait (EINTR). */
	su_handle(SIGALRM, post_from_handler, 1);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 50000;
	t0 = tu_now_ms();
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	/* The handler runs in this thread, inside the wait (or just before). */
	assert_int_equal(uthread_sem_wait(&alarm_sem), 0);
	signal(SIGALRM, SIG_DFL);
	assert_int_equal(alarm_posts, 1);
	assert_int_equal(alarm_errors, 0);
	assert_true(tu_now_ms() - t0 >= 40);
	assert_int_equal(uthread_sem_getvalue(&alarm_sem, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uthread_sem_destroy(&alarm_sem), 0);
}

struct sleeper {
	uthread_sem_t *s;
	int r;
	int done;
};

static void *sem_wait_once(void *p)
{
	struct sleeper *w = p;

	w->r = uthread_sem_wait(w->s);
	tu_set(&w->done, 1);
	return NULL;
}

static void post_from_a_handler_in_another_thread_wakes_a_sleeping_waiter(void **state)
{
	struct sleeper w = { &alarm_sem, -1, 0 };
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_sem_init(&alarm_sem, 0, 0), 0);
	alarm_posts = alarm_errors = 0;
	su_handle(SIGALRM, post_from_handler, 1);
	assert_int_equal(uthread_create(&t, NULL, sem_wait_once, &w), 0);
	assert_true(su_wait_futex_sleep(su_tid(t), 5000));
	usleep(1000);
	assert_int_equal(tu_get(&w.done), 0);
	/* raise() runs the handler here, in the main thread. */
	assert_int_equal(raise(SIGALRM), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	signal(SIGALRM, SIG_DFL);
	assert_int_equal(w.r, 0);
	assert_int_equal(alarm_posts, 1);
	assert_int_equal(alarm_errors, 0);
	assert_int_equal(uthread_sem_destroy(&alarm_sem), 0);
}

/* ------------------------------------------------------------------ */
/* Waits ended by a signal handler (EINTR), as glibc's                  */
/* ------------------------------------------------------------------ */

static volatile int ticks, post_at_tick;

static void tick(int sig)
{
	int saved = errno;

	(void)sig;
	if (++ticks == post_at_tick)
		(void)uthread_sem_post(&alarm_sem);
	errno = saved;
}

/* SIGALRM every 20 ms (a tick that comes before the sleep only delays
 * the test), handled by tick() with or without SA_RESTART. */
static void start_ticks(int restart, int post_at)
{
	struct itimerval it;

	ticks = 0;
	post_at_tick = post_at;
	su_handle(SIGALRM, tick, restart);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 20000;
	it.it_interval.tv_usec = 20000;
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void stop_ticks(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof it);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	signal(SIGALRM, SIG_DFL);
}

static void wait_is_ended_with_eintr_by_a_handler_without_sa_restart(void **state)
{
	int r, v;

	(void)state;
	assert_int_equal(uthread_sem_init(&alarm_sem, 0, 0), 0);
	start_ticks(0, 0);
	r = uthread_sem_wait(&alarm_sem);
	stop_ticks();
	assert_int_equal(r, EINTR);
	assert_true(ticks >= 1);
	assert_int_equal(uthread_sem_getvalue(&alarm_sem, &v), 0);
	assert_int_equal(v, 0);
	/* The interrupted waiter counted itself out: no EBUSY. */
	assert_int_equal(uthread_sem_destroy(&alarm_sem), 0);
}

static void wait_goes_on_after_a_handler_with_sa_restart(void **state)
{
	int r, v;

	(void)state;
	assert_int_equal(uthread_sem_init(&alarm_sem, 0, 0), 0);
	/* Ticks 1 and 2 only run the handler; tick 3 posts. */
	start_ticks(1, 3);
	r = uthread_sem_wait(&alarm_sem);
	stop_ticks();
	assert_int_equal(r, 0);
	assert_true(ticks >= 3);
	assert_int_equal(uthread_sem_getvalue(&alarm_sem, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uthread_sem_destroy(&alarm_sem), 0);
}

static void timed_waits_are_ended_with_eintr_even_with_sa_restart(void **state)
{
	struct timespec d;

	(void)state;
	assert_int_equal(uthread_sem_init(&alarm_sem, 0, 0), 0);
	for (int restart = 0; restart <= 1; restart++) {
		start_ticks(restart, 0);
		d = su_deadline(CLOCK_REALTIME, 20000);
		assert_int_equal(uthread_sem_timedwait(&alarm_sem, &d), EINTR);
		d = su_deadline(CLOCK_MONOTONIC, 20000);
		assert_int_equal(uthread_sem_clockwait(&alarm_sem, CLOCK_MONOTONIC, &d),
		                 EINTR);
		stop_ticks();
	}
	assert_int_equal(uthread_sem_destroy(&alarm_sem), 0);
}

/* ------------------------------------------------------------------ */
/* uthread_sem_clockwait                                                */
/* ------------------------------------------------------------------ */

static void clockwait_times_out_on_either_clock(void **state)
{
	static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC };
	uthread_sem_t s;
	struct timespec d;
	double late;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 0), 0);
	for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		d = su_deadline(clocks[i], 50);
		assert_int_equal(uthread_sem_clockwait(&s, clocks[i], &d), ETIMEDOUT);
		late = su_ms_late(clocks[i], &d);
		assert_true(late >= 0.0);
		assert_true(late < su_max_late_ms());
		/* A token present: taken even with the deadline passed. */
		assert_int_equal(uthread_sem_post(&s), 0);
		assert_int_equal(uthread_sem_clockwait(&s, clocks[i], &d), 0);
	}
	/* A deadline 1000 s ahead on CLOCK_MONOTONIC is far less on
	 * CLOCK_REALTIME: measured on the right clock, a post ends it. */
	{
		struct later l = { &s, 30 };
		uthread_t t;

		d = su_deadline(CLOCK_MONOTONIC, 1000000);
		assert_int_equal(uthread_create(&t, NULL, post_later, &l), 0);
		assert_int_equal(uthread_sem_clockwait(&s, CLOCK_MONOTONIC, &d), 0);
		assert_int_equal(uthread_join(t, NULL), 0);
	}
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void clockwait_rejects_other_clocks_and_bad_timespecs(void **state)
{
	uthread_sem_t s;
	struct timespec ok = su_deadline(CLOCK_MONOTONIC, 1000), bad = ok;
	int v;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 1), 0);
	/* Checked before the token is taken, as glibc's. */
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_PROCESS_CPUTIME_ID, &ok), EINVAL);
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_THREAD_CPUTIME_ID, &ok), EINVAL);
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_MONOTONIC_RAW, &ok), EINVAL);
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_BOOTTIME, &ok), EINVAL);
	assert_int_equal(uthread_sem_clockwait(&s, -1, &ok), EINVAL);
	bad.tv_nsec = -1;
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_MONOTONIC, &bad), EINVAL);
	bad.tv_nsec = 1000000000L;
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_MONOTONIC, &bad), EINVAL);
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_MONOTONIC, NULL), EINVAL);
	assert_int_equal(uthread_sem_clockwait(NULL, CLOCK_MONOTONIC, &ok), EINVAL);
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 1); /* nothing taken */
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_MONOTONIC, &ok), 0);
	assert_int_equal(uthread_sem_destroy(&s), 0);
	assert_int_equal(uthread_sem_clockwait(&s, CLOCK_MONOTONIC, &ok), EINVAL);
}

/* ------------------------------------------------------------------ */
/* Destroy with a waiter                                                */
/* ------------------------------------------------------------------ */

#define SLEEPING 4

/*
 * Every sleeper is woken by its own post, posted one at a time while the
 * others still sleep: post clears the "sleepers" mark only when it counts
 * at most one waiter, and must not strand the rest.
 */
static void each_of_four_sleeping_waiters_is_woken_by_one_post(void **state)
{
	uthread_sem_t s;
	struct sleeper w[SLEEPING];
	uthread_t t[SLEEPING];

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 0), 0);
	for (int i = 0; i < SLEEPING; i++) {
		w[i] = (struct sleeper){ &s, -1, 0 };
		assert_int_equal(uthread_create(&t[i], NULL, sem_wait_once, &w[i]), 0);
		assert_true(su_wait_futex_sleep(su_tid(t[i]), 5000));
	}
	for (int posted = 1; posted <= SLEEPING; posted++) {
		int done = 0;
		assert_int_equal(uthread_sem_post(&s), 0);
		long long end = tu_deadline_ms(5000);
		while (done < posted && tu_now_ms() < end) {
			done = 0;
			for (int i = 0; i < SLEEPING; i++)
				done += tu_peek(&w[i].done);
			if (done < posted)
				tu_sleep_ms(1);
		}
		assert_int_equal(done, posted); /* exactly one more per post */
	}
	for (int i = 0; i < SLEEPING; i++) {
		assert_int_equal(uthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].r, 0);
	}
	int v = -1;
	assert_int_equal(uthread_sem_getvalue(&s, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

static void destroy_with_a_waiter_is_ebusy(void **state)
{
	uthread_sem_t s;
	struct sleeper w = { &s, -1, 0 };
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_sem_init(&s, 0, 0), 0);
	assert_int_equal(uthread_create(&t, NULL, sem_wait_once, &w), 0);
	assert_true(su_wait_futex_sleep(su_tid(t), 5000));
	assert_int_equal(uthread_sem_destroy(&s), EBUSY);
	/* Still a working semaphore. */
	assert_int_equal(uthread_sem_post(&s), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

/* ------------------------------------------------------------------ */
/* post touches nothing of the semaphore after its increment            */
/* ------------------------------------------------------------------ */

/*
 * Hardware watchpoints (perf_event_open, PERF_TYPE_BREAKPOINT) on every
 * field but the value: each access to one raises SIGIO in this thread right
 * after the instruction, and the handler notes whether the value (which it
 * may read: it is not watched) was already incremented.  A waiter may take
 * the token and free the semaphore the moment the increment lands, so post
 * must make no access after it.  Regression: post read __waiters after the
 * increment.
 */
static uthread_sem_t watched __attribute__((__aligned__(8)));
static volatile sig_atomic_t hits_before, hits_after;

static void on_access(int sig)
{
	(void)sig;
	if (__atomic_load_n(&watched.__value, __ATOMIC_RELAXED) & UTHREAD_SEM_VALUE_MAX)
		hits_after++;
	else
		hits_before++;
}

/* A read/write watchpoint on [addr, addr + len) that signals this thread;
 * -1 if the kernel or a sandbox refuses. */
static int watch(const void *addr, unsigned len)
{
	struct perf_event_attr pe;
	struct f_owner_ex own = { F_OWNER_TID, gettid() };
	int fd;

	memset(&pe, 0, sizeof pe);
	pe.type = PERF_TYPE_BREAKPOINT;
	pe.size = sizeof pe;
	pe.bp_type = HW_BREAKPOINT_RW;
	pe.bp_addr = (uintptr_t)addr;
	pe.bp_len = len;
	pe.sample_period = 1;
	pe.wakeup_events = 1;
	pe.disabled = 1;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	fd = (int)syscall(SYS_perf_event_open, &pe, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFL, O_ASYNC) || fcntl(fd, F_SETSIG, SIGIO) ||
	    fcntl(fd, F_SETOWN_EX, &own)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Post once on a fresh semaphore whose word and waiter count are preset:
 * no sleepers, or the "sleepers" mark with 0 or 2 waiters counted (the
 * two wake branches).  0, or -1 when there are no watchpoints here.
 */
static int watched_post(unsigned value, unsigned waiters)
{
	struct sigaction sa, old;
	int fd[2], r;

	assert_int_equal(uthread_sem_init(&watched, 0, 0), 0);
	watched.__value = value;
	watched.__waiters = waiters;
	fd[0] = watch(&watched.__waiters, HW_BREAKPOINT_LEN_4);
	fd[1] = watch(&watched.__shared, HW_BREAKPOINT_LEN_8); /* and __magic */
	if (fd[0] < 0 || fd[1] < 0) {
		fprintf(stderr, "no hardware watchpoints here (%s): skipped\n",
		        strerror(errno));
		for (int i = 0; i < 2; i++)
			if (fd[i] >= 0)
				close(fd[i]);
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_access;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGIO, &sa, &old), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ioctl(fd[i], PERF_EVENT_IOC_ENABLE, 0), 0);
	/* Some hypervisors accept a watchpoint and never fire it: one read
	 * of our own must be seen, or there is nothing to test here. */
	hits_before = hits_after = 0;
	(void)*(volatile unsigned *)&watched.__waiters;
	if (hits_before != 1) {
		fprintf(stderr, "hardware watchpoints are accepted here but a "
		        "watched read raised %d signals, not 1: skipped\n",
		        (int)hits_before);
		for (int i = 0; i < 2; i++)
			close(fd[i]);
		assert_int_equal(sigaction(SIGIO, &old, NULL), 0);
		assert_int_equal(uthread_sem_destroy(&watched), 0);
		return -1;
	}
	hits_before = hits_after = 0;
	r = uthread_sem_post(&watched);
	for (int i = 0; i < 2; i++) {
		ioctl(fd[i], PERF_EVENT_IOC_DISABLE, 0);
		close(fd[i]);
	}
	assert_int_equal(sigaction(SIGIO, &old, NULL), 0);
	assert_int_equal(r, 0);
	assert_int_equal(watched.__value & UTHREAD_SEM_VALUE_MAX, 1);
	assert_true(hits_before >= 1); /* the watchpoints work: post checks __magic */
	assert_int_equal(hits_after, 0);
	watched.__waiters = 0; /* nobody really waited */
	assert_int_equal(uthread_sem_destroy(&watched), 0);
	return 0;
}

static void post_makes_no_access_to_the_semaphore_after_its_increment(void **state)
{
	(void)state;
	if (tu_on_valgrind())
		skip(); /* valgrind's JIT would trip the watchpoints itself */
	if (watched_post(0, 0) < 0)
		skip();
	assert_int_equal(watched_post(0x80000000u, 0), 0); /* clears the mark, wakes all */
	assert_int_equal(watched_post(0x80000000u, 2), 0); /* keeps it, wakes one */
}

/* ------------------------------------------------------------------ */
/* Process-shared                                                       */
/* ------------------------------------------------------------------ */

struct shared_area {
	uthread_sem_t to_parent, to_child;
};

static void process_shared_semaphore_works_across_fork(void **state)
{
	struct shared_area *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
	                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec deadline;
	int st, v;
	pid_t pid;

	(void)state;
	assert_true(sh != MAP_FAILED);
	assert_int_equal(uthread_sem_init(&sh->to_parent, 1, 0), 0);
	assert_int_equal(uthread_sem_init(&sh->to_child, 1, 0), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec d = su_deadline(CLOCK_REALTIME, 10000);

		/* Let the parent fall asleep first, then wake it. */
		tu_sleep_ms(50);
		if (uthread_sem_post(&sh->to_parent) != 0)
			_exit(2);
		/* And be woken by it. */
		if (uthread_sem_timedwait(&sh->to_child, &d) != 0)
			_exit(3);
		_exit(0);
	}
	deadline = su_deadline(CLOCK_REALTIME, 10000);
	/* A private futex would never see the child's wake: ETIMEDOUT. */
	assert_int_equal(uthread_sem_timedwait(&sh->to_parent, &deadline), 0);
	tu_sleep_ms(50); /* the child sleeps in its wait by now */
	assert_int_equal(uthread_sem_post(&sh->to_child), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(uthread_sem_getvalue(&sh->to_parent, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uthread_sem_getvalue(&sh->to_child, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uthread_sem_destroy(&sh->to_parent), 0);
	assert_int_equal(uthread_sem_destroy(&sh->to_child), 0);
	munmap(sh, sizeof *sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_posters_and_two_waiters_balance_to_zero),
		cmocka_unit_test(twenty_thousand_handoffs_between_two_semaphores_lose_no_wakeup),
		cmocka_unit_test(trywait_at_zero_is_eagain),
		cmocka_unit_test(getvalue_follows_posts_and_waits),
		cmocka_unit_test(timedwait_times_out_not_before_the_deadline),
		cmocka_unit_test(timedwait_returns_zero_when_posted_before_the_deadline),
		cmocka_unit_test(timedwait_with_a_bad_timespec_is_einval),
		cmocka_unit_test(post_at_the_maximum_value_is_eoverflow),
		cmocka_unit_test(init_rejects_values_above_the_maximum_and_bad_pshared),
		cmocka_unit_test(operations_on_null_or_destroyed_semaphores_are_einval),
		cmocka_unit_test(post_from_a_timer_signal_handler_wakes_the_waiter),
		cmocka_unit_test(post_from_a_handler_in_another_thread_wakes_a_sleeping_waiter),
		cmocka_unit_test(wait_is_ended_with_eintr_by_a_handler_without_sa_restart),
		cmocka_unit_test(wait_goes_on_after_a_handler_with_sa_restart),
		cmocka_unit_test(timed_waits_are_ended_with_eintr_even_with_sa_restart),
		cmocka_unit_test(clockwait_times_out_on_either_clock),
		cmocka_unit_test(clockwait_rejects_other_clocks_and_bad_timespecs),
		cmocka_unit_test(each_of_four_sleeping_waiters_is_woken_by_one_post),
		cmocka_unit_test(destroy_with_a_waiter_is_ebusy),
		cmocka_unit_test(post_makes_no_access_to_the_semaphore_after_its_increment),
		cmocka_unit_test(process_shared_semaphore_works_across_fork),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
