/* SPDX-License-Identifier: MIT */
/*
 * join.c - uthread_join(): claim a thread's remains, sleep on the tid word
 * the kernel clears, then free the thread block and the slot.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "futex.h"
#include "annotate.h"
#include "lock.h"

/* t is in state JOINING and owned by the caller: wait for it and free it. */
void uthread__reclaim(struct uthread *t, void **retval)
{
	struct uthread__block *b = t->blk;
	int *tidp = uthread__tcb_tid(b->tp);
	int tid;

	/*
	 * Acquire: once the kernel's zero is seen, every store the thread made
	 * (its result above all) is visible.  Shared futex: the kernel's wake
	 * at thread exit is not a private one.
	 */
	while ((tid = __atomic_load_n(tidp, __ATOMIC_ACQUIRE)) != 0)
		(void)uthread__futex_wait((uint32_t *)tidp, (uint32_t)tid, 0,
		                          CLOCK_MONOTONIC, NULL);
	UTHREAD__HAPPENS_AFTER(tidp);
	if (t->vg_id) /* NULL: a parent's thread, in a fork child */
		UTHREAD__THREAD_JOINED(t->vg_id);
	if (retval)
		*retval = t->result;
	uthread__tcb_release(b->tp, t);
	uthread__block_release(b);
	uthread__desc_free(t);
}

/* A joiner that stops waiting (cancelled, or out of time): the thread
 * stays joinable. */
struct join_undo {
	struct uthread *t;
	uint32_t gen;
};

static void unclaim(void *arg)
{
	struct join_undo *u = arg;
	struct uthread *t = u->t;
	uint64_t all = ~(uint64_t)0, old;

	/*
	 * Only the claiming joiner moves the state out of JOINING.  Back to
	 * JOINABLE, unless the thread has already cleared its tid: then it
	 * may have seen JOINING and left its remains for us, and it must
	 * read as EXITED, for a later join or detach to collect them.  Under
	 * its exit lock (signals blocked, as uthread_kill has it): the
	 * thread cannot clear its tid between our look and our store.
	 */
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(uint64_t));
	uthread__lock(&t->exit_lock);
	int ended = __atomic_load_n(&t->tid, __ATOMIC_RELAXED) == 0;
	/* Release: a later joiner or detacher sees what we saw. */
	__atomic_store_n(&t->word,
	                 UTHREAD__WORD(u->gen, ended ? UTHREAD__EXITED : UTHREAD__JOINABLE),
	                 __ATOMIC_RELEASE);
	uthread__unlock(&t->exit_lock);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(uint64_t));
}

/* Sleep until the kernel clears *tidp, or abstime (on clockid) passes:
 * 0, ETIMEDOUT or EINVAL (a bad time). */
static int sleep_until_gone(int *tidp, clockid_t clockid,
                            const struct timespec *abstime)
{
	int tid;

	/* Acquire: as in uthread__reclaim.  Shared futex: the kernel's wake
	 * at thread exit is not a private one. */
	while ((tid = __atomic_load_n(tidp, __ATOMIC_ACQUIRE)) != 0) {
		int r = uthread__futex_wait((uint32_t *)tidp, (uint32_t)tid, 0,
		                            clockid, abstime);
		if (r == ETIMEDOUT || r == EINVAL)
			return r;
	}
	return 0;
}

/*
 * The same for thread t, as a cancellation point.  0, or ETIMEDOUT or
 * EINVAL with the claim undone.
 */
static int wait_cancellable(struct uthread *t, uint32_t gen, clockid_t clockid,
                            const struct timespec *abstime)
{
	int *tidp = uthread__tcb_tid(t->blk->tp);
	struct join_undo u = { t, gen };
	int r;

	/* Acquire: as in uthread__reclaim. */
	if (__atomic_load_n(tidp, __ATOMIC_ACQUIRE) == 0)
		return 0;
	pthread_cleanup_push(unclaim, &u);
	int old = uthread__cancel_async_begin();
	r = sleep_until_gone(tidp, clockid, abstime);
	uthread__cancel_async_end(old);
	pthread_cleanup_pop(r != 0);
	return r;
}

