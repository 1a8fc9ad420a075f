/* SPDX-License-Identifier: MIT */
/*
 * test_cond.c - uthread_cond_*: a bounded queue delivers every item exactly
 * once, broadcast wakes every waiter, no wakeup is lost in a long ping-pong,
 * timed waits keep their clock and deadline, signal handlers do not end a
 * wait, destroy right after broadcast, destroy with a waiter, recursive
 * mutexes keep their depth across a wait, and the errors of the contract.
 * Threads never call cmocka: they record what they saw and the main thread
 * asserts.
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

static void make_mutex(uthread_mutex_t *m, int type, int protocol)
{
	uthread_mutexattr_t a;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, protocol), 0);
	assert_int_equal(uthread_mutex_init(m, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

static const struct kind {
	int type, protocol;
	const char *name;
} kinds[] = {
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, "normal" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, "errorcheck" },
	{ UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE, "recursive" },
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_INHERIT, "normal+PI" },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ------------------------------------------------------------------ */
/* Producers and consumers through a bounded queue                      */
/* ------------------------------------------------------------------ */

#define QSIZE 4
#define PRODUCERS 2
#define CONSUMERS 2

struct queue {
	uthread_mutex_t m;
	uthread_cond_t not_full, not_empty;
	int broadcast;          /* wake with broadcast instead of signal */
	long per_producer, total;
	long buf[QSIZE];
	int head, count;        /* protected by m */
	long consumed;          /* protected by m */
	unsigned char *seen;    /* deliveries per item (atomic) */
	int errors;
	int producer_id;
};

static void wake(struct queue *q, uthread_cond_t *c)
{
	int r = q->broadcast ? uthread_cond_broadcast(c) : uthread_cond_signal(c);
	if (r)
		__atomic_fetch_add(&q->errors, 1, __ATOMIC_RELAXED);
}

static void qwait(struct queue *q, uthread_cond_t *c)
{
	if (uthread_cond_wait(c, &q->m) != 0)
		__atomic_fetch_add(&q->errors, 1, __ATOMIC_RELAXED);
}

static void *producer(void *p)
{
	struct queue *q = p;
	long id = __atomic_fetch_add(&q->producer_id, 1, __ATOMIC_RELAXED);

	for (long i = 0; i < q->per_producer; i++) {
		uthread_mutex_lock(&q->m);
		while (q->count == QSIZE)
			qwait(q, &q->not_full);
		q->buf[(q->head + q->count) % QSIZE] = id * q->per_producer + i;
		q->count++;
		wake(q, &q->not_empty);
		uthread_mutex_unlock(&q->m);
	}
	return NULL;
}

static void *consumer(void *p)
{
	struct queue *q = p;

	for (;;) {
		long item;

		uthread_mutex_lock(&q->m);
		while (q->count == 0 && q->consumed < q->total)
			qwait(q, &q->not_empty);
		if (q->count == 0) { /* everything was delivered */
			uthread_mutex_unlock(&q->m);
			return NULL;
		}
		item = q->buf[q->head];
		q->head = (q->head + 1) % QSIZE;
		q->count--;
		if (++q->consumed == q->total) /* release the other consumers */
			uthread_cond_broadcast(&q->not_empty);
		wake(q, &q->not_full);
		uthread_mutex_unlock(&q->m);
		if (item >= 0 && item < q->total)
			__atomic_fetch_add(&q->seen[item], 1, __ATOMIC_RELAXED);
		else
			__atomic_fetch_add(&q->errors, 1, __ATOMIC_RELAXED);
	}
}

static void bounded_queue(int type, int broadcast)
{
	struct queue *q = calloc(1, sizeof *q);
	uthread_t t[PRODUCERS + CONSUMERS];
	long bad = 0;

	assert_non_null(q);
	make_mutex(&q->m, type, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&q->not_full, NULL), 0);
	assert_int_equal(uthread_cond_init(&q->not_empty, NULL), 0);
	q->broadcast = broadcast;
	q->per_producer = su_iters(50000, 2000);
	q->total = PRODUCERS * q->per_producer;
	q->seen = calloc((size_t)q->total, 1);
	assert_non_null(q->seen);

	for (int i = 0; i < CONSUMERS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, consumer, q), 0);
	for (int i = 0; i < PRODUCERS; i++)
		assert_int_equal(uthread_create(&t[CONSUMERS + i], NULL, producer, q), 0);
	for (int i = 0; i < PRODUCERS + CONSUMERS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);

	for (long i = 0; i < q->total; i++)
		if (q->seen[i] != 1) {
			if (bad++ < 5)
				print_message("item %ld delivered %d times\n", i, q->seen[i]);
		}
	assert_int_equal(bad, 0);
	assert_int_equal(q->errors, 0);
	assert_int_equal(q->consumed, q->total);
	assert_int_equal(q->count, 0);
	assert_int_equal(uthread_cond_destroy(&q->not_full), 0);
	assert_int_equal(uthread_cond_destroy(&q->not_empty), 0);
	assert_int_equal(uthread_mutex_destroy(&q->m), 0);
	free(q->seen);
	free(q);
}

