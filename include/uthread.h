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

#include <sched.h>
#include <pthread.h> /* the cleanup handlers are glibc's: one unwinder for both */
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with -fvisibility=hidden; only this API leaves it. */
#pragma GCC visibility push(default)

/*
 * A thread handle.  It names one thread for as long as that thread can still
 * be joined or detached; a handle whose thread was joined (or detached and
 * has ended) goes stale, and the functions taking it answer ESRCH instead of
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
	int __policy;             /* SCHED_OTHER, SCHED_FIFO or SCHED_RR */
	int __priority;           /* sched_param.sched_priority */
	int __inheritsched;       /* UTHREAD_INHERIT_SCHED or _EXPLICIT_SCHED */
	int __flags;              /* which of policy, priority, sigmask were set */
	sigset_t __sigmask;       /* the new thread's mask, if __flags says so */
	void *__cpuset;           /* heap copy of the affinity mask, or NULL */
	size_t __cpusetsize;
} uthread_attr_t;

/* Scheduling inheritance and contention scope: pthread's values. */
#define UTHREAD_INHERIT_SCHED  PTHREAD_INHERIT_SCHED
#define UTHREAD_EXPLICIT_SCHED PTHREAD_EXPLICIT_SCHED
#define UTHREAD_SCOPE_SYSTEM   PTHREAD_SCOPE_SYSTEM
#define UTHREAD_SCOPE_PROCESS  PTHREAD_SCOPE_PROCESS
/* uthread_attr_getsigmask_np's answer for an attr with no mask set. */
#define UTHREAD_ATTR_NO_SIGMASK_NP (-1)

/* ------------------------------------------------------------------ */
/* Thread lifecycle                                                     */
/* ------------------------------------------------------------------ */

/*
 * Start a new thread running start(arg); store its handle in *thread.
 * The new thread shares the whole process (clone with CLONE_VM, FS, FILES,
 * SIGHAND, THREAD, SYSVSEM) and has its own libc thread block, so stdio,
 * malloc, errno and every kind of __thread variable work in it.  It starts
 * with the creator's signal mask (or attr's, uthread_attr_setsigmask_np).
 * Does not block (beyond a short internal lock; with explicit scheduling
 * or an affinity in attr, until they are applied to the new thread).  A
 * NULL attr means the defaults of uthread_setattr_default_np.
 * Errors: EINVAL  thread or start is NULL, attr is not initialised (or
 *                 was destroyed), or the stack it supplies cannot hold the
 *                 thread block plus UTHREAD_STACK_MIN / 2 of stack;
 *         EAGAIN  no memory for the stack, thread block or descriptor, or
 *                 the kernel refused a new task (RLIMIT_NPROC, pid limit,
 *                 ENOMEM);
 *         ENOTSUP the running C library failed uthread's start-up checks
 *                 (a message on stderr names the failed check);
 *         EPERM, EINVAL  the kernel refused attr's explicit scheduling or
 *                 its affinity (sched_setscheduler, sched_setaffinity): no
 *                 thread is left behind and *thread is not written;
 *         ENOMEM  no memory for a copy of the default attributes' affinity;
 *         any other error clone(2) returns, as it is.
 */
int uthread_create(uthread_t *thread, const uthread_attr_t *attr,
                   void *(*start)(void *), void *arg);

/*
 * Wait until thread has ended, then store its exit value in *retval (if
 * retval is not NULL) and release its resources.  Blocks on the futex the
 * kernel clears and wakes when the thread is gone; never wakes early.  The
 * main thread can be joined too: the join returns once main has called
 * uthread_exit(value), with that value.  A cancellation point.
 * Errors: EDEADLK thread is the calling thread;
 *         EINVAL  thread is detached, being joined by another thread, or
 *                 a thread uthread did not create;
 *         ESRCH   thread was already joined, or was detached and has ended
 *                 (the handle is stale), or was never a valid handle.
 */
int uthread_join(uthread_t thread, void **retval);

/*
 * uthread_join, but EBUSY at once if thread has not ended yet (nothing
 * changes then).  Not a cancellation point.  Errors as uthread_join, and
 * EBUSY, which comes first, as with glibc: a running thread is busy even
 * if it is the caller (not EDEADLK) or detached (not EINVAL).
 */
int uthread_tryjoin_np(uthread_t thread, void **retval);

/*
 * uthread_join with a deadline: abstime, an absolute time on CLOCK_REALTIME
 * (timedjoin) or on clockid (clockjoin: CLOCK_REALTIME or CLOCK_MONOTONIC).
 * On ETIMEDOUT the thread stays joinable.  A thread that has already ended
 * is joined whatever abstime says.  A cancellation point.
 * Errors as uthread_join, and:
 *         ETIMEDOUT abstime passed first (a negative tv_sec has passed);
 *         EINVAL    abstime's tv_nsec is not in [0, 1e9) and the thread
 *                   still runs; clockjoin: clockid is neither clock (checked
 *                   first).
 */
int uthread_timedjoin_np(uthread_t thread, void **retval,
                         const struct timespec *abstime);
int uthread_clockjoin_np(uthread_t thread, void **retval, clockid_t clockid,
                         const struct timespec *abstime);

/*
 * Mark thread detached: its resources are released as soon as it ends and
 * it can no longer be joined.  Does not block.  Detaching the main thread
 * only means it can no longer be joined.
 * Errors: EINVAL thread is already detached, being joined, or not a
 *                thread uthread created (but main);
 *         ESRCH  thread was already joined, or was detached and has
 *                ended, or was never a valid handle.
 */
int uthread_detach(uthread_t thread);

/*
 * End the calling thread with exit value retval; never returns.  Runs the
 * C/C++ thread_local destructors and the thread-specific data destructors
 * first.  In the main thread it hands retval to a joiner of main (if any),
 * waits until every uthread has ended and then leaves as pthread_exit() does, so the process lives on until its last
 * thread ends and then exits with status 0.  Stack objects are not unwound.
 */
void uthread_exit(void *retval) __attribute__((__noreturn__));

/*
 * The calling thread's handle.  Works in every thread: uthreads, the main
 * thread, and threads the program started some other way (those get a
 * handle on first use, released when they end).  Returns 0 (a value that
 * names no thread) only in such a foreign thread, when no descriptor could
 * be allocated for it (no memory for a new block of descriptors).
 */
uthread_t uthread_self(void);

