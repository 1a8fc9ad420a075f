/* SPDX-License-Identifier: MIT */
/*
 * create.c - uthread_create(): a descriptor, a thread block, a complete libc
 * thread block, then one raw clone.  Also the new thread's first C code.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "annotate.h"
#include "futex.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
                      CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |       \
                      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

/* t->setup bits and t->go values: see struct uthread. */
#define SETUP_MASK UTHREAD__SETUP_MASK
#define SETUP_WAIT UTHREAD__SETUP_WAIT
#define GO_RUN     1u
#define GO_FAIL    2u

static long sigmask_set(const uint64_t *set, uint64_t *old)
{
	/* The raw call: the kernel's sigset is 8 bytes, libc's 128. */
	return syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, old, sizeof(uint64_t));
}

/*
 * Every signal but glibc's own two (32, SIGCANCEL, and 33, SIGSETXID):
 * the mask across a clone whose child must run no handler of the
 * program's before its attributes are in force.  SIGSETXID stays open,
 * or a set*id() call, which holds glibc's stack-list lock while it
 * waits for every listed thread to answer its signal, would wait for
 * ever on a creator waiting for that lock (or on a refused child, on
 * its way out through the same lock).  Nobody can cancel the child yet.
 */
static const uint64_t all_but_libc = ~(uint64_t)0 & ~((uint64_t)3 << 31);

/* Under valgrind only (see start()): every signal blocked across the
 * clone, the old mask kept in *old. */
static inline void vg_block_signals(uint64_t *old)
{
	static const uint64_t all = ~(uint64_t)0;

	(void)all;
	(void)old;
	UTHREAD__VG(sigmask_set(&all, old));
}

static inline void vg_restore_signals(const uint64_t *old)
{
	(void)old;
	UTHREAD__VG(sigmask_set(old, NULL));
}

/*
 * The child's side of an attr asking for scheduling or affinity: wait for
 * the creator to apply them to our tid.  Returns nonzero if the kernel
 * refused: we then end at once, detached, and our creator returns the
 * error.
 */
static int setup_wait(struct uthread *self)
{
	uint32_t go;

	/* Acquire: pairs with the creator's release store of go. */
	while ((go = __atomic_load_n(&self->go, __ATOMIC_ACQUIRE)) == 0)
		(void)uthread__futex_wait(&self->go, 0, 1, CLOCK_MONOTONIC, NULL);
	UTHREAD__HAPPENS_AFTER(&self->go);
	return go == GO_FAIL;
}

/* The creator's side: the attr's policy, priority and affinity, applied
 * to the waiting child's tid (as glibc does, from the creator). */
static int setup_apply(const uthread_attr_t *attr, pid_t tid)
{
	if (attr->__inheritsched == UTHREAD_EXPLICIT_SCHED) {
		struct sched_param sp;
		int policy;

		/* What the attr leaves unset comes from the creator (glibc's
		 * collect_default_sched). */
		memset(&sp, 0, sizeof sp);
		if (attr->__flags & UTHREAD__ATTR_POLICY_SET) {
			policy = attr->__policy;
		} else {
			policy = sched_getscheduler(0);
			if (policy < 0)
				return errno;
		}
		if (attr->__flags & UTHREAD__ATTR_PARAM_SET)
			sp.sched_priority = attr->__priority;
		else if (sched_getparam(0, &sp) != 0)
			return errno;
		if (syscall(SYS_sched_setscheduler, tid, policy, &sp) != 0)
			return errno;
	}
	if (attr->__cpuset &&
	    syscall(SYS_sched_setaffinity, tid, attr->__cpusetsize, attr->__cpuset) != 0)
		return errno;
	return 0;
}

/*
 * The new thread's first C function, entered from the clone trampoline.
 * Signals are not blocked across the clone (that cost three system calls
 * per thread: block, restore in the parent, restore in the child): the
 * child starts with its creator's mask, as POSIX asks, and what a handler
 * could need before this function has run is in place before the clone:
 * the TLS (CLONE_SETTLS), our descriptor pointer and the ctype pointers
 * (uthread__tcb_build), and glibc's tid word, which the kernel writes
 * before the child runs (CLONE_PARENT_SETTID points at it).  Under
 * valgrind the tools must hear of the thread before anything runs in it:
 * there the creator blocks every signal and we restore the mask here.
 */
