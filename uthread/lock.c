/* SPDX-License-Identifier: MIT */
/*
 * lock.c - the sleeping halves of the internal lock (lock.h).
 */
#include "lock.h"
#include "futex.h"

void uthread__lock_slow(uthread__lock_t *l)
{
	/*
	 * Mark the lock contended (2) before sleeping: an unlocker that swaps
	 * out 2 knows to wake us.  Acquire on success, as in the fast path.
	 */
	while (__atomic_exchange_n(l, 2, __ATOMIC_ACQUIRE) != 0)
		(void)uthread__futex_wait(l, 2, 1, CLOCK_MONOTONIC, NULL);
}

void uthread__unlock_slow(uthread__lock_t *l)
{
	(void)uthread__futex_wake(l, 1, 1);
}

void uthread__lock_slow_shared(uthread__lock_t *l)
{
	/* As uthread__lock_slow, on a shared futex (other processes wake it). */
	while (__atomic_exchange_n(l, 2, __ATOMIC_ACQUIRE) != 0)
		(void)uthread__futex_wait(l, 2, 0, CLOCK_MONOTONIC, NULL);
}

void uthread__unlock_slow_shared(uthread__lock_t *l)
{
	(void)uthread__futex_wake(l, 1, 0); /* shared: the sleeper may be another process */
}
