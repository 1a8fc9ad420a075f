/* SPDX-License-Identifier: MIT */
/*
 * test_rwlock_kind.c - the rwlock attribute kind: reader preference lets a
 * reader in while a writer waits (so a read lock may be taken again by its
 * holder) and wakes sleeping readers before a sleeping writer; writer
 * preference (the default) keeps new readers behind a waiting writer; the
 * setter and getter check their input.  Threads never call cmocka: they
 * record what they saw and the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

static void init_kind(uthread_rwlock_t *rw, int kind)
{
	uthread_rwlockattr_t a;

	assert_int_equal(uthread_rwlockattr_init(&a), 0);
	assert_int_equal(uthread_rwlockattr_setkind_np(&a, kind), 0);
	assert_int_equal(uthread_rwlock_init(rw, &a), 0);
	assert_int_equal(uthread_rwlockattr_destroy(&a), 0);
}

static void kind_is_set_read_and_checked(void **state)
{
	static const int kinds[] = { UTHREAD_RWLOCK_PREFER_READER_NP,
		                     UTHREAD_RWLOCK_PREFER_WRITER_NP,
		                     UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
		                     UTHREAD_RWLOCK_DEFAULT_NP };
	uthread_rwlockattr_t a, dead;
	int v = -1;

	(void)state;
	/* glibc's values. */
	assert_int_equal(UTHREAD_RWLOCK_PREFER_READER_NP, 0);
	assert_int_equal(UTHREAD_RWLOCK_PREFER_WRITER_NP, 1);
	assert_int_equal(UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP, 2);
	memset(&dead, 0, sizeof dead);
	assert_int_equal(uthread_rwlockattr_init(&a), 0);
	assert_int_equal(uthread_rwlockattr_getkind_np(&a, &v), 0);
	assert_int_equal(v, UTHREAD_RWLOCK_DEFAULT_NP);
	assert_int_equal(v, UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		assert_int_equal(uthread_rwlockattr_setkind_np(&a, kinds[i]), 0);
		assert_int_equal(uthread_rwlockattr_getkind_np(&a, &v), 0);
		assert_int_equal(v, kinds[i]);
	}
	assert_int_equal(uthread_rwlockattr_setkind_np(&a, UTHREAD_RWLOCK_PREFER_READER_NP), 0);
	assert_int_equal(uthread_rwlockattr_setkind_np(&a, -1), EINVAL);
	assert_int_equal(uthread_rwlockattr_setkind_np(&a, 3), EINVAL);
	assert_int_equal(uthread_rwlockattr_getkind_np(&a, &v), 0);
	assert_int_equal(v, UTHREAD_RWLOCK_PREFER_READER_NP); /* kept */
	assert_int_equal(uthread_rwlockattr_setkind_np(NULL, 0), EINVAL);
	assert_int_equal(uthread_rwlockattr_getkind_np(NULL, &v), EINVAL);
	assert_int_equal(uthread_rwlockattr_getkind_np(&a, NULL), EINVAL);
	assert_int_equal(uthread_rwlockattr_setkind_np(&dead, 0), EINVAL);
	assert_int_equal(uthread_rwlockattr_getkind_np(&dead, &v), EINVAL);
	assert_int_equal(uthread_rwlockattr_destroy(&a), 0);
	assert_int_equal(uthread_rwlockattr_setkind_np(&a, 0), EINVAL);
	assert_int_equal(uthread_rwlockattr_getkind_np(&a, &v), EINVAL);
}

struct sides {
	uthread_rwlock_t rw;
	int seq;          /* tu_add: the order threads got in */
	int writer_at;    /* tu: the writer's place in that order */
	int reader_at;    /* tu: the reader's */
};

static void *take_write(void *p)
{
	struct sides *s = p;

	if (uthread_rwlock_wrlock(&s->rw) != 0)
		return (void *)1;
	tu_set(&s->writer_at, tu_add(&s->seq, 1));
	return uthread_rwlock_unlock(&s->rw) ? (void *)1 : NULL;
}

static void *take_read(void *p)
{
	struct sides *s = p;

	if (uthread_rwlock_rdlock(&s->rw) != 0)
		return (void *)1;
	tu_set(&s->reader_at, tu_add(&s->seq, 1));
	return uthread_rwlock_unlock(&s->rw) ? (void *)1 : NULL;
}

static uthread_rwlock_t *timed_read_lock;

static void *timed_read(void *p)
{
	int r = uthread_rwlock_clockrdlock(timed_read_lock, CLOCK_MONOTONIC, p);

	if (r == 0)
		(void)uthread_rwlock_unlock(timed_read_lock);
	return (void *)(intptr_t)r;
}

static void join_ok(uthread_t t)
{
	void *r = (void *)1;

	assert_int_equal(uthread_join(t, &r), 0);
	assert_null(r);
}

