/* SPDX-License-Identifier: MIT */
/*
 * sem.c - uthread_sem_*: the futex word holds the value in its low 31 bits
 * and, in bit 31, SLEEPERS: "a waiter may be asleep, wake it".  Waiters set
 * the bit before they sleep; post learns from the very word it increments
 * whether to wake, so nothing of the semaphore is touched after the
 * increment (a waiter may take that token and free the semaphore at once).
 * __waiters counts the threads in a wait, read by post before its
 * increment to decide whether the bit may go, and by destroy.  post uses
 * only atomics and one system call, so it is async-signal-safe.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>

#include "futex.h"
#include "annotate.h"

/* "sem2": this layout of the word.  The first one ("semu") kept the
 * sleepers apart; a process-shared semaphore initialised by a process
 * running that version is EINVAL here, and this one's there. */
#define SEM_MAGIC 0x73656d32u
#define SLEEPERS 0x80000000u  /* above UTHREAD_SEM_VALUE_MAX */
#define COUNT(v) ((v) & UTHREAD_SEM_VALUE_MAX)

static int valid(const uthread_sem_t *s)
{
	return s && s->__magic == SEM_MAGIC;
}

int uthread_sem_init(uthread_sem_t *sem, int pshared, unsigned value)
{
	if (!sem || value > UTHREAD_SEM_VALUE_MAX ||
	    (pshared != UTHREAD_PROCESS_PRIVATE && pshared != UTHREAD_PROCESS_SHARED))
		return EINVAL;
	sem->__value = value;
	sem->__waiters = 0;
	sem->__shared = pshared;
	sem->__magic = SEM_MAGIC;
	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	return 0;
}

int uthread_sem_destroy(uthread_sem_t *sem)
{
	if (!valid(sem))
		return EINVAL;
	if (__atomic_load_n(&sem->__waiters, __ATOMIC_ACQUIRE))
		return EBUSY;
	sem->__magic = 0;
	return 0;
}

