/* SPDX-License-Identifier: MIT */
/*
 * yield.c - uthread_yield(): give up the CPU.
 */
#include <sched.h>

#include "internal.h"

int uthread_yield(void)
{
	sched_yield(); /* cannot fail on Linux */
	return 0;
}