static void bounded_queue_with_signal_delivers_every_item_exactly_once(void **state)
{
	(void)state;
	bounded_queue(UTHREAD_MUTEX_NORMAL, 0);
}

static void bounded_queue_with_broadcast_delivers_every_item_exactly_once(void **state)
{
	(void)state;
	bounded_queue(UTHREAD_MUTEX_NORMAL, 1);
}

static void bounded_queue_on_an_errorcheck_mutex_delivers_every_item_exactly_once(void **state)
{
	(void)state;
	bounded_queue(UTHREAD_MUTEX_ERRORCHECK, 1);
}

/* ------------------------------------------------------------------ */
/* Broadcast wakes every waiter                                         */
/* ------------------------------------------------------------------ */

#define NWAITERS 8

struct flagwait {
	uthread_mutex_t m;
	uthread_cond_t c;
	int ready;              /* waiters that have started waiting (under m) */
	int flag;               /* the predicate (under m) */
	int woke;               /* waiters that saw the flag and left */
	int errors;
};

static void *wait_for_flag(void *p)
{
	struct flagwait *w = p;
	int r = uthread_mutex_lock(&w->m);

	if (r)
		__atomic_fetch_add(&w->errors, 1, __ATOMIC_RELAXED);
	w->ready++;
	while (!w->flag) {
		if (uthread_cond_wait(&w->c, &w->m) != 0)
			__atomic_fetch_add(&w->errors, 1, __ATOMIC_RELAXED);
	}
	tu_add(&w->woke, 1);
	if (uthread_mutex_unlock(&w->m) != 0)
		__atomic_fetch_add(&w->errors, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Wait until n waiters are inside cond_wait: they count themselves under
 * the mutex, and hold it until the wait releases it. */
static void wait_ready(struct flagwait *w, int n)
{
	for (;;) {
		assert_int_equal(uthread_mutex_lock(&w->m), 0);
		if (w->ready == n)
			return; /* still holding m */
		assert_int_equal(uthread_mutex_unlock(&w->m), 0);
		usleep(200);
	}
}

/* Wait up to ms for all n waiters to have left; 1 if they did. */
static int wait_woke(struct flagwait *w, int n, long ms)
{
	long long end = tu_now_ms() + ms;

	while (tu_peek(&w->woke) < n) {
		if (tu_now_ms() > end)
			return 0;
		usleep(200);
	}
	(void)tu_get(&w->woke);
	return 1;
}

static void one_broadcast_wakes_all_eight_waiters(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		struct flagwait w;
		uthread_t t[NWAITERS];
		int all;

		print_message("%s\n", kinds[k].name);
		memset(&w, 0, sizeof w);
		make_mutex(&w.m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
		for (int i = 0; i < NWAITERS; i++)
			assert_int_equal(uthread_create(&t[i], NULL, wait_for_flag, &w), 0);
		wait_ready(&w, NWAITERS);
		w.flag = 1;
		assert_int_equal(uthread_cond_broadcast(&w.c), 0);
		assert_int_equal(uthread_mutex_unlock(&w.m), 0);
		all = wait_woke(&w, NWAITERS, 5000);
		if (!all) {
			/* Free the ones left asleep so the process can go on. */
			for (int i = 0; i < 100 && !wait_woke(&w, NWAITERS, 10); i++)
				uthread_cond_signal(&w.c);
		}
		assert_true(all);
		for (int i = 0; i < NWAITERS; i++)
			assert_int_equal(uthread_join(t[i], NULL), 0);
		assert_int_equal(w.errors, 0);
		assert_int_equal(uthread_cond_destroy(&w.c), 0);
		assert_int_equal(uthread_mutex_destroy(&w.m), 0);
	}
}

static void broadcast_without_holding_the_mutex_wakes_all_waiters(void **state)
{
	struct flagwait w;
	uthread_t t[NWAITERS];
	int all;

	(void)state;
	memset(&w, 0, sizeof w);
	make_mutex(&w.m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
	for (int i = 0; i < NWAITERS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, wait_for_flag, &w), 0);
	wait_ready(&w, NWAITERS);
	w.flag = 1;
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_cond_broadcast(&w.c), 0);
	all = wait_woke(&w, NWAITERS, 5000);
	for (int i = 0; i < 100 && !all && !wait_woke(&w, NWAITERS, 10); i++)
		uthread_cond_signal(&w.c);
	assert_true(all);
	for (int i = 0; i < NWAITERS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(w.errors, 0);
	assert_int_equal(uthread_cond_destroy(&w.c), 0);
	assert_int_equal(uthread_mutex_destroy(&w.m), 0);
}

/* ------------------------------------------------------------------ */
/* No lost wakeup: ping-pong                                            */
/* ------------------------------------------------------------------ */

struct pingpong {
	uthread_mutex_t m;
	uthread_cond_t c;
	int turn;               /* whose move: 0 or 1 (under m) */
	long rounds;
	long moves[2];
	int errors;
};

struct player {
	struct pingpong *g;
	int me;
};

static void *play(void *p)
{
	struct player *pl = p;
	struct pingpong *g = pl->g;

	for (long i = 0; i < g->rounds; i++) {
		uthread_mutex_lock(&g->m);
		while (g->turn != pl->me)
			if (uthread_cond_wait(&g->c, &g->m) != 0)
				__atomic_fetch_add(&g->errors, 1, __ATOMIC_RELAXED);
		g->turn = !pl->me;
		g->moves[pl->me]++;
		if (uthread_cond_signal(&g->c) != 0)
			__atomic_fetch_add(&g->errors, 1, __ATOMIC_RELAXED);
		uthread_mutex_unlock(&g->m);
	}
	return NULL;
}

static int ping_pong_body(void *arg)
{
	static struct pingpong g;
	struct player pl[2] = { { &g, 0 }, { &g, 1 } };
	uthread_t t[2];

	(void)arg;
	SU_CHECK(uthread_mutex_init(&g.m, NULL) == 0);
	SU_CHECK(uthread_cond_init(&g.c, NULL) == 0);
	g.rounds = su_iters(20000, 1000);
	for (int i = 0; i < 2; i++)
		SU_CHECK(uthread_create(&t[i], NULL, play, &pl[i]) == 0);
	for (int i = 0; i < 2; i++)
		SU_CHECK(uthread_join(t[i], NULL) == 0);
	SU_CHECK(g.moves[0] == g.rounds && g.moves[1] == g.rounds);
	SU_CHECK(g.errors == 0);
	SU_CHECK(uthread_cond_destroy(&g.c) == 0);
	return 0;
}

static void ping_pong_of_twenty_thousand_round_trips_loses_no_wakeup(void **state)
{
	(void)state;
	/* A lost wakeup hangs both players: the child's alarm turns that
	 * into a failure. */
	assert_int_equal(su_run_child(ping_pong_body, NULL, 30), 0);
}

/*
 * The signaller spins on trylock while the waiter goes to sleep, so it
 * takes the mutex the instant the wait releases it and signals while the
 * waiter is still on its way into the kernel: the narrowest window a
 * wakeup can be lost in.  A lost one hangs the waiter.
 */
struct narrow {
	uthread_mutex_t m;
	uthread_cond_t c;
	int flag;               /* under m */
	int round;              /* the waiter holds m in this round (su_set) */
	long rounds;
	int errors;
};

static void *wait_each_round(void *p)
{
	struct narrow *n = p;

	for (long r = 1; r <= n->rounds; r++) {
		uthread_mutex_lock(&n->m);
		tu_set(&n->round, (int)r);
		while (!n->flag)
			if (uthread_cond_wait(&n->c, &n->m) != 0)
				n->errors++;
		n->flag = 0;
		uthread_mutex_unlock(&n->m);
	}
	return NULL;
}

static int narrow_window_body(void *arg)
{
	static struct narrow n;
	uthread_t t;

	(void)arg;
	SU_CHECK(uthread_mutex_init(&n.m, NULL) == 0);
	SU_CHECK(uthread_cond_init(&n.c, NULL) == 0);
	n.rounds = su_iters(20000, 1000);
	SU_CHECK(uthread_create(&t, NULL, wait_each_round, &n) == 0);
	for (long r = 1; r <= n.rounds; r++) {
		tu_wait(&n.round, (int)r, -1);
		while (uthread_mutex_trylock(&n.m) != 0)
			__asm__ volatile("pause" ::: "memory");
		n.flag = 1;
		SU_CHECK(uthread_cond_signal(&n.c) == 0);
		uthread_mutex_unlock(&n.m);
	}
	SU_CHECK(uthread_join(t, NULL) == 0);
	SU_CHECK(n.errors == 0);
	SU_CHECK(uthread_cond_destroy(&n.c) == 0);
	return 0;
}

static void signal_the_moment_the_waiter_releases_the_mutex_is_not_lost(void **state)
{
	(void)state;
	assert_int_equal(su_run_child(narrow_window_body, NULL, 20), 0);
}

/* ------------------------------------------------------------------ */
/* Timed waits                                                          */
/* ------------------------------------------------------------------ */

static void timedwait_times_out(uthread_cond_t *c, clockid_t clock)
{
	uthread_mutex_t m;
	struct timespec deadline;
	double late;
	int r;

	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	deadline = su_deadline(clock, 100);
	r = uthread_cond_timedwait(c, &m, &deadline);
	late = su_ms_late(clock, &deadline);
	assert_int_equal(r, ETIMEDOUT);
	print_message("returned %.3f ms after the deadline\n", late);
	assert_true(late >= 0.0);
	assert_true(late < su_max_late_ms());
	/* The mutex is ours again. */
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void timedwait_on_the_realtime_clock_times_out_not_before_the_deadline(void **state)
{
	uthread_cond_t c;

	(void)state;
	assert_int_equal(uthread_cond_init(&c, NULL), 0);
	timedwait_times_out(&c, CLOCK_REALTIME);
	assert_int_equal(uthread_cond_destroy(&c), 0);
}

static void statically_initialised_cond_times_out_on_the_realtime_clock(void **state)
{
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;

	(void)state;
	timedwait_times_out(&c, CLOCK_REALTIME);
	assert_int_equal(uthread_cond_destroy(&c), 0);
}

static void timedwait_on_the_monotonic_clock_times_out_not_before_the_deadline(void **state)
{
	uthread_condattr_t a;
	uthread_cond_t c;
	clockid_t clock;

	(void)state;
	assert_int_equal(uthread_condattr_init(&a), 0);
	assert_int_equal(uthread_condattr_getclock(&a, &clock), 0);
	assert_int_equal(clock, CLOCK_REALTIME);
	assert_int_equal(uthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
	assert_int_equal(uthread_condattr_getclock(&a, &clock), 0);
	assert_int_equal(clock, CLOCK_MONOTONIC);
	assert_int_equal(uthread_cond_init(&c, &a), 0);
	assert_int_equal(uthread_condattr_destroy(&a), 0);
	/* Monotonic time is far behind the realtime clock: read as realtime
	 * this deadline would have passed decades ago. */
	timedwait_times_out(&c, CLOCK_MONOTONIC);
	assert_int_equal(uthread_cond_destroy(&c), 0);
}

static void condattr_setclock_rejects_cpu_time_clocks(void **state)
{
	uthread_condattr_t a;
	clockid_t clock;

	(void)state;
	assert_int_equal(uthread_condattr_init(&a), 0);
	assert_int_equal(uthread_condattr_setclock(&a, CLOCK_MONOTONIC), 0);
	assert_int_equal(uthread_condattr_setclock(&a, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
	assert_int_equal(uthread_condattr_setclock(&a, CLOCK_THREAD_CPUTIME_ID), EINVAL);
	assert_int_equal(uthread_condattr_setclock(&a, -1), EINVAL);
	assert_int_equal(uthread_condattr_getclock(&a, &clock), 0);
	assert_int_equal(clock, CLOCK_MONOTONIC); /* unchanged */
	assert_int_equal(uthread_condattr_getclock(&a, NULL), EINVAL);
	assert_int_equal(uthread_condattr_destroy(&a), 0);
	assert_int_equal(uthread_condattr_setclock(&a, CLOCK_REALTIME), EINVAL);
	{
		uthread_cond_t c;
		assert_int_equal(uthread_cond_init(&c, &a), EINVAL);
	}
}

static void timedwait_with_a_bad_timespec_is_einval_and_keeps_the_mutex(void **state)
{
	uthread_mutex_t m;
	uthread_cond_t c;
	struct timespec neg = su_deadline(CLOCK_REALTIME, 1000), big = neg;

	(void)state;
	neg.tv_nsec = -1;
	big.tv_nsec = 1000000000L;
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&c, NULL), 0);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_cond_timedwait(&c, &m, &neg), EINVAL);
	assert_int_equal(uthread_cond_timedwait(&c, &m, &big), EINVAL);
	assert_int_equal(uthread_cond_timedwait(&c, &m, NULL), EINVAL);
	/* Still held by us, exactly once. */
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	/* And nobody is left registered on the cond. */
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void a_signal_sent_before_the_wait_does_not_wake_it(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;
	struct timespec deadline;

	(void)state;
	assert_int_equal(uthread_cond_signal(&c), 0);
	assert_int_equal(uthread_cond_broadcast(&c), 0);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	deadline = su_deadline(CLOCK_REALTIME, 50);
	assert_int_equal(uthread_cond_timedwait(&c, &m, &deadline), ETIMEDOUT);
	/* A deadline before 1970 has passed, too. */
	deadline = (struct timespec){ -1, 0 };
	assert_int_equal(uthread_cond_timedwait(&c, &m, &deadline), ETIMEDOUT);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

struct timed_signal {
	struct flagwait *w;
	int r;
	double late;
};

static void *timedwait_for_flag(void *p)
{
	struct timed_signal *ts = p;
	struct flagwait *w = ts->w;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 10000);

	uthread_mutex_lock(&w->m);
	w->ready++;
	ts->r = 0;
	while (!w->flag && ts->r == 0)
		ts->r = uthread_cond_timedwait(&w->c, &w->m, &deadline);
	ts->late = su_ms_late(CLOCK_REALTIME, &deadline);
	uthread_mutex_unlock(&w->m);
	return NULL;
}

static void timedwait_returns_zero_when_signalled_before_the_deadline(void **state)
{
	struct flagwait w;
	struct timed_signal ts = { &w, -1, 0 };
	uthread_t t;

	(void)state;
	memset(&w, 0, sizeof w);
	make_mutex(&w.m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
	assert_int_equal(uthread_create(&t, NULL, timedwait_for_flag, &ts), 0);
	wait_ready(&w, 1);
	w.flag = 1;
	assert_int_equal(uthread_cond_signal(&w.c), 0);
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(ts.r, 0);
	assert_true(ts.late < -5000.0); /* woken, not timed out */
	assert_int_equal(uthread_cond_destroy(&w.c), 0);
	assert_int_equal(uthread_mutex_destroy(&w.m), 0);
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

static int wait_in_thread(void *p)
{
	uthread_mutex_t *m = p;
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;

	return uthread_cond_wait(&c, m);
}

static void wait_on_an_errorcheck_mutex_not_held_is_eperm(void **state)
{
	uthread_mutex_t m;
	uthread_cond_t c;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 1000);

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&c, NULL), 0);
	assert_int_equal(uthread_cond_wait(&c, &m), EPERM);
	assert_int_equal(uthread_cond_timedwait(&c, &m, &deadline), EPERM);
	/* Held by another thread: still not ours. */
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(su_in_thread(wait_in_thread, &m), EPERM);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	/* The failed waits left nothing registered. */
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void wait_on_a_recursive_mutex_not_held_is_eperm(void **state)
{
	uthread_mutex_t m;
	uthread_cond_t c;

	(void)state;
	make_mutex(&m, UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&c, NULL), 0);
	assert_int_equal(uthread_cond_wait(&c, &m), EPERM);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(su_in_thread(wait_in_thread, &m), EPERM);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), EPERM);
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void null_arguments_are_einval(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 1000);
	clockid_t clock;

	(void)state;
	assert_int_equal(uthread_cond_init(NULL, NULL), EINVAL);
	assert_int_equal(uthread_cond_destroy(NULL), EINVAL);
	assert_int_equal(uthread_cond_wait(NULL, &m), EINVAL);
	assert_int_equal(uthread_cond_wait(&c, NULL), EINVAL);
	assert_int_equal(uthread_cond_timedwait(NULL, &m, &deadline), EINVAL);
	assert_int_equal(uthread_cond_timedwait(&c, NULL, &deadline), EINVAL);
	assert_int_equal(uthread_cond_signal(NULL), EINVAL);
	assert_int_equal(uthread_cond_broadcast(NULL), EINVAL);
	assert_int_equal(uthread_condattr_init(NULL), EINVAL);
	assert_int_equal(uthread_condattr_destroy(NULL), EINVAL);
	assert_int_equal(uthread_condattr_setclock(NULL, CLOCK_REALTIME), EINVAL);
	assert_int_equal(uthread_condattr_getclock(NULL, &clock), EINVAL);
}

static void waiting_with_a_second_mutex_while_others_wait_is_einval(void **state)
{
	struct flagwait w;
	uthread_mutex_t other = UTHREAD_MUTEX_INITIALIZER;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 1000);
	uthread_t t;

	(void)state;
	memset(&w, 0, sizeof w);
	make_mutex(&w.m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
	assert_int_equal(uthread_create(&t, NULL, wait_for_flag, &w), 0);
	wait_ready(&w, 1);
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_mutex_lock(&other), 0);
	assert_int_equal(uthread_cond_timedwait(&w.c, &other, &deadline), EINVAL);
	assert_int_equal(uthread_mutex_unlock(&other), 0);
	assert_int_equal(uthread_mutex_lock(&w.m), 0);
	w.flag = 1;
	assert_int_equal(uthread_cond_signal(&w.c), 0);
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(w.errors, 0);
	assert_int_equal(uthread_cond_destroy(&w.c), 0);
	assert_int_equal(uthread_mutex_destroy(&w.m), 0);
	assert_int_equal(uthread_mutex_destroy(&other), 0);
}

