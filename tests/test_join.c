/* SPDX-License-Identifier: MIT */
/*
 * test_join.c - the joins that give up: uthread_tryjoin_np (EBUSY while
 * the thread runs), uthread_timedjoin_np and uthread_clockjoin_np
 * (ETIMEDOUT at the deadline), and that a join that gave up leaves the
 * thread joinable, also when it ends at the very moment of the deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define TIMEOUT_MS 10000

struct gate {
	int go;
	void *value;
};

static void *wait_for_go(void *arg)
{
	struct gate *g = arg;

	tu_wait(&g->go, 1, -1);
	return g->value;
}

static void *return_arg(void *arg)
{
	return arg;
}

static struct timespec in_ms(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void tryjoin_is_ebusy_while_the_thread_runs_and_joins_once_it_ended(void **state)
{
	struct gate g = { 0, (void *)0x51 };
	uthread_t t;
	void *ret = (void *)1;
	int r;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, wait_for_go, &g), 0);
	assert_int_equal(uthread_tryjoin_np(t, &ret), EBUSY);
	assert_ptr_equal(ret, (void *)1); /* untouched */
	tu_set(&g.go, 1);
	long long end = tu_deadline_ms(TIMEOUT_MS);
	while ((r = uthread_tryjoin_np(t, &ret)) == EBUSY && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(r, 0);
	assert_ptr_equal(ret, (void *)0x51);
	assert_int_equal(uthread_tryjoin_np(t, &ret), ESRCH);
	/* Detached and still running: busy first, as glibc (join: EINVAL). */
	uthread_attr_t a;
	struct gate d = { 0, NULL };
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_create(&t, &a, wait_for_go, &d), 0);
	assert_int_equal(uthread_tryjoin_np(t, NULL), EBUSY);
	assert_int_equal(uthread_join(t, NULL), EINVAL);
	tu_set(&d.go, 1);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	/* It frees itself; the handle goes stale. */
	while (uthread_kill(t, 0) == 0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(uthread_tryjoin_np(t, NULL), ESRCH);
}

static void timed_and_clock_joins_time_out_and_leave_the_thread_joinable(void **state)
{
	struct gate g = { 0, (void *)0x52 };
	struct timespec ts;
	uthread_t t;
	void *ret = (void *)1;
	long long t0;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, wait_for_go, &g), 0);
	t0 = tu_now_ms();
	ts = in_ms(CLOCK_REALTIME, 30);
	assert_int_equal(uthread_timedjoin_np(t, &ret, &ts), ETIMEDOUT);
	assert_true(tu_now_ms() - t0 >= 25);
	ts = in_ms(CLOCK_MONOTONIC, 30);
	assert_int_equal(uthread_clockjoin_np(t, &ret, CLOCK_MONOTONIC, &ts), ETIMEDOUT);
	ts = in_ms(CLOCK_REALTIME, 30);
	assert_int_equal(uthread_clockjoin_np(t, &ret, CLOCK_REALTIME, &ts), ETIMEDOUT);
	assert_true(tu_now_ms() - t0 >= 75);
	assert_ptr_equal(ret, (void *)1);
	/* Still joinable, by anyone. */
	tu_set(&g.go, 1);
	ts = in_ms(CLOCK_MONOTONIC, TIMEOUT_MS);
	assert_int_equal(uthread_clockjoin_np(t, &ret, CLOCK_MONOTONIC, &ts), 0);
	assert_ptr_equal(ret, (void *)0x52);
}

static void a_timed_join_with_no_deadline_waits_like_join(void **state)
{
	uthread_t t;
	void *ret = NULL;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, return_arg, (void *)0x53), 0);
	assert_int_equal(uthread_timedjoin_np(t, &ret, NULL), 0);
	assert_ptr_equal(ret, (void *)0x53);
}

