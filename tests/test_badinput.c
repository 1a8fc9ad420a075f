/* SPDX-License-Identifier: MIT */
/*
 * test_badinput.c - every error number the lifecycle and attribute
 * contracts in uthread.h promise: NULL pointers, bad attributes, handles
 * that are zero, never issued, stale, detached, being joined, or name a
 * thread uthread did not create.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define TIMEOUT_MS 5000

/*
 * Ballast in the executable's static TLS: every thread block carries it,
 * which makes a UTHREAD_STACK_MIN caller stack too small to hold the block
 * plus UTHREAD_STACK_MIN / 2 of stack (the case create must refuse).
 */
#define BALLAST (12 * 1024)
static __thread char tls_ballast[BALLAST];

/* A thread that waits for *go, then returns the address of go. */
static void *wait_for_go(void *arg)
{
	tu_wait(arg, 1, TIMEOUT_MS);
	return arg;
}

static void *return_arg(void *arg)
{
	return arg;
}

static int started;

static void *count_start(void *arg)
{
	tu_add(&started, 1);
	return arg;
}

/* Poll until uthread_gettid(t) answers ESRCH: the thread has ended. */
static int wait_until_ended(uthread_t t)
{
	long long end = tu_deadline_ms(TIMEOUT_MS);
	pid_t tid;
	int r;

	while ((r = uthread_gettid(t, &tid)) == 0 && tu_now_ms() <= end)
		sched_yield();
	return r;
}

/*
 * Let a detached thread waiting in wait_for_go() end, and wait until the
 * kernel no longer lists it, so no later test counts it.
 */
static void release_detached(int *go, uthread_t t)
{
	long long end = tu_deadline_ms(TIMEOUT_MS);
	pid_t tid = 0;

	assert_int_equal(uthread_gettid(t, &tid), 0);
	tu_set(go, 1);
	while (tu_task_exists(tid) && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_false(tu_task_exists(tid));
}

/* A create+join that must still work after the errors around it. */
static void assert_create_join_works(void)
{
	uthread_t t;
	void *ret = NULL;

	assert_int_equal(uthread_create(&t, NULL, return_arg, (void *)0x77), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, (void *)0x77);
}

/* ------------------------------------------------------------ create */

static void create_rejects_a_null_thread_pointer(void **state)
{
	(void)state;
	tu_set(&started, 0);
	assert_int_equal(uthread_create(NULL, NULL, count_start, NULL), EINVAL);
	tu_sleep_ms(10);
	assert_int_equal(tu_get(&started), 0);
	assert_create_join_works();
}

static void create_rejects_a_null_start_routine(void **state)
{
	uthread_t t = 0;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, NULL, NULL), EINVAL);
	assert_create_join_works();
}

static void create_rejects_an_uninitialised_attr(void **state)
{
	uthread_attr_t a;
	uthread_t t;

	(void)state;
	tu_set(&started, 0);
	memset(&a, 0xa5, sizeof a);
	assert_int_equal(uthread_create(&t, &a, count_start, NULL), EINVAL);
	memset(&a, 0, sizeof a);
	assert_int_equal(uthread_create(&t, &a, count_start, NULL), EINVAL);
	tu_sleep_ms(10);
	assert_int_equal(tu_get(&started), 0);
	assert_create_join_works();
}

static void create_rejects_a_destroyed_attr(void **state)
{
	uthread_attr_t a;
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(uthread_create(&t, &a, count_start, NULL), EINVAL);
	/* And destroying it twice is the same mistake. */
	assert_int_equal(uthread_attr_destroy(&a), EINVAL);
	assert_create_join_works();
}

struct ballast_rec {
	uintptr_t local;
	int tls_was_zero;
};

static void *use_ballast(void *arg)
{
	struct ballast_rec *r = arg;
	volatile int local = 0;

	r->local = (uintptr_t)&local;
	r->tls_was_zero = tls_ballast[0] == 0 && tls_ballast[BALLAST - 1] == 0;
	memset(tls_ballast, 0x5a, BALLAST);
	return NULL;
}

