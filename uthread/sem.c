/* SPDX-License-Identifier: MIT */
/*
 * sem.c - uthread_sem_*: the value is the futex word; __waiters lets post
 * skip the wake system call when nobody can be asleep.  post uses only
 * atomics and one system call, so it is async-signal-safe.
 */
#include <errno.h>
#include <sched.h>

#include "futex.h"
#include "annotate.h"

#define SEM_MAGIC 0x73656d75u /* "semu" */

static int valid(const uthread_sem_t *s)
{
	return s && s->__magic == SEM_MAGIC;
}

int uthread_sem_init(uthread_sem_t *sem, int pshared, unsigned value)
{
	if (!sem || value > UTHREAD_SEM_VALUE_MAX ||
	    (pshared != UTHREAD_PROCESS_PRIVATE && pshared != UTHREAD_PROCESS_SHARED))
		return EINVAL;
	sem->__value = value;
	sem->__waiters = 0;
	sem->__shared = pshared;
	sem->__magic = SEM_MAGIC;
	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	return 0;
}

int uthread_sem_destroy(uthread_sem_t *sem)
{
	if (!valid(sem))
		return EINVAL;
	if (__atomic_load_n(&sem->__waiters, __ATOMIC_ACQUIRE))
		return EBUSY;
	sem->__magic = 0;
	return 0;
}

static int try_take(uthread_sem_t *sem)
{
	uint32_t v = __atomic_load_n(&sem->__value, __ATOMIC_RELAXED);

	/* Acquire: the poster's writes happen before our return. */
	while (v > 0)
		if (__atomic_compare_exchange_n(&sem->__value, &v, v - 1, 0,
		                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	return 0;
}

static int wait_common(uthread_sem_t *sem, const struct timespec *abstime)
{
	int r = 0;

	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	if (try_take(sem))
		goto taken;
	/*
	 * seq_cst registration, then re-check the value; post bumps the value
	 * then reads __waiters (seq_cst): either we see its token, or it sees
	 * us and wakes.
	 */
	__atomic_fetch_add(&sem->__waiters, 1, __ATOMIC_SEQ_CST);
	while (!try_take(sem)) {
		r = uthread__futex_wait(&sem->__value, 0, !sem->__shared,
		                        CLOCK_REALTIME, abstime);
		if (r == ETIMEDOUT) {
			/* One last look: a token may have come with the timeout. */
			r = try_take(sem) ? 0 : ETIMEDOUT;
			break;
		}
		r = 0; /* woken, EAGAIN, or EINTR (handlers do not end the wait) */
	}
	__atomic_fetch_sub(&sem->__waiters, 1, __ATOMIC_RELEASE);
	if (r)
		return r;
taken:
	UTHREAD__HAPPENS_AFTER(sem);
	return 0;
}

int uthread_sem_wait(uthread_sem_t *sem)
{
	return valid(sem) ? wait_common(sem, NULL) : EINVAL;
}

int uthread_sem_timedwait(uthread_sem_t *sem, const struct timespec *abstime)
{
	if (!valid(sem) || !abstime || abstime->tv_nsec < 0 ||
	    abstime->tv_nsec >= 1000000000L)
		return EINVAL;
	return wait_common(sem, abstime);
}

int uthread_sem_trywait(uthread_sem_t *sem)
{
	if (!valid(sem))
		return EINVAL;
	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	if (!try_take(sem))
		return EAGAIN;
	UTHREAD__HAPPENS_AFTER(sem);
	return 0;
}

int uthread_sem_post(uthread_sem_t *sem)
{
	uint32_t v;
	int private;

	if (!valid(sem))
		return EINVAL;
	UTHREAD__IGNORE(sem, 2 * sizeof(unsigned));
	/*
	 * Our token lets a waiter return and destroy or re-initialise the
	 * semaphore at once, as POSIX allows.  So everything we read of it is
	 * read before the increment, and told to helgrind and DRD as happening
	 * before that waiter's return.  Regression: __shared was read after
	 * the increment (clean_sync under helgrind, make stress-valgrind).
	 */
	private = !sem->__shared;
	UTHREAD__HAPPENS_BEFORE(sem);
	v = __atomic_load_n(&sem->__value, __ATOMIC_RELAXED);
	do {
		if (v >= UTHREAD_SEM_VALUE_MAX)
			return EOVERFLOW;
		/* seq_cst: ordered before the __waiters read (see wait_common). */
	} while (!__atomic_compare_exchange_n(&sem->__value, &v, v + 1, 0,
	                                      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	/* After the increment only __waiters is read (so sem's memory must
	 * outlive a post: uthread.h says so) and the wake made. */
	if (__atomic_load_n(&sem->__waiters, __ATOMIC_SEQ_CST))
		uthread__futex_wake(&sem->__value, 1, private);
	return 0;
}

int uthread_sem_getvalue(uthread_sem_t *sem, int *value)
{
	if (!valid(sem) || !value)
		return EINVAL;
	*value = (int)__atomic_load_n(&sem->__value, __ATOMIC_RELAXED);
	return 0;
}
