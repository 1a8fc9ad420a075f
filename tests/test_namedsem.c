/* SPDX-License-Identifier: MIT */
/*
 * test_namedsem.c - uthread_sem_open/close/unlink: names as glibc 2.36
 * takes them, O_CREAT/O_EXCL, the mode through the umask, one semaphore
 * per name in a process, creation racing in several processes, and a
 * hand-off between two processes with exact counts.  Every name carries
 * this process's pid and is unlinked before the test ends.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

/* "/ut_ns_<pid>_<tag>" into buf; returns buf. */
static char *sem_name(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/ut_ns_%d_%s", (int)getpid(), tag);
	return buf;
}

/* The file behind a name made by sem_name. */
static char *file_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "/dev/shm/sem.%s", name + 1);
	return buf;
}

static int value_of(uthread_sem_t *s)
{
	int v = -1;

	assert_int_equal(uthread_sem_getvalue(s, &v), 0);
	return v;
}

static void open_creates_and_every_spelling_gives_the_same_semaphore(void **state)
{
	char name[64], alt[80], file[96];
	uthread_sem_t *a, *b, *c, *d;
	struct stat st;

	(void)state;
	sem_name(name, sizeof name, "same");
	(void)uthread_sem_unlink(name);
	a = uthread_sem_open(name, O_CREAT, 0600, 2u);
	assert_true(a != UTHREAD_SEM_FAILED);
	assert_int_equal(stat(file_of(file, sizeof file, name), &st), 0);
	assert_int_equal(value_of(a), 2);
	/* Without O_CREAT; and with it, the value is ignored for an
	 * existing one. */
	b = uthread_sem_open(name, 0);
	c = uthread_sem_open(name + 1, O_CREAT, 0600, 7u); /* no leading '/' */
	snprintf(alt, sizeof alt, "///%s", name + 1);
	d = uthread_sem_open(alt, O_RDONLY);
	assert_ptr_equal(a, b);
	assert_ptr_equal(a, c);
	assert_ptr_equal(a, d);
	assert_int_equal(value_of(a), 2);
	assert_int_equal(uthread_sem_wait(b), 0);
	assert_int_equal(uthread_sem_trywait(c), 0);
	assert_int_equal(uthread_sem_trywait(d), EAGAIN);
	assert_int_equal(uthread_sem_post(a), 0);
	/* Four opens, four closes; the fifth is EINVAL. */
	assert_int_equal(uthread_sem_close(a), 0);
	assert_int_equal(uthread_sem_close(b), 0);
	assert_int_equal(uthread_sem_close(c), 0);
	assert_int_equal(value_of(d), 1); /* still mapped */
	assert_int_equal(uthread_sem_close(d), 0);
	assert_int_equal(uthread_sem_close(d), EINVAL);
	/* The semaphore lives on in its file. */
	a = uthread_sem_open(name, 0);
	assert_true(a != UTHREAD_SEM_FAILED);
	assert_int_equal(value_of(a), 1);
	/* Unlinked while open: still usable; the name is gone. */
	assert_int_equal(uthread_sem_unlink(name), 0);
	assert_int_equal(uthread_sem_post(a), 0);
	assert_int_equal(value_of(a), 2);
	assert_int_equal(uthread_sem_unlink(name), ENOENT);
	errno = 0;
	assert_ptr_equal(uthread_sem_open(name, 0), UTHREAD_SEM_FAILED);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(uthread_sem_close(a), 0);
}

static void o_excl_fails_with_eexist_on_an_existing_name(void **state)
{
	char name[64];
	uthread_sem_t *a;

	(void)state;
	sem_name(name, sizeof name, "excl");
	(void)uthread_sem_unlink(name);
	a = uthread_sem_open(name, O_CREAT | O_EXCL, 0600, 0u);
	assert_true(a != UTHREAD_SEM_FAILED);
	errno = 0;
	assert_ptr_equal(uthread_sem_open(name, O_CREAT | O_EXCL, 0600, 0u),
	                 UTHREAD_SEM_FAILED);
	assert_int_equal(errno, EEXIST);
	/* The failed open took no reference: one close is the last. */
	assert_int_equal(uthread_sem_close(a), 0);
	assert_int_equal(uthread_sem_close(a), EINVAL);
	assert_int_equal(uthread_sem_unlink(name), 0);
	/* O_EXCL without O_CREAT is ignored, as by open(2). */
	errno = 0;
	assert_ptr_equal(uthread_sem_open(name, O_EXCL), UTHREAD_SEM_FAILED);
	assert_int_equal(errno, ENOENT);
}