/* All the joins: block says whether to wait for a running thread
 * (EBUSY if not), abstime (NULL: no limit) on clockid how long. */
static int join(uthread_t thread, void **retval, int block, clockid_t clockid,
                const struct timespec *abstime)
{
	uint32_t gen;
	struct uthread *t = uthread__desc_lookup(thread, &gen);
	struct uthread *self;
	uint64_t w;

	if (!t)
		return ESRCH;
	self = uthread__self();
	/* Try, as glibc's: a thread still running is busy, before any other
	 * check (the caller itself, a detached thread).  Main has its own
	 * join state, which says whether it has called uthread_exit. */
	w = __atomic_load_n(&t->word, __ATOMIC_ACQUIRE);
	if (!block && UTHREAD__WORD_GEN(w) == gen &&
	    (UTHREAD__WORD_STATE(w) == UTHREAD__MAIN ? t == self
	                                             : uthread__desc_tid(t, gen) > 0))
		return EBUSY;
	if (t == self && UTHREAD__WORD_GEN(self->word) == gen)
		return EDEADLK;
	/* A cancellation point (not the try): a pending cancel acts before
	 * the claim. */
	if (block)
		pthread_testcancel();
	/*
	 * Claim the reclaim.  Competing parties: a second joiner or a
	 * detacher (whoever moves the state first wins; the other gets
	 * EINVAL), and the thread itself moving JOINABLE -> EXITED (harmless:
	 * we retry from EXITED).  The generation in the same word makes a
	 * stale handle (joined, or ended detached) fail here, with ESRCH.
	 */
	w = __atomic_load_n(&t->word, __ATOMIC_ACQUIRE);
	for (;;) {
		int st = UTHREAD__WORD_STATE(w);
		if (UTHREAD__WORD_GEN(w) != gen || st == UTHREAD__FREE ||
		    st == UTHREAD__ENDING)
			return ESRCH; /* joined, or ended detached or foreign */
		if (st == UTHREAD__MAIN)
			return uthread__main_join(retval, block, clockid, abstime);
		if (st != UTHREAD__JOINABLE && st != UTHREAD__EXITED)
			return EINVAL;
		/* Try: a thread still running (its tid not yet cleared on
		 * its way out, or not yet known) is busy. */
		if (!block && st == UTHREAD__JOINABLE &&
		    uthread__desc_tid(t, gen) != 0)
			return EBUSY;
		if (__atomic_compare_exchange_n(&t->word, &w,
		                                UTHREAD__WORD(gen, UTHREAD__JOINING), 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	if (block) {
		/* Past its end (uthread_gettid says ESRCH), only moments from
		 * the kernel's wake: it has ended, and is joined whatever
		 * abstime says.  Relaxed: the tid word the wait reads orders
		 * the reclaim. */
		if (__atomic_load_n(&t->tid, __ATOMIC_RELAXED) == 0)
			abstime = NULL;
		int r = wait_cancellable(t, gen, clockid, abstime);
		if (r)
			return r;
	}
	uthread__reclaim(t, retval);
	return 0;
}

int uthread_join(uthread_t thread, void **retval)
{
	return join(thread, retval, 1, CLOCK_REALTIME, NULL);
}

int uthread_tryjoin_np(uthread_t thread, void **retval)
{
	return join(thread, retval, 0, CLOCK_REALTIME, NULL);
}

int uthread_timedjoin_np(uthread_t thread, void **retval,
                         const struct timespec *abstime)
{
	return join(thread, retval, 1, CLOCK_REALTIME, abstime);
}

int uthread_clockjoin_np(uthread_t thread, void **retval, clockid_t clockid,
                         const struct timespec *abstime)
{
	/* Checked first, as glibc does, whether the thread has ended or not. */
	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
		return EINVAL;
	return join(thread, retval, 1, clockid, abstime);
}
