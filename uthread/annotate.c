/* SPDX-License-Identifier: MIT */
/*
 * annotate.c - whether we run under valgrind, asked once at load time so
 * every annotation outside valgrind is one predicted branch.
 */
#include "annotate.h"

#if UTHREAD_ANNOTATIONS
int uthread__vg;

__attribute__((__constructor__)) static void detect_valgrind(void)
{
	uthread__vg = RUNNING_ON_VALGRIND ? 1 : 0;
}
#endif