/* errno of a failed open of name (0 if it succeeded: closed, unlinked). */
static int open_errno(const char *name, int oflag, unsigned value)
{
	uthread_sem_t *s;

	errno = 0;
	s = uthread_sem_open(name, oflag, 0600, value);
	if (s == UTHREAD_SEM_FAILED)
		return errno;
	assert_int_equal(uthread_sem_close(s), 0);
	assert_int_equal(uthread_sem_unlink(name), 0);
	return 0;
}

static void names_are_checked_as_glibc_checks_them(void **state)
{
	char name[400];

	(void)state;
	/* Nothing after the slashes, or a slash inside: EINVAL to open,
	 * ENOENT to unlink. */
	assert_int_equal(open_errno("", O_CREAT, 0), EINVAL);
	assert_int_equal(open_errno("/", O_CREAT, 0), EINVAL);
	assert_int_equal(open_errno("///", O_CREAT, 0), EINVAL);
	assert_int_equal(open_errno("/a/b", O_CREAT, 0), EINVAL);
	assert_int_equal(open_errno(NULL, O_CREAT, 0), EINVAL);
	assert_int_equal(uthread_sem_unlink(""), ENOENT);
	assert_int_equal(uthread_sem_unlink("/a/b"), ENOENT);
	assert_int_equal(uthread_sem_unlink(NULL), ENOENT);
	/* Length (after the '/'): up to 251 fits "sem." + name in a file
	 * name; 252 to 255 pass glibc's check and the kernel says
	 * ENAMETOOLONG; from 256 (above NAME_MAX) the name is invalid. */
	for (int len = 250; len <= 257; len++) {
		int want = len <= 251 ? 0 : len <= NAME_MAX ? ENAMETOOLONG : EINVAL;

		snprintf(name, sizeof name, "/%d_", (int)getpid());
		memset(name + strlen(name), 'n', (size_t)len + 1 - strlen(name));
		name[len + 1] = '\0';
		assert_int_equal(strlen(name + 1), (size_t)len);
		assert_int_equal(open_errno(name, O_CREAT, 0), want);
		if (want)
			assert_int_equal(uthread_sem_unlink(name),
			                 want == EINVAL ? ENOENT : ENAMETOOLONG);
	}
}

