/* SPDX-License-Identifier: MIT */
/*
 * mutex.c - uthread_mutex_*: a three-state futex lock (0 free, 1 locked,
 * 2 locked and maybe contended), the owner bookkeeping of the errorcheck
 * and recursive types, and the FUTEX_LOCK_PI protocol (word = owner tid);
 * robust mutexes are robust.c's.  Uncontended: one atomic to lock, one to
 * unlock, no system call.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>

#include "mutex.h"
#include "futex.h"
#include "annotate.h"
#include "backoff.h"

/*
 * Tell helgrind/DRD the lock is taken, and remember (under valgrind only)
 * that they know this mutex: a statically initialised one is introduced to
 * them by its first lock, and destroying one they never saw is an error to
 * them.
 */
static inline void acquired(uthread_mutex_t *m)
{
	UTHREAD__LOCK_ACQUIRED(m, 1);
	UTHREAD__VG(m->__known = 1);
}

static int bad_time(const struct timespec *ts)
{
	return !ts || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L;
}

/*
 * The futex word of a normal (non-PI) mutex, slow path.  First a short
 * backoff (backoff.h) that leaves the word at 1, so the owner's unlock
 * stays a single atomic with no system call; a critical section of a few
 * instructions is usually over before the budget is.  Give up early if
 * the word says someone already sleeps: queue behind them.
 */
static int plain_lock_slow(uthread_mutex_t *m, clockid_t clockid,
                           const struct timespec *abstime)
{
	struct uthread__backoff b = uthread__backoff_start(&m->__spin);
	int private = uthread__mutex_private(m->__kind); /* read once, slow path only */

	while (uthread__backoff(&b)) {
		/* Relaxed peek: only the CAS below orders anything. */
		uint32_t v = __atomic_load_n(&m->__lock, __ATOMIC_RELAXED);
		if (v == 2)
			break;
		/* Acquire, as the fast path. */
		if (v == 0 && __atomic_compare_exchange_n(&m->__lock, &v, 1, 0,
		                                          __ATOMIC_ACQUIRE,
		                                          __ATOMIC_RELAXED)) {
			uthread__backoff_won(&b);
			return 0;
		}
	}
	/*
	 * Mark it contended (2) and sleep while it stays locked.  We may take
	 * it in state 2 with nobody left asleep: that costs one unneeded wake
	 * at unlock, never a lost one.  Acquire: the holder's writes are ours.
	 */
	while (__atomic_exchange_n(&m->__lock, 2, __ATOMIC_ACQUIRE) != 0) {
		int r = uthread__futex_wait(&m->__lock, 2, private, clockid, abstime);
		if (r == ETIMEDOUT)
			return ETIMEDOUT;
		/* 0, EAGAIN (word changed), EINTR (a handler ran): try again. */
	}
	return 0;
}

static int plain_lock(uthread_mutex_t *m, clockid_t clockid,
                      const struct timespec *abstime, int try)
{
	uint32_t e = 0;

	/* Acquire: what the previous owner wrote is visible to us. */
	if (__atomic_compare_exchange_n(&m->__lock, &e, 1, 0, __ATOMIC_ACQUIRE,
	                                __ATOMIC_RELAXED))
		return 0;
	return try ? EBUSY : plain_lock_slow(m, clockid, abstime);
}

static void plain_unlock(uthread_mutex_t *m, int private)
{
	/* Release: our writes reach the next owner.  2 means someone may be
	 * asleep (or requeued here by a broadcast): wake one.  private was
	 * read from the kind before: m may be freed once the word is 0. */
	if (__atomic_exchange_n(&m->__lock, 0, __ATOMIC_RELEASE) == 2)
		uthread__futex_wake(&m->__lock, 1, private);
}

/*
 * A normal mutex relocked by its owner deadlocks, as POSIX says (the
 * kernel's EDEADLK for a PI word is not ours to pass on): sleep on a word
 * nobody wakes until abstime passes, for ever without one.  As glibc.
 */