static void create_rejects_a_caller_stack_too_small_for_the_thread_block(void **state)
{
	const size_t max = 64 * 1024;
	char *mem = mmap(NULL, max, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uthread_attr_t a;
	uthread_t t;
	int fit = 0;

	(void)state;
	assert_true(mem != MAP_FAILED);
	assert_int_equal(uthread_attr_init(&a), 0);
	/* UTHREAD_STACK_MIN is accepted by the setter but cannot hold 12 KiB
	 * of TLS plus UTHREAD_STACK_MIN / 2 of stack. */
	assert_int_equal(uthread_attr_setstack(&a, mem, UTHREAD_STACK_MIN), 0);
	assert_int_equal(uthread_create(&t, &a, use_ballast, NULL), EINVAL);
	/*
	 * Growing the buffer 1 KiB at a time: refused until it fits, then
	 * accepted for good, and a thread that runs has at least
	 * UTHREAD_STACK_MIN / 2 of stack below its first frame.
	 */
	for (size_t size = UTHREAD_STACK_MIN; size <= max; size += 1024) {
		struct ballast_rec r = {0};
		int rc;

		assert_int_equal(uthread_attr_setstack(&a, mem + max - size, size), 0);
		rc = uthread_create(&t, &a, use_ballast, &r);
		if (fit) {
			assert_int_equal(rc, 0);
		} else if (rc == EINVAL) {
			continue;
		}
		assert_int_equal(rc, 0);
		fit = 1;
		assert_int_equal(uthread_join(t, NULL), 0);
		assert_true(r.tls_was_zero);
		assert_true(r.local >= (uintptr_t)(mem + max - size) +
		                       UTHREAD_STACK_MIN / 2 - 512);
		assert_true(r.local < (uintptr_t)(mem + max));
	}
	assert_true(fit);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(munmap(mem, max), 0);
	assert_create_join_works();
}

/* ------------------------------------------------------------ attributes */

static void attr_functions_reject_a_null_attr(void **state)
{
	int ds;
	size_t sz;
	void *addr;
	char mem[16] __attribute__((__aligned__(16)));

	(void)state;
	assert_int_equal(uthread_attr_init(NULL), EINVAL);
	assert_int_equal(uthread_attr_destroy(NULL), EINVAL);
	assert_int_equal(uthread_attr_setdetachstate(NULL, UTHREAD_CREATE_DETACHED), EINVAL);
	assert_int_equal(uthread_attr_getdetachstate(NULL, &ds), EINVAL);
	assert_int_equal(uthread_attr_setstacksize(NULL, 1u << 20), EINVAL);
	assert_int_equal(uthread_attr_getstacksize(NULL, &sz), EINVAL);
	assert_int_equal(uthread_attr_setguardsize(NULL, 4096), EINVAL);
	assert_int_equal(uthread_attr_getguardsize(NULL, &sz), EINVAL);
	assert_int_equal(uthread_attr_setstack(NULL, mem, 1u << 20), EINVAL);
	assert_int_equal(uthread_attr_getstack(NULL, &addr, &sz), EINVAL);
}

static void attr_functions_reject_an_uninitialised_or_destroyed_attr(void **state)
{
	uthread_attr_t a;
	int ds;
	size_t sz;
	void *addr;
	static char mem[UTHREAD_STACK_MIN] __attribute__((__aligned__(16)));

	(void)state;
	for (int round = 0; round < 2; round++) {
		if (round == 0) {
			memset(&a, 0xa5, sizeof a);
		} else {
			assert_int_equal(uthread_attr_init(&a), 0);
			assert_int_equal(uthread_attr_destroy(&a), 0);
		}
		assert_int_equal(uthread_attr_destroy(&a), EINVAL);
		assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), EINVAL);
		assert_int_equal(uthread_attr_getdetachstate(&a, &ds), EINVAL);
		assert_int_equal(uthread_attr_setstacksize(&a, 1u << 20), EINVAL);
		assert_int_equal(uthread_attr_getstacksize(&a, &sz), EINVAL);
		assert_int_equal(uthread_attr_setguardsize(&a, 4096), EINVAL);
		assert_int_equal(uthread_attr_getguardsize(&a, &sz), EINVAL);
		assert_int_equal(uthread_attr_setstack(&a, mem, sizeof mem), EINVAL);
		assert_int_equal(uthread_attr_getstack(&a, &addr, &sz), EINVAL);
	}
}

