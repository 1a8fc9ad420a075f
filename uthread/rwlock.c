/* SPDX-License-Identifier: MIT */
/*
 * rwlock.c - uthread_rwlock_*: one state word (reader count, a
 * WRITE_LOCKED bit, READERS_WAITING and WRITERS_WAITING bits) and a second
 * futex word writers sleep on.  Writers are preferred: readers do not take
 * the lock while a writer waits, so readers cannot starve them.
 *
 * A reader enters with one fetch-and-add, which never fails and needs the
 * cache line only once (a load then a compare-and-swap needs it twice and
 * retries under contention: measured 0.65x glibc's read-mostly throughput,
 * which enters the same way).  If the old state says it may not enter, it
 * takes its count back out.  So the count may briefly include such
 * "passing" readers, even while write-locked: nobody treats a count as a
 * holder except the last one out, and a passing reader that is the last
 * out does the waking a real reader's unlock would have done.
 *
 * __flags, fixed at init, is read only off the fast paths: SHARED (the
 * rwlock is process-shared: no FUTEX_PRIVATE_FLAG) and PREFER_READER
 * (readers enter past waiting writers, whom the fast path's check keeps
 * them behind: such a reader enters on its slow path).
 */
#include <errno.h>
#include <limits.h>

#include "futex.h"
#include "annotate.h"
#include "backoff.h"

#define COUNT           0x1fffffffu /* readers, including passing ones */
#define WRITE_LOCKED    0x20000000u
#define HELD            (COUNT | WRITE_LOCKED)
/* Room above for one passing reader per possible thread. */
#define MAX_READERS     (COUNT - 0x10000u)
#define READERS_WAITING 0x40000000u
#define WRITERS_WAITING 0x80000000u

#define SHARED          1u /* __flags: process-shared */
#define PREFER_READER   2u /* __flags: UTHREAD_RWLOCK_PREFER_READER_NP */

/* 1 for FUTEX_PRIVATE_FLAG.  A plain read: __flags never changes. */
static int priv(const uthread_rwlock_t *rw)
{
	return !(rw->__flags & SHARED);
}

/* Reader preference: any reader may enter while no writer holds it. */
static int read_lockable_pref(uint32_t s)
{
	return (s & COUNT) < MAX_READERS && !(s & WRITE_LOCKED);
}

static int bad_time(const struct timespec *ts)
{
	return !ts || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L;
}

static int read_lockable(uint32_t s)
{
	/* Not write-locked, room for one more reader, and nobody waiting:
	 * a waiting writer must get in before new readers. */
	return (s & COUNT) < MAX_READERS &&
	       !(s & (WRITE_LOCKED | READERS_WAITING | WRITERS_WAITING));
}

static int writer_is_me(uthread_rwlock_t *rw)
{
	/* Relaxed: only our own tid can match, and only we write it. */
	return __atomic_load_n(&rw->__writer, __ATOMIC_RELAXED) == uthread__tid();
}

/*
 * Before sleeping, wait briefly in user space (backoff.h) for the state to
 * allow what we want: write sections are short, and a reader that sleeps
 * costs the writer's unlock a wake call.  1: it does now.
 */
static int spin_until(uthread_rwlock_t *rw, int for_writer)
{
	struct uthread__backoff b = uthread__backoff_start(&rw->__spin);

	while (uthread__backoff(&b)) {
		/* Relaxed peek: the caller's CAS orders what matters. */
		uint32_t s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
		if (for_writer ? (s & HELD) == 0 :
		    (rw->__flags & PREFER_READER) ? read_lockable_pref(s) : read_lockable(s)) {
			uthread__backoff_won(&b);
			return 1;
		}
	}
	return 0;
}

static void wake_waiters(uthread_rwlock_t *rw, uint32_t s);

/*
 * Drop one reader count (a reader's unlock, or a passing reader taking its
 * count back); returns the new state.  Release: a reader's reads happen
 * before the next writer's writes.  The last one out wakes the waiters.
 */
static uint32_t drop_reader(uthread_rwlock_t *rw)
{
	uint32_t s = __atomic_sub_fetch(&rw->__state, 1, __ATOMIC_RELEASE);

	if ((s & HELD) == 0 && (s & (READERS_WAITING | WRITERS_WAITING)))
		wake_waiters(rw, s);
	return s;
}

