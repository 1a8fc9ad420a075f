/* SPDX-License-Identifier: MIT */
/*
 * exit.c - uthread_exit(): the end of a thread, joinable or detached, and
 * the count of live uthreads that lets the main thread exit early.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "futex.h"
#include "lock.h"
#include "annotate.h"

static uint32_t live;         /* uthreads created and not yet ended */
static uint32_t main_waiting; /* 1 once main sleeps in uthread_exit */

/* Both words are touched only atomically (live is a futex word): tell
 * helgrind and DRD they are no data race, before any thread uses them. */
static void live_words_are_atomic(void)
{
	UTHREAD__IGNORE(&live, sizeof live);
	UTHREAD__IGNORE(&main_waiting, sizeof main_waiting);
}

void uthread__live_inc(void)
{
	live_words_are_atomic();
	/* Relaxed: only the count matters; main re-reads it under futex. */
	__atomic_fetch_add(&live, 1, __ATOMIC_RELAXED);
}

void uthread__live_dec(void)
{
	/*
	 * seq_cst on both sides (here: decrement, then read main_waiting;
	 * main: set main_waiting, then read live) so at least one of us sees
	 * the other: either we see main waiting and wake it, or main sees 0.
	 */
	if (__atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST) == 0 &&
	    __atomic_load_n(&main_waiting, __ATOMIC_SEQ_CST))
		uthread__futex_wake(&live, INT_MAX, 1);
}

void uthread__live_atfork_child(void)
{
	struct uthread *self = uthread__self_desc;
	int st = self ? UTHREAD__WORD_STATE(self->word) : UTHREAD__MAIN;

	/*
	 * Only the forking thread lives on in the child.  Atomic stores, as
	 * everywhere else: the parent's threads (a detached one ending just
	 * before the fork, say) changed these words with no order to us.
	 */
	live_words_are_atomic();
	__atomic_store_n(&live, (st == UTHREAD__MAIN || st == UTHREAD__FOREIGN ||
	                         st == UTHREAD__ENDING) ? 0 : 1,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&main_waiting, 0, __ATOMIC_RELAXED);
}

static void main_exit(void *retval)
{
	uint32_t n;

	__atomic_store_n(&main_waiting, 1, __ATOMIC_SEQ_CST);
	while ((n = __atomic_load_n(&live, __ATOMIC_SEQ_CST)) != 0)
		(void)uthread__futex_wait(&live, n, 1, CLOCK_MONOTONIC, NULL);
	/* No uthread is left; glibc ends the process once its own threads
	 * (if any) have ended, with status 0. */
	pthread_exit(retval);
}

/*
 * In a uthread: glibc's pthread_exit, which stores the value in the
 * thread block and unwinds the stack (cleanup handlers innermost first,
 * C++ destructors of stack objects) to the buffer start() set up, which
 * then ends the thread through uthread__end.  Cancellation ends a thread
 * the same way.  In a thread uthread did not create, pthread_exit too.
 */
void uthread_exit(void *retval)
{
	struct uthread *self = uthread__self();

	if (self && UTHREAD__WORD_STATE(self->word) == UTHREAD__MAIN) {
		/* An init main runs for uthread_once will never finish: the
		 * next caller starts it over (glibc's pthread_once does too). */
		uthread__once_abandon_all();
		uthread__keys_run_destructors();
		/* A joiner of main gets the value now, not when every
		 * uthread (the joiner among them) has ended. */
		uthread__main_exited(retval);
		main_exit(retval);
	}
	pthread_exit(retval);
}

/* The end of a uthread, once its stack is unwound or its start routine
 * has returned: destructors, then the remains go to a joiner or back. */
void uthread__end(void *retval)
{
	static const uint64_t all = ~(uint64_t)0;
	struct uthread *self = uthread__self_desc;
	struct uthread__block *b;
	uint64_t w;

	/* No cancellation acts from here on (a destructor's read() must not
	 * unwind into start() again): glibc's pthread_exit has already made
	 * it so, a start routine's return has not. */
	(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	/* An init this thread runs for uthread_once will never finish: the
	 * next caller starts it over (glibc's pthread_once does the same). */
	uthread__once_abandon_all();
	self->result = retval;
	/* glibc's order: C++ thread_local destructors, then keys. */
	uthread__tcb_leave();
	uthread__keys_run_destructors();
	/* The process's last thread ends it as if by exit(0) (POSIX), with
	 * atexit handlers and stdio flushed: in a fork child, say, or after
	 * main called pthread_exit. */
	if (uthread__tcb_uncount_thread())
		exit(0);
	b = self->blk;
	/* From now on uthread_gettid answers ESRCH.  Relaxed: readers
	 * re-check the generation, not an ordering with our other stores.
	 * Under the exit lock: a uthread_kill that read our tid before has
	 * sent its signal by now (to us, still alive). */
	uthread__lock(&self->exit_lock);
	__atomic_store_n(&self->tid, 0, __ATOMIC_RELAXED);
	uthread__unlock(&self->exit_lock);

	/*
	 * Decide who frees the remains.  Competing party: a detacher.  If our
	 * CAS JOINABLE -> EXITED wins, a later detach sees EXITED and reclaims
	 * for us; if the detacher won (DETACHED), we free ourselves.  A joiner
	 * that got there first (JOINING) already owns the reclaim.  Release:
	 * the joiner reads result after observing our state or tid.
	 */
	w = __atomic_load_n(&self->word, __ATOMIC_ACQUIRE);
	while (UTHREAD__WORD_STATE(w) == UTHREAD__JOINABLE &&
	       !__atomic_compare_exchange_n(
		       &self->word, &w,
		       UTHREAD__WORD(UTHREAD__WORD_GEN(w), UTHREAD__EXITED), 0,
		       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	/*
	 * Off glibc's books: from here on no dlclose waits for us, no set*id
	 * signals us (one under way holds the lock until it is done, and our
	 * handler answers it while we wait), and our block may be reused once
	 * the kernel clears our tid.  Signals are still open: a set*id call
	 * must be able to reach us until we are off the list.
	 */
	uthread__books_lock();
	uthread__books_del(b->tp);
	uthread__books_unlock();
	if (UTHREAD__WORD_STATE(w) != UTHREAD__DETACHED) {
		UTHREAD__HAPPENS_BEFORE(uthread__tcb_tid(b->tp));
		uthread__live_dec();
		/* The kernel clears the tid word and wakes the joiner. */
		for (;;)
			syscall(SYS_exit, 0);
	}

	/*
	 * Detached: free everything ourselves.  From here on no signal
	 * handler may run: the slot and the libc TLS are being taken apart.
	 * DRD learns it here, from us, whether we were created detached or
	 * detached later: uthread_detach may run before we told DRD who we
	 * are (create.c), and then its word would name no thread.
	 */
	UTHREAD__THREAD_DETACHED(self->vg_id);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(uint64_t));
	uthread__tcb_release(b->tp, self);
	uthread__desc_free(self);
	uthread__live_dec();
	/*
	 * A caller's stack: the caller owns it.  Parked: reused only after the
	 * kernel clears our tid word.  A thread still holding robust mutexes
	 * parks even in a full cache: unmapping would hide its robust list
	 * from the kernel, and those mutexes would never become owner-dead.
	 */
	uthread__block_trim_self(b);
	if (b->map_size == 0 ||
	    uthread__block_park(b, uthread__tcb_holds_robust(b->tp))) {
		for (;;)
			syscall(SYS_exit, 0);
	}
	uthread__tcb_forget_kernel_links();
	uthread__unmap_and_exit(b->map_base, b->map_size);
}