static void setdetachstate_rejects_values_other_than_joinable_and_detached(void **state)
{
	uthread_attr_t a;
	int ds = -1;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, 7), EINVAL);
	assert_int_equal(uthread_attr_setdetachstate(&a, 2), EINVAL);
	assert_int_equal(uthread_attr_setdetachstate(&a, -1), EINVAL);
	/* A refused value leaves the old one. */
	assert_int_equal(uthread_attr_getdetachstate(&a, &ds), 0);
	assert_int_equal(ds, UTHREAD_CREATE_DETACHED);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void setstacksize_rejects_sizes_below_the_minimum_or_above_one_tebibyte(void **state)
{
	uthread_attr_t a;
	size_t sz = 0;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 1u << 20), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 0), EINVAL);
	assert_int_equal(uthread_attr_setstacksize(&a, 1), EINVAL);
	assert_int_equal(uthread_attr_setstacksize(&a, UTHREAD_STACK_MIN - 1), EINVAL);
	assert_int_equal(uthread_attr_setstacksize(&a, (1ul << 40) + 1), EINVAL);
	assert_int_equal(uthread_attr_setstacksize(&a, SIZE_MAX), EINVAL);
	assert_int_equal(uthread_attr_getstacksize(&a, &sz), 0);
	assert_int_equal(sz, 1u << 20);
	/* The bounds themselves are accepted. */
	assert_int_equal(uthread_attr_setstacksize(&a, UTHREAD_STACK_MIN), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 1ul << 40), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void setstack_rejects_null_unaligned_and_too_small_stacks(void **state)
{
	static char mem[2 * UTHREAD_STACK_MIN] __attribute__((__aligned__(64)));
	uthread_attr_t a;
	void *addr = NULL;
	size_t sz = 0;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstack(&a, mem, sizeof mem), 0);
	assert_int_equal(uthread_attr_setstack(&a, NULL, sizeof mem), EINVAL);
	assert_int_equal(uthread_attr_setstack(&a, mem + 8, UTHREAD_STACK_MIN), EINVAL);
	assert_int_equal(uthread_attr_setstack(&a, mem + 1, UTHREAD_STACK_MIN), EINVAL);
	assert_int_equal(uthread_attr_setstack(&a, mem, UTHREAD_STACK_MIN - 1), EINVAL);
	assert_int_equal(uthread_attr_setstack(&a, mem, 0), EINVAL);
	assert_int_equal(uthread_attr_getstack(&a, &addr, &sz), 0);
	assert_ptr_equal(addr, mem);
	assert_int_equal(sz, sizeof mem);
	/* 16-byte alignment is enough. */
	assert_int_equal(uthread_attr_setstack(&a, mem + 16, UTHREAD_STACK_MIN), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void setguardsize_rejects_more_than_one_gibibyte(void **state)
{
	uthread_attr_t a;
	size_t sz = 0;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, 8192), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, (1ul << 30) + 1), EINVAL);
	assert_int_equal(uthread_attr_setguardsize(&a, SIZE_MAX), EINVAL);
	assert_int_equal(uthread_attr_getguardsize(&a, &sz), 0);
	assert_int_equal(sz, 8192);
	assert_int_equal(uthread_attr_setguardsize(&a, 1ul << 30), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, 0), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void attr_getters_reject_null_out_pointers(void **state)
{
	uthread_attr_t a;
	void *addr;
	size_t sz;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_getdetachstate(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_getstacksize(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_getguardsize(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_getstack(&a, NULL, &sz), EINVAL);
	assert_int_equal(uthread_attr_getstack(&a, &addr, NULL), EINVAL);
	assert_int_equal(uthread_attr_getstack(&a, NULL, NULL), EINVAL);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

/* ------------------------------------------------------------ join/detach */

struct selfjoin {
	int join_r, detach_r;
	uthread_t other;   /* a handle to try from inside the thread */
	int other_join_r, other_detach_r;
};

static void *join_myself(void *arg)
{
	struct selfjoin *s = arg;

	s->join_r = uthread_join(uthread_self(), NULL);
	if (s->other) {
		s->other_join_r = uthread_join(s->other, NULL);
		s->other_detach_r = uthread_detach(s->other);
	}
	return NULL;
}

static void join_of_self_is_edeadlk(void **state)
{
	struct selfjoin s = {0};
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, join_myself, &s), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(s.join_r, EDEADLK);
	/* The main thread too. */
	assert_int_equal(uthread_join(uthread_self(), NULL), EDEADLK);
}

struct mainjoin {
	uthread_t main;
	int try_r, timed_r, clock_r, badtime_r;
};

static void *try_to_join_main(void *arg)
{
	struct mainjoin *m = arg;
	struct timespec past = { 0, 0 }, bad = { 0, 1000000000L };

	m->try_r = uthread_tryjoin_np(m->main, NULL);
	m->timed_r = uthread_timedjoin_np(m->main, NULL, &past);
	m->clock_r = uthread_clockjoin_np(m->main, NULL, CLOCK_PROCESS_CPUTIME_ID, &past);
	m->badtime_r = uthread_timedjoin_np(m->main, NULL, &bad);
	return NULL;
}

/* Main can be joined (it has not called uthread_exit here, so it is
 * busy); tests/test_main_exit.c joins it for real. */
static void tryjoin_and_timedjoin_of_the_running_main_thread_give_up(void **state)
{
	struct mainjoin m = { uthread_self(), -1, -1, -1, -1 };
	uthread_t t;
	pid_t tid;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, try_to_join_main, &m), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(m.try_r, EBUSY);
	assert_int_equal(m.timed_r, ETIMEDOUT);
	assert_int_equal(m.clock_r, EINVAL);
	assert_int_equal(m.badtime_r, EINVAL);
	/* Nothing was done to main's handle. */
	assert_int_equal(uthread_gettid(uthread_self(), &tid), 0);
	assert_int_equal(tid, getpid());
}

struct foreign {
	uthread_t self;
	int ready, go;
};

static void *foreign_thread(void *arg)
{
	struct foreign *f = arg;

	f->self = uthread_self();
	tu_set(&f->ready, 1);
	tu_wait(&f->go, 1, TIMEOUT_MS);
	return NULL;
}

static void join_and_detach_of_a_foreign_thread_are_einval(void **state)
{
	struct foreign f = {0};
	pthread_t pt;

	(void)state;
	assert_int_equal(pthread_create(&pt, NULL, foreign_thread, &f), 0);
	assert_true(tu_wait(&f.ready, 1, TIMEOUT_MS));
	assert_int_equal(uthread_join(f.self, NULL), EINVAL);
	assert_int_equal(uthread_detach(f.self), EINVAL);
	tu_set(&f.go, 1);
	assert_int_equal(pthread_join(pt, NULL), 0);
	/* Its handle went stale when it ended: it names no thread. */
	assert_int_equal(uthread_join(f.self, NULL), ESRCH);
	assert_int_equal(uthread_detach(f.self), ESRCH);
}

/*
 * Regression: a foreign thread's descriptor was freed by uthread's own
 * pthread key destructor, so uthread_self() from a key destructor that ran
 * after it returned a handle already stale (gettid: EINVAL), which later
 * named a new thread.  The handle must stay the thread's until it ends,
 * and stale after.
 */
static pthread_key_t late_key;
static int late_key_made;
struct late {
	uthread_t self, in_dtor;
	int gettid_r;
	pid_t tid, dtor_tid;
};

static void late_destructor(void *arg)
{
	struct late *l = arg;

	l->in_dtor = uthread_self();
	l->gettid_r = uthread_gettid(l->in_dtor, &l->dtor_tid);
	l->tid = (pid_t)syscall(SYS_gettid);
}

static void *foreign_with_late_key(void *arg)
{
	struct late *l = arg;

	l->self = uthread_self();  /* uthread's own key, before late_key */
	if (late_key_made)
		pthread_setspecific(late_key, l);
	return NULL;
}

static void *noop(void *arg)
{
	return arg;
}

static void a_foreign_threads_handle_stays_valid_in_key_destructors_that_run_late(void **state)
{
	struct late l = { 0, 0, -1, 0, 0 };
	pthread_t pt;
	uthread_t t[64];

	(void)state;
	/* The library's key exists (another foreign thread made it) before
	 * ours, so ours is run after it in each round. */
	assert_int_equal(pthread_create(&pt, NULL, foreign_with_late_key, &l), 0);
	assert_int_equal(pthread_join(pt, NULL), 0);
	assert_int_equal(pthread_key_create(&late_key, late_destructor), 0);
	late_key_made = 1;
	memset(&l, 0, sizeof l);
	l.gettid_r = -1;
	assert_int_equal(pthread_create(&pt, NULL, foreign_with_late_key, &l), 0);
	assert_int_equal(pthread_join(pt, NULL), 0);
	assert_true(uthread_equal(l.in_dtor, l.self));
	assert_int_equal(l.gettid_r, 0);
	assert_int_equal(l.dtor_tid, l.tid);
	/* Ended: stale, and no new thread takes its name. */
	for (int i = 0; i < 64; i++) {
		assert_int_equal(uthread_create(&t[i], NULL, noop, NULL), 0);
		assert_false(uthread_equal(t[i], l.self));
	}
	for (int i = 0; i < 64; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	/* The slot is taken back once the kernel has let the thread go,
	 * at a later create: the handle is then stale. */
	pid_t tid;
	long long end = tu_deadline_ms(TIMEOUT_MS);
	while (uthread_gettid(l.self, &tid) == 0 && tu_now_ms() < end) {
		assert_int_equal(uthread_create(&t[0], NULL, noop, NULL), 0);
		assert_false(uthread_equal(t[0], l.self));
		assert_int_equal(uthread_join(t[0], NULL), 0);
		tu_sleep_ms(1);
	}
	assert_int_equal(uthread_kill(l.self, 0), ESRCH);
	late_key_made = 0;
	pthread_key_delete(late_key);
}

static void join_of_a_thread_created_detached_is_einval(void **state)
{
	uthread_attr_t a;
	uthread_t t;
	int go = 0;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_create(&t, &a, wait_for_go, &go), 0);
	/* It cannot end before go: the handle is live and detached. */
	assert_int_equal(uthread_join(t, NULL), EINVAL);
	assert_int_equal(uthread_detach(t), EINVAL);
	release_detached(&go, t);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void detach_twice_is_einval_and_join_after_detach_is_einval(void **state)
{
	uthread_t t;
	pid_t tid;
	int go = 0;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, wait_for_go, &go), 0);
	assert_int_equal(uthread_detach(t), 0);
	assert_int_equal(uthread_detach(t), EINVAL);
	assert_int_equal(uthread_join(t, NULL), EINVAL);
	/* Still running, and still named by its handle. */
	assert_int_equal(uthread_gettid(t, &tid), 0);
	release_detached(&go, t);
}