static int deadlock(clockid_t clockid, const struct timespec *abstime)
{
	const uint32_t never = 0;

	while (uthread__futex_wait(&never, 0, 1, clockid, abstime) != ETIMEDOUT)
		; /* 0, EINTR: nobody can have woken us for a reason; sleep on */
	return ETIMEDOUT;
}

static int pi_lock(uthread_mutex_t *m, pid_t tid, clockid_t clockid,
                   const struct timespec *abstime, int try)
{
	uint32_t e = 0;
	int r;

	/* Acquire, as plain_lock.  The word holds the owner's tid. */
	if (__atomic_compare_exchange_n(&m->__lock, &e, (uint32_t)tid, 0,
	                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	if (try)
		return EBUSY;
	r = uthread__futex_lock_pi(&m->__lock, clockid, abstime,
	                           uthread__mutex_private(m->__kind));
	/* Only a normal mutex gets here held by us (lock_any answered the
	 * checked types). */
	return r == EDEADLK ? deadlock(clockid, abstime) : r;
}

static int pi_unlock(uthread_mutex_t *m, pid_t tid)
{
	uint32_t e = (uint32_t)tid;

	/* Release.  Any other value (FUTEX_WAITERS set, or not our tid) goes
	 * to the kernel, which hands the word over or answers EPERM. */
	if (__atomic_compare_exchange_n(&m->__lock, &e, 0, 0, __ATOMIC_RELEASE,
	                                __ATOMIC_RELAXED))
		return 0;
	return uthread__futex_unlock_pi(&m->__lock, uthread__mutex_private(m->__kind));
}

/* PI and robust words hold the owner's tid. */
#define TID_WORD (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_ROBUST)

static pid_t owner_of(uthread_mutex_t *m, int kind)
{
	/* Relaxed: only compared with our own tid, which no other thread
	 * writes; a stale value is never ours. */
	if (kind & TID_WORD)
		return (pid_t)(__atomic_load_n(&m->__lock, __ATOMIC_RELAXED) &
		               FUTEX_TID_MASK);
	return __atomic_load_n(&m->__owner, __ATOMIC_RELAXED);
}

/*
 * The bookkeeping of a lock just taken (also with EOWNERDEAD): tell the
 * tools, and for the checked types note the owner (robust words name it
 * already; their __owner is the robust state) and the recursion depth.
 */
static void now_owned(uthread_mutex_t *m, int kind, pid_t tid, unsigned depth)
{
	acquired(m);
	if ((kind & UTHREAD__MUTEX_TYPE_MASK) != UTHREAD_MUTEX_NORMAL) {
		/* Relaxed: owner_of compares it with the reader's own tid only. */
		if (!(kind & UTHREAD__MUTEX_ROBUST))
			__atomic_store_n(&m->__owner, tid, __ATOMIC_RELAXED);
		m->__count = depth;
	}
}

/* Every type and protocol; the normal non-PI fast path is inlined in
 * uthread_mutex_lock below. */
static int lock_any(uthread_mutex_t *m, clockid_t clockid,
                    const struct timespec *abstime, int try)
{
	int kind = m->__kind, type = kind & UTHREAD__MUTEX_TYPE_MASK, r;
	pid_t tid = 0;

	if (!uthread__mutex_kind_valid(kind))
		return EINVAL;
	UTHREAD__IGNORE(m, 3 * sizeof(int));
	if (type != UTHREAD_MUTEX_NORMAL || (kind & TID_WORD)) {
		tid = uthread__tid();
		if (owner_of(m, kind) == tid) {
			if (type == UTHREAD_MUTEX_RECURSIVE) {
				if (m->__count == UINT_MAX)
					return EAGAIN;
				m->__count++;
				return 0;
			}
			if (type == UTHREAD_MUTEX_ERRORCHECK)
				return try ? EBUSY : EDEADLK;
			/* Normal: a try answers EBUSY below, a lock deadlocks
			 * (POSIX), even though the word names us. */
		}
	}
	if ((kind & UTHREAD__MUTEX_PP) &&
	    (r = uthread__pp_enter(uthread__mutex_ceiling(kind))) != 0)
		return r; /* above the ceiling, or the raise was refused */
	if (kind & UTHREAD__MUTEX_ROBUST)
		r = uthread__robust_lock(m, tid, clockid, abstime, try);
	else if (kind & UTHREAD__MUTEX_PI)
		r = pi_lock(m, tid, clockid, abstime, try);
	else
		r = plain_lock(m, clockid, abstime, try);
	if (r && r != EOWNERDEAD) {
		if (kind & UTHREAD__MUTEX_PP)
			uthread__pp_leave();
		return r;
	}
	now_owned(m, kind, tid, 0); /* EOWNERDEAD too: the caller holds m */
	return r;
}

int uthread_mutex_lock(uthread_mutex_t *m)
{
	uint32_t e = 0;

	if (!m)
		return EINVAL;
	if (m->__kind != 0)
		return lock_any(m, CLOCK_REALTIME, NULL, 0);
	UTHREAD__IGNORE(m, 3 * sizeof(int));
	/* Acquire: what the previous owner wrote is visible to us. */
	if (!__atomic_compare_exchange_n(&m->__lock, &e, 1, 0, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		(void)plain_lock_slow(m, CLOCK_REALTIME, NULL); /* no timeout: cannot fail */
	acquired(m);
	return 0;
}

int uthread_mutex_trylock(uthread_mutex_t *m)
{
	return m ? lock_any(m, CLOCK_REALTIME, NULL, 1) : EINVAL;
}

int uthread_mutex_clocklock(uthread_mutex_t *m, clockid_t clockid,
                            const struct timespec *abstime)
{
	/* The clock first, as glibc; then abstime, checked even when m is
	 * free (POSIX allows either). */
	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
		return EINVAL;
	if (!m || bad_time(abstime))
		return EINVAL;
	return lock_any(m, clockid, abstime, 0);
}

int uthread_mutex_timedlock(uthread_mutex_t *m, const struct timespec *abstime)
{
	return uthread_mutex_clocklock(m, CLOCK_REALTIME, abstime);
}

/* Ownership check and recursion for the checked types; 1: fully released. */
static int disown(uthread_mutex_t *m, int kind, int *err)
{
	int type = kind & UTHREAD__MUTEX_TYPE_MASK;

	*err = 0;
	/* A PI or robust word names its owner: check it for every type,
	 * before the release is announced to helgrind/DRD. */
	if (type == UTHREAD_MUTEX_NORMAL && !(kind & TID_WORD))
		return 1;
	if (owner_of(m, kind) != uthread__tid()) {
		*err = EPERM;
		return 0;
	}
	if (type == UTHREAD_MUTEX_NORMAL)
		return 1;
	if (type == UTHREAD_MUTEX_RECURSIVE && m->__count > 0) {
		m->__count--;
		return 0;
	}
	if (!(kind & UTHREAD__MUTEX_ROBUST))
		__atomic_store_n(&m->__owner, 0, __ATOMIC_RELAXED);
	return 1;
}

/* Ownership and recursion checks, then the release itself (any kind). */
static int release(uthread_mutex_t *m, int kind)
{
	int err;

	if (!disown(m, kind, &err))
		return err;
	UTHREAD__LOCK_RELEASED(m, 1);
	if (kind & UTHREAD__MUTEX_ROBUST) {
		uthread__robust_unlock(m);
		return 0;
	}
	if (kind & UTHREAD__MUTEX_PI)
		return pi_unlock(m, uthread__tid());
	plain_unlock(m, uthread__mutex_private(kind));
	if (kind & UTHREAD__MUTEX_PP)
		uthread__pp_leave();
	return 0;
}

int uthread_mutex_unlock(uthread_mutex_t *m)
{
	int kind;

	if (!m)
		return EINVAL;
	kind = m->__kind;
	if (kind == 0) {
		UTHREAD__LOCK_RELEASED(m, 1);
		plain_unlock(m, 1);
		return 0;
	}
	if (!uthread__mutex_kind_valid(kind))
		return EINVAL;
	return release(m, kind);
}

int uthread__mutex_unlock_for_wait(uthread_mutex_t *m, unsigned *depth)
{
	int kind = m->__kind;

	if (!uthread__mutex_kind_valid(kind))
		return EINVAL;
	*depth = 0;
	if ((kind & UTHREAD__MUTEX_TYPE_MASK) == UTHREAD_MUTEX_RECURSIVE &&
	    owner_of(m, kind) == uthread__tid()) {
		/* The wait releases every level; relock restores them. */
		*depth = m->__count;
		m->__count = 0;
	}
	return release(m, kind);
}

int uthread__mutex_relock_after_wait(uthread_mutex_t *m, unsigned depth)
{
	int kind = m->__kind, r = 0;
	pid_t tid = uthread__tid();

	if (kind & UTHREAD__MUTEX_ROBUST) {
		/* Broadcast wakes robust waiters instead of requeueing them. */
		r = uthread__robust_lock(m, tid, CLOCK_REALTIME, NULL, 0);
		if (r && r != EOWNERDEAD)
			return r; /* ENOTRECOVERABLE: not held */
	} else if (kind & UTHREAD__MUTEX_PI) {
		(void)pi_lock(m, tid, CLOCK_REALTIME, NULL, 0); /* no timeout, not ours: succeeds */
	} else {
		/*
		 * Always take it as contended (2): threads a broadcast requeued
		 * onto this word sleep here, and only an unlock that swaps out
		 * 2 wakes the next of them.  No backoff here: measured, a
		 * backoff before this exchange made no difference to the
		 * ping-pong (the wait's own backoff already caught the signal).
		 */
		if (kind & UTHREAD__MUTEX_PP) /* refused: taken all the same */
			(void)uthread__pp_enter(uthread__mutex_ceiling(kind));
		while (__atomic_exchange_n(&m->__lock, 2, __ATOMIC_ACQUIRE) != 0)
			(void)uthread__futex_wait(&m->__lock, 2, uthread__mutex_private(kind),
			                          CLOCK_MONOTONIC, NULL);
	}
	now_owned(m, kind, tid, depth);
	return r;
}

int uthread_mutex_init(uthread_mutex_t *m, const uthread_mutexattr_t *attr)
{
	int kind = 0;

	if (!m || (attr && attr->__magic != UTHREAD__ATTR_MAGIC))
		return EINVAL;
	if (attr) {
		kind = attr->__type |
		       (attr->__protocol == UTHREAD_PRIO_INHERIT ? UTHREAD__MUTEX_PI : 0);
		if (attr->__protocol == UTHREAD_PRIO_PROTECT) {
			int c = attr->__prioceiling ? attr->__prioceiling
			                            : sched_get_priority_min(SCHED_FIFO);
			kind |= UTHREAD__MUTEX_PP | (c << UTHREAD__MUTEX_CEILING_SHIFT);
		}
		if (attr->__robust == UTHREAD_MUTEX_ROBUST) {
			int r = (kind & (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_PP)) != 0
			                ? ENOTSUP : uthread__robust_supported();
			if (r)
				return r;
			kind |= UTHREAD__MUTEX_ROBUST;
		}
		if (attr->__pshared == UTHREAD_PROCESS_SHARED)
			kind |= UTHREAD__MUTEX_PSHARED;
	}
	*m = (uthread_mutex_t)UTHREAD_MUTEX_INITIALIZER;
	m->__kind = kind;
	UTHREAD__IGNORE(m, 3 * sizeof(int));
	UTHREAD__LOCK_CREATE(m);
	UTHREAD__VG(m->__known = 1);
	return 0;
}

int uthread_mutex_destroy(uthread_mutex_t *m)
{
	if (!m || !uthread__mutex_kind_valid(m->__kind))
		return EINVAL;
	/* Relaxed: destroying a mutex others may still lock is the caller's
	 * race; this only catches the plain mistake of a held mutex. */
	if (__atomic_load_n(&m->__lock, __ATOMIC_RELAXED) != 0)
		return EBUSY;
	m->__kind = UTHREAD__MUTEX_DESTROYED;
	if (m->__known)
		UTHREAD__LOCK_DESTROY(m);
	return 0;
}
