/* SPDX-License-Identifier: MIT */
/*
 * test_cancel: uthread_cancel ends a thread at a cancellation point (glibc's
 * read(), uthread_testcancel) or at once (asynchronous type), running its
 * cleanup handlers innermost first; the state and type calls; cancelling
 * a detached thread, an ended one, oneself; a stale handle; a fork child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "cancel_nounwind.h"

#define TIMEOUT_MS 10000

/* What the cleanup handlers of one thread saw, in order (digits). */
struct trail {
	int fds[2];
	int ready;     /* tu_set: the thread is about to block */
	int log;       /* handler ids, the first one run in the lowest digit */
	int reached;   /* the thread got past a point it should not have */
	int cleaned;   /* tu_set by the last handler */
};

/* A handler's argument: the trail and the handler's id. */
struct tag {
	struct trail *t;
	int id;
};

/* Appends the handler's id to the trail: the first run is the lowest digit. */
static void note(void *arg)
{
	struct tag *g = arg;
	int scale = 1;

	while (scale <= g->t->log)
		scale *= 10;
	g->t->log += g->id * scale;
	if (g->id == 1)
		tu_set(&g->t->cleaned, 1);
}

static void trail_init(struct trail *t)
{
	memset(t, 0, sizeof *t);
	assert_int_equal(pipe(t->fds), 0);
}

static void trail_close(struct trail *t)
{
	close(t->fds[0]);
	close(t->fds[1]);
}

/* Two handlers, then a read() of an empty pipe: glibc's cancellation point. */
static void *read_under_handlers(void *arg)
{
	struct trail *t = arg;
	struct tag outer = { t, 1 }, inner = { t, 2 };
	char c;

	uthread_cleanup_push(note, &outer);
	uthread_cleanup_push(note, &inner);
	tu_set(&t->ready, 1);
	(void)read(t->fds[0], &c, 1);
	t->reached = 1;
	uthread_cleanup_pop(0);
	uthread_cleanup_pop(0);
	return NULL;
}

/* Wait until the thread is asleep in the kernel (its read), not just about
 * to call it: cancelling it earlier would test the entry check only. */
static void wait_blocked(struct trail *t, uthread_t th)
{
	pid_t tid;
	long long end = tu_deadline_ms(TIMEOUT_MS);

	assert_true(tu_wait(&t->ready, 1, TIMEOUT_MS));
	assert_int_equal(uthread_gettid(th, &tid), 0);
	while (tu_task_syscall(tid) != SYS_read && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(tu_task_syscall(tid), SYS_read);
}

static void a_thread_blocked_in_read_is_cancelled_and_its_handlers_run_innermost_first(void **state)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)state;
	trail_init(&t);
	assert_int_equal(uthread_create(&th, NULL, read_under_handlers, &t), 0);
	wait_blocked(&t, th);
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(t.log, 12); /* 2 first, then 1 */
	assert_int_equal(t.reached, 0);
	trail_close(&t);
}

/* The same with a detached thread: its handlers say it ended. */
static void a_detached_thread_is_cancelled(void **state)
{
	struct trail t;
	uthread_attr_t a;
	uthread_t th;

	(void)state;
	trail_init(&t);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_create(&th, &a, read_under_handlers, &t), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	wait_blocked(&t, th);
	assert_int_equal(uthread_cancel(th), 0);
	assert_true(tu_wait(&t.cleaned, 1, TIMEOUT_MS));
	assert_int_equal(t.log, 12);
	assert_int_equal(t.reached, 0);
	/* Let it finish ending before the pipe goes. */
	tu_sleep_ms(20);
	trail_close(&t);
}

static void *give_back(void *arg)
{
	return arg;
}

static void cancelling_an_ended_thread_does_nothing_and_a_stale_handle_is_esrch(void **state)
{
	uthread_t th;
	pid_t tid;
	void *r = NULL;
	long long end;

	(void)state;
	assert_int_equal(uthread_create(&th, NULL, give_back, (void *)7), 0);
	end = tu_deadline_ms(TIMEOUT_MS);
	while (uthread_gettid(th, &tid) == 0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(uthread_gettid(th, &tid), ESRCH); /* ended, not joined */
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, (void *)7); /* its own value, not UTHREAD_CANCELED */
	assert_int_equal(uthread_cancel(th), ESRCH);
	assert_int_equal(uthread_cancel(0), ESRCH);
	assert_int_equal(uthread_cancel((uthread_t)0x7fffffff00000042ULL), ESRCH);
}

