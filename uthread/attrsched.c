/* SPDX-License-Identifier: MIT */
/*
 * attrsched.c - the scheduling fields of uthread_attr_t: policy, priority,
 * inheritance and scope.  Checks only; create.c applies them.
 */
#include <errno.h>
#include <sched.h>

#include "internal.h"

/* glibc's check_sched_policy_attr: the three policies pthread knows. */
static int policy_ok(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_FIFO || policy == SCHED_RR;
}

/* glibc's check_sched_priority_attr: the kernel's range for the policy. */
static int priority_ok(int prio, int policy)
{
	int min = sched_get_priority_min(policy);
	int max = sched_get_priority_max(policy);

	return min >= 0 && max >= 0 && prio >= min && prio <= max;
}

int uthread_attr_setschedpolicy(uthread_attr_t *attr, int policy)
{
	if (!uthread__attr_valid(attr) || !policy_ok(policy))
		return EINVAL;
	attr->__policy = policy;
	attr->__flags |= UTHREAD__ATTR_POLICY_SET;
	return 0;
}

int uthread_attr_getschedpolicy(const uthread_attr_t *attr, int *policy)
{
	if (!uthread__attr_valid(attr) || !policy)
		return EINVAL;
	*policy = attr->__policy;
	return 0;
}

int uthread_attr_setschedparam(uthread_attr_t *attr, const struct sched_param *param)
{
	if (!uthread__attr_valid(attr) || !param ||
	    !priority_ok(param->sched_priority, attr->__policy))
		return EINVAL;
	attr->__priority = param->sched_priority;
	attr->__flags |= UTHREAD__ATTR_PARAM_SET;
	return 0;
}

int uthread_attr_getschedparam(const uthread_attr_t *attr, struct sched_param *param)
{
	if (!uthread__attr_valid(attr) || !param)
		return EINVAL;
	param->sched_priority = attr->__priority;
	return 0;
}

int uthread_attr_setinheritsched(uthread_attr_t *attr, int inheritsched)
{
	if (!uthread__attr_valid(attr) ||
	    (inheritsched != UTHREAD_INHERIT_SCHED &&
	     inheritsched != UTHREAD_EXPLICIT_SCHED))
		return EINVAL;
	attr->__inheritsched = inheritsched;
	return 0;
}

int uthread_attr_getinheritsched(const uthread_attr_t *attr, int *inheritsched)
{
	if (!uthread__attr_valid(attr) || !inheritsched)
		return EINVAL;
	*inheritsched = attr->__inheritsched;
	return 0;
}

/* Linux has system scope only: glibc answers ENOTSUP for the other. */
int uthread_attr_setscope(uthread_attr_t *attr, int scope)
{
	if (!uthread__attr_valid(attr))
		return EINVAL;
	if (scope == UTHREAD_SCOPE_SYSTEM)
		return 0;
	return scope == UTHREAD_SCOPE_PROCESS ? ENOTSUP : EINVAL;
}

int uthread_attr_getscope(const uthread_attr_t *attr, int *scope)
{
	if (!uthread__attr_valid(attr) || !scope)
		return EINVAL;
	*scope = UTHREAD_SCOPE_SYSTEM;
	return 0;
}