static void a_value_above_the_maximum_is_einval_and_creates_nothing(void **state)
{
	char name[64], file[96];
	struct stat st;

	(void)state;
	sem_name(name, sizeof name, "max");
	(void)uthread_sem_unlink(name);
	assert_int_equal(open_errno(name, O_CREAT, UTHREAD_SEM_VALUE_MAX + 1u), EINVAL);
	assert_int_equal(stat(file_of(file, sizeof file, name), &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(open_errno(name, O_CREAT, UTHREAD_SEM_VALUE_MAX), 0);
}

static void the_mode_goes_through_the_umask(void **state)
{
	static const struct { mode_t umask, mode, want; } cases[] = {
		{ 077, 0666, 0600 }, { 022, 0666, 0644 }, { 0, 0640, 0640 },
	};
	char name[64], file[96];
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	sem_name(name, sizeof name, "mode");
	(void)uthread_sem_unlink(name);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uthread_sem_t *s;

		umask(cases[i].umask);
		s = uthread_sem_open(name, O_CREAT | O_EXCL, cases[i].mode, 0u);
		assert_true(s != UTHREAD_SEM_FAILED);
		assert_int_equal(stat(file_of(file, sizeof file, name), &st), 0);
		assert_int_equal(st.st_mode & 07777, cases[i].want);
		assert_true(st.st_size >= (off_t)sizeof(uthread_sem_t));
		assert_int_equal(uthread_sem_close(s), 0);
		assert_int_equal(uthread_sem_unlink(name), 0);
	}
	umask(old);
}

/*
 * EACCES: a semaphore its opener may not read and write, or (in the
 * sticky /dev/shm) unlink.  Root passes permission checks, so a root run
 * checks from a child that became nobody.
 */
static void a_semaphore_without_permission_is_eacces(void **state)
{
	char name[64], file[96];
	uthread_sem_t *s;
	int st;
	pid_t pid;

	(void)state;
	sem_name(name, sizeof name, "acc");
	(void)uthread_sem_unlink(name);
	s = uthread_sem_open(name, O_CREAT | O_EXCL, 0600, 0u);
	assert_true(s != UTHREAD_SEM_FAILED);
	assert_int_equal(chmod(file_of(file, sizeof file, name), 0), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		errno = 0;
		if (uthread_sem_open(name, 0) != UTHREAD_SEM_FAILED || errno != EACCES)
			_exit(3);
		errno = 0;
		if (uthread_sem_open(name, O_CREAT, 0600, 0u) != UTHREAD_SEM_FAILED ||
		    errno != EACCES)
			_exit(4);
		/* Not ours to unlink only when we are another user. */
		if (geteuid() != 65534)
			_exit(0);
		_exit(uthread_sem_unlink(name) == EACCES ? 0 : 5);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(uthread_sem_close(s), 0);
	assert_int_equal(uthread_sem_unlink(name), 0);
}

static void a_file_too_short_for_a_semaphore_is_einval(void **state)
{
	char name[64], file[96];
	int fd;

	(void)state;
	sem_name(name, sizeof name, "short");
	fd = open(file_of(file, sizeof file, name), O_CREAT | O_TRUNC | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	assert_int_equal(open_errno(name, 0, 0), EINVAL);
	assert_int_equal(open_errno(name, O_CREAT, 0), EINVAL);
	assert_int_equal(uthread_sem_unlink(name), 0);
}

static void close_of_what_open_did_not_return_is_einval(void **state)
{
	uthread_sem_t s;

	(void)state;
	assert_int_equal(uthread_sem_close(NULL), EINVAL);
	assert_int_equal(uthread_sem_init(&s, 1, 0), 0);
	assert_int_equal(uthread_sem_close(&s), EINVAL);
	assert_int_equal(uthread_sem_destroy(&s), 0);
}

/* ------------------------------------------------------------------ */
/* Threads and processes                                                */
/* ------------------------------------------------------------------ */

struct opener {
	const char *name;
	uthread_sem_t *first;
	int rounds;
	int errors;
};

static void *open_close_repeatedly(void *p)
{
	struct opener *o = p;

	for (int i = 0; i < o->rounds; i++) {
		uthread_sem_t *s = uthread_sem_open(o->name, 0);

		if (s != o->first || uthread_sem_post(s) != 0 || uthread_sem_close(s) != 0)
			__atomic_fetch_add(&o->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void threads_opening_one_name_share_one_semaphore(void **state)
{
	char name[64];
	struct opener o;
	uthread_t t[4];

	(void)state;
	sem_name(name, sizeof name, "thr");
	(void)uthread_sem_unlink(name);
	o.name = name;
	o.first = uthread_sem_open(name, O_CREAT | O_EXCL, 0600, 0u);
	o.rounds = (int)su_iters(500, 50);
	o.errors = 0;
	assert_true(o.first != UTHREAD_SEM_FAILED);
	for (int i = 0; i < 4; i++)
		assert_int_equal(uthread_create(&t[i], NULL, open_close_repeatedly, &o), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(o.errors, 0);
	assert_int_equal(value_of(o.first), 4 * o.rounds);
	assert_int_equal(uthread_sem_close(o.first), 0);
	assert_int_equal(uthread_sem_close(o.first), EINVAL);
	assert_int_equal(uthread_sem_unlink(name), 0);
}

#define CREATORS 4

/*
 * Processes that all open one new name with O_CREAT at once get one
 * semaphore: a creator that initialised the file after another had
 * posted would lose those posts.
 */
static void processes_creating_one_name_at_once_share_it(void **state)
{
	char name[64];
	pid_t pid[CREATORS];
	int posts = (int)su_iters(1000, 100), st;
	uthread_sem_t *s;

	(void)state;
	sem_name(name, sizeof name, "race");
	(void)uthread_sem_unlink(name);
	fflush(NULL);
	for (int i = 0; i < CREATORS; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			uthread_sem_t *c = uthread_sem_open(name, O_CREAT, 0600, 0u);

			if (c == UTHREAD_SEM_FAILED)
				_exit(2);
			for (int k = 0; k < posts; k++)
				if (uthread_sem_post(c) != 0)
					_exit(3);
			_exit(uthread_sem_close(c) == 0 ? 0 : 4);
		}
	}
	for (int i = 0; i < CREATORS; i++) {
		assert_int_equal(waitpid(pid[i], &st, 0), pid[i]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	s = uthread_sem_open(name, 0);
	assert_true(s != UTHREAD_SEM_FAILED);
	assert_int_equal(value_of(s), CREATORS * posts);
	assert_int_equal(uthread_sem_close(s), 0);
	assert_int_equal(uthread_sem_unlink(name), 0);
}

/* A ping-pong between two processes that each opened the names. */
static void two_processes_hand_a_token_back_and_forth(void **state)
{
	char ping[64], pong[64];
	uthread_sem_t *a, *b;
	int rounds = (int)su_iters(2000, 100), st;
	pid_t pid;

	(void)state;
	sem_name(ping, sizeof ping, "ping");
	sem_name(pong, sizeof pong, "pong");
	(void)uthread_sem_unlink(ping);
	(void)uthread_sem_unlink(pong);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct timespec d = su_deadline(CLOCK_MONOTONIC, 20000);
		uthread_sem_t *x = uthread_sem_open(ping, O_CREAT, 0600, 0u);
		uthread_sem_t *y = uthread_sem_open(pong, O_CREAT, 0600, 0u);

		if (x == UTHREAD_SEM_FAILED || y == UTHREAD_SEM_FAILED)
			_exit(2);
		for (int i = 0; i < rounds; i++)
			if (uthread_sem_clockwait(x, CLOCK_MONOTONIC, &d) != 0 ||
			    uthread_sem_post(y) != 0)
				_exit(3);
		_exit(uthread_sem_close(x) == 0 && uthread_sem_close(y) == 0 ? 0 : 4);
	}
	a = uthread_sem_open(ping, O_CREAT, 0600, 0u);
	b = uthread_sem_open(pong, O_CREAT, 0600, 0u);
	assert_true(a != UTHREAD_SEM_FAILED);
	assert_true(b != UTHREAD_SEM_FAILED);
	for (int i = 0; i < rounds; i++) {
		struct timespec d = su_deadline(CLOCK_MONOTONIC, 20000);

		assert_int_equal(uthread_sem_post(a), 0);
		assert_int_equal(uthread_sem_clockwait(b, CLOCK_MONOTONIC, &d), 0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(value_of(a), 0);
	assert_int_equal(value_of(b), 0);
	assert_int_equal(uthread_sem_close(a), 0);
	assert_int_equal(uthread_sem_close(b), 0);
	assert_int_equal(uthread_sem_unlink(ping), 0);
	assert_int_equal(uthread_sem_unlink(pong), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_creates_and_every_spelling_gives_the_same_semaphore),
		cmocka_unit_test(o_excl_fails_with_eexist_on_an_existing_name),
		cmocka_unit_test(names_are_checked_as_glibc_checks_them),
		cmocka_unit_test(a_value_above_the_maximum_is_einval_and_creates_nothing),
		cmocka_unit_test(the_mode_goes_through_the_umask),
		cmocka_unit_test(a_semaphore_without_permission_is_eacces),
		cmocka_unit_test(a_file_too_short_for_a_semaphore_is_einval),
		cmocka_unit_test(close_of_what_open_did_not_return_is_einval),
		cmocka_unit_test(threads_opening_one_name_share_one_semaphore),
		cmocka_unit_test(processes_creating_one_name_at_once_share_it),
		cmocka_unit_test(two_processes_hand_a_token_back_and_forth),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
