/* SPDX-License-Identifier: MIT */
/*
 * detach.c - uthread_detach(): let a thread free itself when it ends, or,
 * if it already decided to leave its remains to a joiner, free them now.
 */
#include <errno.h>

#include "internal.h"

int uthread_detach(uthread_t thread)
{
	uint32_t gen;
	struct uthread *t = uthread__desc_lookup(thread, &gen);
	uint64_t w;

	if (!t)
		return ESRCH;
	/*
	 * Competing parties: the thread's own exit (JOINABLE -> EXITED) and a
	 * joiner (-> JOINING).  If we move JOINABLE -> DETACHED first, the
	 * thread frees itself; if it already reached EXITED, we reclaim it as
	 * a join would; a joiner that won makes us answer EINVAL.  The main
 * thread has its own join state (mainjoin.c).
	 */
	w = __atomic_load_n(&t->word, __ATOMIC_ACQUIRE);
	for (;;) {
		int st = UTHREAD__WORD_STATE(w);
		int next;
		if (UTHREAD__WORD_GEN(w) != gen || st == UTHREAD__FREE ||
		    st == UTHREAD__ENDING)
			return ESRCH; /* joined, or ended detached or foreign */
		if (st == UTHREAD__MAIN)
			return uthread__main_detach();
		if (st == UTHREAD__JOINABLE)
			next = UTHREAD__DETACHED;
		else if (st == UTHREAD__EXITED)
			next = UTHREAD__JOINING;
		else
			return EINVAL;
		if (__atomic_compare_exchange_n(&t->word, &w, UTHREAD__WORD(gen, next),
		                                0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			/* DETACHED: the thread tells DRD itself, on its way
			 * out (exit.c); it may not have introduced itself to
			 * DRD yet, so a word from us could name no thread. */
			if (next == UTHREAD__JOINING)
				uthread__reclaim(t, NULL);
			return 0;
		}
	}
}