static void join_of_an_already_joined_thread_is_einval(void **state)
{
	uthread_t t;
	void *ret = (void *)1;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, return_arg, (void *)0x42), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, (void *)0x42);
	ret = (void *)1;
	assert_int_equal(uthread_join(t, &ret), ESRCH);
	assert_ptr_equal(ret, (void *)1); /* untouched */
	assert_int_equal(uthread_detach(t), ESRCH);
	assert_int_equal(uthread_tryjoin_np(t, &ret), ESRCH);
	assert_int_equal(uthread_timedjoin_np(t, &ret, NULL), ESRCH);
	assert_ptr_equal(ret, (void *)1);
}

static void a_stale_handle_stays_stale_when_its_slot_is_reused(void **state)
{
	uthread_t old, t[4];
	pid_t tid;
	int go = 0;

	(void)state;
	assert_int_equal(uthread_create(&old, NULL, return_arg, NULL), 0);
	assert_int_equal(uthread_join(old, NULL), 0);
	/* New threads (one of them likely in old's slot) are running. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(uthread_create(&t[i], NULL, wait_for_go, &go), 0);
	for (int i = 0; i < 4; i++)
		assert_false(uthread_equal(old, t[i]));
	assert_int_equal(uthread_join(old, NULL), ESRCH);
	assert_int_equal(uthread_detach(old), ESRCH);
	assert_int_equal(uthread_gettid(old, &tid), ESRCH);
	assert_int_equal(uthread_kill(old, 0), ESRCH);
	/* ... and none of those calls touched the new threads. */
	tu_set(&go, 1);
	for (int i = 0; i < 4; i++) {
		void *ret = NULL;
		assert_int_equal(uthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, &go);
	}
}

struct joiner {
	uthread_t target;
	pid_t tid;
	int about_to_join;
	int r;
	void *ret;
};

static void *join_target(void *arg)
{
	struct joiner *j = arg;

	j->tid = gettid();
	tu_set(&j->about_to_join, 1);
	j->r = uthread_join(j->target, &j->ret);
	return NULL;
}

