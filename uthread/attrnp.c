/* SPDX-License-Identifier: MIT */
/*
 * attrnp.c - the GNU extensions of uthread_attr_t: a CPU affinity mask (a
 * heap copy the attr owns), an initial signal mask, and the process-wide
 * default attributes uthread_create uses for a NULL attr.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "lock.h"

static uthread__lock_t default_lock = UTHREAD__LOCK_INIT;
static uthread_attr_t default_attr; /* under default_lock */
uint32_t uthread__attr_default_set; /* atomic; 1 once default_attr is set */

int uthread_attr_setaffinity_np(uthread_attr_t *attr, size_t cpusetsize,
                                const cpu_set_t *cpuset)
{
	void *p;

	if (!uthread__attr_valid(attr))
		return EINVAL;
	/* glibc: no set (or an empty one) means "inherit the creator's". */
	if (!cpuset || cpusetsize == 0) {
		free(attr->__cpuset);
		attr->__cpuset = NULL;
		attr->__cpusetsize = 0;
		return 0;
	}
	if (attr->__cpusetsize != cpusetsize) {
		p = realloc(attr->__cpuset, cpusetsize);
		if (!p)
			return ENOMEM;
		attr->__cpuset = p;
		attr->__cpusetsize = cpusetsize;
	}
	memcpy(attr->__cpuset, cpuset, cpusetsize);
	return 0;
}

int uthread_attr_getaffinity_np(const uthread_attr_t *attr, size_t cpusetsize,
                                cpu_set_t *cpuset)
{
	const unsigned char *set = attr ? attr->__cpuset : NULL;
	size_t n;

	if (!uthread__attr_valid(attr) || !cpuset)
		return EINVAL;
	if (!set) {
		/* No mask: every CPU, as glibc answers. */
		memset(cpuset, 0xff, cpusetsize);
		return 0;
	}
	/* glibc: CPUs the caller's buffer cannot hold are an error. */
	for (n = cpusetsize; n < attr->__cpusetsize; n++)
		if (set[n])
			return EINVAL;
	n = cpusetsize < attr->__cpusetsize ? cpusetsize : attr->__cpusetsize;
	memcpy(cpuset, set, n);
	memset((char *)cpuset + n, 0, cpusetsize - n);
	return 0;
}

int uthread_attr_setsigmask_np(uthread_attr_t *attr, const sigset_t *sigmask)
{
	if (!uthread__attr_valid(attr))
		return EINVAL;
	if (!sigmask) {
		attr->__flags &= ~UTHREAD__ATTR_SIGMASK_SET;
		return 0;
	}
	attr->__sigmask = *sigmask;
	/* glibc's two internal signals are never blocked in a thread. */
	sigdelset(&attr->__sigmask, __SIGRTMIN);
	sigdelset(&attr->__sigmask, __SIGRTMIN + 1);
	attr->__flags |= UTHREAD__ATTR_SIGMASK_SET;
	return 0;
}

int uthread_attr_getsigmask_np(const uthread_attr_t *attr, sigset_t *sigmask)
{
	if (!uthread__attr_valid(attr) || !sigmask)
		return EINVAL;
	if (!(attr->__flags & UTHREAD__ATTR_SIGMASK_SET)) {
		sigemptyset(sigmask);
		return UTHREAD_ATTR_NO_SIGMASK_NP;
	}
	*sigmask = attr->__sigmask;
	return 0;
}

/* *dst = *src with its own copy of the affinity mask; dst is not freed. */
static int attr_copy(uthread_attr_t *dst, const uthread_attr_t *src)
{
	void *set = NULL;

	if (src->__cpuset) {
		set = malloc(src->__cpusetsize);
		if (!set)
			return ENOMEM;
		memcpy(set, src->__cpuset, src->__cpusetsize);
	}
	*dst = *src;
	dst->__cpuset = set;
	return 0;
}

int uthread__attr_default(uthread_attr_t *copy)
{
	int r;

	uthread__lock(&default_lock);
	r = attr_copy(copy, &default_attr);
	uthread__unlock(&default_lock);
	return r;
}

/* fork() child: a thread that held the lock is gone, and the next
 * uthread_create with a NULL attr would wait for it forever.  glibc's
 * fork resets its own lock for the defaults the same way. */
void uthread__attr_atfork_child(void)
{
	default_lock = UTHREAD__LOCK_INIT;
}

int uthread_getattr_default_np(uthread_attr_t *attr)
{
	if (!attr)
		return EINVAL;
	/* Acquire: default_attr was set under the lock before the flag. */
	if (!__atomic_load_n(&uthread__attr_default_set, __ATOMIC_ACQUIRE))
		return uthread_attr_init(attr);
	return uthread__attr_default(attr);
}

int uthread_setattr_default_np(const uthread_attr_t *attr)
{
	uthread_attr_t copy, old;
	struct sched_param sp;
	int r;

	if (!uthread__attr_valid(attr) || attr->__stackaddr)
		return EINVAL;
	/* glibc's checks: the policy, and a positive priority against it. */
	if (attr->__policy != SCHED_OTHER && attr->__policy != SCHED_FIFO &&
	    attr->__policy != SCHED_RR)
		return EINVAL;
	sp.sched_priority = attr->__priority;
	if (sp.sched_priority > 0 &&
	    (sp.sched_priority < sched_get_priority_min(attr->__policy) ||
	     sp.sched_priority > sched_get_priority_max(attr->__policy)))
		return EINVAL;
	r = attr_copy(&copy, attr);
	if (r)
		return r;
	uthread__lock(&default_lock);
	old = default_attr;
	/* A zero stack size keeps the one set before, as glibc does. */
	if (copy.__stacksize == 0)
		copy.__stacksize = old.__stacksize;
	default_attr = copy;
	/* Release: a reader that sees the flag sees default_attr set. */
	__atomic_store_n(&uthread__attr_default_set, 1, __ATOMIC_RELEASE);
	uthread__unlock(&default_lock);
	free(old.__cpuset);
	return 0;
}
