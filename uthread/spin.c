/* SPDX-License-Identifier: MIT */
/*
 * spin.c - uthread_spin_*: test-and-test-and-set with a pause between
 * peeks.  Never sleeps; use it only for critical sections of a few
 * instructions.
 */
#include <errno.h>

#include "internal.h"
#include "annotate.h"

int uthread_spin_init(uthread_spinlock_t *lock, int pshared)
{
	if (!lock || (pshared != UTHREAD_PROCESS_PRIVATE &&
	              pshared != UTHREAD_PROCESS_SHARED))
		return EINVAL;
	*lock = 0;
	UTHREAD__IGNORE(lock, sizeof *lock);
	UTHREAD__LOCK_CREATE(lock);
	return 0;
}

int uthread_spin_destroy(uthread_spinlock_t *lock) /* NOLINT(readability-non-const-parameter): destroy ends the lock's life; pthread_spin_destroy's signature */
{
	if (!lock)
		return EINVAL;
	if (__atomic_load_n(lock, __ATOMIC_RELAXED))
		return EBUSY;
	UTHREAD__LOCK_DESTROY(lock);
	return 0;
}

int uthread_spin_lock(uthread_spinlock_t *lock) /* NOLINT(readability-non-const-parameter): written by __atomic builtins the check does not see */
{
	if (!lock)
		return EINVAL;
	UTHREAD__IGNORE(lock, sizeof *lock);
	/* Acquire: the previous holder's writes are visible to us.  Peek
	 * with relaxed loads so waiters share the line instead of bouncing it. */
	while (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			uthread__arch_pause();
	UTHREAD__LOCK_ACQUIRED(lock, 1);
	return 0;
}

int uthread_spin_trylock(uthread_spinlock_t *lock) /* NOLINT(readability-non-const-parameter): written by __atomic builtins the check does not see */
{
	if (!lock)
		return EINVAL;
	UTHREAD__IGNORE(lock, sizeof *lock);
	if (__atomic_exchange_n(lock, 1, __ATOMIC_ACQUIRE))
		return EBUSY;
	UTHREAD__LOCK_ACQUIRED(lock, 1);
	return 0;
}

int uthread_spin_unlock(uthread_spinlock_t *lock) /* NOLINT(readability-non-const-parameter): written by __atomic builtins the check does not see */
{
	if (!lock)
		return EINVAL;
	UTHREAD__LOCK_RELEASED(lock, 1);
	/* Release: our writes reach the next holder. */
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
	return 0;
}
