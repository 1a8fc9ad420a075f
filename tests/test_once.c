/* SPDX-License-Identifier: MIT */
/*
 * test_once.c - uthread_once(): a slow init raced by sixteen threads runs
 * once and every caller returns after it finished; a thousand controls
 * raced by four threads each run once; bad arguments.  Threads never call
 * cmocka: they record what they saw and the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* ------------------------------------------------------------------ */
/* An init cut short is started over (issue 12, case 10)                */
/* ------------------------------------------------------------------ */

static uthread_once_t cut_once;
static int in_init, release_init, second_runs;

static void second_init(void)
{
	__atomic_fetch_add(&second_runs, 1, __ATOMIC_RELAXED);
}

/* Blocks inside init until released. */
static void held_init(void)
{
	tu_set(&in_init, 1);
	tu_wait(&release_init, 1, -1);
}

static void *run_held_init(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)uthread_once(&cut_once, held_init);
}

static int child_runs_init(void *unused)
{
	(void)unused;
	alarm(20);
	if (uthread_once(&cut_once, second_init) || second_runs != 1)
		return 10;
	/* And it is done now. */
	return uthread_once(&cut_once, second_init) == 0 && second_runs == 1 ? 0 : 11;
}

/*
 * Regression: a fork while another thread ran the init left a child whose
 * uthread_once waited for ever for a runner it does not have.  The child
 * runs the init itself; the parent's runner finishes as usual.
 */
static void a_fork_child_runs_an_init_its_parent_was_running(void **state)
{
	uthread_t t;
	void *r = (void *)1;
	int st;

	(void)state;
	cut_once = UTHREAD_ONCE_INIT;
	in_init = release_init = second_runs = 0;
	assert_int_equal(uthread_create(&t, NULL, run_held_init, NULL), 0);
	assert_true(tu_wait(&in_init, 1, 5000));
	st = tu_in_child(child_runs_init, NULL);
	tu_set(&release_init, 1);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_null(r);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(second_runs, 0); /* not in the parent */
}

static int ending_kind; /* 0: uthread_exit, 1: pthread_exit */
static int sleeper_waits;

static void ending_init(void)
{
	/* Let a second caller go to sleep on the control first. */
	tu_set(&in_init, 1);
	tu_wait(&sleeper_waits, 1, 5000);
	tu_sleep_ms(20);
	if (ending_kind == 0)
		uthread_exit((void *)7);
	pthread_exit((void *)7);
}

static void *run_ending_init(void *arg)
{
	(void)arg;
	(void)uthread_once(&cut_once, ending_init);
	return NULL; /* not reached */
}

static void *sleep_on_control(void *arg)
{
	(void)arg;
	tu_set(&sleeper_waits, 1);
	return (void *)(intptr_t)uthread_once(&cut_once, second_init);
}

static int init_ends_its_thread(void *kind)
{
	uthread_t t, sleeper;
	pthread_t pt;
	void *r = NULL;

	alarm(20);
	ending_kind = (int)(intptr_t)kind & 1;
	cut_once = UTHREAD_ONCE_INIT;
	in_init = sleeper_waits = second_runs = 0;
	if ((intptr_t)kind & 2) { /* a pthread runs the init */
		if (pthread_create(&pt, NULL, run_ending_init, NULL))
			return 10;
	} else if (uthread_create(&t, NULL, run_ending_init, NULL)) {
		return 10;
	}
	if (!tu_wait(&in_init, 1, 5000) ||
	    uthread_create(&sleeper, NULL, sleep_on_control, NULL))
		return 11;
	if ((intptr_t)kind & 2 ? pthread_join(pt, &r) : uthread_join(t, &r))
		return 12;
	if (r != (void *)7)
		return 13;
	/* The sleeper was woken and ran the init itself. */
	if (uthread_join(sleeper, &r) || r != NULL || second_runs != 1)
		return 14;
	/* Done now: later callers return at once. */
	return uthread_once(&cut_once, second_init) == 0 && second_runs == 1 ? 0 : 15;
}

static void check_ending(intptr_t kind)
{
	int st = tu_in_child(init_ends_its_thread, (void *)kind);

	assert_true(WIFEXITED(st)); /* SIGALRM: a caller hung */
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * Regression: an init that ended its thread (uthread_exit) left the
 * control running for ever, and every later caller hung.  glibc starts
 * it over: so does uthread_once, for uthread_exit and for glibc's
 * pthread_exit, in a uthread or a pthread.
 */
static void an_init_that_calls_uthread_exit_is_started_over(void **state)
{
	(void)state;
	check_ending(0);
}

static void an_init_that_calls_pthread_exit_in_a_uthread_is_started_over(void **state)
{
	(void)state;
	check_ending(1);
}

static void an_init_that_calls_pthread_exit_in_a_pthread_is_started_over(void **state)
{
	(void)state;
	check_ending(3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slow_init_raced_by_sixteen_threads_runs_once_and_all_wait_for_it),
		cmocka_unit_test(thousand_controls_raced_by_four_threads_each_run_exactly_once),
		cmocka_unit_test(null_control_or_init_is_einval),
		cmocka_unit_test(a_fork_child_runs_an_init_its_parent_was_running),
		cmocka_unit_test(an_init_that_calls_uthread_exit_is_started_over),
		cmocka_unit_test(an_init_that_calls_pthread_exit_in_a_uthread_is_started_over),
		cmocka_unit_test(an_init_that_calls_pthread_exit_in_a_pthread_is_started_over),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
