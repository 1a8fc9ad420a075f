/* SPDX-License-Identifier: MIT */
/*
 * mutex.h - what the condition variable needs from the mutex: give it up
 * for a wait and take it back afterwards, in the "contended" state so that
 * waiters requeued onto the mutex word are woken one by one.
 */
#ifndef UTHREAD_MUTEX_H
#define UTHREAD_MUTEX_H

#include "internal.h"

/* __kind: the type in the low two bits, then the protocol, then robust. */
#define UTHREAD__MUTEX_TYPE_MASK 3
#define UTHREAD__MUTEX_PI        4
#define UTHREAD__MUTEX_ROBUST    8
#define UTHREAD__MUTEX_DESTROYED 0x7d000000 /* any lock call: EINVAL */

/* A robust mutex's __owner: 0, or one of these after its owner died. */
#define UTHREAD__MUTEX_INCONSISTENT    0x7fffffff /* EOWNERDEAD given, not consistent yet */
#define UTHREAD__MUTEX_NOTRECOVERABLE  0x7ffffffe /* unlocked while inconsistent */

static inline int uthread__mutex_kind_valid(int k)
{
	return (k & ~15) == 0 && (k & UTHREAD__MUTEX_TYPE_MASK) != 3 &&
	       (k & (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_ROBUST)) !=
	               (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_ROBUST);
}

/* robust.c: the robust protocol (word = owner tid | FUTEX_WAITERS |
 * FUTEX_OWNER_DIED, the mutex on its owner's kernel-known list). */
int uthread__robust_supported(void) UTHREAD__HIDDEN;
int uthread__robust_lock(uthread_mutex_t *m, pid_t tid, clockid_t clockid,
                         const struct timespec *abstime, int try) UTHREAD__HIDDEN;
void uthread__robust_unlock(uthread_mutex_t *m) UTHREAD__HIDDEN;

/* Release m for a wait; *depth keeps a recursive mutex's count.
 * Returns EPERM if the caller does not own a checked mutex. */
int uthread__mutex_unlock_for_wait(uthread_mutex_t *m, unsigned *depth) UTHREAD__HIDDEN;
/* Take m back after a wait (never gives up), restoring depth.  0, or
 * (robust) EOWNERDEAD holding m, or ENOTRECOVERABLE not holding it. */
int uthread__mutex_relock_after_wait(uthread_mutex_t *m, unsigned depth) UTHREAD__HIDDEN;

#endif