static void join_and_detach_of_a_thread_being_joined_are_einval(void **state)
{
	struct joiner j = {0};
	uthread_t target, joiner;
	long long end;
	int go = 0;

	(void)state;
	assert_int_equal(uthread_create(&target, NULL, wait_for_go, &go), 0);
	j.target = target;
	assert_int_equal(uthread_create(&joiner, NULL, join_target, &j), 0);
	assert_true(tu_wait(&j.about_to_join, 1, TIMEOUT_MS));
	/* Once the joiner sleeps in futex(2) it has claimed the target. */
	end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_task_syscall(j.tid) != SYS_futex && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(tu_task_syscall(j.tid), SYS_futex);
	assert_int_equal(uthread_join(target, NULL), EINVAL);
	assert_int_equal(uthread_detach(target), EINVAL);
	tu_set(&go, 1);
	assert_int_equal(uthread_join(joiner, NULL), 0);
	assert_int_equal(j.r, 0);
	assert_ptr_equal(j.ret, &go);
}

/* ------------------------------------------------------------ handles */

static void assert_names_no_thread(uthread_t h)
{
	pid_t tid = 12345;
	char buf[16];

	assert_int_equal(uthread_join(h, NULL), ESRCH);
	assert_int_equal(uthread_detach(h), ESRCH);
	assert_int_equal(uthread_gettid(h, &tid), ESRCH);
	assert_int_equal(tid, 12345);
	assert_int_equal(uthread_setname_np(h, "nobody"), ESRCH);
	assert_int_equal(uthread_getname_np(h, buf, sizeof buf), ESRCH);
	assert_false(uthread_equal(h, uthread_self()));
}

static void handle_zero_names_no_thread(void **state)
{
	(void)state;
	assert_names_no_thread(0);
	/* Slot 0 with a generation is still slot 0. */
	assert_names_no_thread((uthread_t)1 << 32);
}

static void a_never_issued_handle_names_no_thread(void **state)
{
	(void)state;
	assert_names_no_thread(0xfffff);
	assert_names_no_thread(((uthread_t)3 << 32) | 0xfffff);
	assert_names_no_thread(0xffffffffu);
	assert_create_join_works();
}

static void gettid_rejects_a_null_tid_pointer(void **state)
{
	uthread_t t;
	int go = 0;

	(void)state;
	assert_int_equal(uthread_gettid(uthread_self(), NULL), EINVAL);
	assert_int_equal(uthread_create(&t, NULL, wait_for_go, &go), 0);
	assert_int_equal(uthread_gettid(t, NULL), EINVAL);
	tu_set(&go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
}

static void name_functions_reject_a_null_name_or_buffer(void **state)
{
	uthread_t t;
	int go = 0;

	(void)state;
	assert_int_equal(uthread_setname_np(uthread_self(), NULL), EINVAL);
	assert_int_equal(uthread_getname_np(uthread_self(), NULL, 16), EINVAL);
	assert_int_equal(uthread_create(&t, NULL, wait_for_go, &go), 0);
	assert_int_equal(uthread_setname_np(t, NULL), EINVAL);
	assert_int_equal(uthread_getname_np(t, NULL, 16), EINVAL);
	tu_set(&go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
}

static void a_joined_threads_handle_is_stale_for_gettid_and_names(void **state)
{
	uthread_t t;
	pid_t tid = 12345;
	char buf[16];

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, return_arg, NULL), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_gettid(t, &tid), ESRCH);
	assert_int_equal(tid, 12345);
	assert_int_equal(uthread_setname_np(t, "stale"), ESRCH);
	assert_int_equal(uthread_getname_np(t, buf, sizeof buf), ESRCH);
}

static void an_ended_unjoined_thread_answers_esrch_until_joined(void **state)
{
	uthread_t t;
	char buf[16];
	void *ret = NULL;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, return_arg, (void *)0x99), 0);
	assert_int_equal(wait_until_ended(t), ESRCH);
	assert_int_equal(uthread_setname_np(t, "gone"), ESRCH);
	assert_int_equal(uthread_getname_np(t, buf, sizeof buf), ESRCH);
	/* Ended is not stale: join still collects it. */
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, (void *)0x99);
}

static void detach_of_an_ended_thread_reclaims_it(void **state)
{
	const int rounds = tu_on_valgrind() ? 200 : 2000;
	int maps = -1, tasks = tu_count_tasks();

	(void)state;
	for (int i = 0; i < rounds; i++) {
		uthread_t t;
		pid_t tid;

		if (i == 50)
			maps = tu_count_own_maps();
		assert_int_equal(uthread_create(&t, NULL, return_arg, NULL), 0);
		assert_int_equal(wait_until_ended(t), ESRCH);
		assert_int_equal(uthread_detach(t), 0);
		/* Detached and still leaving (EINVAL), or gone (ESRCH). */
		int r = uthread_join(t, NULL);
		assert_true(r == EINVAL || r == ESRCH);
		r = uthread_detach(t);
		assert_true(r == EINVAL || r == ESRCH);
		/*
		 * "Ended" (ESRCH) shows as soon as the thread cleared its tid in
		 * uthread_exit, a few steps before it says EXITED: a detach in
		 * between leaves the thread to free its own slot, a moment
		 * later.  Either way the handle goes stale (seen once in CI).
		 */
		long long end = tu_deadline_ms(5000);
		(void)tid;
		/* kill: 0 while the ID is valid (ended, not yet freed). */
		while ((r = uthread_kill(t, 0)) == 0 && tu_now_ms() < end)
			uthread_yield();
		assert_int_equal(r, ESRCH);
	}
	/* Each detach freed its thread's stack: the mappings are flat. */
	assert_int_equal(tu_count_own_maps(), maps);
	assert_int_equal(tu_count_tasks(), tasks);
}

