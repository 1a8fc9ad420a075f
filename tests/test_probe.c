/* SPDX-License-Identifier: MIT */
/*
 * test_probe: the library's start-up check of glibc (uthread/glibc/probe.c)
 * and uthread_check_np.  The check runs once per process, so each case
 * runs in a forked child of a process that has not run it yet.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define KEYS_MAX 1024 /* glibc's PTHREAD_KEYS_MAX */

static pthread_key_t key;

static void *use_key(void *arg)
{
	if (pthread_setspecific(key, arg) != 0)
		return NULL;
	return pthread_getspecific(key);
}

/* Create and join one uthread that sets and reads back a pthread key. */
static int uthread_uses_key(pthread_key_t k)
{
	uthread_t t;
	void *r = NULL;

	key = k;
	if (uthread_create(&t, NULL, use_key, &key) || uthread_join(t, &r))
		return 1;
	return r == &key ? 0 : 1;
}

static void in_child(int (*fn)(void *))
{
	int st = tu_in_child(fn, NULL);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Regression: with 32 glibc pthread keys in use before the first
 * uthread_create, the check's own key fell outside the first key block,
 * the check failed and every uthread_create answered ENOTSUP. */
static int many_keys_child(void *unused)
{
	pthread_key_t k[40];
	char why[200] = "";

	(void)unused;
	for (int i = 0; i < 40; i++)
		if (pthread_key_create(&k[i], NULL))
			return 10;
	int r = uthread_check_np(why, sizeof why);
	if (r) {
		fprintf(stderr, "uthread_check_np: %s: %s\n", strerror(r), why);
		return 11;
	}
	return uthread_uses_key(k[39]) ? 12 : 0;
}

static void the_check_passes_with_many_pthread_keys_in_use(void **state)
{
	(void)state;
	in_child(many_keys_child);
}

/* Every key taken is a shortage, not a verdict on glibc: the check says
 * EAGAIN, and passes once a key is free again. */
static int no_key_child(void *unused)
{
	static pthread_key_t k[KEYS_MAX + 1];
	char why[200] = "";
	uthread_t t;
	int n = 0, r;

	(void)unused;
	while (n <= KEYS_MAX && (r = pthread_key_create(&k[n], NULL)) == 0)
		n++;
	if (n == 0 || r != EAGAIN)
		return 10;
	r = uthread_check_np(why, sizeof why);
	if (r != EAGAIN || !strstr(why, "pthread key")) {
		fprintf(stderr, "every key in use: %s, \"%s\"\n", strerror(r), why);
		return 11;
	}
	if (uthread_create(&t, NULL, use_key, NULL) != EAGAIN)
		return 12;
	pthread_key_delete(k[--n]);
	if ((r = uthread_check_np(why, sizeof why)) != 0) {
		fprintf(stderr, "a key free again: %s, \"%s\"\n", strerror(r), why);
		return 13;
	}
	return uthread_uses_key(k[0]) ? 14 : 0;
}

static void the_check_says_eagain_while_no_pthread_key_is_free_then_passes(void **state)
{
	(void)state;
	in_child(no_key_child);
}

/* On success nothing is written to why, whatever its size. */
static int passes_child(void *unused)
{
	char why[8];
	pthread_key_t k;

	(void)unused;
	memset(why, 'x', sizeof why);
	if (uthread_check_np(why, sizeof why) || uthread_check_np(NULL, 100) ||
	    uthread_check_np(why, 0))
		return 10;
	for (size_t i = 0; i < sizeof why; i++)
		if (why[i] != 'x')
			return 11;
	if (pthread_key_create(&k, NULL))
		return 12;
	return uthread_uses_key(k) ? 13 : 0;
}

static void the_check_passes_here_and_leaves_why_untouched(void **state)
{
	(void)state;
	in_child(passes_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_check_passes_here_and_leaves_why_untouched),
		cmocka_unit_test(the_check_passes_with_many_pthread_keys_in_use),
		cmocka_unit_test(the_check_says_eagain_while_no_pthread_key_is_free_then_passes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
