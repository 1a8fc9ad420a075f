/* SPDX-License-Identifier: MIT */
/*
 * futex.c - the only place that calls futex(2).  It turns the system call's
 * -1/errno into error numbers and keeps no state.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "futex.h"

int uthread__futex_wait(const uint32_t *addr, uint32_t val, int private,
                        clockid_t clockid, const struct timespec *abstime)
{
	int op;

	if (abstime) {
		/* FUTEX_WAIT_BITSET takes an absolute time, unlike FUTEX_WAIT. */
		op = FUTEX_WAIT_BITSET;
		if (clockid == CLOCK_REALTIME)
			op |= FUTEX_CLOCK_REALTIME;
		else if (clockid != CLOCK_MONOTONIC)
			return EINVAL;
		if (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000L)
			return EINVAL;
		if (abstime->tv_sec < 0)
			return ETIMEDOUT;
	} else {
		op = FUTEX_WAIT;
	}
	if (private)
		op |= FUTEX_PRIVATE_FLAG;
	if (syscall(SYS_futex, addr, op, val, abstime, NULL,
	            FUTEX_BITSET_MATCH_ANY) == 0)
		return 0;
	switch (errno) {
	case EAGAIN:    return EAGAIN;    /* the word changed before we slept */
	case EINTR:     return EINTR;     /* a handler ran: the caller re-checks */
	case ETIMEDOUT: return ETIMEDOUT; /* abstime passed */
	case EINVAL:    return EINVAL;    /* bad timespec or misaligned word */
	default:        return 0;         /* treat anything else as a spurious wake */
	}
}

int uthread__futex_wake(const uint32_t *addr, int n, int private)
{
	long r = syscall(SYS_futex, addr,
	                 FUTEX_WAKE | (private ? FUTEX_PRIVATE_FLAG : 0), n,
	                 NULL, NULL, 0);
	/* FUTEX_WAKE fails only for a bad address, which is our bug: report
	 * "nobody woken" rather than a negative count. */
	return r < 0 ? 0 : (int)r;
}

int uthread__futex_requeue(const uint32_t *addr, int nwake, const uint32_t *addr2,
                           uint32_t val, int private)
{
	/* The requeue count travels in the timeout argument's slot. */
	if (syscall(SYS_futex, addr,
	            FUTEX_CMP_REQUEUE | (private ? FUTEX_PRIVATE_FLAG : 0), nwake,
	            (void *)(uintptr_t)INT_MAX, addr2, val) >= 0)
		return 0;
	return errno == EAGAIN ? EAGAIN : EINVAL; /* EAGAIN: *addr != val */
}

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13 /* Linux 5.14: FUTEX_LOCK_PI on a chosen clock */
#endif

int uthread__futex_lock_pi(uint32_t *addr, clockid_t clockid,
                           const struct timespec *abstime, int private)
{
	static const struct timespec epoch = { 0, 0 };
	/* FUTEX_LOCK_PI measures on CLOCK_REALTIME only; FUTEX_LOCK_PI2
	 * without FUTEX_CLOCK_REALTIME measures on CLOCK_MONOTONIC.  Only a
	 * monotonic deadline needs the newer operation (as in glibc). */
	int op = abstime && clockid == CLOCK_MONOTONIC ? FUTEX_LOCK_PI2 : FUTEX_LOCK_PI;

	/* The kernel rejects a negative time as invalid; it has simply passed:
	 * try once, then time out. */
	if (abstime && abstime->tv_sec < 0)
		abstime = &epoch;
	for (;;) {
		if (syscall(SYS_futex, addr, op | (private ? FUTEX_PRIVATE_FLAG : 0), 0,
		            abstime, NULL, 0) == 0)
			return 0;
		switch (errno) {
		case EINTR:     continue;         /* a handler ran: queue again */ /* NOLINT(bugprone-branch-clone): one errno a line, each with its reason */
		case EAGAIN:    continue;         /* owner exiting: try again */
		case ETIMEDOUT: return ETIMEDOUT;
		case EDEADLK:   return EDEADLK;   /* the word already holds our tid */
		case ENOSYS:    return op == FUTEX_LOCK_PI2 ? EINVAL : ENOSYS; /* no LOCK_PI2: the clock is unsupported */
		default:        return errno;     /* EINVAL, ENOMEM, ENOSYS, EPERM */
		}
	}
}

int uthread__futex_unlock_pi(uint32_t *addr, int private)
{
	if (syscall(SYS_futex, addr,
	            FUTEX_UNLOCK_PI | (private ? FUTEX_PRIVATE_FLAG : 0), 0,
	            NULL, NULL, 0) == 0)
		return 0;
	return EPERM; /* the word's tid is not ours */
}