/* ------------------------------------------------------------ races */

/*
 * A handle being joined, or whose detached thread is ending, goes stale
 * under a reader's feet: uthread_gettid() racing with that must answer the
 * thread's tid, ESRCH or EINVAL, never fault on the freed stack.  The
 * stack cache is filled first so the ending threads' stacks are unmapped.
 */
#define RACE_ROUNDS 10000
#define RACE_MS 1000

struct race_pub {
	uthread_t h;
	pid_t tid;
};

static struct race_pub race_pubs[RACE_ROUNDS];
static int race_cur = -1;     /* index into race_pubs the reader uses */
static int race_seen = -1;    /* last index the reader got a tid for */
static int race_stop, race_go;
static int race_bad;

static void *race_reader(void *arg)
{
	int last = -1;

	(void)arg;
	while (!tu_peek(&race_stop)) {
		int i = tu_peek(&race_cur);
		pid_t tid = 0;
		int r;

		if (i < 0)
			continue;
		if (i != last) /* a new handle: what main wrote is visible */
			last = tu_get(&race_cur);
		r = uthread_gettid(race_pubs[i].h, &tid);
		if (r == 0 && tid == race_pubs[i].tid) {
			tu_set(&race_seen, i);
		} else if (r != ESRCH && r != EINVAL) {
			tu_add(&race_bad, 1);
		}
	}
	return NULL;
}

static void *race_target(void *arg)
{
	tu_wait(&race_go, 1, -1);
	return arg;
}

static int race_gettid_with_ending_threads(void *arg)
{
	const int detached = arg != NULL;
	const int rounds = tu_on_valgrind() ? RACE_ROUNDS / 100 : RACE_ROUNDS;
	uthread_attr_t small, big;
	uthread_t fill[200], reader;
	long long stop_at;

	/* Fill the stack cache with small stacks, all alive at once. */
	if (uthread_attr_init(&small) || uthread_attr_init(&big) ||
	    uthread_attr_setstacksize(&small, UTHREAD_STACK_MIN) ||
	    uthread_attr_setstacksize(&big, 256 * 1024))
		return 2;
	tu_set(&race_go, 0);
	for (int i = 0; i < 200; i++)
		if (uthread_create(&fill[i], &small, race_target, NULL))
			return 3;
	tu_set(&race_go, 1);
	for (int i = 0; i < 200; i++)
		if (uthread_join(fill[i], NULL))
			return 4;

	if (uthread_create(&reader, NULL, race_reader, NULL))
		return 5;
	/* Rounds until RACE_ROUNDS or RACE_MS have passed: the broken code
	 * fails within a few hundred rounds, a loaded machine gets fewer. */
	stop_at = tu_now_ms() + RACE_MS;
	for (int i = 0; i < rounds && tu_now_ms() < stop_at; i++) {
		long long end = tu_deadline_ms(TIMEOUT_MS);
		struct race_pub *p = &race_pubs[i];

		tu_set(&race_go, 0);
		if (uthread_create(&p->h, &big, race_target, NULL) ||
		    uthread_gettid(p->h, &p->tid))
			return 6;
		tu_set(&race_cur, i);
		/* Let the reader get going on this handle, then end it. */
		if (!tu_wait(&race_seen, i, TIMEOUT_MS))
			return 7;
		if (detached && uthread_detach(p->h))
			return 8;
		tu_set(&race_go, 1);
		if (!detached && uthread_join(p->h, NULL))
			return 9;
		/* Detached: on to the next once it is gone (its stack too). */
		while (detached && tu_task_exists(p->tid)) {
			if (tu_now_ms() > end)
				return 10;
			sched_yield();
		}
		if (tu_get(&race_bad))
			break; /* proven wrong: no need to go on */
	}
	tu_set(&race_stop, 1);
	if (uthread_join(reader, NULL))
		return 11;
	/* 12: a stale handle answered with another thread's tid. */
	return tu_get(&race_bad) == 0 ? 0 : 12;
}