/* ------------------------------------------------------------------ */
/* Signal handlers during a wait                                        */
/* ------------------------------------------------------------------ */

static int handled; /* su_add/su_get */

static void count_signal(int sig)
{
	(void)sig;
	tu_add(&handled, 1);
}

struct sigwaiter {
	struct flagwait *w;
	int timed;
	int returns;            /* wait calls that returned */
	int early;              /* ... with 0 while the flag was still clear */
	int saw_flag;
};

static void *wait_through_signals(void *p)
{
	struct sigwaiter *s = p;
	struct flagwait *w = s->w;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 60000);

	uthread_mutex_lock(&w->m);
	w->ready++;
	while (!w->flag) {
		int r = s->timed ? uthread_cond_timedwait(&w->c, &w->m, &deadline)
		                 : uthread_cond_wait(&w->c, &w->m);
		s->returns++;
		if (r != 0)
			w->errors++;
		else if (!w->flag)
			s->early++;
	}
	s->saw_flag = w->flag;
	tu_set(&w->woke, 1);
	uthread_mutex_unlock(&w->m);
	return NULL;
}

/*
 * Send a hundred signals to a thread asleep in a cond wait.  The contract:
 * handlers do not end the wait, so the waiter finishes only once the flag
 * is set, with no error, and its wait does not return before that.
 */
