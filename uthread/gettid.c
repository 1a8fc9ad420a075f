/* SPDX-License-Identifier: MIT */
/*
 * gettid.c - uthread_gettid(): the kernel's id of a thread.
 */
#include <errno.h>

#include "internal.h"

int uthread_gettid(uthread_t thread, pid_t *tid)
{
	uint32_t gen;
	struct uthread *t = uthread__desc_lookup(thread, &gen);
	pid_t id;

	if (!tid)
		return EINVAL;
	if (!t)
		return ESRCH;
	id = uthread__desc_tid(t, gen);
	if (id <= 0)
		return ESRCH; /* joined, ended detached, or ended not yet joined */
	*tid = id;
	return 0;
}
