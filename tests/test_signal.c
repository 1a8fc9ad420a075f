/* SPDX-License-Identifier: MIT */
/*
 * test_signal: uthread_kill aims a signal at one thread; uthread_sigmask
 * changes only the calling thread's mask.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
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
	assert_int_equal(uthread_kill(th, 0), EINVAL); /* stale handle */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kill_runs_the_handler_on_the_target_thread),
		cmocka_unit_test(a_signal_blocked_by_uthread_sigmask_waits_until_unblocked),
		cmocka_unit_test(kill_with_signal_zero_tells_alive_from_ended),
		cmocka_unit_test(sigmask_rejects_a_bad_how_and_reports_the_old_mask),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
