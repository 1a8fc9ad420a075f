/* SPDX-License-Identifier: MIT */
/*
 * futex.h - the futex(2) wrappers; futex.c is the only caller of the system
 * call.  Each wrapper states what it blocks on and how it can wake.
 */
#ifndef UTHREAD_FUTEX_H
#define UTHREAD_FUTEX_H

#include <stdint.h>
#include <time.h>

#include "internal.h"

/*
 * Sleep while *addr == val.  private: the word is only touched by this
 * process (FUTEX_PRIVATE_FLAG); pass 0 for words the kernel wakes itself
 * (the CLONE_CHILD_CLEARTID word: the kernel's exit wake is a shared wake).
 * abstime: NULL for no limit, else an absolute time on clock clockid
 * (CLOCK_REALTIME or CLOCK_MONOTONIC).
 * Returns 0 when woken (possibly spuriously: re-check the condition),
 * EAGAIN if *addr != val already, EINTR if a signal handler ran,
 * ETIMEDOUT if abstime passed, EINVAL for a bad timespec.
 */
int uthread__futex_wait(const uint32_t *addr, uint32_t val, int private,
                        clockid_t clockid, const struct timespec *abstime)
	UTHREAD__HIDDEN;

/* Wake up to n waiters on addr; returns how many were woken. */
int uthread__futex_wake(const uint32_t *addr, int n, int private) UTHREAD__HIDDEN;

/*
 * If *addr == val: wake up to nwake waiters on addr and move the rest onto
 * addr2 (they then sleep on addr2's futex).  Returns 0, or EAGAIN if *addr
 * changed (nothing was done).
 */
int uthread__futex_requeue(const uint32_t *addr, int nwake, const uint32_t *addr2,
                           uint32_t val, int private) UTHREAD__HIDDEN;

/*
 * Priority-inheritance lock of a word holding the owner's tid: the kernel
 * queues us, boosts the owner, and hands the word over with our tid in it.
 * abstime: NULL or an absolute time on clockid.  CLOCK_REALTIME uses
 * FUTEX_LOCK_PI; CLOCK_MONOTONIC needs FUTEX_LOCK_PI2 (Linux 5.14), and a
 * kernel without it answers EINVAL, as glibc 2.36 does.  Returns 0,
 * ETIMEDOUT, EDEADLK (we own it already), or another error number from the
 * kernel (EINVAL for a corrupted word).  Retries by itself after EINTR.
 */
int uthread__futex_lock_pi(uint32_t *addr, clockid_t clockid,
                           const struct timespec *abstime, int private) UTHREAD__HIDDEN;

/* Hand a PI word to its highest-priority waiter.  0 or EPERM (not ours).
 * private: as for uthread__futex_wait (0 for a process-shared mutex). */
int uthread__futex_unlock_pi(uint32_t *addr, int private) UTHREAD__HIDDEN;

#endif
