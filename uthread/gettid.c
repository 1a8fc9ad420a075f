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
	if (id < 0)
		return EINVAL; /* stale handle */
	/* Our own: we are running, whatever the descriptor says on the way
	 * in (a handler before start()) or out (after uthread_exit cleared
	 * it), and we know our tid. */
	if (t == uthread__self_desc)
		id = uthread__tid();
	if (id == 0)
		return ESRCH;  /* ended, not yet joined */
	*tid = id;
	return 0;
}
