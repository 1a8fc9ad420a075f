/* SPDX-License-Identifier: MIT */
/*
 * test_signal: uthread_kill aims a signal at one thread; uthread_sigmask
 * changes only the calling thread's mask.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

static volatile pid_t handled_on;   /* tid the handler ran on */
static int handled;                 /* tu_add/tu_get/tu_wait */

static void on_usr1(int sig)
{
	(void)sig;
	handled_on = (pid_t)syscall(SYS_gettid);
	tu_add(&handled, 1);
}

struct target {
	int block;         /* block SIGUSR1 before announcing readiness */
	int ready, go;
	int pending_seen;  /* SIGUSR1 was pending while blocked */
	int handled_after; /* handler count after unblocking */
};

static void *target_thread(void *arg)
{
	struct target *t = arg;
	sigset_t s, pend;

	if (t->block) {
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		assert_int_equal(uthread_sigmask(SIG_BLOCK, &s, NULL), 0);
	}
	tu_set(&t->ready, 1);
	tu_wait(&t->go, 1, -1);
	if (t->block) {
		sigpending(&pend);
		t->pending_seen = sigismember(&pend, SIGUSR1);
		assert_int_equal(uthread_sigmask(SIG_UNBLOCK, &s, NULL), 0);
		t->handled_after = tu_get(&handled);
	}
	return NULL;
}

static void setup_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	tu_set(&handled, 0);
	handled_on = 0;
}

static void kill_runs_the_handler_on_the_target_thread(void **state)
{
	struct target t = { 0 };
	uthread_t th;
	pid_t tid;

	(void)state;
	setup_handler();
	assert_int_equal(uthread_create(&th, NULL, target_thread, &t), 0);
	tu_wait(&t.ready, 1, -1);
	assert_int_equal(uthread_gettid(th, &tid), 0);
	assert_int_equal(uthread_kill(th, SIGUSR1), 0);
	assert_true(tu_wait(&handled, 1, 5000));
	assert_int_equal(tu_get(&handled), 1);
	assert_int_equal(handled_on, tid);
	tu_set(&t.go, 1);
	assert_int_equal(uthread_join(th, NULL), 0);
}

static void a_signal_blocked_by_uthread_sigmask_waits_until_unblocked(void **state)
{
	struct target t = { .block = 1 };
	uthread_t th;

	(void)state;
	setup_handler();
	assert_int_equal(uthread_create(&th, NULL, target_thread, &t), 0);
	tu_wait(&t.ready, 1, -1);
	assert_int_equal(uthread_kill(th, SIGUSR1), 0);
	tu_sleep_ms(20);
	assert_int_equal(tu_get(&handled), 0); /* blocked in that thread only */
	tu_set(&t.go, 1);
	assert_int_equal(uthread_join(th, NULL), 0);
	assert_true(t.pending_seen);
	assert_int_equal(t.handled_after, 1);
}

static void kill_with_signal_zero_tells_alive_from_ended(void **state)
{
	struct target t = { 0 };
	uthread_t th;

	(void)state;
	assert_int_equal(uthread_create(&th, NULL, target_thread, &t), 0);
	tu_wait(&t.ready, 1, -1);
	assert_int_equal(uthread_kill(th, 0), 0);
	assert_int_equal(uthread_kill(th, NSIG + 1), EINVAL);
	assert_int_equal(uthread_kill(th, -1), EINVAL);
	tu_set(&t.go, 1);
	assert_int_equal(uthread_join(th, NULL), 0);
	assert_int_equal(uthread_kill(th, 0), ESRCH); /* joined: stale handle */
	assert_int_equal(uthread_kill(0, 0), ESRCH);
	assert_int_equal(uthread_kill(uthread_self(), 0), 0);
}

static void sigmask_rejects_a_bad_how_and_reports_the_old_mask(void **state)
{
	sigset_t s, old, now;

	(void)state;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	assert_int_equal(uthread_sigmask(12345, &s, NULL), EINVAL);
	assert_int_equal(uthread_sigmask(SIG_BLOCK, &s, &old), 0);
	assert_false(sigismember(&old, SIGUSR2));
	assert_int_equal(uthread_sigmask(SIG_SETMASK, NULL, &now), 0);
	assert_true(sigismember(&now, SIGUSR2));
	assert_int_equal(uthread_sigmask(SIG_SETMASK, &old, NULL), 0);
}

/* The mask a new thread starts with, read in the thread. */
static void *report_mask(void *arg)
{
	sigset_t *out = arg;

	return (void *)(long)uthread_sigmask(SIG_BLOCK, NULL, out);
}

