/* SPDX-License-Identifier: MIT */
/*
 * test_rwlock.c - uthread_rwlock_*: readers never see a half-done write
 * and no write is lost, a writer gets in against a continuous stream of
 * readers, try/timed variants, the EDEADLK/EPERM/EBUSY rules, and what
 * happens after a waiting writer gives up.  Threads never call cmocka: they
 * record what they saw and the main thread asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

static void spin(int n)
{
	for (int i = 0; i < n; i++)
		__asm__ volatile("pause" ::: "memory");
}

/* ------------------------------------------------------------------ */
/* 99% reads, 1% writes                                                 */
/* ------------------------------------------------------------------ */

#define MIX_THREADS 4

struct mix {
	uthread_rwlock_t rw;
	volatile long a, b;     /* invariant under the lock: a == b */
	long ops;
	long writes[MIX_THREADS];
	long reads[MIX_THREADS];
	int torn;               /* reads that saw a != b */
	int errors;
	int ready, go;
};

struct mixer {
	struct mix *x;
	int id;
};

static void *mix_worker(void *p)
{
	struct mixer *me = p;
	struct mix *x = me->x;
	uint32_t rnd = 2463534242u * (uint32_t)(me->id + 1);

	tu_add(&x->ready, 1);
	tu_wait(&x->go, 1, -1);
	for (long i = 0; i < x->ops; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		if (rnd % 100 == 0) {
			if (uthread_rwlock_wrlock(&x->rw) != 0) {
				__atomic_fetch_add(&x->errors, 1, __ATOMIC_RELAXED);
				continue;
			}
			x->a = x->a + 1;
			spin(50); /* a reader let in now would see a != b */
			x->b = x->b + 1;
			me->x->writes[me->id]++;
		} else {
			long a, b;

			if (uthread_rwlock_rdlock(&x->rw) != 0) {
				__atomic_fetch_add(&x->errors, 1, __ATOMIC_RELAXED);
				continue;
			}
			a = x->a;
			spin(5);
			b = x->b;
			if (a != b)
				__atomic_fetch_add(&x->torn, 1, __ATOMIC_RELAXED);
			me->x->reads[me->id]++;
		}
		if (uthread_rwlock_unlock(&x->rw) != 0)
			__atomic_fetch_add(&x->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void readers_never_see_a_torn_write_and_no_write_is_lost(void **state)
{
	struct mix *x = calloc(1, sizeof *x);
	struct mixer m[MIX_THREADS];
	uthread_t t[MIX_THREADS];
	long writes = 0, reads = 0;

	(void)state;
	assert_non_null(x);
	assert_int_equal(uthread_rwlock_init(&x->rw, NULL), 0);
	x->ops = su_iters(100000, 5000);
	for (int i = 0; i < MIX_THREADS; i++) {
		m[i] = (struct mixer){ x, i };
		assert_int_equal(uthread_create(&t[i], NULL, mix_worker, &m[i]), 0);
	}
	tu_wait(&x->ready, MIX_THREADS, -1);
	tu_set(&x->go, 1);
	for (int i = 0; i < MIX_THREADS; i++) {
		assert_int_equal(uthread_join(t[i], NULL), 0);
		writes += x->writes[i];
		reads += x->reads[i];
	}
	print_message("%ld reads, %ld writes\n", reads, writes);
	assert_int_equal(x->errors, 0);
	assert_int_equal(x->torn, 0);
	assert_int_equal(reads + writes, MIX_THREADS * x->ops);
	assert_true(writes > 0);
	assert_int_equal(x->a, writes);
	assert_int_equal(x->b, writes);
	assert_int_equal(uthread_rwlock_destroy(&x->rw), 0);
	free(x);
}

/* ------------------------------------------------------------------ */
/* A writer gets in against continuous readers                          */
/* ------------------------------------------------------------------ */

#define READERS 4

struct stream {
	uthread_rwlock_t rw;
	int stop;
	long reads[READERS];
	int errors;
};

struct streamer {
	struct stream *s;
	int id;
};

static void *read_continuously(void *p)
{
	struct streamer *me = p;
	struct stream *s = me->s;

	while (!tu_peek(&s->stop)) {
		if (uthread_rwlock_rdlock(&s->rw) != 0) {
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		/* Hold it a while: the readers overlap, so without writer
		 * preference the lock would never be free of readers. */
		usleep(200);
		s->reads[me->id]++;
		if (uthread_rwlock_unlock(&s->rw) != 0)
			__atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void writer_gets_the_lock_a_hundred_times_against_continuous_readers(void **state)
{
	struct stream s;
	struct streamer sr[READERS];
	uthread_t t[READERS];
	struct timespec deadline;
	long long t0;
	int n = (int)su_iters(100, 20), got = 0, r = 0;

	(void)state;
	memset(&s, 0, sizeof s);
	assert_int_equal(uthread_rwlock_init(&s.rw, NULL), 0);
	for (int i = 0; i < READERS; i++) {
		sr[i] = (struct streamer){ &s, i };
		assert_int_equal(uthread_create(&t[i], NULL, read_continuously, &sr[i]), 0);
	}
	tu_sleep_ms(20); /* the readers are streaming */
	t0 = tu_now_ms();
	deadline = su_deadline(CLOCK_REALTIME, 10000);
	for (int i = 0; i < n; i++) {
		r = uthread_rwlock_timedwrlock(&s.rw, &deadline);
		if (r != 0)
			break;
		got++;
		assert_int_equal(uthread_rwlock_unlock(&s.rw), 0);
		usleep(100);
	}
	tu_set(&s.stop, 1);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	print_message("writer: %d of %d in %lld ms; reads %ld %ld %ld %ld\n", got, n,
	              tu_now_ms() - t0, s.reads[0], s.reads[1], s.reads[2], s.reads[3]);
	assert_int_equal(r, 0);
	assert_int_equal(got, n);
	assert_int_equal(s.errors, 0);
	for (int i = 0; i < READERS; i++)
		assert_true(s.reads[i] > 0);
	assert_int_equal(uthread_rwlock_destroy(&s.rw), 0);
}

/* ------------------------------------------------------------------ */
/* try variants, ownership errors                                       */
/* ------------------------------------------------------------------ */

static int tryrdlock_in_thread(void *p)
{
	int r = uthread_rwlock_tryrdlock(p);

	if (r == 0 && uthread_rwlock_unlock(p) != 0)
		return -1;
	return r;
}

static int trywrlock_in_thread(void *p)
{
	int r = uthread_rwlock_trywrlock(p);

	if (r == 0 && uthread_rwlock_unlock(p) != 0)
		return -1;
	return r;
}

static int unlock_in_thread(void *p)
{
	return uthread_rwlock_unlock(p);
}

static void try_locks_are_ebusy_while_the_other_kind_is_held(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	/* Write-locked: no reader, no other writer. */
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(su_in_thread(tryrdlock_in_thread, &rw), EBUSY);
	assert_int_equal(su_in_thread(trywrlock_in_thread, &rw), EBUSY);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	/* Read-locked: other readers yes, writers no (the holder neither). */
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(su_in_thread(tryrdlock_in_thread, &rw), 0);
	assert_int_equal(su_in_thread(trywrlock_in_thread, &rw), EBUSY);
	assert_int_equal(uthread_rwlock_trywrlock(&rw), EBUSY);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	/* Free again: both succeed. */
	assert_int_equal(su_in_thread(trywrlock_in_thread, &rw), 0);
	assert_int_equal(su_in_thread(tryrdlock_in_thread, &rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void locking_while_holding_the_write_lock_is_edeadlk(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 1000);

	(void)state;
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_wrlock(&rw), EDEADLK);
	assert_int_equal(uthread_rwlock_rdlock(&rw), EDEADLK);
	assert_int_equal(uthread_rwlock_timedwrlock(&rw, &deadline), EDEADLK);
	assert_int_equal(uthread_rwlock_timedrdlock(&rw, &deadline), EDEADLK);
	/* Held exactly once. */
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(su_in_thread(trywrlock_in_thread, &rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void unlock_of_an_unlocked_rwlock_is_eperm(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void unlock_of_a_write_lock_by_another_thread_is_eperm(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(su_in_thread(unlock_in_thread, &rw), EPERM);
	/* Still write-locked by us. */
	assert_int_equal(su_in_thread(tryrdlock_in_thread, &rw), EBUSY);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(su_in_thread(tryrdlock_in_thread, &rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void destroy_of_a_locked_rwlock_is_ebusy(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), EBUSY);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), EBUSY);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

/* ------------------------------------------------------------------ */
/* Timed variants                                                       */
/* ------------------------------------------------------------------ */

struct timed {
	uthread_rwlock_t *rw;
	int write;
	long ms;
	int r;
	double late;
};

static int timed_lock_in_thread(void *p)
{
	struct timed *t = p;
	struct timespec deadline = su_deadline(CLOCK_REALTIME, t->ms);

	t->r = t->write ? uthread_rwlock_timedwrlock(t->rw, &deadline)
	                : uthread_rwlock_timedrdlock(t->rw, &deadline);
	t->late = su_ms_late(CLOCK_REALTIME, &deadline);
	if (t->r == 0)
		uthread_rwlock_unlock(t->rw);
	return 0;
}

static void check_times_out(uthread_rwlock_t *rw, int write)
{
	struct timed t = { rw, write, 100, -1, 0 };

	assert_int_equal(su_in_thread(timed_lock_in_thread, &t), 0);
	assert_int_equal(t.r, ETIMEDOUT);
	print_message("%s: returned %.3f ms after the deadline\n",
	              write ? "timedwrlock" : "timedrdlock", t.late);
	assert_true(t.late >= 0.0);
	assert_true(t.late < su_max_late_ms());
}

static int timed_locks_before_1970_in_thread(void *p)
{
	struct timespec before_epoch = { -1, 0 };
	int w = uthread_rwlock_timedwrlock(p, &before_epoch);
	int r = uthread_rwlock_timedrdlock(p, &before_epoch);

	return w == ETIMEDOUT && r == ETIMEDOUT ? 0 : 1000 * w + r;
}

static void timedwrlock_times_out_not_before_the_deadline(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	check_times_out(&rw, 1);
	/* A deadline before 1970 has passed, too. */
	assert_int_equal(su_in_thread(timed_locks_before_1970_in_thread, &rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	check_times_out(&rw, 1);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void timedrdlock_times_out_not_before_the_deadline(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	check_times_out(&rw, 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void timed_locks_succeed_when_the_lock_is_free(void **state)
{
	uthread_rwlock_t rw;
	struct timed t;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	t = (struct timed){ &rw, 1, 1000, -1, 0 };
	assert_int_equal(su_in_thread(timed_lock_in_thread, &t), 0);
	assert_int_equal(t.r, 0);
	t = (struct timed){ &rw, 0, 1000, -1, 0 };
	assert_int_equal(su_in_thread(timed_lock_in_thread, &t), 0);
	assert_int_equal(t.r, 0);
	/* A reader may join a reader before the deadline. */
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	t = (struct timed){ &rw, 0, 1000, -1, 0 };
	assert_int_equal(su_in_thread(timed_lock_in_thread, &t), 0);
	assert_int_equal(t.r, 0);
	assert_true(t.late < -500.0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void timed_locks_with_a_bad_timespec_are_einval(void **state)
{
	uthread_rwlock_t rw;
	struct timespec neg = su_deadline(CLOCK_REALTIME, 1000), big = neg;

	(void)state;
	neg.tv_nsec = -1;
	big.tv_nsec = 1000000000L;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_timedrdlock(&rw, &neg), EINVAL);
	assert_int_equal(uthread_rwlock_timedrdlock(&rw, &big), EINVAL);
	assert_int_equal(uthread_rwlock_timedrdlock(&rw, NULL), EINVAL);
	assert_int_equal(uthread_rwlock_timedwrlock(&rw, &neg), EINVAL);
	assert_int_equal(uthread_rwlock_timedwrlock(&rw, &big), EINVAL);
	assert_int_equal(uthread_rwlock_timedwrlock(&rw, NULL), EINVAL);
	/* Nothing was taken. */
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void null_arguments_are_einval(void **state)
{
	struct timespec deadline = su_deadline(CLOCK_REALTIME, 1000);
	uthread_rwlockattr_t a;
	uthread_rwlock_t rw;

	(void)state;
	assert_int_equal(uthread_rwlock_init(NULL, NULL), EINVAL);
	assert_int_equal(uthread_rwlock_destroy(NULL), EINVAL);
	assert_int_equal(uthread_rwlock_rdlock(NULL), EINVAL);
	assert_int_equal(uthread_rwlock_tryrdlock(NULL), EINVAL);
	assert_int_equal(uthread_rwlock_timedrdlock(NULL, &deadline), EINVAL);
	assert_int_equal(uthread_rwlock_wrlock(NULL), EINVAL);
	assert_int_equal(uthread_rwlock_trywrlock(NULL), EINVAL);
	assert_int_equal(uthread_rwlock_timedwrlock(NULL, &deadline), EINVAL);
	assert_int_equal(uthread_rwlock_unlock(NULL), EINVAL);
	assert_int_equal(uthread_rwlockattr_init(NULL), EINVAL);
	assert_int_equal(uthread_rwlockattr_destroy(NULL), EINVAL);
	assert_int_equal(uthread_rwlockattr_init(&a), 0);
	assert_int_equal(uthread_rwlock_init(&rw, &a), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
	assert_int_equal(uthread_rwlockattr_destroy(&a), 0);
	assert_int_equal(uthread_rwlockattr_destroy(&a), EINVAL);
	assert_int_equal(uthread_rwlock_init(&rw, &a), EINVAL);
}

/* ------------------------------------------------------------------ */
/* Waiting writers and new readers                                      */
/* ------------------------------------------------------------------ */

struct blocked_writer {
	uthread_rwlock_t *rw;
	int r;
};

static void *write_lock_and_leave(void *p)
{
	struct blocked_writer *w = p;

	w->r = uthread_rwlock_wrlock(w->rw);
	if (w->r == 0)
		uthread_rwlock_unlock(w->rw);
	return NULL;
}

static void new_readers_wait_while_a_writer_waits(void **state)
{
	uthread_rwlock_t rw;
	struct blocked_writer w = { &rw, -1 };
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(uthread_create(&t, NULL, write_lock_and_leave, &w), 0);
	assert_true(su_wait_futex_sleep(su_tid(t), 5000));
	/* The writer sleeps: a new reader must not pass it. */
	assert_int_equal(su_in_thread(tryrdlock_in_thread, &rw), EBUSY);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_int_equal(su_in_thread(tryrdlock_in_thread, &rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void readers_get_in_again_once_a_waiting_writer_timed_out(void **state)
{
	uthread_rwlock_t rw;
	struct timed w = { &rw, 1, 50, -1, 0 };
	struct timed r = { &rw, 0, 1000, -1, 0 };
	int try_r;

	(void)state;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	/* A writer queues behind our read lock and gives up. */
	assert_int_equal(su_in_thread(timed_lock_in_thread, &w), 0);
	assert_int_equal(w.r, ETIMEDOUT);
	/*
	 * No writer holds or waits for the lock now, so another reader gets
	 * in at once (POSIX: a read lock is granted when no writer holds it
	 * and none is blocked on it).  A reader that stays locked out until
	 * we unlock deadlocks any program where the first reader waits for
	 * the second.
	 */
	try_r = su_in_thread(tryrdlock_in_thread, &rw);
	assert_int_equal(su_in_thread(timed_lock_in_thread, &r), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(try_r, 0);
	assert_int_equal(r.r, 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(readers_never_see_a_torn_write_and_no_write_is_lost),
		cmocka_unit_test(writer_gets_the_lock_a_hundred_times_against_continuous_readers),
		cmocka_unit_test(try_locks_are_ebusy_while_the_other_kind_is_held),
		cmocka_unit_test(locking_while_holding_the_write_lock_is_edeadlk),
		cmocka_unit_test(unlock_of_an_unlocked_rwlock_is_eperm),
		cmocka_unit_test(unlock_of_a_write_lock_by_another_thread_is_eperm),
		cmocka_unit_test(destroy_of_a_locked_rwlock_is_ebusy),
		cmocka_unit_test(timedwrlock_times_out_not_before_the_deadline),
		cmocka_unit_test(timedrdlock_times_out_not_before_the_deadline),
		cmocka_unit_test(timed_locks_succeed_when_the_lock_is_free),
		cmocka_unit_test(timed_locks_with_a_bad_timespec_are_einval),
		cmocka_unit_test(null_arguments_are_einval),
		cmocka_unit_test(new_readers_wait_while_a_writer_waits),
		cmocka_unit_test(readers_get_in_again_once_a_waiting_writer_timed_out),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