static void signals_during_a_cond_wait(int restart, int timed)
{
	struct flagwait w;
	struct sigwaiter s;
	uthread_t t;
	pid_t tid;
	int n = (int)su_iters(100, 20), sent = 0;

	memset(&w, 0, sizeof w);
	memset(&s, 0, sizeof s);
	s.w = &w;
	s.timed = timed;
	make_mutex(&w.m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
	su_handle(SIGUSR1, count_signal, restart);
	handled = 0;
	assert_int_equal(uthread_create(&t, NULL, wait_through_signals, &s), 0);
	tid = su_tid(t);
	assert_true(tid > 0);
	wait_ready(&w, 1);
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	for (int i = 0; i < n; i++) {
		int before = tu_get(&handled);

		if (su_wait_futex_sleep(tid, 200))
			sent++;
		assert_int_equal(su_tgkill(tid, SIGUSR1), 0);
		assert_true(tu_wait(&handled, before + 1, 2000));
		assert_int_equal(tu_get(&w.woke), 0);
	}
	usleep(1000);
	assert_int_equal(tu_get(&w.woke), 0);
	assert_int_equal(uthread_mutex_lock(&w.m), 0);
	w.flag = 1;
	assert_int_equal(uthread_cond_signal(&w.c), 0);
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	signal(SIGUSR1, SIG_DFL);
	print_message("%d of %d signals hit the sleeping waiter; wait returned %d times\n",
	              sent, n, s.returns);
	assert_true(sent >= n / 2);
	assert_int_equal(w.errors, 0);
	assert_int_equal(s.early, 0);
	assert_int_equal(s.saw_flag, 1);
	assert_int_equal(uthread_cond_destroy(&w.c), 0);
	assert_int_equal(uthread_mutex_destroy(&w.m), 0);
}

static void signal_handlers_do_not_end_a_cond_wait(void **state)
{
	(void)state;
	signals_during_a_cond_wait(0, 0);
}

static void restarting_signal_handlers_do_not_end_a_cond_wait(void **state)
{
	(void)state;
	signals_during_a_cond_wait(1, 0);
}

static void signal_handlers_do_not_end_a_cond_timedwait(void **state)
{
	(void)state;
	signals_during_a_cond_wait(0, 1);
}

static void restarting_signal_handlers_do_not_end_a_cond_timedwait(void **state)
{
	(void)state;
	signals_during_a_cond_wait(1, 1);
}

/* ------------------------------------------------------------------ */
/* Destroy                                                              */
/* ------------------------------------------------------------------ */

struct freewait {
	uthread_mutex_t *m;
	uthread_cond_t *c;      /* malloc'd; freed right after destroy */
	int *ready, *flag;      /* under *m */
	int r, saw_flag;
};

static void *wait_on_heap_cond(void *p)
{
	struct freewait *f = p;

	uthread_mutex_lock(f->m);
	++*f->ready;
	while (!*f->flag && f->r == 0)
		f->r = uthread_cond_wait(f->c, f->m);
	f->saw_flag = *f->flag;
	uthread_mutex_unlock(f->m);
	return NULL;
}

/* Nonzero if any byte of p[0, n) is not 0xa5. */
static int scribbled(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != 0xa5)
			return 1;
	return 0;
}