static void an_ended_thread_is_joined_whatever_the_deadline_says(void **state)
{
	const struct timespec past = { 0, 0 }, negative = { -1, 0 };
	uthread_t t[2];
	void *ret = NULL;

	(void)state;
	assert_int_equal(uthread_create(&t[0], NULL, return_arg, (void *)0x54), 0);
	assert_int_equal(uthread_create(&t[1], NULL, return_arg, (void *)0x55), 0);
	assert_int_equal(uthread_join(t[0], NULL), 0);
	pid_t tid;
	long long end = tu_deadline_ms(TIMEOUT_MS);
	while (uthread_gettid(t[1], &tid) == 0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(uthread_timedjoin_np(t[1], &ret, &past), 0);
	assert_ptr_equal(ret, (void *)0x55);
	(void)negative;
	assert_int_equal(uthread_create(&t[0], NULL, return_arg, (void *)0x56), 0);
	while (uthread_gettid(t[0], &tid) == 0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(uthread_clockjoin_np(t[0], &ret, CLOCK_MONOTONIC, &negative), 0);
	assert_ptr_equal(ret, (void *)0x56);
}

static void bad_clocks_and_times_are_einval_and_a_negative_time_has_passed(void **state)
{
	const struct timespec ok = { 0, 0 }, neg_ns = { 0, -1 }, big_ns = { 0, 1000000000L },
	                      negative = { -1, 0 };
	struct gate g = { 0, NULL };
	uthread_t t, ended;

	(void)state;
	assert_int_equal(uthread_create(&ended, NULL, return_arg, NULL), 0);
	assert_int_equal(uthread_create(&t, NULL, wait_for_go, &g), 0);
	/* The clock is checked first, as glibc does: even for a thread that
	 * could be joined at once. */
	assert_int_equal(uthread_clockjoin_np(ended, NULL, CLOCK_PROCESS_CPUTIME_ID, &ok), EINVAL);
	assert_int_equal(uthread_clockjoin_np(ended, NULL, (clockid_t)-1, &ok), EINVAL);
	assert_int_equal(uthread_timedjoin_np(t, NULL, &neg_ns), EINVAL);
	assert_int_equal(uthread_timedjoin_np(t, NULL, &big_ns), EINVAL);
	assert_int_equal(uthread_clockjoin_np(t, NULL, CLOCK_MONOTONIC, &big_ns), EINVAL);
	assert_int_equal(uthread_timedjoin_np(t, NULL, &negative), ETIMEDOUT);
	/* None of them took the thread. */
	tu_set(&g.go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_join(ended, NULL), 0);
	/* Self, detached, stale. */
	/* glibc's try answers EBUSY for a running thread before anything
	 * else: for the caller itself too. */
	assert_int_equal(uthread_tryjoin_np(uthread_self(), NULL), EBUSY);
	assert_int_equal(uthread_timedjoin_np(uthread_self(), NULL, &ok), EDEADLK);
	assert_int_equal(uthread_timedjoin_np(t, NULL, &ok), ESRCH);
	assert_int_equal(uthread_clockjoin_np(t, NULL, CLOCK_REALTIME, &ok), ESRCH);
	assert_int_equal(uthread_tryjoin_np(0, NULL), ESRCH);
}

static void *sleep_a_little(void *arg)
{
	tu_sleep_ms((long)(intptr_t)arg);
	return arg;
}

/* The deadline and the thread's end race: whichever wins, a timed-out
 * join leaves the thread to the next join, which gets its value. */
static void a_deadline_racing_the_end_never_loses_the_thread(void **state)
{
	const int rounds = tu_on_valgrind() ? 40 : 400;
	int timeouts = 0;

	(void)state;
	for (int i = 0; i < rounds; i++) {
		long ms = i % 3;
		struct timespec ts = in_ms(CLOCK_MONOTONIC, 1);
		void *ret = NULL;
		uthread_t t;
		int r;

		assert_int_equal(uthread_create(&t, NULL, sleep_a_little, (void *)(intptr_t)ms), 0);
		r = uthread_clockjoin_np(t, &ret, CLOCK_MONOTONIC, &ts);
		if (r == ETIMEDOUT) {
			timeouts++;
			assert_int_equal(uthread_join(t, &ret), 0);
		} else {
			assert_int_equal(r, 0);
		}
		assert_ptr_equal(ret, (void *)(intptr_t)ms);
	}
	/* Both outcomes happened, or the race was not run. */
	assert_true(timeouts > 0 && timeouts < rounds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tryjoin_is_ebusy_while_the_thread_runs_and_joins_once_it_ended),
		cmocka_unit_test(timed_and_clock_joins_time_out_and_leave_the_thread_joinable),
		cmocka_unit_test(a_timed_join_with_no_deadline_waits_like_join),
		cmocka_unit_test(an_ended_thread_is_joined_whatever_the_deadline_says),
		cmocka_unit_test(bad_clocks_and_times_are_einval_and_a_negative_time_has_passed),
		cmocka_unit_test(a_deadline_racing_the_end_never_loses_the_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