/* Cancels itself; the cancel acts at the next cancellation point. */
static void *cancel_self(void *arg)
{
	struct trail *t = arg;
	struct tag only = { t, 1 };

	uthread_cleanup_push(note, &only);
	if (uthread_cancel(uthread_self()) != 0)
		return (void *)1;
	t->ready = 1; /* the cancel is deferred: we get here */
	uthread_testcancel();
	t->reached = 1;
	uthread_cleanup_pop(0);
	return NULL;
}

static void a_thread_cancels_itself_at_its_next_cancellation_point(void **state)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(uthread_create(&th, NULL, cancel_self, &t), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(t.ready, 1);
	assert_int_equal(t.reached, 0);
	assert_int_equal(t.log, 1);
}

/* Cancellation disabled around a critical section that sleeps (nanosleep
 * is a cancellation point): the cancel waits for the section's end. */
static int go;

static void *critical_section(void *arg)
{
	struct trail *t = arg;
	int old = -1;

	if (uthread_setcancelstate(UTHREAD_CANCEL_DISABLE, &old) || old != UTHREAD_CANCEL_ENABLE)
		return (void *)1;
	tu_set(&t->ready, 1);
	tu_wait(&go, 1, -1);
	usleep(20000); /* not cancelled: disabled */
	t->reached = 1;
	if (uthread_setcancelstate(UTHREAD_CANCEL_ENABLE, &old) || old != UTHREAD_CANCEL_DISABLE)
		return (void *)2;
	uthread_testcancel();
	return (void *)3;
}

static void a_cancel_waits_while_cancellation_is_disabled(void **state)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)state;
	memset(&t, 0, sizeof t);
	tu_set(&go, 0);
	assert_int_equal(uthread_create(&th, NULL, critical_section, &t), 0);
	assert_true(tu_wait(&t.ready, 1, TIMEOUT_MS));
	assert_int_equal(uthread_cancel(th), 0);
	tu_set(&go, 1);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(t.reached, 1);
}

/* A compute loop with no cancellation point, asynchronous type. */
static volatile unsigned long spins;

static void *spin_async(void *arg)
{
	struct trail *t = arg;
	int old = -1;

	if (uthread_setcanceltype(UTHREAD_CANCEL_ASYNCHRONOUS, &old) ||
	    old != UTHREAD_CANCEL_DEFERRED)
		return (void *)1;
	tu_set(&t->ready, 1);
	for (;;)
		spins = spins + 1;
	return NULL;
}

static void an_asynchronous_cancel_ends_a_compute_loop(void **state)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(uthread_create(&th, NULL, spin_async, &t), 0);
	assert_true(tu_wait(&t.ready, 1, TIMEOUT_MS));
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
}

static void bad_states_and_types_are_einval(void **state)
{
	int old = 42;

	(void)state;
	assert_int_equal(uthread_setcancelstate(2, &old), EINVAL);
	assert_int_equal(uthread_setcancelstate(-1, NULL), EINVAL);
	assert_int_equal(uthread_setcanceltype(2, &old), EINVAL);
	assert_int_equal(old, 42);
	/* NULL old is allowed (as in glibc) */
	assert_int_equal(uthread_setcancelstate(UTHREAD_CANCEL_ENABLE, NULL), 0);
	assert_int_equal(uthread_setcanceltype(UTHREAD_CANCEL_DEFERRED, NULL), 0);
}

/* A mutex held across the read is released by the cleanup handler. */
static uthread_mutex_t held = UTHREAD_MUTEX_INITIALIZER;

static void unlock_it(void *m)
{
	uthread_mutex_unlock(m);
}

static void *read_holding_a_mutex(void *arg)
{
	struct trail *t = arg;
	char c;

	uthread_mutex_lock(&held);
	uthread_cleanup_push(unlock_it, &held);
	tu_set(&t->ready, 1);
	(void)read(t->fds[0], &c, 1);
	t->reached = 1;
	uthread_cleanup_pop(1);
	return NULL;
}

