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
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
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

/* ------------------------------------------------------------------ */
/* Case 6: set*id() reaches every uthread                               */
/* ------------------------------------------------------------------ */

/* The effective gid of task tid, from /proc; -1 if unreadable. */
static long task_egid(pid_t tid)
{
	char path[64], line[256];
	long rgid = -1, egid = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Gid: %ld %ld", &rgid, &egid) == 2)
			break;
	fclose(f);
	return egid;
}

static int setid_go;
static int setid_ready[1]; /* how many have stored their tid */

static void *wait_for_setid(void *arg)
{
	pid_t *tid = arg;

	*tid = gettid();
	tu_add(&setid_ready[0], 1);
	tu_wait(&setid_go, 1, -1);
	return NULL;
}

/*
 * Regression: setegid() (like the rest of the set*id family) changed the
 * credentials of glibc's threads only; POSIX requires every thread of the
 * process.  Root only: it gives its effective gid away and back.
 */
static int setid_reaches_uthreads(void)
{
	enum { N = 3 };
	uthread_t t[N];
	pid_t tid[N] = { 0 };
	int bad = 0;

	setid_go = setid_ready[0] = 0;
	for (int i = 0; i < N; i++)
		if (uthread_create(&t[i], NULL, wait_for_setid, &tid[i]))
			return 10;
	if (!tu_wait(&setid_ready[0], N, TIMEOUT_MS))
		return 14;
	if (setegid(65534))
		return 11;
	for (int i = 0; i < N; i++) {
		long e = task_egid(tid[i]);
		if (e != 65534) {
			fprintf(stderr, "uthread %d (tid %d): effective gid %ld\n", i,
			        (int)tid[i], e);
			bad = 1;
		}
	}
	if (task_egid(gettid()) != 65534 || setegid(0) || task_egid(tid[0]) != 0)
		bad = 1;
	tu_set(&setid_go, 1);
	for (int i = 0; i < N; i++)
		if (uthread_join(t[i], NULL))
			return 12;
	return bad ? 13 : 0;
}

static void setegid_reaches_every_uthread(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("  skipped: needs root, to change its effective gid\n");
		skip();
	}
	/* glibc's set*id hands over to each thread's signal handler through
	 * futexes of its own, which helgrind and DRD do not follow: they
	 * report it for pthreads too.  memcheck runs it. */
	if (tu_on_thread_checker()) {
		print_message("  skipped under helgrind and DRD\n");
		skip();
	}
	in_child(setid_reaches_uthreads);
}

/* ------------------------------------------------------------------ */
/* Case 1: dlclose waits for a uthread inside a dynamic-linker lookup   */
/* ------------------------------------------------------------------ */

static int in_lookup, lookup_over;

/*
 * Stand in a lookup of the dynamic linker's for 200 ms: the thread's
 * global-scope flag (tcbhead_t.gscope_flag, x86-64 %fs:0x1c) set to
 * "used", as _dl_fixup sets it during a lazy binding, then reset as ld.so
 * does (THREAD_GSCOPE_RESET_FLAG: exchange, wake a waiter if one said so).
 */
static void *sit_in_a_lookup(void *arg)
{
	int old = 0;

	(void)arg;
	/* Bind what the window calls first: a lazy binding in it would
	 * reset the flag itself, as every real lookup does. */
	tu_sleep_ms(1);
	tu_set(&lookup_over, 0);
	__asm__ volatile("movl $1, %%fs:0x1c" ::: "memory");
	tu_set(&in_lookup, 1);
	tu_sleep_ms(200);
	__atomic_store_n(&lookup_over, 1, __ATOMIC_SEQ_CST);
	__asm__ volatile("xchgl %0, %%fs:0x1c" : "+r"(old) : : "memory");
	if (old == 2)
		syscall(SYS_futex, (char *)pthread_self() + 0x1c, FUTEX_WAKE_PRIVATE, 1);
	return NULL;
}

/*
 * Regression: dlclose of an RTLD_GLOBAL library frees the old global
 * scope once no thread is inside a lookup, but waited only for threads on
 * glibc's lists: a uthread's first call of a lazily bound function during
 * a dlopen/dlclose loop crashed in do_lookup_x.  dlclose now waits for it.
 */
static int dlclose_waits(void)
{
	uthread_t t;
	void *h;

	in_lookup = lookup_over = 0;
	if (uthread_create(&t, NULL, sit_in_a_lookup, NULL) || !tu_wait(&in_lookup, 1, TIMEOUT_MS))
		return 10;
	h = dlopen(GSCOPE_PATH, RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 11;
	}
	dlclose(h);
	int waited = __atomic_load_n(&lookup_over, __ATOMIC_SEQ_CST);
	if (uthread_join(t, NULL))
		return 12;
	return waited ? 0 : 13;
}

