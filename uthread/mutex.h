/* SPDX-License-Identifier: MIT */
/*
 * mutex.h - what the condition variable needs from the mutex: give it up
 * for a wait and take it back afterwards, in the "contended" state so that
 * waiters requeued onto the mutex word are woken one by one.
 */
#ifndef UTHREAD_MUTEX_H
#define UTHREAD_MUTEX_H

#include "internal.h"

/* __kind: the type in the low two bits, then the protocol. */
#define UTHREAD__MUTEX_TYPE_MASK 3
#define UTHREAD__MUTEX_PI        4
#define UTHREAD__MUTEX_DESTROYED 0x7d000000 /* any lock call: EINVAL */

static inline int uthread__mutex_kind_valid(int k)
{
	return (k & ~7) == 0 && (k & UTHREAD__MUTEX_TYPE_MASK) != 3;
}

/* Release m for a wait; *depth keeps a recursive mutex's count.
 * Returns EPERM if the caller does not own a checked mutex. */
int uthread__mutex_unlock_for_wait(uthread_mutex_t *m, unsigned *depth) UTHREAD__HIDDEN;
/* Take m back after a wait (never gives up), restoring depth. */
void uthread__mutex_relock_after_wait(uthread_mutex_t *m, unsigned depth) UTHREAD__HIDDEN;

#endif