/* Nonzero if t1 and t2 name the same thread. */
int uthread_equal(uthread_t t1, uthread_t t2);

/* Give up the CPU (sched_yield).  Always returns 0. */
int uthread_yield(void);

/*
 * Register fork handlers, as pthread_atfork: fork() called by any thread
 * (a uthread too) runs every prepare handler before it forks, in the
 * reverse order of registration, then in the parent every parent handler
 * and in the child every child handler, in the order of registration.
 * Any of the three may be NULL.  The library's own handlers come before
 * (prepare: after) the program's, so a child handler may create threads.
 * Handlers cannot be removed; they stay registered until libuthread is
 * unloaded.  Errors: ENOMEM no memory for the entry.
 */
int uthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));

/*
 * Store the kernel thread id (as gettid(2) returns it in that thread) of
 * thread in *tid.
 * Errors: EINVAL tid is NULL;
 *         ESRCH  thread has ended (joined or not), or was never a valid
 *                handle.
 */
int uthread_gettid(uthread_t thread, pid_t *tid);

/*
 * Set the name of thread (shown in /proc/PID/task/TID/comm, ps, top, gdb)
 * to name, at most 15 bytes plus the terminating NUL.  The caller's own
 * name is set with prctl; another thread's through its /proc comm file.
 * Errors: EINVAL name is NULL;
 *         ERANGE name is longer than 15 bytes;
 *         ESRCH  thread has ended (joined or not) or was never valid,
 *                or (another thread) its comm file does not exist
 *                (ENOENT: it ended meanwhile);
 *         EIO    (another thread) the write to the comm file was short;
 *         any other error from open or write on the comm file (EACCES,
 *         EMFILE, ENFILE, ...).
 */
int uthread_setname_np(uthread_t thread, const char *name);

/*
 * Copy the name of thread into buf (len bytes, at least 16).
 * Errors: EINVAL buf is NULL; ERANGE len < 16;
 *         ESRCH  thread has ended or was never valid, or (another thread)
 *                its comm file does not exist (ENOENT);
 *         any other error from open or read on the comm file (EACCES,
 *         EMFILE, ENFILE, ...).
 */
int uthread_getname_np(uthread_t thread, char *buf, size_t len);

/*
 * Can this process create uthreads?  Runs the library's start-up check of
 * glibc's private thread details (what the first uthread_create would
 * run), once.  Returns 0 if uthreads can be created;
 *         ENOTSUP a check failed: this glibc is not one the library
 *                 understands, and no uthread will ever be created;
 *         EAGAIN  a resource the check needs was short (memory, a thread,
 *                 a pthread key): a later call checks again.
 * On failure, if why is not NULL and len > 0, the failed check is copied
 * into why as a NUL-terminated sentence, truncated to len bytes.
 */
int uthread_check_np(char *why, size_t len);

/*
 * Send signal sig to thread (tgkill: that thread handles it, if it does not
 * block it).  sig 0 only checks that the thread is alive.
 * Errors: EINVAL sig is not a valid signal number, or is one of the
 *                real-time signals glibc keeps for itself (32 up to
 *                SIGRTMIN, as pthread_kill refuses them);
 *         ESRCH  thread was joined, or was detached and has ended, or was
 *                never valid.
 * A thread that has ended but has not been joined is still a valid ID:
 * the call returns 0 and sends nothing (as glibc 2.34 and later).
 */
int uthread_kill(uthread_t thread, int sig);

/*
 * Examine and change the calling thread's signal mask, as pthread_sigmask:
 * how is SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK; set or oldset may be NULL
 * (with set NULL, how is not looked at).  The C library's own signals are
 * left out of set, as pthread_sigmask does.
 * Errors: EINVAL how is none of those (with a non-NULL set);
 *         EFAULT the kernel could not write oldset (a set it cannot read
 *                faults in the C library first, as with pthread_sigmask).
 */
int uthread_sigmask(int how, const sigset_t *set, sigset_t *oldset);

/* ------------------------------------------------------------------ */
/* Scheduling and affinity of a running thread                          */
/* ------------------------------------------------------------------ */

/*
 * Set or read thread's policy and priority (sched_setscheduler(2) and
 * sched_getparam(2) on its kernel tid), or only its priority
 * (sched_setparam(2)).  A thread that ends meanwhile waits for the call:
 * it never acts on a newer thread that took the same tid.
 * Errors: ESRCH  thread has ended (even if not yet joined), is stale or
 *                was never valid;
 *         EINVAL policy is unknown, the priority is out of its range, or
 *                an out pointer is NULL;
 *         EPERM  the caller may not set that policy or priority.
 */
int uthread_setschedparam(uthread_t thread, int policy,
                          const struct sched_param *param);
int uthread_getschedparam(uthread_t thread, int *policy,
                          struct sched_param *param);
int uthread_setschedprio(uthread_t thread, int prio);

/*
 * Set or read thread's CPU affinity (sched_setaffinity(2) and
 * sched_getaffinity(2) on its tid, with the same sizes; the getter zeroes
 * the bytes past the kernel's mask).
 * Errors: ESRCH  as above;
 *         EFAULT cpuset is NULL;
 *         EINVAL (set) no usable CPU in the set; (get) cpusetsize is
 *                smaller than the kernel's mask or not a multiple of
 *                sizeof(long).
 */
int uthread_setaffinity_np(uthread_t thread, size_t cpusetsize,
                           const cpu_set_t *cpuset);
int uthread_getaffinity_np(uthread_t thread, size_t cpusetsize,
                           cpu_set_t *cpuset);

/*
 * The id of thread's CPU-time clock, for clock_gettime(2), computed from
 * its tid as glibc does.  The id is good only while the thread lives.
 * Errors: ESRCH as above; EINVAL clockid is NULL.
 */
int uthread_getcpuclockid(uthread_t thread, clockid_t *clockid);

/*
 * The concurrency level hint: stored and returned, nothing else (every
 * uthread is a kernel thread).  getconcurrency returns the level, 0 until
 * one was set.  Errors (set): EINVAL level is negative.
 */
int uthread_setconcurrency(int level);
int uthread_getconcurrency(void);

/* ------------------------------------------------------------------ */
/* Cancellation                                                         */
/* ------------------------------------------------------------------ */

/*
 * Cancellation is glibc's own, on the thread block every uthread carries:
 * the same state bits, signal and unwinder as for glibc's threads, so
 * glibc's cancellation points (read, write, nanosleep, poll, accept,
 * waitpid, ...) are cancellation points in a uthread too, and the
 * constants are pthread's.
 */
