/* SPDX-License-Identifier: MIT */
/*
 * join.c - uthread_join(): claim a thread's remains, sleep on the tid word
 * the kernel clears, then free the thread block and the slot.
 */
#include <errno.h>
#include <stddef.h>

#include "internal.h"
#include "futex.h"
#include "annotate.h"

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
	uthread__reclaim(t, retval);
	return 0;
}
