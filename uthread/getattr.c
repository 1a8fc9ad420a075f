/* SPDX-License-Identifier: MIT */
/*
 * getattr.c - uthread_getattr_np(): a running thread's actual attributes,
 * read while the thread is held from ending (sched.c's uthread__with_tid),
 * so its thread block is still its own.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

struct getattr_args {
	struct uthread *t;
	uthread_attr_t *attr;
};

/* The kernel's affinity mask, in a heap buffer grown until it fits (as
 * glibc's pthread_getattr_np does). */
static int affinity(pid_t tid, uthread_attr_t *attr)
{
	size_t size = 128;
	void *set = NULL, *p;
	long n;

	for (;;) {
		p = realloc(set, size);
		if (!p) {
			free(set);
			return ENOMEM;
		}
		set = p;
		n = syscall(SYS_sched_getaffinity, tid, size, set);
		if (n >= 0)
			break;
		if (errno != EINVAL || size >= (1u << 20)) {
			int r = errno;
			free(set);
			return r;
		}
		size *= 2;
	}
	memset((char *)set + n, 0, size - (size_t)n);
	attr->__cpuset = set;
	attr->__cpusetsize = size;
	return 0;
}

/* Stack, guard and detach state of a thread with no uthread block: what
 * glibc says of it (the main thread: /proc/self/maps and RLIMIT_STACK). */
static int from_glibc(void *pd, uthread_attr_t *attr)
{
	pthread_attr_t pa;
	void *addr;
	size_t size, guard;
	int ds, r;

	r = pthread_getattr_np((pthread_t)pd, &pa);
	if (r)
		return r;
	if (pthread_attr_getstack(&pa, &addr, &size) == 0 &&
	    pthread_attr_getguardsize(&pa, &guard) == 0 &&
	    pthread_attr_getdetachstate(&pa, &ds) == 0) {
		attr->__stackaddr = addr;
		attr->__stacksize = size;
		attr->__guardsize = guard;
		attr->__detachstate = ds == PTHREAD_CREATE_DETACHED
		                      ? UTHREAD_CREATE_DETACHED : UTHREAD_CREATE_JOINABLE;
	} else {
		r = EINVAL;
	}
	pthread_attr_destroy(&pa);
	return r;
}

static int fill(pid_t tid, void *arg)
{
	struct getattr_args *a = arg;
	struct uthread *t = a->t;
	uthread_attr_t *attr = a->attr;
	struct uthread__block *b = t->blk;
	struct sched_param sp;
	long policy;
	int st = UTHREAD__WORD_STATE(__atomic_load_n(&t->word, __ATOMIC_ACQUIRE));

	if (st == UTHREAD__MAIN || st == UTHREAD__FOREIGN || !b) {
		void *pd = t->pd ? t->pd : (tid == getpid() ? (void *)pthread_self() : NULL);
		int r;

		if (!pd)
			return ESRCH;
		r = from_glibc(pd, attr);
		if (r)
			return r;
	} else {
		/* Our block: [guard | stack ... stack_top | TLS | TCB]. */
		char *low = (char *)b->map_base + b->guard_size;

		attr->__stackaddr = low;
		attr->__stacksize = (size_t)(b->stack_top - low);
		attr->__guardsize = b->guard_size;
		attr->__detachstate = st == UTHREAD__DETACHED ? UTHREAD_CREATE_DETACHED
		                                              : UTHREAD_CREATE_JOINABLE;
	}
	policy = syscall(SYS_sched_getscheduler, tid);
	if (policy < 0 || syscall(SYS_sched_getparam, tid, &sp) != 0)
		return errno;
	/* Without SCHED_RESET_ON_FORK: attr policies are the plain three. */
	attr->__policy = (int)policy & ~SCHED_RESET_ON_FORK;
	attr->__priority = sp.sched_priority;
	attr->__flags |= UTHREAD__ATTR_POLICY_SET | UTHREAD__ATTR_PARAM_SET;
	/* As glibc: the inheritance the thread was created with. */
	if (t->setup & UTHREAD__SETUP_EXPLICIT)
		attr->__inheritsched = UTHREAD_EXPLICIT_SCHED;
	return affinity(tid, attr);
}

int uthread_getattr_np(uthread_t thread, uthread_attr_t *attr)
{
	struct getattr_args a;
	uthread_attr_t tmp;
	uint32_t gen;
	int r;

	if (!attr)
		return EINVAL;
	a.t = uthread__desc_lookup(thread, &gen);
	if (!a.t)
		return ESRCH;
	(void)uthread_attr_init(&tmp);
	a.attr = &tmp;
	r = uthread__with_tid(thread, fill, &a);
	if (r) {
		free(tmp.__cpuset);
		return r;
	}
	*attr = tmp;
	return 0;
}