#define UTHREAD_CANCEL_ENABLE       PTHREAD_CANCEL_ENABLE
#define UTHREAD_CANCEL_DISABLE      PTHREAD_CANCEL_DISABLE
#define UTHREAD_CANCEL_DEFERRED     PTHREAD_CANCEL_DEFERRED
#define UTHREAD_CANCEL_ASYNCHRONOUS PTHREAD_CANCEL_ASYNCHRONOUS
/* The exit value uthread_join reports for a thread that was cancelled. */
#define UTHREAD_CANCELED            PTHREAD_CANCELED

/*
 * Ask thread to cancel: it ends, as if by uthread_exit(UTHREAD_CANCELED),
 * at its next cancellation point (deferred type) or at once (asynchronous
 * type), once its cancellation is enabled.  Does not wait for the end.
 * A thread that has ended and was not joined yet: 0, nothing happens.
 * Errors: ESRCH the handle is stale or was never valid.
 */
int uthread_cancel(uthread_t thread);

/*
 * Set the calling thread's cancellation state (UTHREAD_CANCEL_ENABLE or
 * UTHREAD_CANCEL_DISABLE) or type (UTHREAD_CANCEL_DEFERRED or
 * UTHREAD_CANCEL_ASYNCHRONOUS); the old one goes to *old unless old is
 * NULL.  A pending cancel acts when enabled with the asynchronous type.
 * Errors: EINVAL state or type is none of those.
 */
int uthread_setcancelstate(int state, int *old);
int uthread_setcanceltype(int type, int *old);

/* A cancellation point and nothing else: a pending, enabled cancel ends
 * the calling thread here. */
void uthread_testcancel(void);

/*
 * Push a handler that runs routine(arg) if the thread is cancelled or
 * calls uthread_exit before the matching pop, or at the pop if execute is
 * non-zero.  The two are macros opening and closing one lexical scope, as
 * pthread's are: each push needs its pop in the same block.  They are
 * glibc's, and mix freely with pthread_cleanup_push/pop.
 */
#define uthread_cleanup_push(routine, arg) pthread_cleanup_push((routine), (arg))
#define uthread_cleanup_pop(execute)       pthread_cleanup_pop((execute))

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
 * UTHREAD_STACK_MIN or larger than 1 TiB; uthread_create() answers EINVAL
 * if the memory is too small to hold the thread block plus
 * UTHREAD_STACK_MIN / 2 of stack.
 */
int uthread_attr_setstack(uthread_attr_t *attr, void *stackaddr, size_t stacksize);
int uthread_attr_getstack(const uthread_attr_t *attr, void **stackaddr, size_t *stacksize);

/*
 * Scheduling of threads created with attr.  Only with inheritsched
 * UTHREAD_EXPLICIT_SCHED are policy and priority applied (the default,
 * UTHREAD_INHERIT_SCHED, gives the new thread its creator's); a policy or
 * priority left unset is then taken from the creator, as glibc does.  They
 * are applied before the new thread runs any code of the caller's, and a
 * kernel refusal (EPERM: SCHED_FIFO or SCHED_RR without privilege) is
 * uthread_create()'s answer, with no thread left behind.
 * EINVAL: policy is not SCHED_OTHER, SCHED_FIFO or SCHED_RR; param is NULL
 *         or its priority is outside sched_get_priority_min/max of attr's
 *         policy; inheritsched or scope is not one of the constants.
 * ENOTSUP: scope UTHREAD_SCOPE_PROCESS (Linux has only system scope).
 */
int uthread_attr_setschedpolicy(uthread_attr_t *attr, int policy);
int uthread_attr_getschedpolicy(const uthread_attr_t *attr, int *policy);
int uthread_attr_setschedparam(uthread_attr_t *attr, const struct sched_param *param);
int uthread_attr_getschedparam(const uthread_attr_t *attr, struct sched_param *param);
int uthread_attr_setinheritsched(uthread_attr_t *attr, int inheritsched);
int uthread_attr_getinheritsched(const uthread_attr_t *attr, int *inheritsched);
int uthread_attr_setscope(uthread_attr_t *attr, int scope);
int uthread_attr_getscope(const uthread_attr_t *attr, int *scope);

/*
 * The CPU affinity of threads created with attr: a copy of cpusetsize
 * bytes of cpuset, freed by uthread_attr_destroy().  cpuset NULL or
 * cpusetsize 0 removes it (the new thread inherits its creator's).
 * uthread_create() answers the kernel's refusal (EINVAL: no usable CPU in
 * the set).  The getter copies it into cpusetsize bytes (the rest zeroed;
 * every bit set if attr holds none).
 * EINVAL (get): cpuset is NULL, or attr's set has CPUs beyond cpusetsize.
 * ENOMEM (set): no memory for the copy.
 */
int uthread_attr_setaffinity_np(uthread_attr_t *attr, size_t cpusetsize,
                                const cpu_set_t *cpuset);
int uthread_attr_getaffinity_np(const uthread_attr_t *attr, size_t cpusetsize,
                                cpu_set_t *cpuset);

/*
 * The signal mask threads created with attr start with (instead of their
 * creator's): in force from the thread's first instruction, with no signal
 * handled meanwhile.  sigmask NULL removes it.  The C library's own two
 * signals are never blocked.  The getter returns 0 and the mask, or
 * UTHREAD_ATTR_NO_SIGMASK_NP and an empty set if attr holds none.
 */
int uthread_attr_setsigmask_np(uthread_attr_t *attr, const sigset_t *sigmask);
int uthread_attr_getsigmask_np(const uthread_attr_t *attr, sigset_t *sigmask);

/*
 * Initialise attr (any earlier content is overwritten, not freed) with
 * the actual attributes of thread: its stack (lowest address and usable
 * size), guard size, detach state, CPU affinity, policy and priority.  The
 * caller destroys attr.  For the main thread and threads uthread did not
 * create, what pthread_getattr_np() says of them.
 * Errors: EINVAL attr is NULL; ESRCH thread has ended, is stale or was
 *         never valid; ENOMEM no memory for the affinity mask.
 */
int uthread_getattr_np(uthread_t thread, uthread_attr_t *attr);

/*
 * The attributes uthread_create() uses when given a NULL attr.  The
 * getter initialises attr with a copy (the caller destroys it).
 * Errors: EINVAL attr is NULL or not initialised (set), or it holds a
 *         stack address, a bad policy or priority (set); ENOMEM no
 *         memory for the copy of the affinity mask.
 */