static int try_take(uthread_sem_t *sem)
{
	uint32_t v = __atomic_load_n(&sem->__value, __ATOMIC_RELAXED);

	/* Acquire: the poster's writes happen before our return.  The
	 * decrement leaves SLEEPERS as it was: other waiters may sleep. */
	while (COUNT(v) > 0)
		if (__atomic_compare_exchange_n(&sem->__value, &v, v - 1, 0,
		                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

/* A wait that a signal handler ended (EINTR): as after a cancel, a wake-up
 * it may have been meant for goes to another waiter. */
static void pass_on_wake(uthread_sem_t *sem)
{
	/* Relaxed: a spare wake-up only makes a waiter look again. */
	if (COUNT(__atomic_load_n(&sem->__value, __ATOMIC_RELAXED)) > 0)
		uthread__futex_wake(&sem->__value, 1, !sem->__shared);
}

/* A waiter cancelled while it slept: a post's wake-up it may have got
 * goes to another waiter, and it is counted out. */
static void wait_cancelled(void *arg)
{
	uthread_sem_t *sem = arg;

	pass_on_wake(sem);
	/* Release: as on the normal way out (destroy may follow). */
	__atomic_fetch_sub(&sem->__waiters, 1, __ATOMIC_RELEASE);
}

static int wait_common(uthread_sem_t *sem, clockid_t clockid,
                       const struct timespec *abstime)
{
	int r = 0;

	/* A cancellation point whether it blocks or not (POSIX's "shall
	 * occur"), as glibc's sem_wait. */
	pthread_testcancel();
	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	if (try_take(sem))
		goto taken;
	/* Counted, so that destroy answers EBUSY, and so that a post that
	 * sees us keeps SLEEPERS set and wakes only one.  Correctness does
	 * not hang on post seeing it: a post that clears the mark wakes all.
	 * seq_cst only keeps that rarer. */
	__atomic_fetch_add(&sem->__waiters, 1, __ATOMIC_SEQ_CST);
	while (!try_take(sem)) {
		uint32_t zero = 0;
		/*
		 * The value is 0: mark it before sleeping.  The mark and post's
		 * increment are atomic on one word, so either our CAS fails (a
		 * token came: take it) or post's finds the mark and wakes us.
		 * Relaxed: the futex wait re-reads the word in the kernel.
		 */
		if (!__atomic_compare_exchange_n(&sem->__value, &zero, SLEEPERS, 0,
		                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED) &&
		    zero != SLEEPERS)
			continue; /* a token arrived */
		pthread_cleanup_push(wait_cancelled, sem);
		int old = uthread__cancel_async_begin();
		r = uthread__futex_wait(&sem->__value, SLEEPERS, !sem->__shared,
		                        clockid, abstime);
		uthread__cancel_async_end(old);
		pthread_cleanup_pop(0);
		if (r == ETIMEDOUT) {
			/* One last look: a token may have come with the timeout. */
			r = try_take(sem) ? 0 : ETIMEDOUT;
			break;
		}
		if (r == EINTR) {
			/*
			 * A handler ran and the kernel did not restart the wait:
			 * always with a deadline, and without one unless the
			 * handler has SA_RESTART.  glibc's sem_wait then fails
			 * with EINTR, without another look; so do we.
			 */
			pass_on_wake(sem);
			break;
		}
		r = 0; /* woken or EAGAIN: look again */
	}
	/* Release: destroy's acquire load sees us gone only after we are
	 * done with the semaphore. */
	__atomic_fetch_sub(&sem->__waiters, 1, __ATOMIC_RELEASE);
	if (r)
		return r;
taken:
	UTHREAD__HAPPENS_AFTER(sem);
	return 0;
}

int uthread_sem_wait(uthread_sem_t *sem)
{
	return valid(sem) ? wait_common(sem, CLOCK_REALTIME, NULL) : EINVAL;
}

static int timed_wait(uthread_sem_t *sem, clockid_t clockid,
                      const struct timespec *abstime)
{
	/* The clocks futex(2) can measure a deadline on, as glibc's. */
	if (!valid(sem) || !abstime || abstime->tv_nsec < 0 ||
	    abstime->tv_nsec >= 1000000000L ||
	    (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC))
		return EINVAL;
	return wait_common(sem, clockid, abstime);
}

int uthread_sem_timedwait(uthread_sem_t *sem, const struct timespec *abstime)
{
	return timed_wait(sem, CLOCK_REALTIME, abstime);
}

int uthread_sem_clockwait(uthread_sem_t *sem, clockid_t clockid,
                          const struct timespec *abstime)
{
	return timed_wait(sem, clockid, abstime);
}

int uthread_sem_trywait(uthread_sem_t *sem)
{
	if (!valid(sem))
		return EINVAL;
	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	if (!try_take(sem))
		return EAGAIN;
	UTHREAD__HAPPENS_AFTER(sem);
	return 0;
}

int uthread_sem_post(uthread_sem_t *sem)
{
	uint32_t v, n;
	int private;

	if (!valid(sem))
		return EINVAL;
	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	/*
	 * Our token lets a waiter return and destroy, re-initialise or free
	 * the semaphore at once, as POSIX allows.  So everything we read of
	 * it is read before the increment, and told to helgrind and DRD as
	 * happening before that waiter's return.  Regressions: __shared, then
	 * __waiters, were read after the increment (test_sem watches).
	 */
	private = !sem->__shared;
	UTHREAD__HAPPENS_BEFORE(sem);
	v = __atomic_load_n(&sem->__value, __ATOMIC_RELAXED);
	do {
		if (COUNT(v) >= UTHREAD_SEM_VALUE_MAX)
			return EOVERFLOW;
		/* A stale count is harmless: see wait_common. */
		uint32_t waiters = __atomic_load_n(&sem->__waiters, __ATOMIC_SEQ_CST);
		/* With at most the one waiter we may wake, the mark can go. */
		n = waiters > 1 ? v + 1 : (v + 1) & ~SLEEPERS;
		/* Release (seq_cst): what we wrote before the post reaches the
		 * waiter whose acquire CAS takes this token. */
	} while (!__atomic_compare_exchange_n(&sem->__value, &v, n, 0,
	                                      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	/*
	 * Only the address is used from here on: a wake on freed memory is
	 * harmless.  Clearing the mark on a stale count of waiters could
	 * strand a second sleeper, so then wake them all (the ones with no
	 * token mark the word again and sleep); otherwise one.
	 */
	if (v & SLEEPERS)
		uthread__futex_wake(&sem->__value, n & SLEEPERS ? 1 : INT_MAX, private);
	return 0;
}

int uthread_sem_getvalue(uthread_sem_t *sem, int *value)
{
	if (!valid(sem) || !value)
		return EINVAL;
	*value = (int)COUNT(__atomic_load_n(&sem->__value, __ATOMIC_RELAXED));
	return 0;
}