/* We hold a read lock and a writer sleeps: may we read-lock again? */
static int read_again_while_a_writer_waits(int kind)
{
	struct sides s = { .seq = 0 };
	uthread_t w;
	int r;

	init_kind(&s.rw, kind);
	assert_int_equal(uthread_rwlock_rdlock(&s.rw), 0);
	assert_int_equal(uthread_create(&w, NULL, take_write, &s), 0);
	assert_int_equal(su_wait_futex_sleep(su_tid(w), 5000), 1);
	r = uthread_rwlock_tryrdlock(&s.rw);
	if (r == 0) {
		/* The blocking call too (recursive read: no deadlock). */
		assert_int_equal(uthread_rwlock_rdlock(&s.rw), 0);
		assert_int_equal(uthread_rwlock_unlock(&s.rw), 0);
		assert_int_equal(uthread_rwlock_unlock(&s.rw), 0);
	}
	assert_int_equal(tu_get(&s.writer_at), 0); /* still out */
	assert_int_equal(uthread_rwlock_unlock(&s.rw), 0);
	join_ok(w);
	assert_int_equal(tu_get(&s.writer_at), 1);
	assert_int_equal(uthread_rwlock_destroy(&s.rw), 0);
	return r;
}

static void reader_preference_lets_a_reader_in_while_a_writer_waits(void **state)
{
	(void)state;
	assert_int_equal(read_again_while_a_writer_waits(UTHREAD_RWLOCK_PREFER_READER_NP), 0);
}

static void writer_preference_keeps_new_readers_behind_a_waiting_writer(void **state)
{
	(void)state;
	assert_int_equal(read_again_while_a_writer_waits(UTHREAD_RWLOCK_PREFER_WRITER_NP), EBUSY);
	assert_int_equal(read_again_while_a_writer_waits(
	                         UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), EBUSY);
	assert_int_equal(read_again_while_a_writer_waits(UTHREAD_RWLOCK_DEFAULT_NP), EBUSY);
}

/* A writer holds it; a reader, then a writer, fall asleep; the holder
 * unlocks.  Returns which got in first: 'r' or 'w'. */
static char first_after_a_write_unlock(int kind)
{
	struct sides s = { .seq = 0 };
	uthread_t rd, wr;
	char first;

	init_kind(&s.rw, kind);
	assert_int_equal(uthread_rwlock_wrlock(&s.rw), 0);
	assert_int_equal(uthread_create(&rd, NULL, take_read, &s), 0);
	assert_int_equal(su_wait_futex_sleep(su_tid(rd), 5000), 1);
	assert_int_equal(uthread_create(&wr, NULL, take_write, &s), 0);
	assert_int_equal(su_wait_futex_sleep(su_tid(wr), 5000), 1);
	assert_int_equal(uthread_rwlock_unlock(&s.rw), 0);
	join_ok(rd);
	join_ok(wr);
	first = tu_get(&s.reader_at) == 1 ? 'r' : 'w';
	assert_int_equal(tu_get(&s.reader_at) + tu_get(&s.writer_at), 3);
	assert_int_equal(uthread_rwlock_destroy(&s.rw), 0);
	return first;
}

/*
 * Regression: with reader preference, a reader that timed out left its
 * READERS_WAITING bit; the next unlock woke "the readers" (nobody) and
 * not the writer asleep behind them, which then slept on a free lock.
 */
static void a_timed_out_reader_does_not_strand_a_sleeping_writer(void **state)
{
	struct sides s = { .seq = 0 };
	struct timespec soon;
	uthread_t wr;
	long long end;

	(void)state;
	init_kind(&s.rw, UTHREAD_RWLOCK_PREFER_READER_NP);
	timed_read_lock = &s.rw;
	assert_int_equal(uthread_rwlock_wrlock(&s.rw), 0);
	/* This thread cannot read-lock: it holds the write lock (EDEADLK),
	 * so the timed-out reader is another one. */
	soon = su_deadline(CLOCK_MONOTONIC, 20);
	uthread_t rd;
	assert_int_equal(uthread_create(&rd, NULL, timed_read, &soon), 0);
	void *r = NULL;
	assert_int_equal(uthread_join(rd, &r), 0);
	assert_ptr_equal(r, (void *)(intptr_t)ETIMEDOUT);
	assert_int_equal(uthread_create(&wr, NULL, take_write, &s), 0);
	assert_int_equal(su_wait_futex_sleep(su_tid(wr), 5000), 1);
	assert_int_equal(uthread_rwlock_unlock(&s.rw), 0);
	end = tu_deadline_ms(5000);
	while (!tu_get(&s.writer_at) && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(tu_get(&s.writer_at), 1); /* was: asleep for ever */
	join_ok(wr);
	assert_int_equal(uthread_rwlock_destroy(&s.rw), 0);
}

static void sleeping_readers_go_first_only_with_reader_preference(void **state)
{
	(void)state;
	assert_int_equal(first_after_a_write_unlock(UTHREAD_RWLOCK_PREFER_READER_NP), 'r');
	assert_int_equal(first_after_a_write_unlock(UTHREAD_RWLOCK_DEFAULT_NP), 'w');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kind_is_set_read_and_checked),
		cmocka_unit_test(reader_preference_lets_a_reader_in_while_a_writer_waits),
		cmocka_unit_test(writer_preference_keeps_new_readers_behind_a_waiting_writer),
		cmocka_unit_test(sleeping_readers_go_first_only_with_reader_preference),
		cmocka_unit_test(a_timed_out_reader_does_not_strand_a_sleeping_writer),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