int uthread_getattr_default_np(uthread_attr_t *attr);
int uthread_setattr_default_np(const uthread_attr_t *attr);

/* ------------------------------------------------------------------ */
/* Mutexes                                                              */
/* ------------------------------------------------------------------ */

enum {
	UTHREAD_MUTEX_NORMAL = 0,     /* relock deadlocks, as POSIX says */
	UTHREAD_MUTEX_ERRORCHECK = 1, /* relock EDEADLK, foreign unlock EPERM */
	UTHREAD_MUTEX_RECURSIVE = 2,  /* counts relocks by its owner */
	UTHREAD_MUTEX_DEFAULT = UTHREAD_MUTEX_NORMAL,
};

enum {
	UTHREAD_PRIO_NONE = 0,
	UTHREAD_PRIO_INHERIT = 1,     /* FUTEX_LOCK_PI: the owner inherits the
	                                 priority of its highest waiter */
	UTHREAD_PRIO_PROTECT = 2,     /* the owner runs at the mutex's
	                                 priority ceiling (PTHREAD_PRIO_PROTECT) */
};

enum {
	UTHREAD_MUTEX_STALLED = 0,    /* an owner that ends holding it: locked for ever */
	UTHREAD_MUTEX_ROBUST = 1,     /* the next locker gets EOWNERDEAD */
};

enum {
	UTHREAD_PROCESS_PRIVATE = 0,
	UTHREAD_PROCESS_SHARED = 1,
};

typedef struct {
	unsigned int __magic;
	int __type;
	int __protocol;
	int __robust;
	int __pshared;        /* UTHREAD_PROCESS_PRIVATE or _SHARED */
	int __prioceiling;    /* UTHREAD_PRIO_PROTECT: 0 means the lowest */
} uthread_mutexattr_t;

/*
 * A mutex.  Static initialisation with UTHREAD_MUTEX_INITIALIZER gives a
 * normal mutex; the fields are private.
 */
typedef struct {
	unsigned int __lock;  /* futex word */
	int __kind;           /* type | protocol flags */
	int __owner;          /* tid of the owner (errorcheck, recursive);
	                         robust: 0, or the state after an owner died */
	unsigned int __spin;  /* backoff hint: recent failed spins */
	unsigned int __count; /* recursion depth beyond the first lock */
	int __known;          /* under valgrind: the tools have seen it */
	void *__list[2];      /* robust: previous and next on the owner's list */
} uthread_mutex_t;

#define UTHREAD_MUTEX_INITIALIZER { 0, 0, 0, 0, 0, 0, { 0, 0 } }

/*
 * Initialise m with attr (NULL: a normal mutex).
 * Errors: EINVAL m is NULL or attr is not initialised (or was destroyed);
 *         ENOTSUP attr asks for a robust mutex with priority inheritance,
 *                 or (robust) the start-up check of glibc failed;
 *         EAGAIN  (robust) the start-up check could not create its thread.
 */
int uthread_mutex_init(uthread_mutex_t *m, const uthread_mutexattr_t *attr);

/*
 * Errors: EINVAL m is NULL, not a mutex, or already destroyed;
 *         EBUSY  m is locked (also by a thread that ended holding it).
 * Afterwards every call but init answers EINVAL.
 */
int uthread_mutex_destroy(uthread_mutex_t *m);

/*
 * Lock m, sleeping in the kernel while another thread holds it.  One atomic
 * operation when m is free.  The owner locking a normal mutex again
 * deadlocks, as POSIX says (with priority inheritance or robust too).
 * Errors: EINVAL  m is NULL, destroyed, or not a mutex (its kind is none
 *                 init writes);
 *         EDEADLK the caller already holds m, which is errorcheck;
 *         EAGAIN  (recursive) the count would overflow;
 *         (priority inheritance) when it has to wait, the kernel's
 *         FUTEX_LOCK_PI errors as they are: ESRCH the owner ended while
 *         holding m; ENOMEM, EPERM, EINVAL (a corrupted lock word), ENOSYS.
 *         (priority protect) EINVAL the caller's priority is above m's
 *         ceiling, or the kernel refused the ceiling as its priority (a
 *         SCHED_OTHER caller), EPERM no privilege for it: nothing locked.
 * Robust mutexes also answer, holding m:
 *         EOWNERDEAD the previous owner ended holding m; make its data
 *                 consistent, then call uthread_mutex_consistent();
 *         and, not holding m:
 *         ENOTRECOVERABLE m was unlocked after EOWNERDEAD without
 *                 uthread_mutex_consistent(); only destroy is left.
 */
int uthread_mutex_lock(uthread_mutex_t *m);

/*
 * As uthread_mutex_lock, but never blocks and never asks the kernel.
 * Errors: EINVAL, EAGAIN as lock; EBUSY m is held, by another thread or
 *         by the caller (any kind but recursive: never EDEADLK).
 */
int uthread_mutex_trylock(uthread_mutex_t *m);

/*
 * As uthread_mutex_lock, but gives up at abstime, an absolute
 * CLOCK_REALTIME time as for pthread_mutex_timedlock.
 * Errors: as lock, plus EINVAL abstime is NULL or its tv_nsec is outside
 *         [0, 1e9), checked even when m is free; ETIMEDOUT abstime passed
 *         before m could be locked (so too for a normal mutex the caller
 *         holds itself).
 */
int uthread_mutex_timedlock(uthread_mutex_t *m, const struct timespec *abstime);

/*
 * As uthread_mutex_timedlock, but abstime is measured on clockid, as for
 * pthread_mutex_clocklock; timedlock is clocklock on CLOCK_REALTIME.
 * Errors: as timedlock, plus EINVAL clockid is neither CLOCK_REALTIME nor
 *         CLOCK_MONOTONIC (checked first, as glibc 2.36), or (priority
 *         inheritance, CLOCK_MONOTONIC, when it has to wait) the kernel
 *         lacks FUTEX_LOCK_PI2 (Linux 5.14), as glibc answers.
 */
int uthread_mutex_clocklock(uthread_mutex_t *m, clockid_t clockid,
                            const struct timespec *abstime);