/*
 * Broadcast, destroy at once (the waiters are still on their way out, some
 * requeued onto the mutex).  Destroy must wait until no waiter touches the
 * cond any more: odd iterations free the memory at once (memcheck sees any
 * later access), even ones fill it with a pattern and check after the
 * joins that no waiter wrote to it.
 */
static void destroy_right_after_broadcast(int hold_mutex)
{
	int iters = (int)su_iters(40, 6), late_writes = 0;

	for (int it = 0; it < iters; it++) {
		uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
		uthread_cond_t *c = malloc(sizeof *c);
		struct freewait f[4];
		uthread_t t[4];
		int ready = 0, flag = 0;

		assert_non_null(c);
		assert_int_equal(uthread_cond_init(c, NULL), 0);
		for (int i = 0; i < 4; i++) {
			f[i] = (struct freewait){ &m, c, &ready, &flag, 0, 0 };
			assert_int_equal(uthread_create(&t[i], NULL, wait_on_heap_cond, &f[i]), 0);
		}
		for (;;) {
			assert_int_equal(uthread_mutex_lock(&m), 0);
			if (ready == 4)
				break;
			assert_int_equal(uthread_mutex_unlock(&m), 0);
			usleep(100);
		}
		flag = 1;
		assert_int_equal(uthread_cond_broadcast(c), 0);
		if (!hold_mutex)
			assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(uthread_cond_destroy(c), 0);
		memset(c, 0xa5, sizeof *c);
		if (it & 1) {
			free(c);
			c = NULL;
		}
		if (hold_mutex)
			assert_int_equal(uthread_mutex_unlock(&m), 0);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(uthread_join(t[i], NULL), 0);
			assert_int_equal(f[i].r, 0);
			assert_int_equal(f[i].saw_flag, 1);
		}
		if (c) {
			late_writes += scribbled(c, sizeof *c);
			free(c);
		}
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
	assert_int_equal(late_writes, 0);
}

