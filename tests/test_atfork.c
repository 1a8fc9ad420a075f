/* SPDX-License-Identifier: MIT */
/*
 * test_atfork.c - uthread_atfork: the order pthread_atfork gives (prepare
 * handlers last-registered first, parent and child handlers in order),
 * forks from the main thread and from a uthread, the classic "lock in
 * prepare, unlock in parent and child" with another thread hammering the
 * lock, and a child handler that creates a uthread.  Each child reports
 * through its exit status; only the parent calls cmocka.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

/* What the handlers ran, in order: one letter each (forking thread only). */
static char trace[64];
static size_t traced;

static void note(char c)
{
	if (traced < sizeof trace - 1)
		trace[traced++] = c;
	trace[traced] = '\0';
}

static void prep1(void) { note('1'); }
static void prep2(void) { note('2'); }
static void prep3(void) { note('3'); }
static void par1(void) { note('a'); }
static void par2(void) { note('b'); }
static void par3(void) { note('c'); }
static void chi1(void) { note('A'); }
static void chi2(void) { note('B'); }
static void chi3(void) { note('C'); }

static void register_three_once(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	assert_int_equal(uthread_atfork(prep1, par1, chi1), 0);
	assert_int_equal(uthread_atfork(prep2, par2, chi2), 0);
	/* NULL handlers are allowed, and skipped. */
	assert_int_equal(uthread_atfork(NULL, NULL, NULL), 0);
	assert_int_equal(uthread_atfork(prep3, par3, chi3), 0);
}

/* Fork; the child exits 0 if its trace is want_child.  The parent's trace
 * is returned in trace. */
static int fork_and_check_child(const char *want_child)
{
	int st;
	pid_t pid;

	traced = 0;
	trace[0] = '\0';
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(strcmp(trace, want_child) == 0 ? 0 : 1);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void handlers_run_in_pthread_atfork_order(void **state)
{
	(void)state;
	register_three_once();
	assert_int_equal(fork_and_check_child("321ABC"), 0);
	assert_string_equal(trace, "321abc");
}

static void *fork_from_here(void *p)
{
	return (void *)(intptr_t)fork_and_check_child(p);
}

static void a_fork_in_a_uthread_runs_them_too(void **state)
{
	uthread_t t;
	void *r;

	(void)state;
	register_three_once();
	assert_int_equal(uthread_create(&t, NULL, fork_from_here, "321ABC"), 0);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_int_equal((intptr_t)r, 0);
	assert_string_equal(trace, "321abc");
}

/* ------------------------------------------------------------------ */
/* The classic use: a lock held across the fork                         */
/* ------------------------------------------------------------------ */

static uthread_mutex_t lock = UTHREAD_MUTEX_INITIALIZER;
static long counter; /* under lock */
static int stop;

static void take_lock(void) { uthread_mutex_lock(&lock); }
static void drop_lock(void) { uthread_mutex_unlock(&lock); }

static void *hammer(void *p)
{
	(void)p;
	while (!tu_get(&stop)) {
		uthread_mutex_lock(&lock);
		counter++;
		uthread_mutex_unlock(&lock);
	}
	return NULL;
}

/* In the child: the lock must be free, and the counter whole. */
static int child_checks_lock(void)
{
	long c;

	if (uthread_mutex_trylock(&lock) != 0)
		return 1;
	c = counter;
	uthread_mutex_unlock(&lock);
	return c >= 0 ? 0 : 2;
}

static void a_lock_taken_in_prepare_is_free_in_the_child(void **state)
{
	static int registered;
	int forks = (int)su_iters(50, 5);
	uthread_t t;

	(void)state;
	if (!registered) {
		assert_int_equal(uthread_atfork(take_lock, drop_lock, drop_lock), 0);
		registered = 1;
	}
	tu_set(&stop, 0);
	assert_int_equal(uthread_create(&t, NULL, hammer, NULL), 0);
	for (int i = 0; i < forks; i++) {
		int st;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		if (pid == 0)
			_exit(child_checks_lock());
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
		/* And the parent handler let it go in the parent. */
		assert_int_equal(uthread_mutex_lock(&lock), 0);
		assert_int_equal(uthread_mutex_unlock(&lock), 0);
	}
	tu_set(&stop, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
}

/* ------------------------------------------------------------------ */
/* A child handler runs after the library's own                         */
/* ------------------------------------------------------------------ */

static int child_created; /* the child handler's uthread_create + join */

static void *seven(void *p)
{
	(void)p;
	return (void *)7;
}

static void create_in_child(void)
{
	uthread_t t;
	void *r = NULL;

	child_created = uthread_create(&t, NULL, seven, NULL) == 0 &&
	                uthread_join(t, &r) == 0 && r == (void *)7 ? 1 : -1;
}

static void a_child_handler_may_create_a_uthread(void **state)
{
	uthread_t t;
	int st;
	pid_t pid;

	(void)state;
	/* A parent thread in the registry that the child must forget. */
	assert_int_equal(uthread_create(&t, NULL, seven, NULL), 0);
	assert_int_equal(uthread_atfork(NULL, NULL, create_in_child), 0);
	child_created = 0;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(child_created == 1 ? 0 : 1);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(child_created, 0); /* not in the parent */
	assert_int_equal(uthread_join(t, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handlers_run_in_pthread_atfork_order),
		cmocka_unit_test(a_fork_in_a_uthread_runs_them_too),
		cmocka_unit_test(a_lock_taken_in_prepare_is_free_in_the_child),
		cmocka_unit_test(a_child_handler_may_create_a_uthread),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