/*
 * Unlock m, waking one sleeper if there is one.  One atomic operation when
 * nobody waits.  A normal mutex keeps no owner: unlocking one the caller
 * does not hold is not detected and releases it (as glibc).
 * Errors: EINVAL m is NULL, destroyed, or not a mutex;
 *         EPERM  (errorcheck, recursive, priority inheritance) the caller
 *                does not hold m (also when nobody does).
 */
int uthread_mutex_unlock(uthread_mutex_t *m);

/*
 * Mark a robust mutex, which the caller locked with EOWNERDEAD, consistent
 * again: its unlock then leaves it usable.
 * Errors: EINVAL m is NULL, not a robust mutex, not held by the caller,
 *         or not in the state EOWNERDEAD left.
 */
int uthread_mutex_consistent(uthread_mutex_t *m);

/* Mutex attributes.  Errors: EINVAL attr (or an out pointer) is NULL, attr
 * is not initialised (or was destroyed; init excepted), or the value is not
 * one of the constants above. */
int uthread_mutexattr_init(uthread_mutexattr_t *attr);
int uthread_mutexattr_destroy(uthread_mutexattr_t *attr);
int uthread_mutexattr_settype(uthread_mutexattr_t *attr, int type);
int uthread_mutexattr_gettype(const uthread_mutexattr_t *attr, int *type);
int uthread_mutexattr_setprotocol(uthread_mutexattr_t *attr, int protocol);
int uthread_mutexattr_getprotocol(const uthread_mutexattr_t *attr, int *protocol);
int uthread_mutexattr_setrobust(uthread_mutexattr_t *attr, int robustness);
int uthread_mutexattr_getrobust(const uthread_mutexattr_t *attr, int *robustness);
/*
 * UTHREAD_PROCESS_SHARED: mutexes made with attr may live in memory shared
 * between processes (MAP_SHARED, shm_open): they sleep on shared futexes
 * and keep no process-local pointer other processes would follow.  Any
 * type and protocol, robust too: an owner whose process dies holding one
 * hands EOWNERDEAD to the next locker in any process.  Default
 * UTHREAD_PROCESS_PRIVATE (private futexes, this process only).
 * Errors: as above (EINVAL pshared is neither constant).
 */
int uthread_mutexattr_setpshared(uthread_mutexattr_t *attr, int pshared);
int uthread_mutexattr_getpshared(const uthread_mutexattr_t *attr, int *pshared);

/*
 * The priority ceiling of UTHREAD_PRIO_PROTECT mutexes made with attr: a
 * SCHED_FIFO priority, sched_get_priority_min(SCHED_FIFO) to _max (1 to
 * 99 on Linux); the default reads as the minimum.  Locking such a mutex
 * (as glibc does): EINVAL if the caller's own priority (0 for
 * SCHED_OTHER/BATCH/IDLE) is above the ceiling; else the caller's
 * priority is raised to the ceiling, in its own policy, before the lock is
 * taken, and whatever the kernel answers to that (sched_setscheduler:
 * EINVAL for a SCHED_OTHER thread, whose only priority is 0; EPERM
 * without the privilege) is the lock's answer, nothing locked.  The
 * caller's scheduling is restored when it releases the last
 * priority-protect mutex it holds (also for a cond wait).  A
 * priority-protect mutex cannot be robust (init: ENOTSUP).
 * Errors: as above; EINVAL prioceiling is outside that range.
 */
int uthread_mutexattr_setprioceiling(uthread_mutexattr_t *attr, int prioceiling);
int uthread_mutexattr_getprioceiling(const uthread_mutexattr_t *attr, int *prioceiling);

/*
 * The ceiling of priority-protect mutex m: get reads it; set locks m
 * (unless the caller holds it already), changes it, unlocks m, and stores
 * the old ceiling in *old_ceiling unless it is NULL.
 * Errors: EINVAL m is NULL, not a mutex or not UTHREAD_PRIO_PROTECT, or
 *         (get) prioceiling is NULL, or (set) prioceiling is out of range;
 *         set also returns what locking m returns (see the attribute).
 */
int uthread_mutex_getprioceiling(const uthread_mutex_t *m, int *prioceiling);
int uthread_mutex_setprioceiling(uthread_mutex_t *m, int prioceiling, int *old_ceiling);

/* ------------------------------------------------------------------ */
/* Condition variables                                                  */
/* ------------------------------------------------------------------ */

typedef struct {
	unsigned int __magic;
	int __clock;
	int __pshared;          /* UTHREAD_PROCESS_PRIVATE or _SHARED */
} uthread_condattr_t;

typedef struct {
	unsigned int __seq;     /* futex word: bumped by every signal */
	unsigned int __waiters; /* threads between wait's start and wake-up */
	int __clock;            /* 0: CLOCK_REALTIME, else clock id + 1 */
	unsigned int __sleepers; /* waiters asleep in the kernel, or about to be */
	void *__mutex;          /* the mutex waiters use, for requeueing */
	unsigned int __spin;    /* backoff hint: recent failed spins */
	int __pshared;          /* UTHREAD_PROCESS_SHARED: shared futexes, no __mutex */
	void *__requeued;       /* the mutex a broadcast last requeued onto */
} uthread_cond_t;

#define UTHREAD_COND_INITIALIZER { 0, 0, 0, 0, 0, 0, 0, 0 }

/* Errors: EINVAL cond is NULL or attr is not initialised (or destroyed). */
int uthread_cond_init(uthread_cond_t *cond, const uthread_condattr_t *attr);
/*
 * Waits (up to 100 ms) for woken waiters still leaving their wait, so the
 * memory may be freed at once.  A destroyed cond keeps no mark: destroying
 * or using it again is not detected and it acts as a new one (as glibc).
 * Errors: EINVAL cond is NULL; EBUSY threads are still blocked on cond.
 */
int uthread_cond_destroy(uthread_cond_t *cond);

/*
 * Atomically unlock m and sleep until cond is signalled, then lock m again
 * before returning.  A signal sent before the call cannot wake it; one sent
 * after it has unlocked m cannot be lost.  Like pthread_cond_wait it may
 * (rarely) return 0 without a signal: re-check the predicate in a loop.
 * Signal handlers that run during the wait do not end it.
 * Errors: EINVAL cond or m is NULL, m is destroyed or not a mutex, or
 *                other threads are blocked on cond with a different mutex
 *                (not those a broadcast or signal released, even before
 *                they have retaken their mutex: the next wait binds anew,
 *                POSIX; seeing one still blocked may take up to 100 ms);
 *         EPERM  (errorcheck, recursive, priority inheritance) the caller
 *                does not hold m.  A normal mutex keeps no owner: waiting
 *                with one the caller does not hold is not detected.
 */
