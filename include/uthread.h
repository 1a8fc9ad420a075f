/* SPDX-License-Identifier: MIT */
/*
 * uthread.h - the whole public API of libuthread.
 *
 * Threads are born from the raw clone(2) system call and synchronised with
 * futex(2); names mirror pthreads one to one.  Every function returns 0 on
 * success or a positive error number (never -1 with errno), exactly as the
 * pthread functions do.  Each declaration below opens with its contract:
 * what it blocks on and every error it returns.
 */
#ifndef UTHREAD_H
#define UTHREAD_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with -fvisibility=hidden; only this API leaves it. */
#pragma GCC visibility push(default)

/*
 * A thread handle.  It names one thread for as long as that thread can still
 * be joined or detached; a handle whose thread was joined (or detached and
 * has ended) goes stale, and the functions taking it answer EINVAL instead of
 * touching freed memory.  A value of 0 never names a thread.
 */
typedef unsigned long uthread_t;

/* Smallest stack uthread_attr_setstacksize() and uthread_attr_setstack() accept. */
#define UTHREAD_STACK_MIN 16384

enum {
	UTHREAD_CREATE_JOINABLE = 0,
	UTHREAD_CREATE_DETACHED = 1,
};

/* Thread attributes.  The fields are private; use the accessors. */
typedef struct {
	unsigned int __magic;     /* set by init, cleared by destroy */
	int __detachstate;
	size_t __stacksize;       /* 0: the library default */
	size_t __guardsize;
	void *__stackaddr;        /* lowest address of a caller-supplied stack */
	size_t __reserved[2];
} uthread_attr_t;

/* ------------------------------------------------------------------ */
/* Thread lifecycle                                                     */
/* ------------------------------------------------------------------ */

/*
 * Start a new thread running start(arg); store its handle in *thread.
 * The new thread shares the whole process (clone with CLONE_VM, FS, FILES,
 * SIGHAND, THREAD, SYSVSEM) and has its own libc thread block, so stdio,
 * malloc, errno and every kind of __thread variable work in it.  It starts
 * with the creator's signal mask.  Does not block (beyond a short internal
 * lock).
 * Errors: EINVAL  thread or start is NULL, or attr is not initialised;
 *         EAGAIN  no memory for the stack or thread block, or the kernel
 *                 refused a new task (RLIMIT_NPROC, pid limit);
 *         ENOTSUP the running C library failed uthread's start-up checks
 *                 (a message on stderr names the failed check).
 */
int uthread_create(uthread_t *thread, const uthread_attr_t *attr,
                   void *(*start)(void *), void *arg);

/*
 * Wait until thread has ended, then store its exit value in *retval (if
 * retval is not NULL) and release its resources.  Blocks on the futex the
 * kernel clears and wakes when the thread is gone; never wakes early.
 * Errors: EDEADLK thread is the calling thread;
 *         EINVAL  thread is detached, already joined (the handle is stale),
 *                 being joined by another thread, or is the main thread or
 *                 a thread uthread did not create;
 *         ESRCH   thread was never a valid handle.
 */
int uthread_join(uthread_t thread, void **retval);

/*
 * Mark thread detached: its resources are released as soon as it ends and
 * it can no longer be joined.  Does not block.
 * Errors: EINVAL thread is already detached, being joined, stale, or not a
 *                thread uthread created;
 *         ESRCH  thread was never a valid handle.
 */
int uthread_detach(uthread_t thread);

/*
 * End the calling thread with exit value retval; never returns.  Runs the
 * C/C++ thread_local destructors and the thread-specific data destructors
 * first.  In the main thread it waits until every uthread has ended and then
 * leaves as pthread_exit() does, so the process lives on until its last
 * thread ends and then exits with status 0.  Stack objects are not unwound.
 */
void uthread_exit(void *retval) __attribute__((__noreturn__));

/*
 * The calling thread's handle.  Works in every thread: uthreads, the main
 * thread, and threads the program started some other way (those get a
 * handle on first use, released when they end).  Never fails.
 */
uthread_t uthread_self(void);

/* Nonzero if t1 and t2 name the same thread. */
int uthread_equal(uthread_t t1, uthread_t t2);

/* Give up the CPU (sched_yield).  Always returns 0. */
int uthread_yield(void);

/*
 * Store the kernel thread id (as gettid(2) returns it in that thread) of
 * thread in *tid.
 * Errors: EINVAL tid is NULL or the handle is stale;
 *         ESRCH  thread has ended, or was never a valid handle.
 */
int uthread_gettid(uthread_t thread, pid_t *tid);

/*
 * Set the name of thread (shown in /proc/PID/task/TID/comm, ps, top, gdb)
 * to name, at most 15 bytes plus the terminating NUL.
 * Errors: EINVAL name is NULL or the handle is stale; ERANGE name is longer
 *         than 15 bytes; ESRCH thread has ended or was never valid; any
 *         error from writing the comm file.
 */
int uthread_setname_np(uthread_t thread, const char *name);

/*
 * Copy the name of thread into buf (len bytes, at least 16).
 * Errors: EINVAL buf is NULL or the handle is stale; ERANGE len < 16;
 *         ESRCH thread has ended or was never valid.
 */
int uthread_getname_np(uthread_t thread, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Thread attributes                                                    */
/* ------------------------------------------------------------------ */

/*
 * Defaults: joinable, the default stack size (RLIMIT_STACK as it was at the
 * first thread creation, if it is between UTHREAD_STACK_MIN and 1 GiB, else
 * 8 MiB), one guard page, a stack
 * the library maps (and caches) itself.
 * Errors (all attr functions): EINVAL attr or an out pointer is NULL, or
 * attr was not initialised (or was destroyed).
 */
int uthread_attr_init(uthread_attr_t *attr);
int uthread_attr_destroy(uthread_attr_t *attr);

/* EINVAL: detachstate is neither UTHREAD_CREATE_JOINABLE nor _DETACHED. */
int uthread_attr_setdetachstate(uthread_attr_t *attr, int detachstate);
int uthread_attr_getdetachstate(const uthread_attr_t *attr, int *detachstate);

/*
 * The usable stack size of threads created with attr (the thread block and
 * guard page come on top of it).  Rounded up to a whole page.
 * EINVAL: stacksize < UTHREAD_STACK_MIN or larger than 1 TiB.
 */
int uthread_attr_setstacksize(uthread_attr_t *attr, size_t stacksize);
int uthread_attr_getstacksize(const uthread_attr_t *attr, size_t *stacksize);

/*
 * Size of the inaccessible region below the stack (rounded up to a page;
 * 0 disables it).  Ignored when the caller supplies the stack.
 * EINVAL: guardsize larger than 1 GiB.
 */
int uthread_attr_setguardsize(uthread_attr_t *attr, size_t guardsize);
int uthread_attr_getguardsize(const uthread_attr_t *attr, size_t *guardsize);

/*
 * Use the caller's memory [stackaddr, stackaddr + stacksize) as the stack.
 * The thread block (TLS and the libc thread descriptor, a few KiB) is carved
 * from its top, as glibc does.  The caller owns the memory and may reuse it
 * only after the thread has been joined.
 * EINVAL: stackaddr is NULL, not 16-byte aligned, or stacksize is below
 * UTHREAD_STACK_MIN; uthread_create() answers EINVAL if the memory is too
 * small to hold the thread block plus UTHREAD_STACK_MIN / 2 of stack.
 */
int uthread_attr_setstack(uthread_attr_t *attr, void *stackaddr, size_t stacksize);
int uthread_attr_getstack(const uthread_attr_t *attr, void **stackaddr, size_t *stacksize);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* UTHREAD_H */
