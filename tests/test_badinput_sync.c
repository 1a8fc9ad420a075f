/* SPDX-License-Identifier: MIT */
/*
 * test_badinput_sync.c - the rows of the bad-input table (docs/bad-input.md)
 * for mutexes, condition variables, once, keys, read-write locks, barriers,
 * semaphores and spin locks that the primitives' own tests do not check:
 * uninitialised and destroyed objects, out-of-range values, wrong owners
 * and misuse.  Misuse that helgrind and DRD rightly report (releasing a
 * lock the caller does not hold, a thread ending with a lock held) is done
 * only outside valgrind, or simulated there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <uthread.h>
#include "syncutil.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */
/* ------------------------------------------------------------------ */

/* Fill an object with a pattern no init function writes: the memory of
 * an object nobody initialised (set, so memcheck sees defined bytes). */
#define GARBAGE(obj) memset(&(obj), 0xa5, sizeof(obj))

static void init_mutex(uthread_mutex_t *m, int type, int protocol)
{
	uthread_mutexattr_t a;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, protocol), 0);
	assert_int_equal(uthread_mutex_init(m, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

static const struct kind {
	int type, protocol;
	const char *name;
} kinds[] = {
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, "normal" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, "errorcheck" },
	{ UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE, "recursive" },
	{ UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_INHERIT, "normal+PI" },
	{ UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_INHERIT, "errorcheck+PI" },
	{ UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_INHERIT, "recursive+PI" },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* The kinds that keep an owner: every one but the plain normal mutex. */
static int checked(const struct kind *k)
{
	return k->type != UTHREAD_MUTEX_NORMAL || k->protocol == UTHREAD_PRIO_INHERIT;
}

static int mutex_unlock_in_thread(void *p)
{
	return uthread_mutex_unlock(p);
}

/* Trylock from another thread, unlocking again on success. */
static int mutex_trylock_in_thread(void *p)
{
	int r = uthread_mutex_trylock(p);

	if (r == 0 && uthread_mutex_unlock(p) != 0)
		return -1;
	return r;
}

/* A deadline ms milliseconds from now on CLOCK_REALTIME. */
static struct timespec in_ms(long ms)
{
	return su_deadline(CLOCK_REALTIME, ms);
}


/* ------------------------------------------------------------------ */
/* Mutex attributes and mutexes                                         */
/* ------------------------------------------------------------------ */

static void mutexattr_functions_reject_an_uninitialised_or_destroyed_attr(void **state)
{
	uthread_mutexattr_t a;
	uthread_mutex_t m;
	int v = -1;

	(void)state;
	for (int round = 0; round < 2; round++) {
		if (round == 0) {
			GARBAGE(a);
		} else {
			assert_int_equal(uthread_mutexattr_init(&a), 0);
			assert_int_equal(uthread_mutexattr_destroy(&a), 0);
		}
		assert_int_equal(uthread_mutexattr_destroy(&a), EINVAL);
		assert_int_equal(uthread_mutexattr_settype(&a, UTHREAD_MUTEX_NORMAL), EINVAL);
		assert_int_equal(uthread_mutexattr_gettype(&a, &v), EINVAL);
		assert_int_equal(uthread_mutexattr_setprotocol(&a, UTHREAD_PRIO_NONE), EINVAL);
		assert_int_equal(uthread_mutexattr_getprotocol(&a, &v), EINVAL);
		assert_int_equal(v, -1);
		assert_int_equal(uthread_mutex_init(&m, &a), EINVAL);
	}
}

static void operations_on_an_uninitialised_mutex_are_einval(void **state)
{
	uthread_mutex_t m;
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;
	struct timespec ts = in_ms(1000);

	(void)state;
	GARBAGE(m);
	assert_int_equal(uthread_mutex_lock(&m), EINVAL);
	assert_int_equal(uthread_mutex_trylock(&m), EINVAL);
	assert_int_equal(uthread_mutex_timedlock(&m, &ts), EINVAL);
	assert_int_equal(uthread_mutex_unlock(&m), EINVAL);
	assert_int_equal(uthread_cond_wait(&c, &m), EINVAL);
	assert_int_equal(uthread_cond_timedwait(&c, &m, &ts), EINVAL);
	assert_int_equal(uthread_mutex_destroy(&m), EINVAL);
	/* The refused waits left nothing registered on the cond. */
	assert_int_equal(uthread_cond_destroy(&c), 0);
	/* init makes it a mutex. */
	assert_int_equal(uthread_mutex_init(&m, NULL), 0);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void unlock_destroy_and_wait_on_a_destroyed_mutex_are_einval(void **state)
{
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;
	struct timespec ts = in_ms(1000);

	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;

		print_message("%s\n", kinds[k].name);
		init_mutex(&m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
		assert_int_equal(uthread_mutex_unlock(&m), EINVAL);
		assert_int_equal(uthread_mutex_destroy(&m), EINVAL);
		assert_int_equal(uthread_cond_wait(&c, &m), EINVAL);
		assert_int_equal(uthread_cond_timedwait(&c, &m, &ts), EINVAL);
	}
	assert_int_equal(uthread_cond_destroy(&c), 0);
}

/*
 * The owner locks again: each kind answers as its contract says, and the
 * mutex is still held exactly once afterwards (one unlock frees it).
 */
static void relock_by_the_owner_answers_by_kind(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		const struct kind *kd = &kinds[k];
		uthread_mutex_t m;
		struct timespec ts = in_ms(20);
		int recursive = kd->type == UTHREAD_MUTEX_RECURSIVE;

		print_message("%s\n", kd->name);
		init_mutex(&m, kd->type, kd->protocol);
		assert_int_equal(uthread_mutex_lock(&m), 0);
		/* Never EDEADLK from trylock: EBUSY, or a count. */
		assert_int_equal(uthread_mutex_trylock(&m), recursive ? 0 : EBUSY);
		if (recursive) {
			assert_int_equal(uthread_mutex_lock(&m), 0);
			assert_int_equal(uthread_mutex_timedlock(&m, &ts), 0);
			assert_int_equal(uthread_mutex_unlock(&m), 0);
			assert_int_equal(uthread_mutex_unlock(&m), 0);
			assert_int_equal(uthread_mutex_unlock(&m), 0);
		} else if (kd->type == UTHREAD_MUTEX_ERRORCHECK) {
			/* Errorcheck, with priority inheritance or without. */
			assert_int_equal(uthread_mutex_lock(&m), EDEADLK);
			assert_int_equal(uthread_mutex_timedlock(&m, &ts), EDEADLK);
		} else {
			/* Normal, with priority inheritance too (POSIX, glibc):
			 * lock would deadlock; the timed lock waits for ever's
			 * first 20 ms. */
			assert_int_equal(uthread_mutex_timedlock(&m, &ts), ETIMEDOUT);
		}
		assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), EBUSY);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

struct relocker {
	uthread_mutex_t *m;
	pid_t tid;
	int first, second;
};

static void *lock_twice(void *p)
{
	struct relocker *r = p;

	r->tid = (pid_t)syscall(SYS_gettid);
	tu_set(&r->first, uthread_mutex_lock(r->m) == 0 ? 1 : -1);
	uthread_mutex_lock(r->m); /* the deadlock */
	tu_set(&r->second, 1);
	return NULL;
}

/* In a child, so the deadlocked thread dies with it.  arg: the protocol. */
static int normal_relock_in_child(void *arg)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
	struct relocker r = { &m, 0, 0, 0 };
	uthread_mutexattr_t a;
	uthread_t t;

	SU_CHECK(uthread_mutexattr_init(&a) == 0);
	SU_CHECK(uthread_mutexattr_setprotocol(&a, *(const int *)arg) == 0);
	SU_CHECK(uthread_mutex_init(&m, &a) == 0);
	SU_CHECK(uthread_create(&t, NULL, lock_twice, &r) == 0);
	(void)tu_wait(&r.first, 1, -1);
	SU_CHECK(tu_get(&r.first) == 1);
	/* Asleep in the kernel, not spinning, and still there later. */
	SU_CHECK(su_wait_futex_sleep(r.tid, 5000));
	tu_sleep_ms(100);
	SU_CHECK(tu_task_syscall(r.tid) == SYS_futex);
	SU_CHECK(tu_get(&r.second) == 0);
	return 0;
}

static void a_normal_mutex_relocked_by_its_owner_deadlocks(void **state)
{
	(void)state;
	/* helgrind and DRD would report the thread dying with the lock. */
	if (tu_on_valgrind())
		return;
	static const int none = UTHREAD_PRIO_NONE, inherit = UTHREAD_PRIO_INHERIT;

	assert_int_equal(su_run_child(normal_relock_in_child, (void *)&none, 10), 0);
	/* Priority inheritance: the kernel's EDEADLK is not passed on. */
	assert_int_equal(su_run_child(normal_relock_in_child, (void *)&inherit, 10), 0);
}

static void a_recursive_count_that_would_overflow_is_eagain(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;
		struct timespec ts = in_ms(1000);

		if (kinds[k].type != UTHREAD_MUTEX_RECURSIVE)
			continue;
		print_message("%s\n", kinds[k].name);
		init_mutex(&m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(uthread_mutex_lock(&m), 0);
		/*
		 * 2^32 locks take tens of seconds: start from the depth they
		 * would leave (the private field the header names), one below
		 * the top.
		 */
		m.__count = UINT_MAX - 1;
		assert_int_equal(uthread_mutex_lock(&m), 0);
		assert_int_equal(m.__count, UINT_MAX);
		assert_int_equal(uthread_mutex_lock(&m), EAGAIN);
		assert_int_equal(uthread_mutex_trylock(&m), EAGAIN);
		assert_int_equal(uthread_mutex_timedlock(&m, &ts), EAGAIN);
		assert_int_equal(m.__count, UINT_MAX); /* unchanged */
		m.__count = 0;
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

static void unlock_by_a_non_owner_is_eperm_for_every_checked_kind(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;

		if (!checked(&kinds[k]))
			continue;
		print_message("%s\n", kinds[k].name);
		init_mutex(&m, kinds[k].type, kinds[k].protocol);
		/* Held by us: another thread may not unlock it. */
		assert_int_equal(uthread_mutex_lock(&m), 0);
		assert_int_equal(su_in_thread(mutex_unlock_in_thread, &m), EPERM);
		assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), EBUSY);
		assert_int_equal(uthread_mutex_unlock(&m), 0);
		/* Held by nobody: nobody may unlock it. */
		assert_int_equal(uthread_mutex_unlock(&m), EPERM);
		assert_int_equal(su_in_thread(mutex_unlock_in_thread, &m), EPERM);
		assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

/*
 * A normal mutex keeps no owner, so unlocking one the caller does not
 * hold is not detected: it is released (glibc does the same; POSIX:
 * undefined).  What is checked is only that nothing breaks.
 */
static void unlock_of_a_normal_mutex_the_caller_does_not_hold_releases_it(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;

	(void)state;
	/* helgrind and DRD report exactly this misuse. */
	if (tu_on_valgrind())
		return;
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(su_in_thread(mutex_unlock_in_thread, &m), 0);
	assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), 0);
	assert_int_equal(uthread_mutex_trylock(&m), 0);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

static void *lock_and_end(void *p)
{
	return (void *)(intptr_t)uthread_mutex_lock(p);
}

static void *tid_and_end(void *p)
{
	*(pid_t *)p = (pid_t)syscall(SYS_gettid);
	return NULL;
}

/*
 * A priority-inheritance mutex whose owner ended holding it: its word
 * names a thread that no longer exists, and the kernel answers ESRCH
 * (glibc's lock then sleeps for ever).
 */
static void a_pi_mutex_whose_owner_ended_holding_it_is_esrch(void **state)
{
	(void)state;
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;
		struct timespec ts = in_ms(2000);
		uthread_t t;
		void *ret = (void *)-1;

		if (kinds[k].protocol != UTHREAD_PRIO_INHERIT)
			continue;
		print_message("%s\n", kinds[k].name);
		init_mutex(&m, kinds[k].type, kinds[k].protocol);
		if (!tu_on_valgrind()) {
			assert_int_equal(uthread_create(&t, NULL, lock_and_end, &m), 0);
			assert_int_equal(uthread_join(t, &ret), 0);
			assert_null(ret);
		} else {
			/*
			 * helgrind and DRD report a thread ending with a lock
			 * held; leave the word as such a thread does: its tid.
			 */
			pid_t tid = 0;

			assert_int_equal(uthread_create(&t, NULL, tid_and_end, &tid), 0);
			assert_int_equal(uthread_join(t, NULL), 0);
			m.__lock = (unsigned)tid;
		}
		assert_int_equal(uthread_mutex_lock(&m), ESRCH);
		assert_int_equal(uthread_mutex_timedlock(&m, &ts), ESRCH);
		assert_int_equal(uthread_mutex_trylock(&m), EBUSY);
		assert_int_equal(uthread_mutex_unlock(&m), EPERM);
		assert_int_equal(uthread_mutex_destroy(&m), EBUSY);
		/* Only re-initialising helps; clear the word to destroy it. */
		m.__lock = 0;
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
}

/* ------------------------------------------------------------------ */
/* Condition variables                                                  */
/* ------------------------------------------------------------------ */

static void condattr_functions_reject_an_uninitialised_or_destroyed_attr(void **state)
{
	uthread_condattr_t a;
	uthread_cond_t c;
	clockid_t clock = 12345;

	(void)state;
	for (int round = 0; round < 2; round++) {
		if (round == 0) {
			GARBAGE(a);
		} else {
			assert_int_equal(uthread_condattr_init(&a), 0);
			assert_int_equal(uthread_condattr_destroy(&a), 0);
		}
		assert_int_equal(uthread_condattr_destroy(&a), EINVAL);
		assert_int_equal(uthread_condattr_setclock(&a, CLOCK_MONOTONIC), EINVAL);
		assert_int_equal(uthread_condattr_getclock(&a, &clock), EINVAL);
		assert_int_equal(clock, 12345);
		assert_int_equal(uthread_cond_init(&c, &a), EINVAL);
	}
}

static void condattr_setclock_rejects_every_other_clock(void **state)
{
	static const clockid_t others[] = {
		CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
		CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE,
		CLOCK_BOOTTIME, CLOCK_TAI, -1, 1000,
	};
	uthread_condattr_t a;
	clockid_t clock;

	(void)state;
	assert_int_equal(uthread_condattr_init(&a), 0);
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
		assert_int_equal(uthread_condattr_setclock(&a, others[i]), EINVAL);
	assert_int_equal(uthread_condattr_getclock(&a, &clock), 0);
	assert_int_equal(clock, CLOCK_REALTIME);
	assert_int_equal(uthread_condattr_destroy(&a), 0);
}

static void wait_with_a_pi_mutex_not_held_is_eperm(void **state)
{
	uthread_cond_t c;

	(void)state;
	assert_int_equal(uthread_cond_init(&c, NULL), 0);
	for (size_t k = 0; k < NKINDS; k++) {
		uthread_mutex_t m;
		struct timespec ts = in_ms(1000);

		if (kinds[k].protocol != UTHREAD_PRIO_INHERIT)
			continue;
		print_message("%s\n", kinds[k].name);
		init_mutex(&m, kinds[k].type, kinds[k].protocol);
		assert_int_equal(uthread_cond_wait(&c, &m), EPERM);
		assert_int_equal(uthread_cond_timedwait(&c, &m, &ts), EPERM);
		/* Nothing taken. */
		assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), 0);
		assert_int_equal(uthread_mutex_destroy(&m), 0);
	}
	assert_int_equal(uthread_cond_destroy(&c), 0);
}