int uthread_cond_wait(uthread_cond_t *cond, uthread_mutex_t *m);

/*
 * As uthread_cond_wait, but gives up at abstime, measured on the condition
 * variable's clock (CLOCK_REALTIME unless set with uthread_condattr_setclock).
 * m is locked again in every case.
 * Errors: as wait, plus EINVAL abstime is NULL or its tv_nsec is outside
 *         [0, 1e9); ETIMEDOUT abstime passed.
 */
int uthread_cond_timedwait(uthread_cond_t *cond, uthread_mutex_t *m,
                           const struct timespec *abstime);

/*
 * As uthread_cond_timedwait, but abstime is measured on clockid whatever
 * the clock attribute says, as for pthread_cond_clockwait; timedwait is
 * clockwait on the attribute's clock.  A cancellation point, as timedwait.
 * Errors: as timedwait, plus EINVAL clockid is neither CLOCK_REALTIME nor
 *         CLOCK_MONOTONIC (after abstime's check, as glibc 2.36).
 */
int uthread_cond_clockwait(uthread_cond_t *cond, uthread_mutex_t *m,
                           clockid_t clockid, const struct timespec *abstime);

/* Wake at least one waiter, if any.  Errors: EINVAL cond is NULL. */
int uthread_cond_signal(uthread_cond_t *cond);

/*
 * Wake every waiter.  With any mutex but a priority-inheritance one, one
 * waiter is woken and the rest are moved onto the mutex (FUTEX_CMP_REQUEUE),
 * so they are woken one by one as the mutex is released instead of all at
 * once; priority-inheritance waiters are all woken.
 * Errors: EINVAL cond is NULL.
 */
int uthread_cond_broadcast(uthread_cond_t *cond);

/*
 * Condition variable attributes: the clock of timedwait.
 * Errors (all): EINVAL attr (or getclock's clock) is NULL, or attr is not
 * initialised (or was destroyed; init excepted); setclock also EINVAL clock
 * is neither CLOCK_REALTIME nor CLOCK_MONOTONIC.
 */
int uthread_condattr_init(uthread_condattr_t *attr);
int uthread_condattr_destroy(uthread_condattr_t *attr);
int uthread_condattr_setclock(uthread_condattr_t *attr, clockid_t clock);
int uthread_condattr_getclock(const uthread_condattr_t *attr, clockid_t *clock);
/*
 * UTHREAD_PROCESS_SHARED: condition variables made with attr may live in
 * memory shared between processes, and be waited on with a process-shared
 * mutex.  Such a condition variable keeps no mutex binding: waits with
 * different mutexes are not detected, and broadcast wakes every waiter
 * instead of moving them onto the mutex.  Default UTHREAD_PROCESS_PRIVATE.
 * Errors: EINVAL attr (or getpshared's pshared) is NULL, attr is not
 * initialised or was destroyed, or pshared is neither constant.
 */
int uthread_condattr_setpshared(uthread_condattr_t *attr, int pshared);
int uthread_condattr_getpshared(const uthread_condattr_t *attr, int *pshared);

/* ------------------------------------------------------------------ */
/* Once                                                                 */
/* ------------------------------------------------------------------ */

typedef unsigned int uthread_once_t;
#define UTHREAD_ONCE_INIT 0u

/*
 * Run init() exactly once for control; every caller returns only after
 * that run has finished (later callers pay one load).
 * Errors: EINVAL control or init is NULL, or *control holds a value
 *         uthread_once never stores (it was not initialised with
 *         UTHREAD_ONCE_INIT).
 */
int uthread_once(uthread_once_t *control, void (*init)(void));

/* ------------------------------------------------------------------ */
/* Thread-specific data                                                 */
/* ------------------------------------------------------------------ */

typedef unsigned int uthread_key_t;
#define UTHREAD_KEYS_MAX 128
#define UTHREAD_DESTRUCTOR_ITERATIONS 4

/*
 * A new key, NULL in every thread.  At uthread exit (and uthread_exit in
 * main), for each key with a non-NULL value and a destructor, the value is
 * set to NULL and the destructor called with it; rounds repeat while values
 * are set again, at most UTHREAD_DESTRUCTOR_ITERATIONS times.
 * Errors: EINVAL key is NULL; EAGAIN all UTHREAD_KEYS_MAX keys are in use.
 */
int uthread_key_create(uthread_key_t *key, void (*destructor)(void *));
/* Errors: EINVAL key is not a live key (out of range, never created, or
 * deleted).  Destructors are not called. */
int uthread_key_delete(uthread_key_t key);
/* NULL if key is not live or was never set in this thread. */
void *uthread_getspecific(uthread_key_t key);
/* Errors: EINVAL key is not a live key. */
int uthread_setspecific(uthread_key_t key, const void *value);

/* ------------------------------------------------------------------ */
/* Read-write locks                                                     */
/* ------------------------------------------------------------------ */

typedef struct {
	unsigned int __magic;
	int __kind;             /* UTHREAD_RWLOCK_PREFER_*_NP */
	int __pshared;          /* UTHREAD_PROCESS_PRIVATE or _SHARED */
} uthread_rwlockattr_t;

/*
 * Writers are preferred: once a writer waits, new readers wait behind it,
 * so a stream of readers cannot starve writers.  Hence a thread that
 * already holds a read lock must not take another while a writer may be
 * waiting (as glibc's PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP).
 * uthread_rwlockattr_setkind_np chooses reader preference instead.
 */
typedef struct {
	unsigned int __state;        /* readers | write-locked | waiting bits */
	unsigned int __writer_seq;   /* futex word writers sleep on */
	int __writer;                /* tid of the write owner */
	unsigned int __spin;         /* backoff hint: recent failed spins */
	unsigned int __flags;        /* process-shared, reader preference */
} uthread_rwlock_t;

#define UTHREAD_RWLOCK_INITIALIZER { 0, 0, 0, 0, 0 }

/* Errors: EINVAL rw is NULL or attr is not initialised (or destroyed). */
int uthread_rwlock_init(uthread_rwlock_t *rw, const uthread_rwlockattr_t *attr);
/* Errors: EINVAL rw is NULL; EBUSY rw is locked.  A destroyed rwlock keeps
 * no mark: destroying or using it again is not detected (as glibc). */
