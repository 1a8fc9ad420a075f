/* SPDX-License-Identifier: MIT */
/*
 * test_barrier.c - uthread_barrier_*: thousands of rounds with exactly one
 * serial thread each and nobody leaving a round early, count 0 and count 1,
 * destroy while a thread waits and right after the last round.  Threads
 * never call cmocka: they record what they saw and the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

#define NTHREADS 4
#define MAX_ROUNDS 2000

struct rounds {
	uthread_barrier_t b;
	long nrounds;
	int arrived[MAX_ROUNDS];  /* threads that reached round r (atomic) */
	int serial[MAX_ROUNDS];   /* SERIAL_THREAD answers in round r (atomic) */
	int early;                /* left round r before all had arrived */
	int bad_return;           /* neither 0 nor SERIAL_THREAD */
};

static void *run_rounds(void *p)
{
	struct rounds *x = p;

	for (long r = 0; r < x->nrounds; r++) {
		int ret;

		__atomic_fetch_add(&x->arrived[r], 1, __ATOMIC_RELAXED);
		ret = uthread_barrier_wait(&x->b);
		/* Everyone's arrival at round r happened before the barrier
		 * opened: all of them are visible now. */
		if (__atomic_load_n(&x->arrived[r], __ATOMIC_RELAXED) != NTHREADS)
			__atomic_fetch_add(&x->early, 1, __ATOMIC_RELAXED);
		if (ret == UTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&x->serial[r], 1, __ATOMIC_RELAXED);
		else if (ret != 0)
			__atomic_fetch_add(&x->bad_return, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void each_of_two_thousand_rounds_has_one_serial_thread_and_no_early_leaver(void **state)
{
	struct rounds *x = calloc(1, sizeof *x);
	uthread_t t[NTHREADS];
	long serials = 0;

	(void)state;
	assert_non_null(x);
	x->nrounds = su_iters(MAX_ROUNDS, 100);
	assert_int_equal(uthread_barrier_init(&x->b, NULL, NTHREADS), 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, run_rounds, x), 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(x->bad_return, 0);
	assert_int_equal(x->early, 0);
	for (long r = 0; r < x->nrounds; r++) {
		if (x->serial[r] != 1)
			fail_msg("round %ld: %d serial threads", r, x->serial[r]);
		assert_int_equal(x->arrived[r], NTHREADS);
		serials += x->serial[r];
	}
	assert_int_equal(serials, x->nrounds);
	assert_int_equal(uthread_barrier_destroy(&x->b), 0);
	free(x);
}

static void init_with_count_zero_is_einval(void **state)
{
	uthread_barrier_t b;
	uthread_barrierattr_t a;

	(void)state;
	assert_int_equal(uthread_barrier_init(&b, NULL, 0), EINVAL);
	assert_int_equal(uthread_barrierattr_init(&a), 0);
	assert_int_equal(uthread_barrier_init(&b, &a, 0), EINVAL);
	assert_int_equal(uthread_barrier_init(&b, &a, 1), 0);
	assert_int_equal(uthread_barrier_destroy(&b), 0);
	assert_int_equal(uthread_barrierattr_destroy(&a), 0);
	assert_int_equal(uthread_barrierattr_destroy(&a), EINVAL);
	assert_int_equal(uthread_barrier_init(&b, &a, 1), EINVAL);
}

static void null_arguments_are_einval(void **state)
{
	(void)state;
	assert_int_equal(uthread_barrier_init(NULL, NULL, 1), EINVAL);
	assert_int_equal(uthread_barrier_destroy(NULL), EINVAL);
	assert_int_equal(uthread_barrier_wait(NULL), EINVAL);
	assert_int_equal(uthread_barrierattr_init(NULL), EINVAL);
	assert_int_equal(uthread_barrierattr_destroy(NULL), EINVAL);
}

static void barrier_of_one_returns_serial_at_once_every_time(void **state)
{
	uthread_barrier_t b;

	(void)state;
	assert_int_equal(uthread_barrier_init(&b, NULL, 1), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(uthread_barrier_wait(&b), UTHREAD_BARRIER_SERIAL_THREAD);
	assert_int_equal(uthread_barrier_destroy(&b), 0);
}

struct waiter {
	uthread_barrier_t *b;
	int r;
};

static void *wait_once(void *p)
{
	struct waiter *w = p;

	w->r = uthread_barrier_wait(w->b);
	return NULL;
}

static void destroy_while_a_thread_waits_is_ebusy(void **state)
{
	uthread_barrier_t b;
	struct waiter w = { &b, -1 };
	uthread_t t;
	int r;

	(void)state;
	assert_int_equal(uthread_barrier_init(&b, NULL, 2), 0);
	assert_int_equal(uthread_create(&t, NULL, wait_once, &w), 0);
	/* Asleep in the barrier (it has arrived). */
	assert_true(su_wait_futex_sleep(su_tid(t), 5000));
	assert_int_equal(uthread_barrier_destroy(&b), EBUSY);
	/* Still a working barrier: we complete the round. */
	r = uthread_barrier_wait(&b);
	assert_int_equal(uthread_join(t, NULL), 0);
	/* We arrived last: we are the serial thread. */
	assert_int_equal(r, UTHREAD_BARRIER_SERIAL_THREAD);
	assert_int_equal(w.r, 0);
	assert_int_equal(uthread_barrier_destroy(&b), 0);
}

struct last_round {
	uthread_barrier_t *b;
	long nrounds;
	int errors;
};

static void *rounds_then_leave(void *p)
{
	struct last_round *x = p;

	for (long r = 0; r < x->nrounds; r++) {
		int ret = uthread_barrier_wait(x->b);
		if (ret != 0 && ret != UTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&x->errors, 1, __ATOMIC_RELAXED);
	}
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
 * The main thread takes part in every round and destroys the (malloc'd)
 * barrier the moment its last wait returns, while the others may still be
 * on their way out.  Destroy must wait for them: odd iterations free the
 * memory at once (memcheck sees any later access), even ones fill it with
 * a pattern and check after the joins that no thread wrote to it.
 */
static void destroy_right_after_the_last_round_succeeds_and_the_memory_may_be_freed(void **state)
{
	int iters = (int)su_iters(100, 6), late_writes = 0;

	(void)state;
	for (int it = 0; it < iters; it++) {
		uthread_barrier_t *b = malloc(sizeof *b);
		struct last_round x = { b, 20, 0 };
		uthread_t t[NTHREADS - 1];
		int errors = 0;

		assert_non_null(b);
		assert_int_equal(uthread_barrier_init(b, NULL, NTHREADS), 0);
		for (int i = 0; i < NTHREADS - 1; i++)
			assert_int_equal(uthread_create(&t[i], NULL, rounds_then_leave, &x), 0);
		for (long r = 0; r < x.nrounds; r++) {
			int ret = uthread_barrier_wait(b);
			errors += ret != 0 && ret != UTHREAD_BARRIER_SERIAL_THREAD;
		}
		assert_int_equal(uthread_barrier_destroy(b), 0);
		memset(b, 0xa5, sizeof *b);
		if (it & 1) {
			free(b);
			b = NULL;
		}
		for (int i = 0; i < NTHREADS - 1; i++)
			assert_int_equal(uthread_join(t[i], NULL), 0);
		if (b) {
			late_writes += scribbled(b, sizeof *b);
			free(b);
		}
		assert_int_equal(errors, 0);
		assert_int_equal(x.errors, 0);
	}
	assert_int_equal(late_writes, 0);
}

static void wait_on_a_destroyed_barrier_is_einval(void **state)
{
	uthread_barrier_t b;

	(void)state;
	assert_int_equal(uthread_barrier_init(&b, NULL, 1), 0);
	assert_int_equal(uthread_barrier_destroy(&b), 0);
	assert_int_equal(uthread_barrier_wait(&b), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_of_two_thousand_rounds_has_one_serial_thread_and_no_early_leaver),
		cmocka_unit_test(init_with_count_zero_is_einval),
		cmocka_unit_test(null_arguments_are_einval),
		cmocka_unit_test(barrier_of_one_returns_serial_at_once_every_time),
		cmocka_unit_test(destroy_while_a_thread_waits_is_ebusy),
		cmocka_unit_test(destroy_right_after_the_last_round_succeeds_and_the_memory_may_be_freed),
		cmocka_unit_test(wait_on_a_destroyed_barrier_is_einval),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
