/* SPDX-License-Identifier: MIT */
/*
 * test_books: a uthread is on glibc's books.  glibc keeps its own account
 * of a process's threads (the thread count, the lists of stacks in use,
 * each thread's resolver state, its cleanup jump buffer); what glibc does
 * for its threads through them must happen for uthreads too: a fork
 * child's join of a thread it does not have, the end of a fork child's
 * last thread, ...  Each case runs in a forked child with an alarm, so a
 * hang fails it instead of hanging the suite.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
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

#define TIMEOUT_MS 5000
#define ALARM_S 20 /* a case's child, hung, is killed after this */

static int child_with_alarm(void *arg)
{
	int (*body)(void) = (int (*)(void))(uintptr_t)arg;

	alarm(ALARM_S);
	return body();
}

/* Run body() in a forked child; it must exit 0, not hang or crash. */
static void in_child(int (*body)(void))
{
	int st = tu_in_child(child_with_alarm, (void *)(uintptr_t)body);

	assert_int_not_equal(st, -1);
	if (WIFSIGNALED(st))
		print_error("the child died of signal %d%s\n", WTERMSIG(st),
		            WTERMSIG(st) == SIGALRM ? " (it hung)" : "");
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Wait for a child of ours, at most ms; its status, or -1. */
static int wait_for(pid_t pid, long ms)
{
	long long end = tu_deadline_ms(ms);
	int st;

	do {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return st;
		if (r < 0)
			return -1;
		tu_sleep_ms(2);
	} while (tu_now_ms() < end);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Case 8: a fork child's join of a thread only the parent has          */
/* ------------------------------------------------------------------ */

static int release;

static void *held(void *arg)
{
	tu_wait(&release, 1, -1);
	return arg;
}

static void *returns_arg(void *arg)
{
	return arg;
}

/*
 * Regression: in the child, uthread_join of a thread that existed only in
 * the parent waited for ever; glibc's join returns, since that thread is
 * gone.  Both a running thread and one that ended unjoined.
 */
static int join_of_a_parent_thread_returns(void)
{
	uthread_t running, ended, t;
	void *r = (void *)1;
	int st;

	release = 0;
	if (uthread_create(&running, NULL, held, (void *)7) ||
	    uthread_create(&ended, NULL, returns_arg, (void *)8))
		return 10;
	pid_t end_tid;
	long long end = tu_deadline_ms(TIMEOUT_MS);
	while (uthread_gettid(ended, &end_tid) == 0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int rc = uthread_join(running, NULL);
		if (rc == 0)
			rc = uthread_join(ended, &r) ? 12 : r == (void *)8 ? 0 : 13;
		else
			rc = 11;
		/* And the child goes on creating threads. */
		if (rc == 0 && (uthread_create(&t, NULL, returns_arg, (void *)9) ||
		                uthread_join(t, &r) || r != (void *)9))
			rc = 14;
		_exit(rc);
	}
	st = wait_for(pid, 10000);
	tu_set(&release, 1);
	if (uthread_join(running, &r) || r != (void *)7 || uthread_join(ended, &r) ||
	    r != (void *)8)
		return 15;
	if (st == -1)
		return 16; /* the child hung */
	return WIFEXITED(st) ? WEXITSTATUS(st) : 17;
}

static void join_in_a_fork_child_of_a_thread_only_the_parent_had_returns(void **state)
{
	(void)state;
	in_child(join_of_a_parent_thread_returns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(join_in_a_fork_child_of_a_thread_only_the_parent_had_returns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