int uthread_rwlock_destroy(uthread_rwlock_t *rw);
/*
 * Errors (all lock calls):
 *   EINVAL    rw is NULL (timed: or abstime is NULL or its tv_nsec is
 *             outside [0, 1e9), checked before the lock is tried);
 *   EDEADLK   (not try) the caller holds the write lock;
 *   EAGAIN    (read) the lock already has the most readers it counts
 *             (536805375);
 *   EBUSY     (try) the lock is not available, also when the caller holds
 *             the write lock;
 *   ETIMEDOUT (timed) abstime, on CLOCK_REALTIME, passed.
 * A second lock by a thread holding a read lock is not detected: wrlock
 * deadlocks, and so does rdlock while a writer waits (writer preference,
 * the default; with UTHREAD_RWLOCK_PREFER_READER_NP it gets in).
 */
int uthread_rwlock_rdlock(uthread_rwlock_t *rw);
int uthread_rwlock_tryrdlock(uthread_rwlock_t *rw);
int uthread_rwlock_timedrdlock(uthread_rwlock_t *rw, const struct timespec *abstime);
int uthread_rwlock_wrlock(uthread_rwlock_t *rw);
int uthread_rwlock_trywrlock(uthread_rwlock_t *rw);
int uthread_rwlock_timedwrlock(uthread_rwlock_t *rw, const struct timespec *abstime);
/*
 * As the timed calls, but abstime is measured on clockid (timedrdlock and
 * timedwrlock are these on CLOCK_REALTIME).  Errors: as the timed calls,
 * plus EINVAL clockid is neither CLOCK_REALTIME nor CLOCK_MONOTONIC
 * (checked with abstime, before the lock is tried, as glibc 2.36).
 */
int uthread_rwlock_clockrdlock(uthread_rwlock_t *rw, clockid_t clockid,
                               const struct timespec *abstime);
int uthread_rwlock_clockwrlock(uthread_rwlock_t *rw, clockid_t clockid,
                               const struct timespec *abstime);
/*
 * Errors: EINVAL rw is NULL; EPERM rw is not locked, or write-locked by
 * another thread.  Readers are counted, not named: an unlock by a thread
 * holding no read lock while others do is not detected and drops one of
 * their read locks.
 */
int uthread_rwlock_unlock(uthread_rwlock_t *rw);
/* Errors: EINVAL attr is NULL, or (destroy) not initialised or destroyed. */
int uthread_rwlockattr_init(uthread_rwlockattr_t *attr);
int uthread_rwlockattr_destroy(uthread_rwlockattr_t *attr);
/*
 * UTHREAD_PROCESS_SHARED: rwlocks made with attr may live in memory shared
 * between processes (shared futexes).  Default UTHREAD_PROCESS_PRIVATE.
 * Errors: EINVAL attr (or the out pointer) is NULL, attr is not
 * initialised or was destroyed, or pshared is neither constant.
 */
int uthread_rwlockattr_setpshared(uthread_rwlockattr_t *attr, int pshared);
int uthread_rwlockattr_getpshared(const uthread_rwlockattr_t *attr, int *pshared);

/*
 * The preference of rwlocks made with attr, glibc's values:
 * PREFER_READER_NP: a reader enters whenever no writer holds the lock, even
 * while writers wait (so a thread may take a read lock it holds again;
 * readers can starve writers).  PREFER_WRITER_NP and
 * PREFER_WRITER_NONRECURSIVE_NP: once a writer waits, new readers wait
 * behind it (see uthread_rwlock_t).  Unlike glibc, whose default is
 * reader preference, uthread's default (UTHREAD_RWLOCK_DEFAULT_NP, what
 * init sets and a NULL attr gives) is writer preference.
 * Errors: EINVAL attr (or the out pointer) is NULL, attr is not
 * initialised or was destroyed, or kind is none of the constants.
 */
enum {
	UTHREAD_RWLOCK_PREFER_READER_NP = 0,
	UTHREAD_RWLOCK_PREFER_WRITER_NP = 1,
	UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP = 2,
	UTHREAD_RWLOCK_DEFAULT_NP = UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP,
};
int uthread_rwlockattr_setkind_np(uthread_rwlockattr_t *attr, int kind);
int uthread_rwlockattr_getkind_np(const uthread_rwlockattr_t *attr, int *kind);

/* ------------------------------------------------------------------ */
/* Barriers                                                             */
/* ------------------------------------------------------------------ */

#define UTHREAD_BARRIER_SERIAL_THREAD (-1)

typedef struct {
	unsigned int __magic;
	int __pshared;           /* UTHREAD_PROCESS_PRIVATE or _SHARED */
} uthread_barrierattr_t;

typedef struct {
	unsigned int __lock;     /* internal lock word */
	unsigned int __count;    /* threads per round */
	unsigned int __arrived;  /* threads waiting in this round */
	unsigned int __round;    /* futex word: bumped when a round completes */
	unsigned int __inside;   /* threads not yet out of wait() */
	unsigned int __pshared;  /* UTHREAD_PROCESS_SHARED: shared futexes */
} uthread_barrier_t;

/* Errors: EINVAL barrier is NULL, count is 0 or above INT_MAX, or attr is
 * not initialised (or destroyed). */
int uthread_barrier_init(uthread_barrier_t *barrier,
                         const uthread_barrierattr_t *attr, unsigned count);
/* Errors: EINVAL barrier is NULL, already destroyed, or zero-filled (never
 * initialised); EBUSY threads are waiting on it.  Waits for threads still
 * leaving the last round before it returns. */
int uthread_barrier_destroy(uthread_barrier_t *barrier);
/*
 * Wait until count threads have called it; then all return, one of them
 * (the last to arrive) with UTHREAD_BARRIER_SERIAL_THREAD, the others with
 * 0.  The barrier is ready for the next round at once.
 * Errors: EINVAL barrier is NULL, destroyed, or zero-filled (never
 * initialised).
 */
int uthread_barrier_wait(uthread_barrier_t *barrier);
/* Errors: EINVAL attr is NULL, or (destroy) not initialised or destroyed. */
int uthread_barrierattr_init(uthread_barrierattr_t *attr);
int uthread_barrierattr_destroy(uthread_barrierattr_t *attr);
/*
 * UTHREAD_PROCESS_SHARED: barriers made with attr may live in memory
 * shared between processes (shared futexes).  Default
 * UTHREAD_PROCESS_PRIVATE.
 * Errors: EINVAL attr (or the out pointer) is NULL, attr is not
 * initialised or was destroyed, or pshared is neither constant.
 */