static void gettid_racing_with_join_answers_without_touching_freed_memory(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(race_gettid_with_ending_threads, NULL);
	assert_false(WIFSIGNALED(st)); /* SIGSEGV: it read an unmapped stack */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void gettid_racing_with_a_detached_exit_answers_without_touching_freed_memory(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(race_gettid_with_ending_threads, (void *)1);
	assert_false(WIFSIGNALED(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ------------------------------------------------------------ parked threads */

/*
 * A thread that stays alive until released: it waits on a semaphore,
 * which helgrind and DRD see as synchronisation, unlike a polled flag.
 */
static void *park(void *arg)
{
	while (uthread_sem_wait(arg) != 0)
		;
	return NULL;
}

static int park_thread(uthread_t *t, uthread_sem_t *sem)
{
	int r = uthread_sem_init(sem, 0, 0);

	return r ? r : uthread_create(t, NULL, park, sem);
}

static int unpark_thread(uthread_t t, uthread_sem_t *sem)
{
	int r = uthread_sem_post(sem);

	if (r == 0)
		r = uthread_join(t, NULL);
	if (r == 0)
		r = uthread_sem_destroy(sem);
	return r;
}

/* ------------------------------------------------------------ signals */

/*
 * glibc keeps the real-time signals from the kernel's first (__SIGRTMIN,
 * 32) up to SIGRTMIN for itself (SIGCANCEL, SIGSETXID), and pthread_kill
 * refuses them with EINVAL.  Sent to a thread, the first ends the whole
 * process (no handler is installed until pthread_cancel is used), so the
 * calls run in a child.
 */
static int kill_with_glibcs_internal_signals(void *arg)
{
	uthread_sem_t sem;
	uthread_t t;

	(void)arg;
	if (park_thread(&t, &sem))
		return 2;
	for (int sig = __SIGRTMIN; sig < SIGRTMIN; sig++) {
		if (uthread_kill(t, sig) != EINVAL)
			return 3;
		if (uthread_kill(uthread_self(), sig) != EINVAL)
			return 4;
	}
	return unpark_thread(t, &sem) ? 5 : 0;
}

static void kill_refuses_the_signals_glibc_keeps_for_itself(void **state)
{
	struct sigaction sa, old;
	int st;

	(void)state;
	st = tu_in_child(kill_with_glibcs_internal_signals, NULL);
	assert_false(WIFSIGNALED(st)); /* a reserved signal was delivered */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The first signal a program may use is still accepted. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	assert_int_equal(sigaction(SIGRTMIN, &sa, &old), 0);
	assert_int_equal(uthread_kill(uthread_self(), SIGRTMIN), 0);
	assert_int_equal(sigaction(SIGRTMIN, &old, NULL), 0);
}

/* ------------------------------------------------------------ names */

#include <sys/resource.h> /* setrlimit, for the names test below */

/*
 * A write(2) the test can shorten.  The library's calls to write() bind to
 * this definition (the executable's comes first); the test's own output
 * does not (stdio uses the C library's internal write).  Armed, it writes
 * one byte less than asked and leaves errno at 0.
 */
static int short_writes;

ssize_t write(int fd, const void *buf, size_t n)
{
	if (__atomic_load_n(&short_writes, __ATOMIC_RELAXED) && n > 1) {
		errno = 0;
		n--;
	}
	return syscall(SYS_write, fd, buf, n);
}

static void setname_of_another_thread_answers_eio_to_a_short_write(void **state)
{
	uthread_sem_t sem;
	uthread_t t;
	int r;

	(void)state;
	assert_int_equal(park_thread(&t, &sem), 0);
	__atomic_store_n(&short_writes, 1, __ATOMIC_RELAXED);
	r = uthread_setname_np(t, "shortened");
	__atomic_store_n(&short_writes, 0, __ATOMIC_RELAXED);
	assert_int_equal(r, EIO); /* not errno's stale 0: a silent success */
	assert_int_equal(unpark_thread(t, &sem), 0);
}

/* Names of another thread go through /proc: with no descriptor left,
 * EMFILE, as pthread_getname_np and pthread_setname_np answer. */
static int names_with_every_descriptor_in_use(void *arg)
{
	struct rlimit rl;
	uthread_sem_t sem;
	uthread_t t;
	char buf[16];
	int p[2], get_r, set_r, self_r;

	(void)arg;
	if (park_thread(&t, &sem) || pipe(p))
		return 2;
	/* A small soft limit (the hard one stays: valgrind insists). */
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 3;
	rl.rlim_cur = rl.rlim_cur < 64 ? rl.rlim_cur : 64;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 4;
	while (dup(p[0]) >= 0)
		;
	if (errno != EMFILE)
		return 5;
	get_r = uthread_getname_np(t, buf, sizeof buf);
	set_r = uthread_setname_np(t, "nofd");
	/* The caller's own name needs no descriptor. */
	self_r = uthread_getname_np(uthread_self(), buf, sizeof buf);
	if (unpark_thread(t, &sem))
		return 6;
	if (get_r != EMFILE)
		return 7;
	if (set_r != EMFILE)
		return 8;
	return self_r == 0 ? 0 : 9;
}

static void names_of_another_thread_answer_emfile_with_no_free_descriptor(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(names_with_every_descriptor_in_use, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ------------------------------------------------------------ more rows */

static void detach_of_the_main_thread_makes_it_unjoinable(void **state)
{
	pid_t tid, pid = fork();
	int status;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0) {
		/* In a child: the detach is for good.  As glibc: 0, and
		 * main can no longer be joined or detached. */
		int ok = uthread_detach(uthread_self()) == 0 &&
		         uthread_detach(uthread_self()) == EINVAL &&
		         uthread_tryjoin_np(uthread_self(), NULL) == EBUSY &&
		         uthread_gettid(uthread_self(), &tid) == 0 && tid == getpid();
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void kill_answers_esrch_for_never_issued_and_joined_threads(void **state)
{
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_kill(0xfffff, 0), ESRCH);
	assert_int_equal(uthread_kill(((uthread_t)3 << 32) | 0xfffff, SIGUSR1), ESRCH);
	/* Ended, not yet joined: its ID is valid, nothing is sent (0, as
	 * glibc 2.34 and later); joined: a stale handle, ESRCH. */
	assert_int_equal(uthread_create(&t, NULL, return_arg, NULL), 0);
	assert_int_equal(wait_until_ended(t), ESRCH);
	assert_int_equal(uthread_kill(t, 0), 0);
	assert_int_equal(uthread_kill(t, SIGUSR1), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_kill(t, SIGUSR1), ESRCH);
}

static void sigmask_ignores_how_without_a_set_and_passes_efault_through(void **state)
{
	sigset_t now, before;
	void *ro;

	(void)state;
	/* The kernel fills only its 8 bytes of the 128-byte sigset_t. */
	memset(&now, 0, sizeof now);
	memset(&before, 0, sizeof before);
	assert_int_equal(uthread_sigmask(SIG_SETMASK, NULL, &before), 0);
	/* No set: nothing changes, so how is not looked at (as glibc). */
	assert_int_equal(uthread_sigmask(12345, NULL, &now), 0);
	assert_memory_equal(&now, &before, sizeof now);
	/*
	 * An old set the kernel cannot write: EFAULT.  Not under valgrind,
	 * which checks the pointer itself and reports it.
	 */
	if (tu_on_valgrind())
		return;
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ro != MAP_FAILED);
	assert_int_equal(uthread_sigmask(SIG_BLOCK, NULL, ro), EFAULT);
	assert_int_equal(munmap(ro, 4096), 0);
}

static void setstack_rejects_more_than_one_tebibyte(void **state)
{
	static char mem[UTHREAD_STACK_MIN] __attribute__((__aligned__(16)));
	uthread_attr_t a;
	void *addr = NULL;
	size_t sz = 0;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstack(&a, mem, sizeof mem), 0);
	assert_int_equal(uthread_attr_setstack(&a, mem, (1ul << 40) + 1), EINVAL);
	assert_int_equal(uthread_attr_setstack(&a, mem, SIZE_MAX), EINVAL);
	assert_int_equal(uthread_attr_getstack(&a, &addr, &sz), 0);
	assert_ptr_equal(addr, mem);
	assert_int_equal(sz, sizeof mem);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_rejects_a_null_thread_pointer),
		cmocka_unit_test(create_rejects_a_null_start_routine),
		cmocka_unit_test(create_rejects_an_uninitialised_attr),
		cmocka_unit_test(create_rejects_a_destroyed_attr),
		cmocka_unit_test(create_rejects_a_caller_stack_too_small_for_the_thread_block),
		cmocka_unit_test(attr_functions_reject_a_null_attr),
		cmocka_unit_test(attr_functions_reject_an_uninitialised_or_destroyed_attr),
		cmocka_unit_test(setdetachstate_rejects_values_other_than_joinable_and_detached),
		cmocka_unit_test(setstacksize_rejects_sizes_below_the_minimum_or_above_one_tebibyte),
		cmocka_unit_test(setstack_rejects_null_unaligned_and_too_small_stacks),
		cmocka_unit_test(setguardsize_rejects_more_than_one_gibibyte),
		cmocka_unit_test(attr_getters_reject_null_out_pointers),
		cmocka_unit_test(join_of_self_is_edeadlk),
		cmocka_unit_test(tryjoin_and_timedjoin_of_the_running_main_thread_give_up),
		cmocka_unit_test(join_and_detach_of_a_foreign_thread_are_einval),
		cmocka_unit_test(a_foreign_threads_handle_stays_valid_in_key_destructors_that_run_late),
		cmocka_unit_test(join_of_a_thread_created_detached_is_einval),
		cmocka_unit_test(detach_twice_is_einval_and_join_after_detach_is_einval),
		cmocka_unit_test(join_of_an_already_joined_thread_is_einval),
		cmocka_unit_test(a_stale_handle_stays_stale_when_its_slot_is_reused),
		cmocka_unit_test(join_and_detach_of_a_thread_being_joined_are_einval),
		cmocka_unit_test(handle_zero_names_no_thread),
		cmocka_unit_test(a_never_issued_handle_names_no_thread),
		cmocka_unit_test(gettid_rejects_a_null_tid_pointer),
		cmocka_unit_test(name_functions_reject_a_null_name_or_buffer),
		cmocka_unit_test(a_joined_threads_handle_is_stale_for_gettid_and_names),
		cmocka_unit_test(an_ended_unjoined_thread_answers_esrch_until_joined),
		cmocka_unit_test(detach_of_an_ended_thread_reclaims_it),
		cmocka_unit_test(gettid_racing_with_join_answers_without_touching_freed_memory),
		cmocka_unit_test(gettid_racing_with_a_detached_exit_answers_without_touching_freed_memory),
		cmocka_unit_test(kill_refuses_the_signals_glibc_keeps_for_itself),
		cmocka_unit_test(setname_of_another_thread_answers_eio_to_a_short_write),
		cmocka_unit_test(names_of_another_thread_answer_emfile_with_no_free_descriptor),
		cmocka_unit_test(detach_of_the_main_thread_makes_it_unjoinable),
		cmocka_unit_test(kill_answers_esrch_for_never_issued_and_joined_threads),
		cmocka_unit_test(sigmask_ignores_how_without_a_set_and_passes_efault_through),
		cmocka_unit_test(setstack_rejects_more_than_one_tebibyte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
