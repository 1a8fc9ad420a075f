/* SPDX-License-Identifier: MIT */
/*
 * cancel_nounwind.c - start routines built without unwind tables (see
 * tests/lifecycle.mk): the unwinder finds no frame information above the
 * C library, and cancellation and uthread_exit must still end the thread.
 */
#include <unistd.h>

#include <uthread.h>
#include "cancel_nounwind.h"

void *nounwind_read(void *arg)
{
	int fd = *(int *)arg;
	char c;

	(void)read(fd, &c, 1); /* a cancellation point in glibc */
	return (void *)1;
}

void *nounwind_exit(void *arg)
{
	uthread_exit(arg);
}