int uthread_barrierattr_setpshared(uthread_barrierattr_t *attr, int pshared);
int uthread_barrierattr_getpshared(const uthread_barrierattr_t *attr, int *pshared);

/* ------------------------------------------------------------------ */
/* Semaphores                                                           */
/* ------------------------------------------------------------------ */

#define UTHREAD_SEM_VALUE_MAX 0x7fffffffu

typedef struct {
	unsigned int __value;   /* futex word: the value, bit 31 "wake sleepers" */
	unsigned int __waiters; /* threads in a wait */
	int __shared;           /* UTHREAD_PROCESS_SHARED: shared futexes */
	unsigned int __magic;
} uthread_sem_t;

/*
 * Errors: EINVAL sem is NULL, value > UTHREAD_SEM_VALUE_MAX, or pshared is
 * not 0 or 1.  pshared 1: sem may live in memory shared between processes.
 */
int uthread_sem_init(uthread_sem_t *sem, int pshared, unsigned value);
/* Errors: EINVAL sem is NULL, not initialised or already destroyed;
 * EBUSY threads wait on it.  Afterwards every call but init answers EINVAL. */
int uthread_sem_destroy(uthread_sem_t *sem);
/*
 * Decrement sem, sleeping while it is 0.  As sem_wait(3) on Linux, a signal
 * handler that runs during the sleep ends it with EINTR unless the handler
 * was installed with SA_RESTART (then the sleep goes on).
 * Errors: EINVAL sem is NULL, not initialised, or destroyed; EINTR a
 * signal handler ended the sleep (nothing taken).
 */
int uthread_sem_wait(uthread_sem_t *sem);
/* Errors: as wait, plus EAGAIN the value is 0. */
int uthread_sem_trywait(uthread_sem_t *sem);
/* Errors: as wait, plus EINVAL abstime is NULL or its tv_nsec is outside
 * [0, 1e9), checked even when the value is not 0; ETIMEDOUT abstime
 * (CLOCK_REALTIME) passed.  A handler ends the sleep with EINTR even with
 * SA_RESTART (the kernel does not restart a wait with a deadline). */
int uthread_sem_timedwait(uthread_sem_t *sem, const struct timespec *abstime);
/* uthread_sem_timedwait with abstime on clock clockid.  Errors: as
 * timedwait, plus EINVAL clockid is neither CLOCK_REALTIME nor
 * CLOCK_MONOTONIC (checked before the semaphore is tried). */
int uthread_sem_clockwait(uthread_sem_t *sem, clockid_t clockid,
                          const struct timespec *abstime);
/*
 * Increment sem and wake one sleeper.  Async-signal-safe.  A waiter that
 * takes the token may destroy, re-initialise, free or unmap sem at once:
 * post touches nothing of sem after its increment but the wake.
 * Errors: EINVAL sem is NULL, not initialised, or destroyed; EOVERFLOW the
 * value is already UTHREAD_SEM_VALUE_MAX.
 */
int uthread_sem_post(uthread_sem_t *sem);
/* Errors: EINVAL sem or value is NULL, or sem is not initialised or
 * destroyed. */
int uthread_sem_getvalue(uthread_sem_t *sem, int *value);

/* What uthread_sem_open returns on failure (as SEM_FAILED). */
#define UTHREAD_SEM_FAILED ((uthread_sem_t *)0)

/*
 * Named semaphores: a process-shared uthread_sem_t in the file
 * /dev/shm/sem.<name>, for the other uthread_sem_* functions (not
 * uthread_sem_destroy).  name: leading '/'s are dropped (as glibc); the
 * rest must be 1 to NAME_MAX bytes with no '/'.
 * uthread_sem_open(name, oflag) opens an existing one; with O_CREAT in
 * oflag it takes two more arguments, mode_t mode and unsigned value, and
 * creates it if missing (value, permissions mode less the umask; the file
 * appears complete or not at all), or fails with EEXIST if O_EXCL is set
 * too.  Opening the same file again in this process (under any spelling
 * of its name) returns the same pointer, counted: each open needs its
 * uthread_sem_close.
 * The one exception to this header's error convention, as sem_open(3):
 * returns UTHREAD_SEM_FAILED and sets errno: EINVAL name is NULL or not
 * a valid name, value > UTHREAD_SEM_VALUE_MAX (only when creating), or
 * the file is too short to be a semaphore; ENOENT no such semaphore and
 * no O_CREAT; EEXIST O_CREAT|O_EXCL and it exists; ENAMETOOLONG the file
 * name is too long for /dev/shm; EACCES permission denied; EAGAIN no
 * free temporary name; ENOMEM, EMFILE, ENFILE, ENOSPC ... from the
 * system.  Not a cancellation point.
 */
uthread_sem_t *uthread_sem_open(const char *name, int oflag, ...);
/* Drop one open of sem; the last one unmaps it (the semaphore lives on in
 * its file).  Errors: EINVAL sem is NULL or was not returned by
 * uthread_sem_open (or is closed as often as it was opened). */
int uthread_sem_close(uthread_sem_t *sem);
/* Remove the name; processes that have it open keep using it.  Errors:
 * ENOENT no such semaphore, or name is NULL or not a valid name (as
 * glibc's sem_unlink); EACCES permission denied; ENAMETOOLONG the file
 * name is too long. */
int uthread_sem_unlink(const char *name);

/* ------------------------------------------------------------------ */
/* Spinlocks                                                            */
/* ------------------------------------------------------------------ */

typedef unsigned int uthread_spinlock_t;

/*
 * Errors (all): EINVAL lock is NULL (init: or pshared is not 0 or 1).
 * A spin lock keeps no owner (as glibc's): its holder locking it again
 * spins until some thread unlocks it, and an unlock by a thread that does
 * not hold it, or a second destroy, is not detected.
 */
int uthread_spin_init(uthread_spinlock_t *lock, int pshared);
/* EBUSY: lock is held. */
int uthread_spin_destroy(uthread_spinlock_t *lock);
/* Spins (with a pause instruction) until the lock is free. */
int uthread_spin_lock(uthread_spinlock_t *lock);
/* EBUSY: lock is held (by the caller too). */
int uthread_spin_trylock(uthread_spinlock_t *lock);
int uthread_spin_unlock(uthread_spinlock_t *lock);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif /* UTHREAD_H */
