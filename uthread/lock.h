/* SPDX-License-Identifier: MIT */
/*
 * lock.h - the library's own small lock, guarding the registry and the
 * stack cache.  A three-state futex lock (0 free, 1 locked, 2 locked with
 * possible sleepers); never held across a call into user code.
 */
#ifndef UTHREAD_LOCK_H
#define UTHREAD_LOCK_H

#include <stdint.h>

#include "internal.h"
#include "annotate.h"

typedef uint32_t uthread__lock_t;
#define UTHREAD__LOCK_INIT 0u

void uthread__lock_slow(uthread__lock_t *l) UTHREAD__HIDDEN;
void uthread__unlock_slow(uthread__lock_t *l) UTHREAD__HIDDEN;
/* The same lock in memory shared between processes (shared futexes). */
void uthread__lock_slow_shared(uthread__lock_t *l) UTHREAD__HIDDEN;
void uthread__unlock_slow_shared(uthread__lock_t *l) UTHREAD__HIDDEN;

static inline void uthread__lock(uthread__lock_t *l)
{
	uint32_t expected = 0;
	UTHREAD__IGNORE(l, sizeof *l);
	/* Acquire: what the previous holder wrote under the lock is visible. */
	if (!__atomic_compare_exchange_n(l, &expected, 1, 0, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		uthread__lock_slow(l);
	UTHREAD__LOCK_ACQUIRED(l, 1);
}

static inline void uthread__unlock(uthread__lock_t *l)
{
	/* Release: our writes under the lock reach the next holder.  If the
	 * old value was 2 someone may sleep, so wake one. */
	UTHREAD__LOCK_RELEASED(l, 1);
	if (__atomic_exchange_n(l, 0, __ATOMIC_RELEASE) == 2)
		uthread__unlock_slow(l);
}

/* As uthread__lock/unlock; private 0: l lives in memory shared between
 * processes, so its sleepers use shared futexes. */
static inline void uthread__lock_any(uthread__lock_t *l, int private)
{
	uint32_t expected = 0;

	if (private) {
		uthread__lock(l);
		return;
	}
	UTHREAD__IGNORE(l, sizeof *l);
	/* Acquire, as uthread__lock. */
	if (!__atomic_compare_exchange_n(l, &expected, 1, 0, __ATOMIC_ACQUIRE,
	                                 __ATOMIC_RELAXED))
		uthread__lock_slow_shared(l);
	UTHREAD__LOCK_ACQUIRED(l, 1);
}

static inline void uthread__unlock_any(uthread__lock_t *l, int private)
{
	if (private) {
		uthread__unlock(l);
		return;
	}
	UTHREAD__LOCK_RELEASED(l, 1);
	/* Release, as uthread__unlock. */
	if (__atomic_exchange_n(l, 0, __ATOMIC_RELEASE) == 2)
		uthread__unlock_slow_shared(l);
}

#endif