static int rdlock(uthread_rwlock_t *rw, clockid_t clockid,
                  const struct timespec *abstime, int try)
{
	uint32_t s;
	int spun = 0;

	UTHREAD__IGNORE(rw, 3 * sizeof(int));
	/* Acquire: if we may enter, the last writer's writes are visible. */
	s = __atomic_fetch_add(&rw->__state, 1, __ATOMIC_ACQUIRE);
	if (read_lockable(s)) {
		UTHREAD__LOCK_ACQUIRED(rw, 0);
		return 0;
	}
	s = drop_reader(rw); /* we were only passing */
	int pref = (rw->__flags & PREFER_READER) != 0;
	for (;;) {
		if (pref ? read_lockable_pref(s) : read_lockable(s)) {
			/* Acquire: the last writer's writes are visible. */
			if (__atomic_compare_exchange_n(&rw->__state, &s, s + 1, 0,
			                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			continue;
		}
		/* Our own write lock: a try answers EBUSY, as POSIX says. */
		if ((s & WRITE_LOCKED) && writer_is_me(rw))
			return try ? EBUSY : EDEADLK;
		if ((s & COUNT) >= MAX_READERS)
			return EAGAIN;
		if (try)
			return EBUSY;
		if (!spun) {
			spun = 1;
			(void)spin_until(rw, 0);
			s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
			continue;
		}
		/* Announce a sleeping reader before sleeping on the state. */
		if (!(s & READERS_WAITING) &&
		    !__atomic_compare_exchange_n(&rw->__state, &s, s | READERS_WAITING,
		                                 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;
		int r = uthread__futex_wait(&rw->__state, s | READERS_WAITING, priv(rw),
		                            clockid, abstime);
		if (r == ETIMEDOUT)
			return ETIMEDOUT;
		s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
	}
	UTHREAD__LOCK_ACQUIRED(rw, 0);
	return 0;
}

/*
 * A writer that timed out may have been the only one: its WRITERS_WAITING
 * bit would keep readers out of a lock no writer wants.  Clear the waiting
 * bits (unless a writer holds the lock, whose unlock will look at them) and
 * wake everyone who sleeps; writers and readers still waiting set their bit
 * again.  A rare path, so the herd is acceptable.
 */
static void writer_gave_up(uthread_rwlock_t *rw)
{
	uint32_t s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED), ns;

	do {
		ns = s & ~WRITERS_WAITING;
		if (!(s & WRITE_LOCKED))
			ns &= ~READERS_WAITING;
	} while (ns != s &&
	         !__atomic_compare_exchange_n(&rw->__state, &s, ns, 0,
	                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	/* Release, as in wake_waiters: sleeping writers see the new state. */
	__atomic_fetch_add(&rw->__writer_seq, 1, __ATOMIC_RELEASE);
	uthread__futex_wake(&rw->__writer_seq, INT_MAX, priv(rw));
	if ((s & READERS_WAITING) && !(s & WRITE_LOCKED))
		uthread__futex_wake(&rw->__state, INT_MAX, priv(rw));
}

static int wrlock(uthread_rwlock_t *rw, clockid_t clockid,
                  const struct timespec *abstime, int try)
{
	uint32_t s = 0;

	UTHREAD__IGNORE(rw, 3 * sizeof(int));
	/* Acquire: the previous holders' writes are visible. */
	if (!__atomic_compare_exchange_n(&rw->__state, &s, WRITE_LOCKED, 0,
	                                 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		/* WRITERS_WAITING once we have slept: kept across the retries. */
		uint32_t other_writers = 0;

		/* Our own write lock: a try answers EBUSY, as POSIX says. */
		if ((s & WRITE_LOCKED) && writer_is_me(rw))
			return try ? EBUSY : EDEADLK;
		if (try)
			return EBUSY;
		if (spin_until(rw, 1))
			s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
		for (;;) {
			if ((s & HELD) == 0) {
				/*
				 * Unlocked (waiting bits may remain).  Once we have
				 * slept we cannot know whether other writers sleep
				 * too, so we keep WRITERS_WAITING set for them.
				 */
				if (__atomic_compare_exchange_n(
					    &rw->__state, &s,
					    s | WRITE_LOCKED | other_writers, 0,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
					break;
				continue;
			}
			if (!(s & WRITERS_WAITING) &&
			    !__atomic_compare_exchange_n(&rw->__state, &s,
			                                 s | WRITERS_WAITING, 0,
			                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				continue;
			other_writers = WRITERS_WAITING;
			/*
			 * Read the writer sequence, then re-check the state: an
			 * unlock between the two bumps the sequence, so the wait
			 * below returns at once instead of missing it.
			 */
			uint32_t seq = __atomic_load_n(&rw->__writer_seq, __ATOMIC_ACQUIRE);
			s = __atomic_load_n(&rw->__state, __ATOMIC_ACQUIRE);
			if ((s & HELD) == 0 || !(s & WRITERS_WAITING))
				continue;
			int r = uthread__futex_wait(&rw->__writer_seq, seq, priv(rw),
			                            clockid, abstime);
			if (r == ETIMEDOUT) {
				writer_gave_up(rw);
				return ETIMEDOUT;
			}
			s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
		}
	}
	__atomic_store_n(&rw->__writer, uthread__tid(), __ATOMIC_RELAXED);
	UTHREAD__LOCK_ACQUIRED(rw, 1);
	return 0;
}

/*
 * The lock has just become free, with waiting bits in s: wake one writer if
 * one sleeps, else every reader.  Competing parties: lockers setting or
 * taking bits meanwhile; every failed CAS re-reads s and decides again,
 * and if someone holds the lock by then, their unlock does the waking.
 */
static void wake_waiters(uthread_rwlock_t *rw, uint32_t s)
{
	int private = priv(rw), pref = (rw->__flags & PREFER_READER) != 0;

	for (;;) {
		if (s & HELD)
			return; /* a holder or passing reader will wake */
		/* Reader preference: sleeping readers first, and all of them. */
		if ((s & WRITERS_WAITING) && !(pref && (s & READERS_WAITING))) {
			if (!__atomic_compare_exchange_n(&rw->__state, &s,
			                                 s & ~WRITERS_WAITING, 0,
			                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				continue;
			/*
			 * Release: a writer that reads the new sequence also
			 * sees the cleared bit and retries instead of sleeping;
			 * one that read the old one gets EAGAIN from its wait.
			 */
			__atomic_fetch_add(&rw->__writer_seq, 1, __ATOMIC_RELEASE);
			if (uthread__futex_wake(&rw->__writer_seq, 1, private) > 0)
				return;
			/* No writer was asleep (it is retrying): look again. */
			s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
			continue;
		}
		if (s & READERS_WAITING) {
			if (!__atomic_compare_exchange_n(&rw->__state, &s, s & ~READERS_WAITING,
			                                 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
				continue;
			/* The state changed, so readers not yet asleep get EAGAIN. */
			if (uthread__futex_wake(&rw->__state, INT_MAX, private) == 0 &&
			    (s & WRITERS_WAITING)) {
				/* Reader preference, and the bit was a timed-out
				 * reader's: nobody read; the writer must not be
				 * forgotten.  Look again, for it. */
				s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
				continue;
			}
		}
		return;
	}
}

int uthread_rwlock_unlock(uthread_rwlock_t *rw)
{
	uint32_t s;

	if (!rw)
		return EINVAL;
	s = __atomic_load_n(&rw->__state, __ATOMIC_RELAXED);
	if (s & WRITE_LOCKED) {
		if (!writer_is_me(rw))
			return EPERM;
		__atomic_store_n(&rw->__writer, 0, __ATOMIC_RELAXED);
		UTHREAD__LOCK_RELEASED(rw, 1);
		/* Release: our writes reach the next holder. */
		s = __atomic_sub_fetch(&rw->__state, WRITE_LOCKED, __ATOMIC_RELEASE);
		if (s)
			wake_waiters(rw, s);
		return 0;
	}
	if ((s & COUNT) == 0)
		return EPERM; /* not locked at all */
	UTHREAD__LOCK_RELEASED(rw, 0);
	(void)drop_reader(rw);
	return 0;
}

int uthread_rwlock_rdlock(uthread_rwlock_t *rw)
{
	return rw ? rdlock(rw, CLOCK_REALTIME, NULL, 0) : EINVAL;
}

int uthread_rwlock_tryrdlock(uthread_rwlock_t *rw)
{
	return rw ? rdlock(rw, CLOCK_REALTIME, NULL, 1) : EINVAL;
}

/* glibc 2.36 takes these two clocks for every clock-aware wait. */
static int bad_clock(clockid_t clockid)
{
	return clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC;
}

int uthread_rwlock_clockrdlock(uthread_rwlock_t *rw, clockid_t clockid,
                               const struct timespec *abstime)
{
	return !rw || bad_clock(clockid) || bad_time(abstime) ? EINVAL
	                                                      : rdlock(rw, clockid, abstime, 0);
}

int uthread_rwlock_timedrdlock(uthread_rwlock_t *rw, const struct timespec *abstime)
{
	return uthread_rwlock_clockrdlock(rw, CLOCK_REALTIME, abstime);
}

int uthread_rwlock_wrlock(uthread_rwlock_t *rw)
{
	return rw ? wrlock(rw, CLOCK_REALTIME, NULL, 0) : EINVAL;
}

int uthread_rwlock_trywrlock(uthread_rwlock_t *rw)
{
	return rw ? wrlock(rw, CLOCK_REALTIME, NULL, 1) : EINVAL;
}

int uthread_rwlock_clockwrlock(uthread_rwlock_t *rw, clockid_t clockid,
                               const struct timespec *abstime)
{
	return !rw || bad_clock(clockid) || bad_time(abstime) ? EINVAL
	                                                      : wrlock(rw, clockid, abstime, 0);
}

int uthread_rwlock_timedwrlock(uthread_rwlock_t *rw, const struct timespec *abstime)
{
	return uthread_rwlock_clockwrlock(rw, CLOCK_REALTIME, abstime);
}

int uthread_rwlock_init(uthread_rwlock_t *rw, const uthread_rwlockattr_t *attr)
{
	if (!rw || (attr && attr->__magic != UTHREAD__ATTR_MAGIC))
		return EINVAL;
	*rw = (uthread_rwlock_t)UTHREAD_RWLOCK_INITIALIZER;
	if (attr)
		rw->__flags = (attr->__pshared == UTHREAD_PROCESS_SHARED ? SHARED : 0) |
		              (attr->__kind == UTHREAD_RWLOCK_PREFER_READER_NP ? PREFER_READER : 0);
	UTHREAD__IGNORE(rw, 3 * sizeof(int));
	UTHREAD__LOCK_CREATE(rw);
	return 0;
}

int uthread_rwlock_destroy(uthread_rwlock_t *rw)
{
	if (!rw)
		return EINVAL;
	if (__atomic_load_n(&rw->__state, __ATOMIC_RELAXED) & HELD)
		return EBUSY;
	UTHREAD__LOCK_DESTROY(rw);
	return 0;
}

int uthread_rwlockattr_init(uthread_rwlockattr_t *attr)
{
	if (!attr)
		return EINVAL;
	attr->__magic = UTHREAD__ATTR_MAGIC;
	attr->__kind = UTHREAD_RWLOCK_DEFAULT_NP;
	attr->__pshared = UTHREAD_PROCESS_PRIVATE;
	return 0;
}

int uthread_rwlockattr_destroy(uthread_rwlockattr_t *attr)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC)
		return EINVAL;
	attr->__magic = 0;
	return 0;
}

static int attr_ok(const uthread_rwlockattr_t *attr)
{
	return attr && attr->__magic == UTHREAD__ATTR_MAGIC;
}

int uthread_rwlockattr_setpshared(uthread_rwlockattr_t *attr, int pshared)
{
	if (!attr_ok(attr) ||
	    (pshared != UTHREAD_PROCESS_PRIVATE && pshared != UTHREAD_PROCESS_SHARED))
		return EINVAL;
	attr->__pshared = pshared;
	return 0;
}

int uthread_rwlockattr_getpshared(const uthread_rwlockattr_t *attr, int *pshared)
{
	if (!attr_ok(attr) || !pshared)
		return EINVAL;
	*pshared = attr->__pshared;
	return 0;
}

int uthread_rwlockattr_setkind_np(uthread_rwlockattr_t *attr, int kind)
{
	if (!attr_ok(attr) || (kind != UTHREAD_RWLOCK_PREFER_READER_NP &&
	                       kind != UTHREAD_RWLOCK_PREFER_WRITER_NP &&
	                       kind != UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
		return EINVAL;
	attr->__kind = kind;
	return 0;
}

int uthread_rwlockattr_getkind_np(const uthread_rwlockattr_t *attr, int *kind)
{
	if (!attr_ok(attr) || !kind)
		return EINVAL;
	*kind = attr->__kind;
	return 0;
}
