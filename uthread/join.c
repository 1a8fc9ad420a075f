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

/* A joiner cancelled while it waited: the thread stays joinable. */
struct join_undo {
	struct uthread *t;
	uint32_t gen;
};

static void join_cancelled(void *arg)
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

/* Sleep until the kernel clears t's tid word; a cancellation point. */
static void wait_cancellable(struct uthread *t, uint32_t gen)
{
	int *tidp = uthread__tcb_tid(t->blk->tp);
	struct join_undo u = { t, gen };
	int tid;

	/* Acquire: as in uthread__reclaim. */
	if (__atomic_load_n(tidp, __ATOMIC_ACQUIRE) == 0)
		return;
	pthread_cleanup_push(join_cancelled, &u);
	int old = uthread__cancel_async_begin();
	/* Shared futex: the kernel's wake at thread exit is not private. */
	while ((tid = __atomic_load_n(tidp, __ATOMIC_ACQUIRE)) != 0)
		(void)uthread__futex_wait((uint32_t *)tidp, (uint32_t)tid, 0,
		                          CLOCK_MONOTONIC, NULL);
	uthread__cancel_async_end(old);
	pthread_cleanup_pop(0);
}

int uthread_join(uthread_t thread, void **retval)
{
	uint32_t gen;
	struct uthread *t = uthread__desc_lookup(thread, &gen);
	struct uthread *self;
	uint64_t w;

	if (!t)
		return ESRCH;
	self = uthread__self();
	if (t == self && UTHREAD__WORD_GEN(self->word) == gen)
		return EDEADLK;
	/* A cancellation point: a pending cancel acts before the claim. */
	pthread_testcancel();
	/*
	 * Claim the reclaim.  Competing parties: a second joiner or a
	 * detacher (whoever moves the state first wins; the other gets
	 * EINVAL), and the thread itself moving JOINABLE -> EXITED (harmless:
	 * we retry from EXITED).  The generation in the same word makes a
	 * stale handle fail here.
	 */
	w = __atomic_load_n(&t->word, __ATOMIC_ACQUIRE);
	for (;;) {
		int st = UTHREAD__WORD_STATE(w);
		if (UTHREAD__WORD_GEN(w) != gen ||
		    (st != UTHREAD__JOINABLE && st != UTHREAD__EXITED))
			return EINVAL;
		if (__atomic_compare_exchange_n(&t->word, &w,
		                                UTHREAD__WORD(gen, UTHREAD__JOINING), 0,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			break;
	}
	wait_cancellable(t, gen);
	uthread__reclaim(t, retval);
	return 0;
}