static void a_mutex_held_by_a_cancelled_thread_is_released_by_its_handler(void **state)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)state;
	trail_init(&t);
	assert_int_equal(uthread_create(&th, NULL, read_holding_a_mutex, &t), 0);
	wait_blocked(&t, th);
	assert_int_equal(uthread_mutex_trylock(&held), EBUSY);
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(uthread_mutex_trylock(&held), 0);
	assert_int_equal(uthread_mutex_unlock(&held), 0);
	trail_close(&t);
}

/* uthread_exit runs the handlers too, innermost first. */
static void *exit_under_handlers(void *arg)
{
	struct trail *t = arg;
	struct tag outer = { t, 1 }, inner = { t, 2 };

	uthread_cleanup_push(note, &outer);
	uthread_cleanup_push(note, &inner);
	uthread_exit((void *)9);
	uthread_cleanup_pop(0);
	uthread_cleanup_pop(0);
	return NULL;
}

static void uthread_exit_runs_the_cleanup_handlers(void **state)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)state;
	memset(&t, 0, sizeof t);
	assert_int_equal(uthread_create(&th, NULL, exit_under_handlers, &t), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, (void *)9);
	assert_int_equal(t.log, 12);
}

/* Start routines without unwind tables (cancel_nounwind.c). */
static void start_routines_without_unwind_tables_end_cleanly(void **state)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;
	long long end;
	pid_t tid;

	(void)state;
	trail_init(&t);
	assert_int_equal(uthread_create(&th, NULL, nounwind_read, &t.fds[0]), 0);
	assert_int_equal(uthread_gettid(th, &tid), 0);
	end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_task_syscall(tid) != SYS_read && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(uthread_create(&th, NULL, nounwind_exit, (void *)5), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, (void *)5);
	trail_close(&t);
}

/* In a fork child: a uthread blocked in read is cancelled there too. */
static int cancel_in_child(void *unused)
{
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)unused;
	alarm(TIMEOUT_MS / 1000 + 5);
	memset(&t, 0, sizeof t);
	if (pipe(t.fds) || uthread_create(&th, NULL, read_under_handlers, &t))
		return 2;
	if (!tu_wait(&t.ready, 1, TIMEOUT_MS))
		return 3;
	tu_sleep_ms(20);
	if (uthread_cancel(th) || uthread_join(th, &r))
		return 4;
	return r == UTHREAD_CANCELED && t.log == 12 ? 0 : 5;
}

