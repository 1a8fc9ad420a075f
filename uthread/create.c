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
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "annotate.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | \
                      CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |       \
                      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

static __attribute__((__unused__)) long sigmask_set(const uint64_t *set, uint64_t *old)
{
	/* The raw call: the kernel's sigset is 8 bytes, libc's 128. */
	return syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, old, sizeof(uint64_t));
}

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
	vg_restore_signals(&self->sigmask);
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

int uthread_create(uthread_t *thread, const uthread_attr_t *attr,
                   void *(*start_routine)(void *), void *arg)
{
	struct uthread *t;
	struct uthread__block *b;
	uthread_t handle;
	int detached, r;
	long tid;

	if (!thread || !start_routine || (attr && !uthread__attr_valid(attr)))
		return EINVAL;
	r = uthread__ensure_init();
	if (r)
		return r;
	detached = attr && attr->__detachstate == UTHREAD_CREATE_DETACHED;

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
	vg_block_signals(&old_mask);
	t->sigmask = old_mask;
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
	*thread = handle;
	return 0;
}
