/* SPDX-License-Identifier: MIT */
/*
 * check.c - uthread_check_np(): whether this process can create uthreads,
 * and if not, which start-up check of glibc failed (glibc/probe.c).
 */
#include "internal.h"

int uthread_check_np(char *why, size_t len)
{
	int r = uthread__ensure_init();

	if (r && why && len)
		uthread__init_failure(why, len);
	return r;
}