static void cancellation_works_in_a_fork_child(void **state)
{
	uthread_t th;
	int st;

	(void)state;
	/* The parent has threads of its own when it forks. */
	assert_int_equal(uthread_create(&th, NULL, give_back, NULL), 0);
	st = tu_in_child(cancel_in_child, NULL);
	assert_int_equal(uthread_join(th, NULL), 0);
	assert_int_not_equal(st, -1);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ------------------------------------------------ our cancellation points */

/* Blocks in a uthread call of ours that POSIX makes a cancellation point. */
enum point { JOIN, COND_WAIT, COND_TIMEDWAIT, SEM_WAIT, SEM_TIMEDWAIT };

static uthread_mutex_t cm;
static uthread_cond_t cv = UTHREAD_COND_INITIALIZER;
static uthread_sem_t sem;
static int relock_result = -1; /* what the handler's unlock of cm said */

static void unlock_cm(void *arg)
{
	(void)arg;
	relock_result = uthread_mutex_unlock(&cm); /* 0: the wait relocked it */
}

struct blocker {
	enum point how;
	uthread_t other; /* for JOIN: a thread that does not end */
	pid_t tid;
	int ready;
};

static void *block_in(void *arg)
{
	struct blocker *b = arg;
	struct timespec far;

	clock_gettime(CLOCK_REALTIME, &far);
	far.tv_sec += 3600;
	b->tid = gettid();
	tu_set(&b->ready, 1);
	switch (b->how) {
	case JOIN:
		(void)uthread_join(b->other, NULL);
		break;
	case COND_WAIT:
	case COND_TIMEDWAIT:
		uthread_mutex_lock(&cm);
		uthread_cleanup_push(unlock_cm, NULL);
		for (;;) /* no signal ever comes */
			if (b->how == COND_WAIT)
				(void)uthread_cond_wait(&cv, &cm);
			else
				(void)uthread_cond_timedwait(&cv, &cm, &far);
		uthread_cleanup_pop(1);
		break;
	case SEM_WAIT:
		(void)uthread_sem_wait(&sem);
		break;
	case SEM_TIMEDWAIT:
		(void)uthread_sem_timedwait(&sem, &far);
		break;
	}
	return (void *)1;
}

static int stop_forever;

static void *until_stopped(void *arg)
{
	(void)arg;
	tu_wait(&stop_forever, 1, -1);
	return NULL;
}

static void cancel_while_blocked_in(enum point how)
{
	struct blocker b = { .how = how };
	uthread_mutexattr_t a;
	uthread_t th;
	void *r = NULL;
	long long end;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, UTHREAD_MUTEX_ERRORCHECK), 0);
	assert_int_equal(uthread_mutex_init(&cm, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
	assert_int_equal(uthread_sem_init(&sem, 0, 0), 0);
	tu_set(&stop_forever, 0);
	relock_result = -1;
	if (how == JOIN)
		assert_int_equal(uthread_create(&b.other, NULL, until_stopped, NULL), 0);
	assert_int_equal(uthread_create(&th, NULL, block_in, &b), 0);
	assert_true(tu_wait(&b.ready, 1, TIMEOUT_MS));
	/* Asleep in the kernel, in a futex wait (system call 202). */
	end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_task_syscall(b.tid) != SYS_futex && tu_now_ms() < end)
		tu_sleep_ms(1);
	tu_sleep_ms(10); /* past any spinning: the wait itself */
	assert_int_equal(tu_task_syscall(b.tid), SYS_futex);
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	if (how == COND_WAIT || how == COND_TIMEDWAIT)
		assert_int_equal(relock_result, 0); /* held again before the handler */
	if (how == JOIN) {
		/* The thread it joined is still joinable. */
		tu_set(&stop_forever, 1);
		assert_int_equal(uthread_join(b.other, &r), 0);
	}
	if (how == SEM_WAIT || how == SEM_TIMEDWAIT) {
		/* Not counted as a waiter any more: destroy does not say EBUSY. */
		assert_int_equal(uthread_sem_post(&sem), 0);
	}
	assert_int_equal(uthread_sem_destroy(&sem), 0);
	assert_int_equal(uthread_cond_destroy(&cv), 0);
	assert_int_equal(uthread_mutex_destroy(&cm), 0);
	cv = (uthread_cond_t)UTHREAD_COND_INITIALIZER;
}

static void join_is_a_cancellation_point_and_leaves_the_target_joinable(void **state)
{
	(void)state;
	cancel_while_blocked_in(JOIN);
}

static void cond_wait_is_a_cancellation_point_that_relocks_before_the_handlers(void **state)
{
	(void)state;
	cancel_while_blocked_in(COND_WAIT);
	cancel_while_blocked_in(COND_TIMEDWAIT);
}

static void sem_wait_is_a_cancellation_point(void **state)
{
	(void)state;
	cancel_while_blocked_in(SEM_WAIT);
	cancel_while_blocked_in(SEM_TIMEDWAIT);
}

/* A pending cancel acts at sem_wait's entry even with a token there, and
 * at join's entry even when the thread has ended. */
static uthread_t ended_one;

static void *pending_then_points(void *arg)
{
	int which = (int)(intptr_t)arg;

	uthread_cancel(uthread_self());
	if (which == 0)
		(void)uthread_sem_wait(&sem);
	else
		(void)uthread_join(ended_one, NULL);
	return (void *)1;
}