/*
 * A normal mutex keeps no owner: waiting with one the caller does not hold
 * is not detected.  The wait runs (and times out) and returns with the
 * mutex locked, as glibc's does.
 */
static void wait_with_a_normal_mutex_not_held_waits_and_returns_it_locked(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
	uthread_cond_t c = UTHREAD_COND_INITIALIZER;
	struct timespec ts = in_ms(20);

	(void)state;
	/* helgrind and DRD report the release of a mutex not held. */
	if (tu_on_valgrind())
		return;
	assert_int_equal(uthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
	assert_int_equal(su_in_thread(mutex_trylock_in_thread, &m), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

/*
 * A destroyed condition variable keeps no mark (as glibc's): destroying it
 * again and using it are not detected, and it behaves as a new one.
 */
static void a_destroyed_cond_destroyed_again_or_used_acts_as_a_new_one(void **state)
{
	uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
	uthread_cond_t c;
	struct timespec ts = in_ms(20);

	(void)state;
	assert_int_equal(uthread_cond_init(&c, NULL), 0);
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_cond_signal(&c), 0);
	assert_int_equal(uthread_cond_broadcast(&c), 0);
	assert_int_equal(uthread_mutex_lock(&m), 0);
	assert_int_equal(uthread_cond_timedwait(&c, &m, &ts), ETIMEDOUT);
	assert_int_equal(uthread_mutex_unlock(&m), 0);
	assert_int_equal(uthread_cond_destroy(&c), 0);
	assert_int_equal(uthread_mutex_destroy(&m), 0);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                 */
/* ------------------------------------------------------------------ */

static void a_key_in_range_that_was_never_created_is_einval(void **state)
{
	const uthread_key_t k = UTHREAD_KEYS_MAX - 1; /* nobody here made 128 */
	int v;

	(void)state;
	assert_int_equal(uthread_key_delete(k), EINVAL);
	assert_int_equal(uthread_setspecific(k, &v), EINVAL);
	assert_null(uthread_getspecific(k));
}

/* ------------------------------------------------------------------ */
/* Once                                                                 */
/* ------------------------------------------------------------------ */

static int once_runs;

static void count_once_run(void)
{
	once_runs++;
}

/*
 * A control holding a value uthread_once never stores was not initialised
 * with UTHREAD_ONCE_INIT.  It must be refused, not waited on for ever.
 * In a child: the broken library spins there until the alarm.
 */
static int once_with_foreign_values(void *arg)
{
	static const uthread_once_t bad[] = { 4, 7, 0xa5a5a5a5u, UINT_MAX };

	(void)arg;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uthread_once_t c = bad[i];

		SU_CHECK(uthread_once(&c, count_once_run) == EINVAL);
		SU_CHECK(c == bad[i]); /* untouched */
	}
	SU_CHECK(once_runs == 0);
	return 0;
}

static void once_with_a_control_it_never_stores_is_einval(void **state)
{
	(void)state;
	assert_int_equal(su_run_child(once_with_foreign_values, NULL, 2), 0);
}

/* ------------------------------------------------------------------ */
/* Read-write locks                                                     */
/* ------------------------------------------------------------------ */

/* POSIX: a try lock that cannot take the lock answers EBUSY, also when
 * the caller is the writer (EDEADLK is for the calls that would block). */
static void try_locks_by_the_write_holder_are_ebusy(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;

	(void)state;
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_tryrdlock(&rw), EBUSY);
	assert_int_equal(uthread_rwlock_trywrlock(&rw), EBUSY);
	/* Held exactly once, still by us. */
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static void rwlockattr_and_rwlock_init_reject_an_uninitialised_attr(void **state)
{
	uthread_rwlockattr_t a;
	uthread_rwlock_t rw;

	(void)state;
	GARBAGE(a);
	assert_int_equal(uthread_rwlockattr_destroy(&a), EINVAL);
	assert_int_equal(uthread_rwlock_init(&rw, &a), EINVAL);
	assert_int_equal(uthread_rwlockattr_init(&a), 0);
	assert_int_equal(uthread_rwlock_init(&rw, &a), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
	assert_int_equal(uthread_rwlockattr_destroy(&a), 0);
}

/* A read lock cannot be upgraded: the holder's write lock waits for
 * itself (not detected: readers are counted, not named). */
static void a_write_lock_by_a_reader_of_the_same_lock_times_out(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;
	struct timespec ts = in_ms(20);

	(void)state;
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(uthread_rwlock_trywrlock(&rw), EBUSY);
	assert_int_equal(uthread_rwlock_timedwrlock(&rw, &ts), ETIMEDOUT);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	/* Free again, and nothing left waiting. */
	assert_int_equal(uthread_rwlock_trywrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

struct writer {
	uthread_rwlock_t *rw;
	int r;
};

static void *write_lock_once(void *p)
{
	struct writer *w = p;

	w->r = uthread_rwlock_wrlock(w->rw);
	if (w->r == 0)
		w->r = uthread_rwlock_unlock(w->rw);
	return NULL;
}

/* Writers are preferred: a reader that reads again while a writer waits
 * waits behind the writer, which waits for it (glibc's default, which
 * prefers readers, lets it in). */
static void a_second_read_lock_while_a_writer_waits_times_out(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;
	struct writer w = { &rw, -1 };
	struct timespec ts = in_ms(20);
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(uthread_create(&t, NULL, write_lock_once, &w), 0);
	assert_true(su_wait_futex_sleep(su_tid(t), 5000));
	assert_int_equal(uthread_rwlock_tryrdlock(&rw), EBUSY);
	assert_int_equal(uthread_rwlock_timedrdlock(&rw, &ts), ETIMEDOUT);
	/* Our one read lock released, the writer gets in. */
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

/*
 * The largest number of readers: rwlock.c's MAX_READERS, 2^29 - 1 - 2^16
 * (the count field, less room for passing readers).  Taking them all
 * takes seconds; start from the state they would leave.
 */
#define RWLOCK_MAX_READERS (0x1fffffffu - 0x10000u)

static void a_read_lock_beyond_the_largest_reader_count_is_eagain(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;
	struct timespec ts = in_ms(1000);

	(void)state;
	rw.__state = RWLOCK_MAX_READERS - 1;
	assert_int_equal(uthread_rwlock_tryrdlock(&rw), 0); /* the last one */
	assert_int_equal(uthread_rwlock_tryrdlock(&rw), EAGAIN);
	assert_int_equal(uthread_rwlock_rdlock(&rw), EAGAIN);
	assert_int_equal(uthread_rwlock_timedrdlock(&rw, &ts), EAGAIN);
	assert_int_equal(rw.__state, RWLOCK_MAX_READERS); /* nothing taken */
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(rw.__state, RWLOCK_MAX_READERS - 1);
	rw.__state = 0;
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

static int rwlock_unlock_in_thread(void *p)
{
	return uthread_rwlock_unlock(p);
}

/*
 * Readers are counted, not named: an unlock by a thread that holds no
 * read lock, while another does, is not detected and drops that reader's
 * count (glibc: the same).  The real reader's own unlock then finds the
 * lock free and answers EPERM.
 */
static void rwlock_unlock_by_a_thread_without_a_read_lock_drops_a_readers_count(void **state)
{
	uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;

	(void)state;
	/* helgrind and DRD report the release of a lock not held. */
	if (tu_on_valgrind())
		return;
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(su_in_thread(rwlock_unlock_in_thread, &rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), EPERM);
	assert_int_equal(uthread_rwlock_trywrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

/* A destroyed read-write lock keeps no mark (as glibc's): destroying it
 * again and locking it are not detected, and it acts as a new one. */
static void a_destroyed_rwlock_destroyed_again_or_used_acts_as_a_new_one(void **state)
{
	uthread_rwlock_t rw;

	(void)state;
	/* helgrind and DRD report a lock destroyed twice. */
	if (tu_on_valgrind())
		return;
	assert_int_equal(uthread_rwlock_init(&rw, NULL), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
	assert_int_equal(uthread_rwlock_wrlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_rdlock(&rw), 0);
	assert_int_equal(uthread_rwlock_unlock(&rw), 0);
	assert_int_equal(uthread_rwlock_destroy(&rw), 0);
}

/* ------------------------------------------------------------------ */
/* Barriers                                                             */
/* ------------------------------------------------------------------ */

static void barrier_init_rejects_counts_above_int_max(void **state)
{
	uthread_barrier_t b;

	(void)state;
	assert_int_equal(uthread_barrier_init(&b, NULL, (unsigned)INT_MAX + 1u), EINVAL);
	assert_int_equal(uthread_barrier_init(&b, NULL, UINT_MAX), EINVAL);
	assert_int_equal(uthread_barrier_init(&b, NULL, INT_MAX), 0);
	assert_int_equal(uthread_barrier_destroy(&b), 0);
}

static void barrierattr_and_barrier_init_reject_an_uninitialised_attr(void **state)
{
	uthread_barrierattr_t a;
	uthread_barrier_t b;

	(void)state;
	GARBAGE(a);
	assert_int_equal(uthread_barrierattr_destroy(&a), EINVAL);
	assert_int_equal(uthread_barrier_init(&b, &a, 2), EINVAL);
}

static void a_destroyed_or_zeroed_barrier_is_einval(void **state)
{
	uthread_barrier_t b;

	(void)state;
	assert_int_equal(uthread_barrier_init(&b, NULL, 2), 0);
	assert_int_equal(uthread_barrier_destroy(&b), 0);
	assert_int_equal(uthread_barrier_destroy(&b), EINVAL);
	assert_int_equal(uthread_barrier_wait(&b), EINVAL); /* not a wait for ever */
	/* Zero-filled memory (a static barrier nobody initialised). */
	memset(&b, 0, sizeof b);
	assert_int_equal(uthread_barrier_wait(&b), EINVAL);
	assert_int_equal(uthread_barrier_destroy(&b), EINVAL);
}

/* ------------------------------------------------------------------ */
/* Semaphores                                                           */
/* ------------------------------------------------------------------ */

static void operations_on_an_uninitialised_semaphore_are_einval(void **state)
{
	struct timespec ts = in_ms(1000);
	uthread_sem_t s;
	int v = -1;

	(void)state;
	for (int round = 0; round < 2; round++) {
		if (round == 0)
			GARBAGE(s);
		else
			memset(&s, 0, sizeof s);
		assert_int_equal(uthread_sem_wait(&s), EINVAL);
		assert_int_equal(uthread_sem_trywait(&s), EINVAL);
		assert_int_equal(uthread_sem_timedwait(&s, &ts), EINVAL);
		assert_int_equal(uthread_sem_post(&s), EINVAL);
		assert_int_equal(uthread_sem_getvalue(&s, &v), EINVAL);
		assert_int_equal(v, -1);
		assert_int_equal(uthread_sem_destroy(&s), EINVAL);
	}
}

/* ------------------------------------------------------------------ */
/* Spin locks                                                           */
/* ------------------------------------------------------------------ */

static int spin_unlock_in_thread(void *p)
{
	return uthread_spin_unlock(p);
}

/* A spin lock keeps no owner (as glibc's): unlocking one that is free, or
 * that another thread holds, is not detected and releases it; destroying
 * it twice is not detected either. */
static void spin_unlock_and_destroy_are_not_checked(void **state)
{
	uthread_spinlock_t l;

	(void)state;
	/* helgrind and DRD report exactly this misuse. */
	if (tu_on_valgrind())
		return;
	assert_int_equal(uthread_spin_init(&l, UTHREAD_PROCESS_PRIVATE), 0);
	assert_int_equal(uthread_spin_unlock(&l), 0);
	assert_int_equal(uthread_spin_lock(&l), 0);
	assert_int_equal(su_in_thread(spin_unlock_in_thread, &l), 0);
	assert_int_equal(uthread_spin_trylock(&l), 0);
	assert_int_equal(uthread_spin_unlock(&l), 0);
	assert_int_equal(uthread_spin_destroy(&l), 0);
	assert_int_equal(uthread_spin_destroy(&l), 0);
}

struct spinner {
	uthread_spinlock_t *l;
	int first, second;
};

static void *spin_lock_twice(void *p)
{
	struct spinner *s = p;

	tu_set(&s->first, uthread_spin_lock(s->l) == 0 ? 1 : -1);
	(void)uthread_spin_lock(s->l); /* spins until someone unlocks */
	tu_set(&s->second, 1);
	(void)uthread_spin_unlock(s->l);
	return NULL;
}

/* The holder locking again spins until the lock is free, which only
 * another thread's unlock (not detected, see above) can make it. */
static void a_spin_lock_relocked_by_its_holder_spins_until_unlocked(void **state)
{
	uthread_spinlock_t l;
	struct spinner s = { &l, 0, 0 };
	uthread_t t;

	(void)state;
	if (tu_on_valgrind())
		return;
	assert_int_equal(uthread_spin_init(&l, UTHREAD_PROCESS_PRIVATE), 0);
	assert_int_equal(uthread_create(&t, NULL, spin_lock_twice, &s), 0);
	(void)tu_wait(&s.first, 1, -1);
	assert_int_equal(tu_get(&s.first), 1);
	tu_sleep_ms(50);
	assert_int_equal(tu_get(&s.second), 0);
	assert_int_equal(uthread_spin_unlock(&l), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(tu_get(&s.second), 1);
	assert_int_equal(uthread_spin_destroy(&l), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mutexattr_functions_reject_an_uninitialised_or_destroyed_attr),
		cmocka_unit_test(operations_on_an_uninitialised_mutex_are_einval),
		cmocka_unit_test(unlock_destroy_and_wait_on_a_destroyed_mutex_are_einval),
		cmocka_unit_test(relock_by_the_owner_answers_by_kind),
		cmocka_unit_test(a_normal_mutex_relocked_by_its_owner_deadlocks),
		cmocka_unit_test(a_recursive_count_that_would_overflow_is_eagain),
		cmocka_unit_test(unlock_by_a_non_owner_is_eperm_for_every_checked_kind),
		cmocka_unit_test(unlock_of_a_normal_mutex_the_caller_does_not_hold_releases_it),
		cmocka_unit_test(a_pi_mutex_whose_owner_ended_holding_it_is_esrch),
		cmocka_unit_test(condattr_functions_reject_an_uninitialised_or_destroyed_attr),
		cmocka_unit_test(condattr_setclock_rejects_every_other_clock),
		cmocka_unit_test(wait_with_a_pi_mutex_not_held_is_eperm),
		cmocka_unit_test(wait_with_a_normal_mutex_not_held_waits_and_returns_it_locked),
		cmocka_unit_test(a_destroyed_cond_destroyed_again_or_used_acts_as_a_new_one),
		cmocka_unit_test(once_with_a_control_it_never_stores_is_einval),
		cmocka_unit_test(a_key_in_range_that_was_never_created_is_einval),
		cmocka_unit_test(rwlockattr_and_rwlock_init_reject_an_uninitialised_attr),
		cmocka_unit_test(try_locks_by_the_write_holder_are_ebusy),
		cmocka_unit_test(a_write_lock_by_a_reader_of_the_same_lock_times_out),
		cmocka_unit_test(a_second_read_lock_while_a_writer_waits_times_out),
		cmocka_unit_test(a_read_lock_beyond_the_largest_reader_count_is_eagain),
		cmocka_unit_test(rwlock_unlock_by_a_thread_without_a_read_lock_drops_a_readers_count),
		cmocka_unit_test(a_destroyed_rwlock_destroyed_again_or_used_acts_as_a_new_one),
		cmocka_unit_test(barrier_init_rejects_counts_above_int_max),
		cmocka_unit_test(barrierattr_and_barrier_init_reject_an_uninitialised_attr),
		cmocka_unit_test(a_destroyed_or_zeroed_barrier_is_einval),
		cmocka_unit_test(operations_on_an_uninitialised_semaphore_are_einval),
		cmocka_unit_test(spin_unlock_and_destroy_are_not_checked),
		cmocka_unit_test(a_spin_lock_relocked_by_its_holder_spins_until_unlocked),
	};

	su_watchdog(120);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