static void dlclose_waits_for_a_uthread_inside_a_dynamic_linker_lookup(void **state)
{
	(void)state;
	in_child(dlclose_waits);
}

/* ------------------------------------------------------------------ */
/* Case 2: a fork from a uthread, whose block is reused, then a fork     */
/* ------------------------------------------------------------------ */

static int fork2_result; /* tu_set: the first child's status + 1 */
static pid_t forker_tid;

static void *quick(void *arg)
{
	return arg;
}

/* In the first child: once the forking uthread has ended (its block went
 * to the cache), create one that takes that block, then fork again. */
static void *after_the_forker(void *arg)
{
	uthread_t t;
	void *r = NULL;
	int st;

	(void)arg;
	long long end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_task_exists(forker_tid) && tu_now_ms() < end)
		tu_sleep_ms(1);
	if (uthread_create(&t, NULL, quick, (void *)5) || uthread_join(t, &r) || r != (void *)5)
		exit(20);
	fflush(NULL);
	pid_t g = fork();
	if (g == 0) {
		if (uthread_create(&t, NULL, quick, (void *)6) || uthread_join(t, &r) ||
		    r != (void *)6)
			_exit(21);
		_exit(0);
	}
	st = wait_for(g, 5000);
	exit(st == -1 ? 22 : WIFEXITED(st) ? WEXITSTATUS(st) : 23);
}

static void *fork_then_hand_over(void *arg)
{
	uthread_attr_t a;
	uthread_t d;

	(void)arg;
	forker_tid = gettid();
	fflush(NULL);
	pid_t c = fork();
	if (c == 0) {
		/* The child's only thread, detached: it frees its block. */
		if (uthread_attr_init(&a) ||
		    uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED) ||
		    uthread_create(&d, &a, after_the_forker, NULL))
			_exit(24);
		uthread_exit(NULL);
	}
	int st = wait_for(c, 10000);
	tu_set(&fork2_result, st == -1 ? 100 : WIFEXITED(st) ? WEXITSTATUS(st) + 1 : 101);
	return NULL;
}

/*
 * Regression: a uthread forked; in the child its block stayed on glibc's
 * list of running threads after the thread ended, a new uthread reused
 * the block, and the grandchild of a second fork spun for ever in glibc's
 * reclaim_stacks (the list no longer led back to its head).
 */
static int fork_twice(void)
{
	uthread_attr_t a;
	uthread_t u;

	fork2_result = 0;
	if (uthread_attr_init(&a) || uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED) ||
	    uthread_create(&u, &a, fork_then_hand_over, NULL))
		return 10;
	if (!tu_wait(&fork2_result, 1, 15000)) {
		if (!tu_peek(&fork2_result))
			return 11;
	}
	int r = tu_get(&fork2_result);
	if (r != 1)
		fprintf(stderr, "the first child: %d\n", r - 1);
	return r == 1 ? 0 : 12;
}

static void a_second_fork_after_a_uthreads_fork_and_end_gives_a_working_child(void **state)
{
	(void)state;
	in_child(fork_twice);
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

static void *end_by_unwinding(void *arg)
{
	uthread_exit(arg);
}

/*
 * The first unwinding of a process (uthread_exit, as pthread_exit) loads
 * glibc's unwinder, libgcc_s, with dlopen.  Done here once, before the
 * cases fork: in a child, that dlopen racing another thread's create is
 * glibc's loader against itself, which helgrind cannot see ordered (it
 * failed a child in CI, under load), and no case is about it.
 */
static int load_the_unwinder(void **state)
{
	uthread_t t;

	(void)state;
	return uthread_create(&t, NULL, end_by_unwinding, NULL) || uthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(join_in_a_fork_child_of_a_thread_only_the_parent_had_returns),
		cmocka_unit_test(the_last_thread_of_a_fork_child_runs_atexit_and_flushes_stdio),
		cmocka_unit_test(the_process_outlives_mains_pthread_exit_until_its_last_uthread),
		cmocka_unit_test(glibcs_pthread_exit_in_a_uthread_ends_it_with_its_value),
		cmocka_unit_test(setegid_reaches_every_uthread),
		cmocka_unit_test(dlclose_waits_for_a_uthread_inside_a_dynamic_linker_lookup),
		cmocka_unit_test(a_second_fork_after_a_uthreads_fork_and_end_gives_a_working_child),
	};

	if (argc == 3 && strcmp(argv[1], PTHREAD_EXIT_HELPER) == 0)
		return main_pthread_exits(atoi(argv[2]));
	return cmocka_run_group_tests(tests, load_the_unwinder, NULL);
}