static void start(void *arg)
{
	struct uthread *self = arg;
	pid_t tid = *uthread__tcb_tid(self->blk->tp);

	/* Unless the creator has stored it already. */
	uthread__desc_set_tid(self, UTHREAD__WORD_GEN(__atomic_load_n(&self->word,
	                                                              __ATOMIC_RELAXED)),
	                      tid);
	uthread__tid_cache = tid;
	uthread__tcb_enter();
	UTHREAD__THREAD_START(self->vg_id,
	                      UTHREAD__WORD_STATE(__atomic_load_n(&self->word, __ATOMIC_RELAXED))
	                      != UTHREAD__DETACHED);
	/* Release: uthread_cancel under DRD waits for this (cancel.c). */
	__atomic_store_n(&self->announced, 1, __ATOMIC_RELEASE);
	if (__builtin_expect(self->setup != 0, 0)) {
		/* Every signal is blocked (the creator blocked them across the
		 * clone): no handler runs before the attributes are in force. */
		if ((self->setup & SETUP_WAIT) && setup_wait(self))
			uthread__end(NULL); /* glibc's signals open: see all_but_libc */
		sigmask_set(&self->sigmask, NULL);
	} else {
		vg_restore_signals(&self->sigmask);
	}
	/*
	 * Where glibc's pthread_exit (called by the start routine or anything
	 * it calls) unwinds the stack to, as in glibc's own start_thread: the
	 * buffer's private words (previous buffer, old-style cleanup) empty.
	 */
	__pthread_unwind_buf_t unwind;
	/* The buffer is smaller than a jmp_buf: no signal mask is saved
	 * (savemask 0), as in glibc's start_thread, which silences the same
	 * warning.  A jmp_buf here would make this frame 100 bytes deeper
	 * than a pthread's first frame. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
	if (__sigsetjmp((struct __jmp_buf_tag *)(void *)unwind.__cancel_jmp_buf, 0) == 0) {
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
		memset(unwind.__pad, 0, sizeof unwind.__pad);
		uthread__tcb_set_unwind_buf(&unwind);
		uthread__end(self->start(self->arg));
	}
	uthread__end(uthread__tcb_exit_value());
}

static inline __attribute__((__always_inline__)) int
create(uthread_t *thread, const uthread_attr_t *attr,
       void *(*start_routine)(void *), void *arg)
{
	struct uthread *t;
	struct uthread__block *b;
	uthread_t handle;
	int detached, r;
	long tid;
	uint32_t setup;

	if (!thread || !start_routine || (attr && !uthread__attr_valid(attr)))
		return EINVAL;
	r = uthread__ensure_init();
	if (r)
		return r;
	detached = attr && attr->__detachstate == UTHREAD_CREATE_DETACHED;
	setup = 0;
	if (attr) {
		if (attr->__flags & UTHREAD__ATTR_SIGMASK_SET)
			setup |= SETUP_MASK;
		if (attr->__inheritsched == UTHREAD_EXPLICIT_SCHED || attr->__cpuset)
			setup |= SETUP_WAIT | SETUP_MASK;
		if (attr->__inheritsched == UTHREAD_EXPLICIT_SCHED)
			setup |= UTHREAD__SETUP_EXPLICIT;
	}

	t = uthread__desc_alloc();
	if (!t)
		return EAGAIN;
	r = uthread__block_acquire(attr, &b);
	if (r) {
		uthread__desc_free(t);
		return r;
	}
	r = uthread__tcb_build(b, t);
	if (r) {
		uthread__block_release(b);
		uthread__desc_free(t);
		return r;
	}
	/* The kernel writes and clears the tid words; everyone else only
	 * reads them, atomically. */
	UTHREAD__IGNORE(uthread__tcb_tid(b->tp), sizeof(int));
	UTHREAD__IGNORE(&t->tid, sizeof t->tid);
	/* A futex word, touched only atomically (the child's start()). */
	UTHREAD__IGNORE(&t->go, sizeof t->go);
	t->blk = b;
	t->vg_id = b->tp;
	t->pd = b->tp;
	/* Relaxed: the release store of the state below publishes it. */
	__atomic_store_n(&t->announced, 0, __ATOMIC_RELAXED);
	/* Not yet known: see uthread__desc_set_tid. */
	t->tid = uthread__tid_unknown(UTHREAD__WORD_GEN(t->word));
	t->start = start_routine;
	t->arg = arg;
	t->result = NULL;
	t->setup = setup;
	/* Relaxed: clone orders it before the child's first load. */
	__atomic_store_n(&t->go, 0, __ATOMIC_RELAXED);
	/*
	 * Release: the child (and any joiner holding the handle) sees the
	 * fields above once it sees the new state.  The handle is taken now:
	 * a detached child may end and free the slot before clone returns.
	 */
	__atomic_store_n(&t->word,
	                 UTHREAD__WORD(UTHREAD__WORD_GEN(t->word),
	                               detached ? UTHREAD__DETACHED : UTHREAD__JOINABLE),
	                 __ATOMIC_RELEASE);
	handle = uthread__handle(t);
	uthread__live_inc();
	/* Counted before it runs, as pthread_create does: a creator that
	 * ends at once must not find itself the process's last thread. */
	uthread__tcb_count_thread();

	/* The parent's copy of its mask is local: a detached child may end
	 * and free t before clone returns here. */
	uint64_t old_mask = 0;
	if (setup) {
		/*
		 * Every signal blocked across the clone, so the child runs no
		 * handler before start() has installed the attr's mask (or,
		 * once its scheduling is applied, ours).  The kernel's sigset is
		 * the first 8 bytes of sigset_t.
		 */
		uint64_t want;

		sigmask_set(&all_but_libc, &old_mask);
		if (attr->__flags & UTHREAD__ATTR_SIGMASK_SET)
			memcpy(&want, &attr->__sigmask, sizeof want);
		else
			want = old_mask;
		t->sigmask = want;
	} else {
		vg_block_signals(&old_mask);
		t->sigmask = old_mask;
	}
	/*
	 * The TCB's tid word is what join sleeps on and the kernel clears at
	 * exit (CLONE_CHILD_CLEARTID).  The kernel also writes the new tid
	 * into it (CLONE_PARENT_SETTID) before clone returns and before the
	 * child can run, so glibc (raise, pthread_kill, its mutexes) finds it
	 * from the child's first instruction on.
	 */
	/*
	 * On glibc's books (its list of thread blocks in use) from before the
	 * clone, under glibc's lock held across the clone: a set*id() call,
	 * which walks the list under that lock and changes every listed
	 * thread's credentials, comes either before (the creator's new ones
	 * are copied into the child) or after (the child is listed, with the
	 * tid the kernel wrote), never in between.
	 */
	uthread__books_lock();
	uthread__books_add(b->tp);
	tid = uthread__clone(THREAD_FLAGS, b->stack_top, uthread__tcb_tid(b->tp),
	                     uthread__tcb_tid(b->tp), b->tp, start, t);
	if (tid < 0)
		uthread__books_del(b->tp);
	uthread__books_unlock();
	if (setup)
		sigmask_set(&old_mask, NULL);
	else
		vg_restore_signals(&old_mask);
	if (tid < 0) {
		/* No thread ran: the word must read "ended" for the cache. */
		*uthread__tcb_tid(b->tp) = 0;
		(void)uthread__tcb_uncount_thread();
		uthread__live_dec();
		uthread__tcb_release(b->tp, t);
		uthread__block_release(b);
		uthread__desc_free(t);
		/* EAGAIN: RLIMIT_NPROC or pid limit; ENOMEM: kernel memory. */
		return tid == -ENOMEM || tid == -EAGAIN ? EAGAIN : (int)-tid;
	}
	uthread__desc_set_tid(t, (uint32_t)(handle >> 32), (pid_t)tid);
	if (setup & SETUP_WAIT) {
		/* The child waits in start(): its tid is its own until we let
		 * it go, and nobody else has its handle yet. */
		r = setup_apply(attr, (pid_t)tid);
		if (r)
			/* Refused: the child ends detached, freeing itself, and
			 * the caller gets no handle.  Release: with go below. */
			__atomic_store_n(&t->word,
			                 UTHREAD__WORD((uint32_t)(handle >> 32),
			                               UTHREAD__DETACHED),
			                 __ATOMIC_RELEASE);
		UTHREAD__HAPPENS_BEFORE(&t->go);
		/* Release: the child reads the state above once it sees go. */
		__atomic_store_n(&t->go, r ? GO_FAIL : GO_RUN, __ATOMIC_RELEASE);
		/* The slot may be free (even reused) by now: a descriptor is
		 * never unmapped, and a waiter on go re-checks it, so a late
		 * wake is harmless. */
		(void)uthread__futex_wake(&t->go, 1, 1);
		if (r)
			return r;
	}
	*thread = handle;
	return 0;
}

int uthread_create(uthread_t *thread, const uthread_attr_t *attr,
                   void *(*start_routine)(void *), void *arg)
{
	/* Relaxed: a create racing with setattr_default_np may see either
	 * defaults; uthread__attr_default reads them under its lock. */
	if (!attr && __builtin_expect(__atomic_load_n(&uthread__attr_default_set,
	                                               __ATOMIC_RELAXED), 0)) {
		uthread_attr_t copy;
		int r = uthread__attr_default(&copy);

		if (r)
			return r;
		r = create(thread, &copy, start_routine, arg);
		free(copy.__cpuset);
		return r;
	}
	return create(thread, attr, start_routine, arg);
}