/* POSIX: a new thread starts with its creator's signal mask. */
static void a_new_thread_starts_with_its_creators_mask(void **state)
{
	sigset_t block, old, seen;
	uthread_t t;
	void *r;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	assert_int_equal(uthread_sigmask(SIG_BLOCK, &block, &old), 0);
	assert_int_equal(uthread_create(&t, NULL, report_mask, &seen), 0);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_null(r);
	assert_true(sigismember(&seen, SIGUSR2));
	assert_false(sigismember(&seen, SIGUSR1));
	assert_int_equal(uthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	assert_int_equal(uthread_create(&t, NULL, report_mask, &seen), 0);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_false(sigismember(&seen, SIGUSR2));
}

/*
 * Signals are not blocked across the clone (create.c): a handler may run
 * in a new thread before its first C function.  A SIGALRM timer firing
 * every 50 us while threads are created and joined lands in many of them;
 * each handler checks what it may rely on: uthread_self() and its tid,
 * glibc's view of the tid (pthread_self's tid is what raise/pthread_kill
 * use, checked through gettid via uthread_gettid), ctype tables, errno.
 */
static volatile sig_atomic_t alrm_in_threads, alrm_bad;
static pid_t alrm_main_tid;

static void on_alrm(int sig)
{
	int saved = errno;
	pid_t me = (pid_t)syscall(SYS_gettid), tid = 0;

	(void)sig;
	int r = uthread_gettid(uthread_self(), &tid);
	if (r != 0)
		alrm_bad = 10 + r;
	else if (tid != me)
		alrm_bad = tid == -1 ? 3 : tid == 0 ? 4 : 5;
	if (!isalpha('a') || toupper('a') != 'A' || tolower('Q') != 'q')
		alrm_bad = 2;
	if (me != alrm_main_tid)
		alrm_in_threads = alrm_in_threads + 1;
	errno = saved;
}

static void *alrm_body(void *arg)
{
	for (volatile int i = 0; i < 200; i++)
		;
	return arg;
}

static void handlers_in_brand_new_threads_see_a_whole_thread(void **state)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 50 }, { 0, 50 } }, off = { { 0, 0 }, { 0, 0 } };
	long long end = tu_now_ms() + (tu_on_valgrind() ? 2000 : 1000);
	long n = 0;

	(void)state;
	alrm_main_tid = (pid_t)syscall(SYS_gettid);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	sa.sa_flags = SA_RESTART;
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	while (tu_now_ms() < end && !alrm_bad) {
		uthread_t t;
		void *r;
		assert_int_equal(uthread_create(&t, NULL, alrm_body, (void *)n), 0);
		assert_int_equal(uthread_join(t, &r), 0);
		assert_ptr_equal(r, (void *)n);
		n++;
	}
	assert_int_equal(setitimer(ITIMER_REAL, &off, NULL), 0);
	signal(SIGALRM, SIG_IGN);
	print_message("%ld threads, %d handlers ran in them\n", n, (int)alrm_in_threads);
	assert_int_equal(alrm_bad, 0);
	assert_true(alrm_in_threads > 0);
}

/* ------------------------------------------------------------------ */
/* A kill racing with its target's end (issue 12, case 9)               */
/* ------------------------------------------------------------------ */

/*
 * This program's syscall(), which libuthread's calls reach too: when
 * armed with a tid, a tgkill aimed at it first lets the target end (race)
 * and waits up to 300 ms for the kernel to let it go.  That widens, to
 * certainty, the window between uthread_kill's look at the tid and its
 * signal.
 */
static pid_t race_tid;        /* armed: a tgkill at this tid waits */
static int race_go;           /* tu_set: the target may end now */
static int race_vanished;     /* the target was gone before the tgkill */

static long (*real_syscall)(long, ...);

/* Before any thread: the interposer only reads it. */
__attribute__((constructor)) static void find_real_syscall(void)
{
	real_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	TU_UNTRACKED(&race_tid); /* read by every thread's system calls */
}

long syscall(long number, ...)
{
	long a[6];
	va_list ap;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	pid_t armed = __atomic_load_n(&race_tid, __ATOMIC_ACQUIRE);
	if (number == SYS_tgkill && armed && a[1] == armed) {
		pid_t tid = armed;
		__atomic_store_n(&race_tid, 0, __ATOMIC_RELAXED);
		tu_set(&race_go, 1);
		long long end = tu_deadline_ms(300);
		while (tu_task_exists(tid) && tu_now_ms() < end)
			tu_sleep_ms(2);
		race_vanished = !tu_task_exists(tid);
	}
	return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void *end_when_told(void *arg)
{
	(void)arg;
	tu_wait(&race_go, 1, -1);
	return NULL;
}

/*
 * Regression: uthread_kill read the target's tid, and if the target ended
 * before the signal was sent, the tid could already name a newer thread,
 * which got the signal.  glibc 2.34 and later hold the target's exit
 * until the signal is queued (a per-thread exit lock); so does uthread:
 * here the target, told to end during the kill, is still there when the
 * signal is sent, and gets it.
 */
static void a_target_ending_during_kill_cannot_end_before_the_signal(void **state)
{
	uthread_t t;
	pid_t tid;

	(void)state;
	handled = 0;
	handled_on = 0;
	race_go = race_vanished = 0;
	signal(SIGUSR1, on_usr1);
	assert_int_equal(uthread_create(&t, NULL, end_when_told, NULL), 0);
	assert_int_equal(uthread_gettid(t, &tid), 0);
	__atomic_store_n(&race_tid, tid, __ATOMIC_RELEASE);
	int r = uthread_kill(t, SIGUSR1);
	__atomic_store_n(&race_tid, 0, __ATOMIC_RELAXED);
	tu_set(&race_go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_false(race_vanished);
	assert_int_equal(r, 0);
	assert_int_equal(tu_get(&handled), 1);
	assert_int_equal(handled_on, tid);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kill_runs_the_handler_on_the_target_thread),
		cmocka_unit_test(a_signal_blocked_by_uthread_sigmask_waits_until_unblocked),
		cmocka_unit_test(kill_with_signal_zero_tells_alive_from_ended),
		cmocka_unit_test(sigmask_rejects_a_bad_how_and_reports_the_old_mask),
		cmocka_unit_test(a_new_thread_starts_with_its_creators_mask),
		cmocka_unit_test(handlers_in_brand_new_threads_see_a_whole_thread),
		cmocka_unit_test(a_target_ending_during_kill_cannot_end_before_the_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
