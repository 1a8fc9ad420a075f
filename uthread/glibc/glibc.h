/* SPDX-License-Identifier: MIT */
/*
 * glibc/glibc.h - the one interface between the library and the code that
 * knows glibc's private thread machinery (uthread/glibc/).  probe.c checks
 * every private detail at start-up; tcb.c builds and takes apart glibc's
 * thread block for a uthread.  Nothing here names an offset.
 */
#ifndef UTHREAD_GLIBC_H
#define UTHREAD_GLIBC_H

#include <stddef.h>

struct uthread;
struct uthread__block;

/* probe.c: 0 once every check passed; ENOTSUP (refused for good, with a
 * message naming the check) or EAGAIN (a transient failure: a later call
 * tries again).  Every function below needs it to have returned 0. */
int uthread__ensure_init(void) UTHREAD__HIDDEN;
/* After a failure: the failed check, as a sentence, into buf[len]. */
void uthread__init_failure(char *buf, size_t len) UTHREAD__HIDDEN;
void uthread__glibc_atfork_child(void) UTHREAD__HIDDEN;

/* tcb.c: the thread block's geometry around the thread pointer tp. */
size_t uthread__tcb_span_below(void) UTHREAD__HIDDEN;
size_t uthread__tcb_span_above(void) UTHREAD__HIDDEN;
size_t uthread__tcb_align(void) UTHREAD__HIDDEN;
int *uthread__tcb_tid(char *tp) UTHREAD__HIDDEN;

/* tcb.c: a thread's life as glibc sees it.  build and release run in the
 * creator or joiner; enter, leave and forget_kernel_links in the thread. */
int uthread__tcb_build(struct uthread__block *b, struct uthread *t) UTHREAD__HIDDEN;
void uthread__tcb_enter(void) UTHREAD__HIDDEN;
void uthread__tcb_leave(void) UTHREAD__HIDDEN;
void uthread__tcb_release(char *tp, struct uthread *t) UTHREAD__HIDDEN;
void uthread__tcb_forget_kernel_links(void) UTHREAD__HIDDEN;

/* tcb.c: where glibc's pthread_exit in a uthread unwinds to, and the value
 * it was given. */
void uthread__tcb_set_unwind_buf(void *buf) UTHREAD__HIDDEN;
void *uthread__tcb_exit_value(void) UTHREAD__HIDDEN;

/* tcb.c: glibc's count of the process's threads, which a uthread is in
 * from its creation to its end. */
void uthread__tcb_count_thread(void) UTHREAD__HIDDEN;
int uthread__tcb_uncount_thread(void) UTHREAD__HIDDEN;

/* books.c: glibc's books of its threads (ld.so's list of thread blocks
 * with user stacks, under its lock), which a uthread is on from before
 * its clone until it ends. */
void uthread__books_lock(void) UTHREAD__HIDDEN;
void uthread__books_unlock(void) UTHREAD__HIDDEN;
void uthread__books_add(char *tp) UTHREAD__HIDDEN;
void uthread__books_del(char *tp) UTHREAD__HIDDEN;
void uthread__books_atfork_child(char *self_tp) UTHREAD__HIDDEN;

/* tcb.c: glibc's robust-list head, which uthread's robust mutexes share. */
int uthread__tcb_holds_robust(char *tp) UTHREAD__HIDDEN;
void **uthread__robust_head(void) UTHREAD__HIDDEN;
long uthread__robust_futex_offset(void) UTHREAD__HIDDEN;

#endif