static void a_pending_cancel_acts_at_entry_even_when_nothing_would_block(void **state)
{
	uthread_t th;
	void *r = NULL;
	int v = -1;

	(void)state;
	assert_int_equal(uthread_sem_init(&sem, 0, 1), 0);
	assert_int_equal(uthread_create(&th, NULL, pending_then_points, (void *)0), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(uthread_sem_getvalue(&sem, &v), 0);
	assert_int_equal(v, 1); /* the token was not taken */
	assert_int_equal(uthread_sem_destroy(&sem), 0);

	assert_int_equal(uthread_create(&ended_one, NULL, give_back, (void *)4), 0);
	assert_int_equal(uthread_create(&th, NULL, pending_then_points, (void *)1), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(uthread_join(ended_one, &r), 0); /* still joinable */
	assert_ptr_equal(r, (void *)4);
}

/* A robust mutex held by a cancelled thread (no handler) is owner-dead. */
static uthread_mutex_t robust;

static void *read_holding_robust(void *arg)
{
	struct trail *t = arg;
	char c;

	uthread_mutex_lock(&robust);
	tu_set(&t->ready, 1);
	(void)read(t->fds[0], &c, 1);
	return NULL;
}

static void a_robust_mutex_held_by_a_cancelled_thread_is_owner_dead(void **state)
{
	uthread_mutexattr_t a;
	struct trail t;
	uthread_t th;
	void *r = NULL;

	(void)state;
	/* helgrind and DRD report an owner's death as an error, and every
	 * unlock by the thread that took the lock over (as test_robust says). */
	if (tu_on_thread_checker())
		skip();
	trail_init(&t);
	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_setrobust(&a, UTHREAD_MUTEX_ROBUST), 0);
	assert_int_equal(uthread_mutex_init(&robust, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
	assert_int_equal(uthread_create(&th, NULL, read_holding_robust, &t), 0);
	wait_blocked(&t, th);
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(uthread_mutex_lock(&robust), EOWNERDEAD);
	assert_int_equal(uthread_mutex_consistent(&robust), 0);
	assert_int_equal(uthread_mutex_unlock(&robust), 0);
	assert_int_equal(uthread_mutex_destroy(&robust), 0);
	trail_close(&t);
}

/* A uthread_once init cancelled in its read leaves the control not run:
 * the next caller runs init (glibc does the same). */
static uthread_once_t once = UTHREAD_ONCE_INIT;
static int init_runs, init_fds[2], init_ready;

static void init_that_reads(void)
{
	char c;

	if (tu_add(&init_runs, 1) == 1) {
		tu_set(&init_ready, 1);
		(void)read(init_fds[0], &c, 1);
	}
}

static void *run_once_in_thread(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)uthread_once(&once, init_that_reads);
}

static void a_cancelled_once_init_is_run_again_by_the_next_caller(void **state)
{
	uthread_t th;
	void *r = NULL;

	(void)state;
	assert_int_equal(pipe(init_fds), 0);
	assert_int_equal(uthread_create(&th, NULL, run_once_in_thread, NULL), 0);
	assert_true(tu_wait(&init_ready, 1, TIMEOUT_MS));
	tu_sleep_ms(20);
	assert_int_equal(uthread_cancel(th), 0);
	assert_int_equal(uthread_join(th, &r), 0);
	assert_ptr_equal(r, UTHREAD_CANCELED);
	assert_int_equal(uthread_once(&once, init_that_reads), 0);
	assert_int_equal(tu_get(&init_runs), 2);
	close(init_fds[0]);
	close(init_fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_thread_blocked_in_read_is_cancelled_and_its_handlers_run_innermost_first),
		cmocka_unit_test(a_detached_thread_is_cancelled),
		cmocka_unit_test(cancelling_an_ended_thread_does_nothing_and_a_stale_handle_is_esrch),
		cmocka_unit_test(a_thread_cancels_itself_at_its_next_cancellation_point),
		cmocka_unit_test(a_cancel_waits_while_cancellation_is_disabled),
		cmocka_unit_test(an_asynchronous_cancel_ends_a_compute_loop),
		cmocka_unit_test(bad_states_and_types_are_einval),
		cmocka_unit_test(a_mutex_held_by_a_cancelled_thread_is_released_by_its_handler),
		cmocka_unit_test(uthread_exit_runs_the_cleanup_handlers),
		cmocka_unit_test(start_routines_without_unwind_tables_end_cleanly),
		cmocka_unit_test(cancellation_works_in_a_fork_child),
		cmocka_unit_test(join_is_a_cancellation_point_and_leaves_the_target_joinable),
		cmocka_unit_test(cond_wait_is_a_cancellation_point_that_relocks_before_the_handlers),
		cmocka_unit_test(sem_wait_is_a_cancellation_point),
		cmocka_unit_test(a_pending_cancel_acts_at_entry_even_when_nothing_would_block),
		cmocka_unit_test(a_robust_mutex_held_by_a_cancelled_thread_is_owner_dead),
		cmocka_unit_test(a_cancelled_once_init_is_run_again_by_the_next_caller),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
