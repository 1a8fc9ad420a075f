/* SPDX-License-Identifier: MIT */
/*
 * prioprotect.c - the priority-ceiling protocol (UTHREAD_PRIO_PROTECT): a
 * thread taking such a mutex runs at the mutex's ceiling until it has
 * released every one it holds, and the ceiling getters and setters of a
 * mutex.  As glibc does, the raise keeps the thread's policy and asks the
 * kernel for the ceiling as its priority: what the kernel refuses (EINVAL
 * for SCHED_OTHER, whose only priority is 0; EPERM without the privilege)
 * is the lock's answer.  Per thread: how many are held, and the scheduling
 * to restore.
 */
#include <errno.h>
#include <sched.h>

#include "mutex.h"
#include "futex.h"

/* Thread-local: only its own thread reads or writes them. */
static __thread unsigned held __attribute__((__tls_model__("initial-exec")));
static __thread int saved_policy __attribute__((__tls_model__("initial-exec")));
static __thread int saved_prio __attribute__((__tls_model__("initial-exec")));
static __thread int raised_to __attribute__((__tls_model__("initial-exec")));

int uthread__pp_ceiling_valid(int ceiling)
{
	return ceiling >= sched_get_priority_min(SCHED_FIFO) &&
	       ceiling <= sched_get_priority_max(SCHED_FIFO);
}

int uthread__pp_enter(int ceiling)
{
	struct sched_param p;
	int policy, prio;

	if (held == 0) {
		/* The caller's own scheduling (0: this thread). */
		policy = sched_getscheduler(0);
		if (policy < 0 || sched_getparam(0, &p) != 0)
			return errno;
		prio = policy == SCHED_FIFO || policy == SCHED_RR ? p.sched_priority : 0;
	} else {
		policy = saved_policy;
		prio = saved_prio; /* its own, not a ceiling it runs at */
	}
	if (prio > ceiling)
		return EINVAL; /* POSIX: the caller is above the ceiling */
	if (ceiling > (held ? raised_to : prio)) {
		p.sched_priority = ceiling;
		if (sched_setscheduler(0, policy, &p) != 0)
			return errno;
		raised_to = ceiling;
	} else if (held == 0) {
		raised_to = prio;
	}
	if (held++ == 0) {
		saved_policy = policy;
		saved_prio = prio;
	}
	return 0;
}

void uthread__pp_leave(void)
{
	struct sched_param p = { .sched_priority = saved_prio };

	if (held == 0 || --held > 0)
		return; /* not ours to undo (a refused raise), or more held */
	if (raised_to != saved_prio)
		(void)sched_setscheduler(0, saved_policy, &p); /* back as it was */
}

int uthread_mutex_getprioceiling(const uthread_mutex_t *m, int *prioceiling)
{
	int kind;

	if (!m || !prioceiling)
		return EINVAL;
	kind = __atomic_load_n(&m->__kind, __ATOMIC_RELAXED); /* set may change it */
	if (!uthread__mutex_kind_valid(kind) || !(kind & UTHREAD__MUTEX_PP))
		return EINVAL;
	*prioceiling = uthread__mutex_ceiling(kind);
	return 0;
}

/*
 * Take m's word as a plain lock, without the ceiling protocol (as glibc's
 * setprioceiling does: the caller's priority may be above either
 * ceiling).  Always in the contended state 2: one unneeded wake at most.
 */
static void word_lock(uthread_mutex_t *m, int private)
{
	/* Acquire: the previous owner's writes (and kind) are ours. */
	while (__atomic_exchange_n(&m->__lock, 2, __ATOMIC_ACQUIRE) != 0)
		(void)uthread__futex_wait(&m->__lock, 2, private, CLOCK_MONOTONIC, NULL);
}

static void word_unlock(uthread_mutex_t *m, int private)
{
	/* Release: the new ceiling reaches the next owner; 2: wake one. */
	if (__atomic_exchange_n(&m->__lock, 0, __ATOMIC_RELEASE) == 2)
		uthread__futex_wake(&m->__lock, 1, private);
}

int uthread_mutex_setprioceiling(uthread_mutex_t *m, int prioceiling, int *old_ceiling)
{
	int kind, type, mine, private;

	if (!m)
		return EINVAL;
	kind = __atomic_load_n(&m->__kind, __ATOMIC_RELAXED);
	if (!uthread__mutex_kind_valid(kind) || !(kind & UTHREAD__MUTEX_PP) ||
	    !uthread__pp_ceiling_valid(prioceiling))
		return EINVAL;
	type = kind & UTHREAD__MUTEX_TYPE_MASK;
	private = uthread__mutex_private(kind);
	/* Held by the caller (a checked type knows): errorcheck EDEADLK, as
	 * glibc; recursive changes it in place.  Relaxed: compared with our
	 * own tid only. */
	mine = type != UTHREAD_MUTEX_NORMAL &&
	       __atomic_load_n(&m->__owner, __ATOMIC_RELAXED) == uthread__tid();
	if (mine && type == UTHREAD_MUTEX_ERRORCHECK)
		return EDEADLK;
	if (!mine)
		word_lock(m, private);
	if (old_ceiling)
		*old_ceiling = uthread__mutex_ceiling(kind);
	/* Relaxed: published to lockers by the release of the word (or, if
	 * we own m, by our own unlock). */
	__atomic_store_n(&m->__kind,
	                 (kind & ~UTHREAD__MUTEX_CEILING_MASK) |
	                         (prioceiling << UTHREAD__MUTEX_CEILING_SHIFT),
	                 __ATOMIC_RELAXED);
	if (!mine)
		word_unlock(m, private);
	return 0;
}
