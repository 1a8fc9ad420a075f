/* SPDX-License-Identifier: MIT */
/*
 * test_main_exit.c - uthread_exit() in the main thread: the process lives
 * on until its last uthread has ended, then exits with status 0 as exit(0)
 * would (atexit handlers run, stdio is flushed).  Each case runs in a
 * forked child whose main thread is the one that leaves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
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

#define LATE_MS 100

static int marker_fd = -1;   /* the child's write end of the pipe */

static void write_marker(char c)
{
	while (write(marker_fd, &c, 1) < 0 && errno == EINTR)
		;
}

static void atexit_marker(void)
{
	write_marker('A');
}

static void *late_marker(void *arg)
{
	tu_sleep_ms(LATE_MS);
	write_marker(*(const char *)arg);
	return NULL;
}

/* Starts a detached late_marker thread and returns at once. */
static void *start_a_late_detached_thread(void *arg)
{
	uthread_attr_t a;
	uthread_t t;

	if (uthread_attr_init(&a) ||
	    uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED) ||
	    uthread_create(&t, &a, late_marker, arg))
		write_marker('E');
	return NULL;
}

static uthread_t main_handle; /* the child's main thread */

/* Joins main, which leaves with uthread_exit((void *)3): POSIX lets a
 * thread join main and get that value, as glibc does. */
static void *join_the_main_thread(void *arg)
{
	void *v = NULL;
	int r = uthread_join(main_handle, &v);

	write_marker(r == 0 && v == (void *)3 ? *(const char *)arg : 'X');
	/* Joined: main's handle names no thread any more. */
	write_marker(uthread_join(main_handle, NULL) == ESRCH &&
	             uthread_tryjoin_np(main_handle, NULL) == ESRCH &&
	             uthread_detach(main_handle) == ESRCH ? 'S' : 'Y');
	return NULL;
}

struct scenario {
	void *(*start)(void *); /* NULL: main leaves with no thread running */
	int detached;
	const char *marker;     /* what the thread writes */
};

static void *late_printf(void *arg)
{
	tu_sleep_ms(LATE_MS);
	printf("%s", "printed late, never flushed by the thread\n");
	write_marker(*(const char *)arg);
	return NULL;
}

/* The child: register the atexit marker, start the thread, leave main. */
static int leave_main(void *arg)
{
	const struct scenario *s = arg;
	uthread_attr_t a;
	uthread_t t;

	if (atexit(atexit_marker))
		return 2;
	if (uthread_attr_init(&a))
		return 3;
	if (s->detached && uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED))
		return 4;
	main_handle = uthread_self();
	if (s->start && uthread_create(&t, &a, s->start, (void *)s->marker))
		return 5;
	uthread_exit((void *)3); /* the value is not the exit status */
}

struct outcome {
	int status;
	long long ms;
	char text[256];   /* the markers, in order */
	char out[256];    /* the child's stdout */
};

static void run_scenario(const struct scenario *s, struct outcome *o)
{
	int mfd[2], ofd[2];
	long long t0;
	pid_t pid;
	ssize_t n;

	memset(o, 0, sizeof *o);
	assert_int_equal(pipe(mfd), 0);
	assert_int_equal(pipe(ofd), 0);
	fflush(NULL);
	t0 = tu_now_ms();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(mfd[0]);
		close(ofd[0]);
		marker_fd = mfd[1];
		if (dup2(ofd[1], STDOUT_FILENO) < 0)
			_exit(6);
		_exit(leave_main((void *)s));
	}
	close(mfd[1]);
	close(ofd[1]);
	assert_int_equal(waitpid(pid, &o->status, 0), pid);
	o->ms = tu_now_ms() - t0;
	n = read(mfd[0], o->text, sizeof o->text - 1);
	o->text[n > 0 ? n : 0] = '\0';
	n = read(ofd[0], o->out, sizeof o->out - 1);
	o->out[n > 0 ? n : 0] = '\0';
	close(mfd[0]);
	close(ofd[0]);
}

static void main_exit_waits_for_a_running_thread_then_the_process_exits_with_status_zero(void **state)
{
	const struct scenario s = { late_marker, 0, "M" };
	struct outcome o;

	(void)state;
	run_scenario(&s, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	assert_true(o.text[0] == 'M');
	assert_true(o.ms >= LATE_MS - 10);
}

static void atexit_handlers_run_when_the_last_thread_ends_after_main_exited(void **state)
{
	const struct scenario s = { late_marker, 0, "M" };
	struct outcome o;

	(void)state;
	run_scenario(&s, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	/* The thread's marker, then the atexit handler's, once. */
	assert_string_equal(o.text, "MA");
}

static void main_exit_waits_for_a_detached_thread_too(void **state)
{
	const struct scenario s = { late_marker, 1, "D" };
	struct outcome o;

	(void)state;
	run_scenario(&s, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	assert_string_equal(o.text, "DA");
	assert_true(o.ms >= LATE_MS - 10);
}

static void main_exit_waits_for_threads_started_by_other_threads(void **state)
{
	/* A joinable thread starts a detached one and ends at once. */
	const struct scenario s = { start_a_late_detached_thread, 0, "G" };
	struct outcome o;

	(void)state;
	run_scenario(&s, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	assert_string_equal(o.text, "GA");
	assert_true(o.ms >= LATE_MS - 10);
}

static void main_exit_with_no_thread_left_exits_with_status_zero_at_once(void **state)
{
	const struct scenario s = { NULL, 0, "" };
	struct outcome o;

	(void)state;
	run_scenario(&s, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	assert_string_equal(o.text, "A");
	assert_true(o.ms < 2000);
}

static void stdout_is_flushed_when_the_process_ends_after_main_exited(void **state)
{
	const struct scenario s = { late_printf, 0, "P" };
	struct outcome o;

	(void)state;
	run_scenario(&s, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	assert_string_equal(o.text, "PA");
	assert_string_equal(o.out, "printed late, never flushed by the thread\n");
}

static void a_thread_joining_main_gets_the_value_main_exited_with(void **state)
{
	const struct scenario s = { join_the_main_thread, 0, "J" };
	struct outcome o;

	(void)state;
	run_scenario(&s, &o);
	assert_true(WIFEXITED(o.status));
	assert_int_equal(WEXITSTATUS(o.status), 0);
	/* The join returned 3, then main's handle was spent, then exit. */
	assert_string_equal(o.text, "JSA");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(main_exit_waits_for_a_running_thread_then_the_process_exits_with_status_zero),
		cmocka_unit_test(atexit_handlers_run_when_the_last_thread_ends_after_main_exited),
		cmocka_unit_test(main_exit_waits_for_a_detached_thread_too),
		cmocka_unit_test(main_exit_waits_for_threads_started_by_other_threads),
		cmocka_unit_test(main_exit_with_no_thread_left_exits_with_status_zero_at_once),
		cmocka_unit_test(stdout_is_flushed_when_the_process_ends_after_main_exited),
		cmocka_unit_test(a_thread_joining_main_gets_the_value_main_exited_with),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
