/* SPDX-License-Identifier: MIT */
/*
 * annotate.h - valgrind client requests that tell memcheck, helgrind and
 * DRD what our raw clone threads and futex words mean (see
 * shared/research/valgrind.md).  Each costs a few instructions when not
 * under valgrind; configure --disable-valgrind-annotations makes them empty.
 */
#ifndef UTHREAD_ANNOTATE_H
#define UTHREAD_ANNOTATE_H

#include "config.h"

#if UTHREAD_ANNOTATIONS
#include <valgrind/valgrind.h>
#include <valgrind/memcheck.h>
#include <valgrind/helgrind.h>

/* memcheck: a reused stack holds nothing the next thread may rely on. */
#define UTHREAD__MEM_UNDEFINED(addr, len) \
	((void)VALGRIND_MAKE_MEM_UNDEFINED((addr), (len)))
/* helgrind/DRD: everything before BEFORE(a) happens before AFTER(a). */
#define UTHREAD__HAPPENS_BEFORE(addr) ANNOTATE_HAPPENS_BEFORE(addr)
#define UTHREAD__HAPPENS_AFTER(addr)  ANNOTATE_HAPPENS_AFTER(addr)
#define UTHREAD__RUNNING_ON_VALGRIND() ((int)RUNNING_ON_VALGRIND)
#else
#define UTHREAD__MEM_UNDEFINED(addr, len) ((void)(addr), (void)(len))
#define UTHREAD__HAPPENS_BEFORE(addr) ((void)(addr))
#define UTHREAD__HAPPENS_AFTER(addr)  ((void)(addr))
#define UTHREAD__RUNNING_ON_VALGRIND() 0
#endif

#endif