struct other_binding {
	uthread_cond_t *c;
	uthread_mutex_t m;
};

static void *timedwait_with_another_mutex(void *p)
{
	struct other_binding *o = p;
	struct timespec soon = su_deadline(CLOCK_REALTIME, 20);
	int r;

	if (uthread_mutex_lock(&o->m))
		return (void *)-1;
	r = uthread_cond_timedwait(o->c, &o->m, &soon);
	if (uthread_mutex_unlock(&o->m))
		return (void *)-1;
	return (void *)(intptr_t)r;
}

/*
 * Regression: a broadcast requeued waiters onto m1's word; a wait with m2
 * then bound m2 (allowed: the broadcast ended m1's binding) and timed
 * out; destroy, by the thread still holding m1, woke m2's word only, so
 * the requeued waiters, not blocked on the cond any more, kept it EBUSY.
 */
static void destroy_under_the_old_mutex_after_a_new_binding_succeeds(void **state)
{
	struct flagwait w = { 0 };
	struct other_binding o;
	uthread_t t[3];
	void *r = NULL;

	(void)state;
	assert_int_equal(uthread_mutex_init(&w.m, NULL), 0);
	assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
	assert_int_equal(uthread_mutex_init(&o.m, NULL), 0);
	o.c = &w.c;
	for (int i = 0; i < 3; i++)
		assert_int_equal(uthread_create(&t[i], NULL, wait_for_flag, &w), 0);
	wait_ready(&w, 3); /* holding m1 */
	w.flag = 1;
	assert_int_equal(uthread_cond_broadcast(&w.c), 0);
	uthread_t other;
	assert_int_equal(uthread_create(&other, NULL, timedwait_with_another_mutex, &o), 0);
	assert_int_equal(uthread_join(other, &r), 0);
	assert_int_equal((int)(intptr_t)r, ETIMEDOUT);
	assert_int_equal(uthread_cond_destroy(&w.c), 0); /* was: EBUSY */
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_true(wait_woke(&w, 3, 10000));
	for (int i = 0; i < 3; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(w.errors, 0);
	assert_int_equal(uthread_mutex_destroy(&w.m), 0);
	assert_int_equal(uthread_mutex_destroy(&o.m), 0);
}

static void destroy_right_after_broadcast_succeeds_and_the_memory_may_be_freed(void **state)
{
	(void)state;
	destroy_right_after_broadcast(0);
}

static void destroy_after_broadcast_under_the_mutex_succeeds_and_the_memory_may_be_freed(void **state)
{
	(void)state;
	destroy_right_after_broadcast(1);
}

static void destroy_with_a_blocked_waiter_is_ebusy(void **state)
{
	struct flagwait w;
	uthread_t t;

	(void)state;
	memset(&w, 0, sizeof w);
	make_mutex(&w.m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&w.c, NULL), 0);
	assert_int_equal(uthread_create(&t, NULL, wait_for_flag, &w), 0);
	wait_ready(&w, 1);
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_cond_destroy(&w.c), EBUSY);
	/* The cond still works: the waiter can be woken. */
	assert_int_equal(uthread_mutex_lock(&w.m), 0);
	w.flag = 1;
	assert_int_equal(uthread_cond_signal(&w.c), 0);
	assert_int_equal(uthread_mutex_unlock(&w.m), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(w.errors, 0);
	assert_int_equal(w.woke, 1);
	assert_int_equal(uthread_cond_destroy(&w.c), 0);
	assert_int_equal(uthread_mutex_destroy(&w.m), 0);
}

