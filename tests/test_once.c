/* SPDX-License-Identifier: MIT */
/*
 * test_once.c - uthread_once(): a slow init raced by sixteen threads runs
 * once and every caller returns after it finished; a thousand controls
 * raced by four threads each run once; bad arguments.  Threads never call
 * cmocka: they record what they saw and the main thread asserts.
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

/* ------------------------------------------------------------------ */
/* Sixteen threads, one slow init                                       */
/* ------------------------------------------------------------------ */

#define RACERS 16

static uthread_once_t slow_once;
static int slow_runs;           /* atomic: how often init ran */
static int slow_done;           /* plain: init's side effect, last thing it does */
static int slow_ready, slow_go;

static void slow_init(void)
{
	__atomic_fetch_add(&slow_runs, 1, __ATOMIC_RELAXED);
	tu_sleep_ms(20);
	slow_done = 1; /* plain store: once must publish it */
}

struct racer {
	int r;
	int saw_done;           /* the side effect, read right after once */
	int saw_runs;
};

static void *race_slow_once(void *p)
{
	struct racer *me = p;

	tu_add(&slow_ready, 1);
	tu_wait(&slow_go, 1, -1);
	me->r = uthread_once(&slow_once, slow_init);
	me->saw_done = slow_done;
	me->saw_runs = __atomic_load_n(&slow_runs, __ATOMIC_RELAXED);
	return NULL;
}

static void slow_init_raced_by_sixteen_threads_runs_once_and_all_wait_for_it(void **state)
{
	int rounds = (int)su_iters(5, 2);

	(void)state;
	for (int round = 0; round < rounds; round++) {
		struct racer rc[RACERS];
		uthread_t t[RACERS];

		slow_once = UTHREAD_ONCE_INIT;
		slow_runs = 0;
		slow_done = 0;
		slow_ready = 0;
		slow_go = 0;
		memset(rc, 0, sizeof rc);
		for (int i = 0; i < RACERS; i++)
			assert_int_equal(uthread_create(&t[i], NULL, race_slow_once, &rc[i]), 0);
		tu_wait(&slow_ready, RACERS, -1);
		tu_set(&slow_go, 1);
		for (int i = 0; i < RACERS; i++) {
			assert_int_equal(uthread_join(t[i], NULL), 0);
			assert_int_equal(rc[i].r, 0);
			assert_int_equal(rc[i].saw_done, 1);
			assert_int_equal(rc[i].saw_runs, 1);
		}
		assert_int_equal(slow_runs, 1);
		/* Later callers do not run it again either. */
		assert_int_equal(uthread_once(&slow_once, slow_init), 0);
		assert_int_equal(slow_runs, 1);
	}
}

/* ------------------------------------------------------------------ */
/* A thousand controls                                                  */
/* ------------------------------------------------------------------ */

#define NCONTROLS 1000
#define NRACERS 4

static uthread_once_t controls[NCONTROLS];
static int runs[NCONTROLS];     /* atomic */
static int published[NCONTROLS];/* plain: written by init */
static int arrived[NCONTROLS];  /* start line of each control (atomic) */
static __thread int current;    /* the control this thread is calling */

static void count_init(void)
{
	/* The init runs in the calling thread: current names its control. */
	__atomic_fetch_add(&runs[current], 1, __ATOMIC_RELAXED);
	/* A little work: racers that lost find it running. */
	for (int i = 0; i < 100; i++)
		__asm__ volatile("pause" ::: "memory");
	published[current] = current + 1;
}

struct many {
	int id;
	int errors;             /* once returned nonzero */
	int unpublished;        /* returned before its init's write was visible */
};

/* Wait until every racer has reached the start line of control i, so they
 * call uthread_once on it at the same moment.  Not under valgrind, which
 * runs one thread at a time anyway (and DRD is slow at the hand-shakes). */
static void start_line(int i)
{
	if (tu_on_valgrind())
		return;
	tu_add(&arrived[i], 1);
	tu_wait(&arrived[i], NRACERS, -1);
}

static void *race_many(void *p)
{
	struct many *me = p;

	for (int i = 0; i < NCONTROLS; i++) {
		start_line(i);
		current = i;
		if (uthread_once(&controls[i], count_init) != 0)
			me->errors++;
		if (published[i] != i + 1)
			me->unpublished++;
	}
	return NULL;
}

static void thousand_controls_raced_by_four_threads_each_run_exactly_once(void **state)
{
	struct many m[NRACERS];
	uthread_t t[NRACERS];
	int rounds = (int)su_iters(10, 1);
	long long t0 = tu_now_ms();

	(void)state;
	/* Up to ten rounds, fewer if the machine is busy: the start lines
	 * wait for every racer to be on a CPU. */
	for (int round = 0; round < rounds && (round == 0 || tu_now_ms() - t0 < 2000);
	     round++) {
		memset(controls, 0, sizeof controls);
		memset(runs, 0, sizeof runs);
		memset(published, 0, sizeof published);
		memset(arrived, 0, sizeof arrived);
		for (int i = 0; i < NRACERS; i++) {
			m[i] = (struct many){ i, 0, 0 };
			assert_int_equal(uthread_create(&t[i], NULL, race_many, &m[i]), 0);
		}
		for (int i = 0; i < NRACERS; i++) {
			assert_int_equal(uthread_join(t[i], NULL), 0);
			assert_int_equal(m[i].errors, 0);
			assert_int_equal(m[i].unpublished, 0);
		}
		for (int i = 0; i < NCONTROLS; i++)
			if (runs[i] != 1)
				fail_msg("control %d: init ran %d times", i, runs[i]);
	}
}

/* ------------------------------------------------------------------ */
/* Bad arguments                                                        */
/* ------------------------------------------------------------------ */

static int plain_runs;

static void plain_init(void)
{
	plain_runs++;
}

static void null_control_or_init_is_einval(void **state)
{
	uthread_once_t once = UTHREAD_ONCE_INIT;

	(void)state;
	assert_int_equal(uthread_once(NULL, plain_init), EINVAL);
	assert_int_equal(uthread_once(&once, NULL), EINVAL);
	assert_int_equal(uthread_once(NULL, NULL), EINVAL);
	assert_int_equal(plain_runs, 0);
	/* The refused call did not consume the control. */
	assert_int_equal(uthread_once(&once, plain_init), 0);
	assert_int_equal(plain_runs, 1);
	assert_int_equal(uthread_once(&once, plain_init), 0);
	assert_int_equal(plain_runs, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slow_init_raced_by_sixteen_threads_runs_once_and_all_wait_for_it),
		cmocka_unit_test(thousand_controls_raced_by_four_threads_each_run_exactly_once),
		cmocka_unit_test(null_control_or_init_is_einval),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
