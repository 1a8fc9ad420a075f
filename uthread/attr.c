/* SPDX-License-Identifier: MIT */
/*
 * attr.c - uthread_attr_t: detach state, stack size, guard size and a
 * caller-supplied stack.  A magic word catches uninitialised and destroyed
 * attribute objects (EINVAL) instead of reading garbage sizes.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define MAX_STACK (1ul << 40)
#define MAX_GUARD (1ul << 30)

int uthread__attr_valid(const uthread_attr_t *a)
{
	return a && a->__magic == UTHREAD__ATTR_MAGIC;
}

int uthread_attr_init(uthread_attr_t *attr)
{
	if (!attr)
		return EINVAL;
	memset(attr, 0, sizeof *attr);
	attr->__magic = UTHREAD__ATTR_MAGIC;
	attr->__detachstate = UTHREAD_CREATE_JOINABLE;
	attr->__stacksize = 0;  /* the default, chosen at create time */
	attr->__guardsize = (size_t)sysconf(_SC_PAGESIZE);
	/* glibc's defaults: inherit the creator's scheduling. */
	attr->__policy = SCHED_OTHER;
	attr->__inheritsched = UTHREAD_INHERIT_SCHED;
	return 0;
}

int uthread_attr_destroy(uthread_attr_t *attr)
{
	if (!uthread__attr_valid(attr))
		return EINVAL;
	free(attr->__cpuset);
	attr->__cpuset = NULL;
	attr->__magic = 0;
	return 0;
}

int uthread_attr_setdetachstate(uthread_attr_t *attr, int detachstate)
{
	if (!uthread__attr_valid(attr) ||
	    (detachstate != UTHREAD_CREATE_JOINABLE &&
	     detachstate != UTHREAD_CREATE_DETACHED))
		return EINVAL;
	attr->__detachstate = detachstate;
	return 0;
}

int uthread_attr_getdetachstate(const uthread_attr_t *attr, int *detachstate)
{
	if (!uthread__attr_valid(attr) || !detachstate)
		return EINVAL;
	*detachstate = attr->__detachstate;
	return 0;
}

int uthread_attr_setstacksize(uthread_attr_t *attr, size_t stacksize)
{
	if (!uthread__attr_valid(attr) || stacksize < UTHREAD_STACK_MIN ||
	    stacksize > MAX_STACK)
		return EINVAL;
	attr->__stacksize = stacksize;
	attr->__stackaddr = NULL; /* a new size means a stack we map */
	return 0;
}

int uthread_attr_getstacksize(const uthread_attr_t *attr, size_t *stacksize)
{
	if (!uthread__attr_valid(attr) || !stacksize)
		return EINVAL;
	*stacksize = attr->__stacksize ? attr->__stacksize
	                               : uthread__default_stacksize();
	return 0;
}

int uthread_attr_setguardsize(uthread_attr_t *attr, size_t guardsize)
{
	if (!uthread__attr_valid(attr) || guardsize > MAX_GUARD)
		return EINVAL;
	attr->__guardsize = guardsize;
	return 0;
}

int uthread_attr_getguardsize(const uthread_attr_t *attr, size_t *guardsize)
{
	if (!uthread__attr_valid(attr) || !guardsize)
		return EINVAL;
	*guardsize = attr->__guardsize;
	return 0;
}

int uthread_attr_setstack(uthread_attr_t *attr, void *stackaddr, size_t stacksize)
{
	if (!uthread__attr_valid(attr) || !stackaddr ||
	    ((uintptr_t)stackaddr & 15) || stacksize < UTHREAD_STACK_MIN ||
	    stacksize > MAX_STACK)
		return EINVAL;
	attr->__stackaddr = stackaddr;
	attr->__stacksize = stacksize;
	return 0;
}

int uthread_attr_getstack(const uthread_attr_t *attr, void **stackaddr,
                          size_t *stacksize)
{
	if (!uthread__attr_valid(attr) || !stackaddr || !stacksize)
		return EINVAL;
	*stackaddr = attr->__stackaddr;
	*stacksize = attr->__stacksize ? attr->__stacksize
	                               : uthread__default_stacksize();
	return 0;
}
