/* SPDX-License-Identifier: MIT */
/*
 * mutexattr.c - uthread_mutexattr_t: the mutex type, protocol and
 * robustness, whether it is process-shared, and the priority ceiling.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "mutex.h"

static int valid(const uthread_mutexattr_t *a)
{
	return a && a->__magic == UTHREAD__ATTR_MAGIC;
}

int uthread_mutexattr_init(uthread_mutexattr_t *attr)
{
	if (!attr)
		return EINVAL;
	memset(attr, 0, sizeof *attr);
	attr->__magic = UTHREAD__ATTR_MAGIC;
	return 0;
}

int uthread_mutexattr_destroy(uthread_mutexattr_t *attr)
{
	if (!valid(attr))
		return EINVAL;
	attr->__magic = 0;
	return 0;
}

int uthread_mutexattr_settype(uthread_mutexattr_t *attr, int type)
{
	if (!valid(attr) || (type != UTHREAD_MUTEX_NORMAL &&
	                     type != UTHREAD_MUTEX_ERRORCHECK &&
	                     type != UTHREAD_MUTEX_RECURSIVE))
		return EINVAL;
	attr->__type = type;
	return 0;
}

int uthread_mutexattr_gettype(const uthread_mutexattr_t *attr, int *type)
{
	if (!valid(attr) || !type)
		return EINVAL;
	*type = attr->__type;
	return 0;
}

int uthread_mutexattr_setprotocol(uthread_mutexattr_t *attr, int protocol)
{
	if (!valid(attr) || (protocol != UTHREAD_PRIO_NONE &&
	                     protocol != UTHREAD_PRIO_INHERIT &&
	                     protocol != UTHREAD_PRIO_PROTECT))
		return EINVAL;
	attr->__protocol = protocol;
	return 0;
}

int uthread_mutexattr_getprotocol(const uthread_mutexattr_t *attr, int *protocol)
{
	if (!valid(attr) || !protocol)
		return EINVAL;
	*protocol = attr->__protocol;
	return 0;
}

int uthread_mutexattr_setrobust(uthread_mutexattr_t *attr, int robustness)
{
	if (!valid(attr) || (robustness != UTHREAD_MUTEX_STALLED &&
	                     robustness != UTHREAD_MUTEX_ROBUST))
		return EINVAL;
	attr->__robust = robustness;
	return 0;
}

int uthread_mutexattr_getrobust(const uthread_mutexattr_t *attr, int *robustness)
{
	if (!valid(attr) || !robustness)
		return EINVAL;
	*robustness = attr->__robust;
	return 0;
}

int uthread_mutexattr_setpshared(uthread_mutexattr_t *attr, int pshared)
{
	if (!valid(attr) || (pshared != UTHREAD_PROCESS_PRIVATE &&
	                     pshared != UTHREAD_PROCESS_SHARED))
		return EINVAL;
	attr->__pshared = pshared;
	return 0;
}

int uthread_mutexattr_getpshared(const uthread_mutexattr_t *attr, int *pshared)
{
	if (!valid(attr) || !pshared)
		return EINVAL;
	*pshared = attr->__pshared;
	return 0;
}

int uthread_mutexattr_setprioceiling(uthread_mutexattr_t *attr, int prioceiling)
{
	if (!valid(attr) || !uthread__pp_ceiling_valid(prioceiling))
		return EINVAL;
	attr->__prioceiling = prioceiling;
	return 0;
}

int uthread_mutexattr_getprioceiling(const uthread_mutexattr_t *attr, int *prioceiling)
{
	if (!valid(attr) || !prioceiling)
		return EINVAL;
	/* Never set: the lowest, as glibc reads it. */
	*prioceiling = attr->__prioceiling ? attr->__prioceiling
	                                   : sched_get_priority_min(SCHED_FIFO);
	return 0;
}
