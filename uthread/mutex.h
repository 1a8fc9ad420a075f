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
#define UTHREAD__MUTEX_PSHARED   16 /* shared futexes: no FUTEX_PRIVATE_FLAG */
#define UTHREAD__MUTEX_PP        32 /* priority protect; ceiling in bits 8-15 */
#define UTHREAD__MUTEX_CEILING_SHIFT 8
#define UTHREAD__MUTEX_CEILING_MASK  0xff00
#define UTHREAD__MUTEX_DESTROYED 0x7d000000 /* any lock call: EINVAL */

/* A robust mutex's __owner: 0, or one of these after its owner died. */
#define UTHREAD__MUTEX_INCONSISTENT    0x7fffffff /* EOWNERDEAD given, not consistent yet */
#define UTHREAD__MUTEX_NOTRECOVERABLE  0x7ffffffe /* unlocked while inconsistent */

static inline int uthread__mutex_kind_valid(int k)
{
	return (k & ~(63 | UTHREAD__MUTEX_CEILING_MASK)) == 0 &&
	       (k & UTHREAD__MUTEX_TYPE_MASK) != 3 &&
	       (k & (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_ROBUST)) !=
	               (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_ROBUST) &&
	       !((k & UTHREAD__MUTEX_PP) && (k & (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_ROBUST)));
}

/* 1 for FUTEX_PRIVATE_FLAG: the mutex is not process-shared. */
static inline int uthread__mutex_private(int kind)
{
	return !(kind & UTHREAD__MUTEX_PSHARED);
}

/* prioprotect.c: raise the caller to ceiling before it takes a PP mutex
 * (0, or EINVAL / the kernel's answer: take nothing); undo one such raise
 * after it has released one (its scheduling comes back with the last). */
int uthread__pp_enter(int ceiling) UTHREAD__HIDDEN;
void uthread__pp_leave(void) UTHREAD__HIDDEN;
int uthread__pp_ceiling_valid(int ceiling) UTHREAD__HIDDEN;
static inline int uthread__mutex_ceiling(int kind)
{
	return (kind & UTHREAD__MUTEX_CEILING_MASK) >> UTHREAD__MUTEX_CEILING_SHIFT;
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
