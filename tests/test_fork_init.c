/* SPDX-License-Identifier: MIT */
/*
 * test_fork_init: fork() while another thread runs uthread's first-time
 * initialisation.  Regression: the child inherited the init lock held by a
 * thread it does not have, and hung in its first uthread_create.  Each
 * round runs in a fresh exec'd copy of this program (--helper), since
 * initialisation happens once per process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define KIDS 16
#define ROUNDS 8

static int go;
static pid_t kids[KIDS];

static void *ret7(void *arg)
{
	(void)arg;
	return (void *)7;
}

/* A pthread forking back to back while main initialises the library. */
static void *forker(void *arg)
{
	(void)arg;
	tu_wait(&go, 1, -1);
	for (int i = 0; i < KIDS; i++) {
		pid_t p = fork();
		if (p == 0) {
			uthread_t t;
			void *ret = NULL;
			alarm(10); /* backstop: the parent gives up sooner */
			_exit(uthread_create(&t, NULL, ret7, NULL) ||
			      uthread_join(t, &ret) || ret != (void *)7 ? 3 : 0);
		}
		kids[i] = p;
	}
	return NULL;
}

/* Exit status: 0 if every child created and joined a thread, else 1. */
static int helper(void)
{
	pthread_t f;
	uthread_t t;
	int bad = 0;

	if (pthread_create(&f, NULL, forker, NULL))
		return 2;
	tu_set(&go, 1);
	if (uthread_create(&t, NULL, ret7, NULL) || uthread_join(t, NULL))
		return 2;
	pthread_join(f, NULL);
	for (int i = 0; i < KIDS; i++) {
		long long end = tu_now_ms() + 3000;
		int st = 0;
		pid_t r = 0;
		while (kids[i] > 0 && (r = waitpid(kids[i], &st, WNOHANG)) == 0 &&
		       tu_now_ms() < end)
			tu_sleep_ms(1);
		if (kids[i] <= 0 || r != kids[i]) {
			if (kids[i] > 0) {
				kill(kids[i], SIGKILL); /* hung */
				waitpid(kids[i], NULL, 0);
			}
			fprintf(stderr, "child %d: %s\n", i,
			        kids[i] > 0 ? "hung" : "fork failed");
			bad = 1;
		} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			if (WIFEXITED(st))
				fprintf(stderr, "child %d: exit %d\n", i, WEXITSTATUS(st));
			else
				fprintf(stderr, "child %d: signal %d\n", i, WTERMSIG(st));
			bad = 1;
		}
	}
	return bad;
}

static void a_child_forked_during_first_initialisation_can_create_threads(void **state)
{
	(void)state;
	/* The program's own path, not /proc/self/exe: valgrind refuses to
	 * exec that name (and this gives it the real one). */
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	assert_true(n > 0 && n < (ssize_t)sizeof self - 1);
	self[n] = '\0';
	for (int round = 0; round < ROUNDS; round++) {
		int st = -1;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			char *argv[] = { self, (char *)"--helper", NULL };
			execv(self, argv);
			_exit(127);
		}
		assert_true(pid > 0);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_child_forked_during_first_initialisation_can_create_threads),
	};

	if (argc > 1 && strcmp(argv[1], "--helper") == 0)
		return helper();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
