/* SPDX-License-Identifier: MIT */
/*
 * annotate.h - valgrind client requests that tell memcheck, helgrind and
 * DRD what our raw clone threads and futex words mean (see
 * shared/research/valgrind.md).  Outside valgrind each costs one load and
 * a predicted branch on uthread__vg; configure
 * --disable-valgrind-annotations makes them empty.
 */
#ifndef UTHREAD_ANNOTATE_H
#define UTHREAD_ANNOTATE_H

#include "config.h"
#include "internal.h"

#if UTHREAD_ANNOTATIONS
#include <valgrind/valgrind.h>
#include <valgrind/memcheck.h>
#include <valgrind/helgrind.h>

/* Nonzero when running under valgrind; set by a constructor (annotate.c). */
extern int uthread__vg UTHREAD__HIDDEN;
#define UTHREAD__VG(stmt) \
	do { if (__builtin_expect(uthread__vg, 0)) { stmt; } } while (0)

/* memcheck: a reused stack holds nothing the next thread may rely on. */
#define UTHREAD__MEM_UNDEFINED(addr, len) \
	UTHREAD__VG((void)VALGRIND_MAKE_MEM_UNDEFINED((addr), (len)))
/* helgrind/DRD: everything before BEFORE(a) happens before AFTER(a). */
#define UTHREAD__HAPPENS_BEFORE(addr) UTHREAD__VG(ANNOTATE_HAPPENS_BEFORE(addr))
#define UTHREAD__HAPPENS_AFTER(addr)  UTHREAD__VG(ANNOTATE_HAPPENS_AFTER(addr))
/* A futex word is accessed only atomically: not a data race. */
#define UTHREAD__IGNORE(addr, len) UTHREAD__VG(VALGRIND_HG_DISABLE_CHECKING((addr), (len)))
/* A lock (mutex, rwlock, spinlock) as helgrind/DRD's reader-writer lock. */
#define UTHREAD__LOCK_CREATE(l)        UTHREAD__VG(ANNOTATE_RWLOCK_CREATE(l))
#define UTHREAD__LOCK_DESTROY(l)       UTHREAD__VG(ANNOTATE_RWLOCK_DESTROY(l))
#define UTHREAD__LOCK_ACQUIRED(l, w)   UTHREAD__VG(ANNOTATE_RWLOCK_ACQUIRED((l), (w)))
#define UTHREAD__LOCK_RELEASED(l, w)   UTHREAD__VG(ANNOTATE_RWLOCK_RELEASED((l), (w)))
#define UTHREAD__RUNNING_ON_VALGRIND() uthread__vg
#else
#define UTHREAD__MEM_UNDEFINED(addr, len) ((void)(addr), (void)(len))
#define UTHREAD__HAPPENS_BEFORE(addr) ((void)(addr))
#define UTHREAD__HAPPENS_AFTER(addr)  ((void)(addr))
#define UTHREAD__IGNORE(addr, len)    ((void)(addr), (void)(len))
#define UTHREAD__LOCK_CREATE(l)       ((void)(l))
#define UTHREAD__LOCK_DESTROY(l)      ((void)(l))
#define UTHREAD__LOCK_ACQUIRED(l, w)  ((void)(l), (void)(w))
#define UTHREAD__LOCK_RELEASED(l, w)  ((void)(l), (void)(w))
#define UTHREAD__RUNNING_ON_VALGRIND() 0
#endif

#endif
