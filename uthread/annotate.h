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
/* helgrind/DRD: memory whose past accesses no longer count (a fork child
 * taking over a block its parent's threads used). */
#define UTHREAD__NEW_MEMORY(addr, len) UTHREAD__VG(ANNOTATE_NEW_MEMORY((addr), (len)))
/* A futex word is accessed only atomically: not a data race. */
#define UTHREAD__IGNORE(addr, len) UTHREAD__VG(VALGRIND_HG_DISABLE_CHECKING((addr), (len)))
/* A lock (mutex, rwlock, spinlock) as helgrind/DRD's reader-writer lock. */
#define UTHREAD__LOCK_CREATE(l)        UTHREAD__VG(ANNOTATE_RWLOCK_CREATE(l))
#define UTHREAD__LOCK_DESTROY(l)       UTHREAD__VG(ANNOTATE_RWLOCK_DESTROY(l))
#define UTHREAD__LOCK_ACQUIRED(l, w)   UTHREAD__VG(ANNOTATE_RWLOCK_ACQUIRED((l), (w)))
#define UTHREAD__LOCK_RELEASED(l, w)   UTHREAD__VG(ANNOTATE_RWLOCK_RELEASED((l), (w)))
#define UTHREAD__RUNNING_ON_VALGRIND() uthread__vg

/*
 * Thread identity and joins, so helgrind and DRD can forget a thread once
 * it is joined (else they keep every dead thread: stress runs slow to a
 * crawl or hit DRD's thread limit).  helgrind.h names its requests; DRD's
 * (drd_clientreq.h, valgrind 3.19) are not installed by Debian: the base
 * VG_USERREQ_TOOL_BASE('D','r') + 2 set pthread id, + 3 set joinable,
 * + 6 thread joined.  Each tool ignores the other's requests.  A thread's
 * name for both is its pthread_self() (the TCB address), not its uthread
 * handle: DRD's own pthread_create wrapper, run in a uthread that creates
 * a pthread, registers the caller under pthread_self() and aborts if the
 * thread already has another name.
 */
#define UTHREAD__DRD_REQ(n) (VG_USERREQ_TOOL_BASE('D', 'r') + (n))
#define UTHREAD__THREAD_START(h, joinable) UTHREAD__VG(                        \
	VALGRIND_DO_CLIENT_REQUEST_STMT(_VG_USERREQ__HG_SET_MY_PTHREAD_T,      \
	                                (h), 0, 0, 0, 0);                      \
	VALGRIND_DO_CLIENT_REQUEST_STMT(UTHREAD__DRD_REQ(2), (h), 0, 0, 0, 0); \
	VALGRIND_DO_CLIENT_REQUEST_STMT(UTHREAD__DRD_REQ(3), (h), (joinable),  \
	                                0, 0, 0))
#define UTHREAD__THREAD_DETACHED(h) UTHREAD__VG(                              \
	VALGRIND_DO_CLIENT_REQUEST_STMT(UTHREAD__DRD_REQ(3), (h), 0, 0, 0, 0))
#define UTHREAD__THREAD_JOINED(h) UTHREAD__VG(                                \
	VALGRIND_DO_CLIENT_REQUEST_STMT(_VG_USERREQ__HG_PTHREAD_JOIN_POST,     \
	                                (h), 0, 0, 0, 0);                      \
	VALGRIND_DO_CLIENT_REQUEST_STMT(UTHREAD__DRD_REQ(6), (h), 0, 0, 0, 0))
#else
#define UTHREAD__VG(stmt)             do { } while (0)
#define UTHREAD__MEM_UNDEFINED(addr, len) ((void)(addr), (void)(len))
#define UTHREAD__HAPPENS_BEFORE(addr) ((void)(addr))
#define UTHREAD__HAPPENS_AFTER(addr)  ((void)(addr))
#define UTHREAD__IGNORE(addr, len)    ((void)(addr), (void)(len))
#define UTHREAD__NEW_MEMORY(addr, len) ((void)(addr), (void)(len))
#define UTHREAD__LOCK_CREATE(l)       ((void)(l))
#define UTHREAD__LOCK_DESTROY(l)      ((void)(l))
#define UTHREAD__LOCK_ACQUIRED(l, w)  ((void)(l), (void)(w))
#define UTHREAD__LOCK_RELEASED(l, w)  ((void)(l), (void)(w))
#define UTHREAD__RUNNING_ON_VALGRIND() 0
#define UTHREAD__THREAD_START(h, joinable) ((void)(h), (void)(joinable))
#define UTHREAD__THREAD_DETACHED(h)   ((void)(h))
#define UTHREAD__THREAD_JOINED(h)     ((void)(h))
#endif

#endif