/* ------------------------------------------------------------------ */
/* A recursive mutex keeps its depth across a wait                      */
/* ------------------------------------------------------------------ */

struct depth {
	uthread_mutex_t m;
	uthread_cond_t c;
	int flag;
	int lock_r;
};

static void *set_flag_later(void *p)
{
	struct depth *d = p;
	struct timespec deadline;

	tu_sleep_ms(20);
	/* Timed: if the wait kept a level, we fail instead of hanging. */
	deadline = su_deadline(CLOCK_REALTIME, 5000);
	d->lock_r = uthread_mutex_timedlock(&d->m, &deadline);
	if (d->lock_r == 0) {
		d->flag = 1;
		uthread_cond_signal(&d->c);
		uthread_mutex_unlock(&d->m);
	}
	return NULL;
}

static void wait_on_a_recursive_mutex_locked_three_times_keeps_the_depth(void **state)
{
	struct depth d;
	struct timespec deadline;
	uthread_t t;
	int r = 0;

	(void)state;
	memset(&d, 0, sizeof d);
	make_mutex(&d.m, UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE);
	assert_int_equal(uthread_cond_init(&d.c, NULL), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(uthread_mutex_lock(&d.m), 0);
	assert_int_equal(uthread_create(&t, NULL, set_flag_later, &d), 0);
	deadline = su_deadline(CLOCK_REALTIME, 10000);
	while (!d.flag && r == 0)
		r = uthread_cond_timedwait(&d.c, &d.m, &deadline);
	assert_int_equal(r, 0);
	assert_int_equal(d.flag, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	/* The other thread could lock it: the wait released every level. */
	assert_int_equal(d.lock_r, 0);
	/* And all three came back. */
	assert_int_equal(uthread_mutex_unlock(&d.m), 0);
	assert_int_equal(uthread_mutex_unlock(&d.m), 0);
	assert_int_equal(uthread_mutex_unlock(&d.m), 0);
	assert_int_equal(uthread_mutex_unlock(&d.m), EPERM);
	assert_int_equal(uthread_cond_destroy(&d.c), 0);
	assert_int_equal(uthread_mutex_destroy(&d.m), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(destroy_under_the_old_mutex_after_a_new_binding_succeeds),
		cmocka_unit_test(bounded_queue_with_signal_delivers_every_item_exactly_once),
		cmocka_unit_test(bounded_queue_with_broadcast_delivers_every_item_exactly_once),
		cmocka_unit_test(bounded_queue_on_an_errorcheck_mutex_delivers_every_item_exactly_once),
		cmocka_unit_test(one_broadcast_wakes_all_eight_waiters),
		cmocka_unit_test(broadcast_without_holding_the_mutex_wakes_all_waiters),
		cmocka_unit_test(ping_pong_of_twenty_thousand_round_trips_loses_no_wakeup),
		cmocka_unit_test(signal_the_moment_the_waiter_releases_the_mutex_is_not_lost),
		cmocka_unit_test(timedwait_on_the_realtime_clock_times_out_not_before_the_deadline),
		cmocka_unit_test(statically_initialised_cond_times_out_on_the_realtime_clock),
		cmocka_unit_test(timedwait_on_the_monotonic_clock_times_out_not_before_the_deadline),
		cmocka_unit_test(condattr_setclock_rejects_cpu_time_clocks),
		cmocka_unit_test(timedwait_with_a_bad_timespec_is_einval_and_keeps_the_mutex),
		cmocka_unit_test(a_signal_sent_before_the_wait_does_not_wake_it),
		cmocka_unit_test(timedwait_returns_zero_when_signalled_before_the_deadline),
		cmocka_unit_test(wait_on_an_errorcheck_mutex_not_held_is_eperm),
		cmocka_unit_test(wait_on_a_recursive_mutex_not_held_is_eperm),
		cmocka_unit_test(null_arguments_are_einval),
		cmocka_unit_test(waiting_with_a_second_mutex_while_others_wait_is_einval),
		cmocka_unit_test(signal_handlers_do_not_end_a_cond_wait),
		cmocka_unit_test(restarting_signal_handlers_do_not_end_a_cond_wait),
		cmocka_unit_test(signal_handlers_do_not_end_a_cond_timedwait),
		cmocka_unit_test(restarting_signal_handlers_do_not_end_a_cond_timedwait),
		cmocka_unit_test(destroy_right_after_broadcast_succeeds_and_the_memory_may_be_freed),
		cmocka_unit_test(destroy_after_broadcast_under_the_mutex_succeeds_and_the_memory_may_be_freed),
		cmocka_unit_test(destroy_with_a_blocked_waiter_is_ebusy),
		cmocka_unit_test(wait_on_a_recursive_mutex_locked_three_times_keeps_the_depth),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
