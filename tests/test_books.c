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

/* ------------------------------------------------------------------ */
/* Case 3: the last thread of a fork child ends it as exit(0) does      */
/* ------------------------------------------------------------------ */

static int pipe_w = -1;

static void say_atexit(void)
{
	static const char msg[] = "[atexit ran]";

	if (write(pipe_w, msg, sizeof msg - 1) < 0)
		_exit(30);
}

/* Forks; in the child (this uthread alone), buffers text, registers an
 * atexit handler and ends the thread: the child's last. */
static void *fork_then_end(void *arg)
{
	pid_t *pid = arg;
	FILE *out;

	fflush(NULL);
	*pid = fork();
	if (*pid != 0)
		return NULL;
	out = fdopen(pipe_w, "w");
	if (!out || setvbuf(out, NULL, _IOFBF, 4096) || atexit(say_atexit))
		_exit(31);
	fputs("[buffered]", out); /* flushed by exit(), not before */
	pipe_w = dup(pipe_w);
	if (pipe_w < 0)
		_exit(32);
	uthread_exit(NULL);
	return NULL;
}

/*
 * Regression: when the last thread of a fork child made from a uthread
 * ended, the process ended with a bare exit system call: no atexit
 * handler ran and buffered stdio was lost.  POSIX: it exits as if by
 * exit(0).
 */
static int last_thread_of_a_fork_child_exits(void)
{
	int fd[2], st;
	pid_t pid = -1;
	uthread_t t;
	char buf[128] = "";
	ssize_t n, got = 0;

	if (pipe(fd))
		return 10;
	pipe_w = fd[1];
	if (uthread_create(&t, NULL, fork_then_end, &pid) || uthread_join(t, NULL))
		return 11;
	close(fd[1]);
	if (pid < 0)
		return 12;
	while ((n = read(fd[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
		got += n;
	close(fd[0]);
	st = wait_for(pid, 10000);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "the child's status: %#x\n", st);
		return 13;
	}
	if (!strstr(buf, "[buffered]") || !strstr(buf, "[atexit ran]")) {
		fprintf(stderr, "the child wrote \"%s\"\n", buf);
		return 14;
	}
	return 0;
}

static void the_last_thread_of_a_fork_child_runs_atexit_and_flushes_stdio(void **state)
{
	(void)state;
	in_child(last_thread_of_a_fork_child_exits);
}

/*
 * main calling glibc's pthread_exit while a uthread runs: the process
 * lives on until the uthread, its last thread, ends, and then exits with
 * status 0 and runs its atexit handlers.  Before uthreads were in glibc's
 * count, main's pthread_exit took it to 0 and ended the process at once.
 */
static void *end_later(void *arg)
{
	static const char msg[] = "[uthread done]";

	tu_sleep_ms(50);
	if (write(*(int *)arg, msg, sizeof msg - 1) < 0)
		_exit(40);
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Case 4: glibc's pthread_exit in a uthread                            */
/* ------------------------------------------------------------------ */

static int cleanups_run; /* a nibble per handler, in the order they ran */
static int detached_done; /* tu_set by the detached thread's outer handler */

static void cleanup_note(void *arg)
{
	cleanups_run = cleanups_run << 4 | (int)(intptr_t)arg;
}

static void cleanup_last(void *arg)
{
	cleanup_note(arg);
	tu_set(&detached_done, 1);
}

/* Frames between the start routine and pthread_exit, for the unwinder. */
static void __attribute__((noinline)) exit_here(void)
{
	pthread_exit((void *)0x5eed);
}

static void __attribute__((noinline)) deeper(void)
{
	exit_here();
}

static void __attribute__((noinline)) deep_exit(void)
{
	deeper();
}

static void *exits_through_glibc(void *arg)
{
	pthread_cleanup_push(arg ? cleanup_last : cleanup_note, (void *)1);
	pthread_cleanup_push(cleanup_note, (void *)2);
	deep_exit();
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
	return NULL;
}

/*
 * Regression: glibc's pthread_exit() in a uthread (a library ending its
 * calling thread, say) was SIGSEGV in unwind_stop: the thread's cleanup
 * jump buffer was NULL.  It must end the thread as uthread_exit does,
 * running the cleanup handlers (innermost first), with its value reaching
 * uthread_join.  Detached too.
 */
static int pthread_exit_ends_a_uthread(void)
{
	uthread_attr_t a;
	uthread_t t;
	void *r = NULL;

	cleanups_run = 0;
	if (uthread_create(&t, NULL, exits_through_glibc, NULL) || uthread_join(t, &r))
		return 10;
	if (r != (void *)0x5eed || cleanups_run != 0x21)
		return 11;
	/* Detached: it frees itself. */
	detached_done = 0;
	if (uthread_attr_init(&a) || uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED) ||
	    uthread_create(&t, &a, exits_through_glibc, &detached_done))
		return 12;
	if (!tu_wait(&detached_done, 1, TIMEOUT_MS))
		return 13;
	return cleanups_run == 0x2121 ? 0 : 14;
}

static void glibcs_pthread_exit_in_a_uthread_ends_it_with_its_value(void **state)
{
	(void)state;
	in_child(pthread_exit_ends_a_uthread);
}

#define PTHREAD_EXIT_HELPER "--main-pthread-exits"

/* An exec'd copy of this program (so that under valgrind it runs
 * natively: the tool's leak check would count what main's stack held as
 * lost once main has left): main starts a uthread and leaves. */
static int main_pthread_exits(int fd)
{
	uthread_t t;

	alarm(ALARM_S);
	pipe_w = fd;
	if (atexit(say_atexit) || uthread_create(&t, NULL, end_later, &pipe_w))
		return 41;
	pthread_exit(NULL);
}

static void the_process_outlives_mains_pthread_exit_until_its_last_uthread(void **state)
{
	int fd[2], st;
	char buf[128] = "", self[4096], fdarg[16];
	ssize_t n, got = 0;
	pid_t pid;

	(void)state;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	assert_true(n > 0 && n < (ssize_t)sizeof self - 1);
	self[n] = '\0';
	assert_int_equal(pipe(fd), 0);
	snprintf(fdarg, sizeof fdarg, "%d", fd[1]);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		execl(self, self, PTHREAD_EXIT_HELPER, fdarg, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while ((n = read(fd[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
		got += n;
	close(fd[0]);
	st = wait_for(pid, 10000);
	assert_true(st != -1 && WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(buf, "[uthread done][atexit ran]");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(join_in_a_fork_child_of_a_thread_only_the_parent_had_returns),
		cmocka_unit_test(the_last_thread_of_a_fork_child_runs_atexit_and_flushes_stdio),
		cmocka_unit_test(the_process_outlives_mains_pthread_exit_until_its_last_uthread),
		cmocka_unit_test(glibcs_pthread_exit_in_a_uthread_ends_it_with_its_value),
	};

	if (argc == 3 && strcmp(argv[1], PTHREAD_EXIT_HELPER) == 0)
		return main_pthread_exits(atoi(argv[2]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
