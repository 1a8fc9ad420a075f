/* SPDX-License-Identifier: MIT */
/*
 * backoff.h - the bounded wait in user space that a mutex or condition
 * variable tries before it sleeps in the kernel, and the per-object hint
 * that turns it off where it keeps failing.
 *
 * Between two looks at the shared word the waiter only executes `pause`,
 * twice as many each time: it does not touch the word's cache line, so
 * the thread that holds the lock keeps the line and runs at full speed,
 * and the word stays "uncontended", so that thread's unlock makes no
 * system call.  A system call here costs 1-2 us and waking a thread that
 * sleeps on the other CPU tens of us; the whole budget is about 6 us
 * (10 looks, at most 64 pauses apart; a pause is ~18 ns on this Xeon).
 * A read-only spin that looks after every pause was measured too and
 * lost: each look pulls the line away from the owner.
 *
 * The spin only pays when the thread we wait for is running on another
 * CPU.  When the CPUs are busy with other work it usually is not, and
 * every spin is then 6 us thrown away (measured: 3x slower condition
 * variable ping-pong).  So each object keeps a hint, __spin: the number
 * of spins in a row that ran out.  From UTHREAD__BACKOFF_MISSES on, only
 * one slow path in UTHREAD__BACKOFF_PROBE spins, to notice when spinning
 * works again; a spin that succeeds clears the hint.  The hint is read
 * and written with relaxed atomics and no read-modify-write: a lost
 * update only changes how long one waiter spins, never correctness.
 *
 * Under valgrind, which runs one thread at a time, spinning only burns
 * time: no spin, and the hint is left alone.
 */
#ifndef UTHREAD_BACKOFF_H
#define UTHREAD_BACKOFF_H

#include "annotate.h"
#include "arch.h"

#define UTHREAD__BACKOFF_LOOKS      10
#define UTHREAD__BACKOFF_MAX_PAUSES 64
#define UTHREAD__BACKOFF_MISSES     4
#define UTHREAD__BACKOFF_PROBE      16

struct uthread__backoff {
	unsigned looks;  /* looks left */
	unsigned pauses; /* pauses before the next look */
	unsigned *hint;  /* the object's __spin; NULL: not spinning */
};

static inline struct uthread__backoff uthread__backoff_start(unsigned *hint)
{
	struct uthread__backoff b = { 0, 1, NULL };
	unsigned s;

	if (UTHREAD__RUNNING_ON_VALGRIND())
		return b;
	s = __atomic_load_n(hint, __ATOMIC_RELAXED);
	if (s >= UTHREAD__BACKOFF_MISSES) {
		/* Counting the skipped ones paces the probes. */
		__atomic_store_n(hint, s + 1, __ATOMIC_RELAXED);
		if ((s + 1) % UTHREAD__BACKOFF_PROBE != 0)
			return b;
	}
	b.looks = UTHREAD__BACKOFF_LOOKS;
	b.hint = hint;
	return b;
}

/*
 * Wait a little; 1: look at the word again, 0: the budget is spent (a
 * spin that ran out is counted in the hint).
 */
static inline int uthread__backoff(struct uthread__backoff *b)
{
	if (b->looks == 0) {
		if (b->hint) {
			unsigned s = __atomic_load_n(b->hint, __ATOMIC_RELAXED);
			__atomic_store_n(b->hint, s + 1, __ATOMIC_RELAXED);
			b->hint = NULL;
		}
		return 0;
	}
	b->looks--;
	for (unsigned i = 0; i < b->pauses; i++)
		uthread__arch_pause();
	if (b->pauses < UTHREAD__BACKOFF_MAX_PAUSES)
		b->pauses *= 2;
	return 1;
}

/* The look succeeded: spinning works here, clear the hint. */
static inline void uthread__backoff_won(struct uthread__backoff *b)
{
	if (b->hint && __atomic_load_n(b->hint, __ATOMIC_RELAXED) != 0)
		__atomic_store_n(b->hint, 0, __ATOMIC_RELAXED);
}

#endif
