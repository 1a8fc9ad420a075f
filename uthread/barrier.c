/* SPDX-License-Identifier: MIT */
/*
 * barrier.c - uthread_barrier_*: threads arrive under an internal lock;
 * the last of a round bumps the round number (the futex word the others
 * sleep on) and wakes them all.  __inside counts threads not yet out of
 * wait, so destroy can wait for the last round to drain.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>

#include "lock.h"
#include "futex.h"
#include "annotate.h"

int uthread_barrier_init(uthread_barrier_t *b, const uthread_barrierattr_t *attr,
                         unsigned count)
{
	if (!b || count == 0 || count > INT_MAX ||
	    (attr && attr->__magic != UTHREAD__ATTR_MAGIC))
		return EINVAL;
	*b = (uthread_barrier_t){ .__count = count,
	                          .__pshared = attr ? (unsigned)attr->__pshared : 0 };
	UTHREAD__IGNORE(b, sizeof *b);
	return 0;
}

int uthread_barrier_wait(uthread_barrier_t *b)
{
	uint32_t round;
	int private;

	if (!b || b->__count == 0)
		return EINVAL;
	UTHREAD__IGNORE(b, sizeof *b);
	private = !b->__pshared; /* read before the round can end: b may go */
	/* Relaxed: destroy only needs to see the (release) decrements. */
	__atomic_fetch_add(&b->__inside, 1, __ATOMIC_RELAXED);
	uthread__lock_any(&b->__lock, private);
	round = b->__round;
	UTHREAD__HAPPENS_BEFORE(&b->__round);
	if (++b->__arrived == b->__count) {
		b->__arrived = 0;
		/* Release: every arriver's writes (ordered before us by the
		 * lock) are visible to whoever sees the new round. */
		__atomic_store_n(&b->__round, round + 1, __ATOMIC_RELEASE);
		uthread__unlock_any(&b->__lock, private);
		uthread__futex_wake(&b->__round, INT_MAX, private);
		UTHREAD__HAPPENS_AFTER(&b->__round);
		__atomic_fetch_sub(&b->__inside, 1, __ATOMIC_RELEASE);
		return UTHREAD_BARRIER_SERIAL_THREAD;
	}
	uthread__unlock_any(&b->__lock, private);
	/* Acquire: pairs with the last arriver's release of the round. */
	while (__atomic_load_n(&b->__round, __ATOMIC_ACQUIRE) == round)
		(void)uthread__futex_wait(&b->__round, round, private, CLOCK_MONOTONIC, NULL);
	UTHREAD__HAPPENS_AFTER(&b->__round);
	/* Release: destroy's acquire load of 0 means we are done with b. */
	__atomic_fetch_sub(&b->__inside, 1, __ATOMIC_RELEASE);
	return 0;
}

int uthread_barrier_destroy(uthread_barrier_t *b)
{
	int busy;

	if (!b || b->__count == 0)
		return EINVAL;
	uthread__lock_any(&b->__lock, !b->__pshared);
	busy = b->__arrived != 0;
	uthread__unlock_any(&b->__lock, !b->__pshared);
	if (busy)
		return EBUSY;
	/* Threads of the finished round may still be leaving wait(). */
	while (__atomic_load_n(&b->__inside, __ATOMIC_ACQUIRE))
		sched_yield();
	b->__count = 0; /* later waits: EINVAL */
	return 0;
}

int uthread_barrierattr_init(uthread_barrierattr_t *attr)
{
	if (!attr)
		return EINVAL;
	attr->__magic = UTHREAD__ATTR_MAGIC;
	attr->__pshared = UTHREAD_PROCESS_PRIVATE;
	return 0;
}

int uthread_barrierattr_destroy(uthread_barrierattr_t *attr)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC)
		return EINVAL;
	attr->__magic = 0;
	return 0;
}

int uthread_barrierattr_setpshared(uthread_barrierattr_t *attr, int pshared)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC ||
	    (pshared != UTHREAD_PROCESS_PRIVATE && pshared != UTHREAD_PROCESS_SHARED))
		return EINVAL;
	attr->__pshared = pshared;
	return 0;
}

int uthread_barrierattr_getpshared(const uthread_barrierattr_t *attr, int *pshared)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC || !pshared)
		return EINVAL;
	*pshared = attr->__pshared;
	return 0;
}
