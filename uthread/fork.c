/* SPDX-License-Identifier: MIT */
/*
 * fork.c - keeping the library usable in the child of a fork() made while
 * other threads held its internal locks, were mid-exit, or were inside
 * dl_iterate_phdr on the library's behalf.
 */
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <time.h>

#include "internal.h"
#include "futex.h"
#include "annotate.h"

/*
 * glibc's dl_iterate_phdr holds a loader lock that its fork() does not
 * reset in the child (glibc 2.36 and still upstream): a fork landing while
 * another thread is inside leaves the child's next dl_iterate_phdr, and so
 * its next uthread_create, waiting for ever.  So the library's own calls
 * are counted here, and a fork waits for the count to reach 0 (and keeps
 * new calls out until it is done).
 *
 * Calls never wait for each other: one may come from a thread that holds
 * the loader lock itself (a uthread_create inside a dl_iterate_phdr
 * callback) while another call waits for that lock.  And a fork waits at
 * most FORK_PATIENCE_S: a thread forking from inside its own
 * dl_iterate_phdr callback holds the loader lock our calls wait for.
 * Then the fork goes ahead unguarded, as it would without this.
 *
 * phdr_state: the calls in progress (CALLS), FORKING (a fork is under way:
 * new calls wait), SLEEPERS (someone sleeps on the word: wake it).
 */
#define FORKING  0x80000000u
#define SLEEPERS 0x40000000u
#define CALLS(v) ((v) & 0x3fffffffu)
#define FORK_PATIENCE_S 1

static uint32_t phdr_state;
/* This thread's calls in progress: a fork from a signal handler that
 * interrupted one must not wait for itself, and a nested call (from a
 * callback) must not wait for a fork. */
static __thread unsigned in_iterate __attribute__((__tls_model__("initial-exec")));
/* This thread's forks under way (a handler may fork again), and one bit
 * per fork: did its prepare() take FORKING? */
static __thread unsigned fork_depth __attribute__((__tls_model__("initial-exec")));
static __thread unsigned fork_took __attribute__((__tls_model__("initial-exec")));

/* Sleep while the word is v, after saying so; 0, or ETIMEDOUT at *end. */
static int sleep_on_state(uint32_t v, const struct timespec *end)
{
	/* Relaxed: the futex compares the word again. */
	if (!(v & SLEEPERS) &&
	    !__atomic_compare_exchange_n(&phdr_state, &v, v | SLEEPERS, 0,
	                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return 0; /* changed: look again */
	return uthread__futex_wait(&phdr_state, v | SLEEPERS, 1, CLOCK_MONOTONIC, end) ==
	               ETIMEDOUT ? ETIMEDOUT : 0;
}

/* Wake every sleeper if the word (as it was) says there are some. */
static void wake_sleepers(uint32_t v)
{
	if (v & SLEEPERS)
		uthread__futex_wake(&phdr_state, INT_MAX, 1);
}

int uthread__iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *),
                          void *data)
{
	int exempt = in_iterate || fork_depth, r;
	uint32_t v;

	UTHREAD__IGNORE(&phdr_state, sizeof phdr_state);
	in_iterate++;
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* counted before we enter */
	v = __atomic_load_n(&phdr_state, __ATOMIC_RELAXED);
	for (;;) {
		if ((v & FORKING) && !exempt) {
			(void)sleep_on_state(v, NULL);
			v = __atomic_load_n(&phdr_state, __ATOMIC_RELAXED);
			continue;
		}
		/* seq_cst: a fork that then reads 0 calls has seen us gone,
		 * and one that took FORKING first makes this CAS fail. */
		if (__atomic_compare_exchange_n(&phdr_state, &v, v + 1, 0,
		                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			break;
	}
	r = dl_iterate_phdr(cb, data);
	/* Release: our call is over before a fork sees the count drop.  The
	 * last call out wakes a fork waiting for it (and clears the mark;
	 * sleepers with more to wait for set it again). */
	v = __atomic_sub_fetch(&phdr_state, 1, __ATOMIC_RELEASE);
	while (CALLS(v) == 0 && (v & SLEEPERS)) {
		if (__atomic_compare_exchange_n(&phdr_state, &v, v & ~SLEEPERS, 0,
		                                __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			wake_sleepers(v);
			break;
		}
	}
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	in_iterate--;
	return r;
}

/* Wait (at most FORK_PATIENCE_S) until no call is in progress and no
 * other fork holds FORKING, then take it.  1 if taken. */
static int take_forking(void)
{
	struct timespec end;
	uint32_t v;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += FORK_PATIENCE_S;
	v = __atomic_load_n(&phdr_state, __ATOMIC_RELAXED);
	for (;;) {
		if (!(v & FORKING) && CALLS(v) == 0) {
			/* Acquire: the calls that ended are over before we fork. */
			if (__atomic_compare_exchange_n(&phdr_state, &v, v | FORKING, 0,
			                                __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
				return 1;
			continue;
		}
		if (sleep_on_state(v, &end) == ETIMEDOUT)
			return 0;
		v = __atomic_load_n(&phdr_state, __ATOMIC_RELAXED);
	}
}

static void prepare(void)
{
	int took = 0;

	UTHREAD__IGNORE(&phdr_state, sizeof phdr_state);
	/* Not from inside our own call (a signal handler's fork), nor in a
	 * fork nested in another of this thread's: those would wait for
	 * themselves. */
	if (!in_iterate && !fork_depth)
		took = take_forking();
	fork_took = fork_took << 1 | (unsigned)took;
	fork_depth++;
}

/* 1 if this fork's prepare() took FORKING; pops its bit. */
static int fork_done(void)
{
	int took = (fork_took & 1u) != 0;

	fork_took >>= 1;
	fork_depth--;
	return took;
}

static void parent(void)
{
	/* Release: new calls may start; wake those that waited. */
	if (fork_done())
		wake_sleepers(__atomic_fetch_and(&phdr_state, ~(FORKING | SLEEPERS),
		                                 __ATOMIC_RELEASE));
}

/*
 * In a fork child, a thread of the parent's that a join may still collect
 * (running or ended, not yet joined) reads as ended, as the kernel leaves
 * a thread's tid word once it is gone: a join returns at once, as glibc's
 * does, and frees its remains.  A detached one, or one a joiner of the
 * parent's was collecting, is left alone: it may have been half-way
 * through freeing itself, and freeing it again could free twice.
 */
static void forget_parent_thread(struct uthread *t)
{
	int st;

	/* helgrind and DRD carry the parent's threads' accesses into the
	 * child, where their threads are gone: a slot that one was filling
	 * in when the fork came (for a thread it created) must not read as
	 * racing with this thread's reads here, nor with what the child's
	 * join and a later thread of the child's do with it.  The slot's
	 * state word and tid stay atomic-only, as registry.c made them. */
	UTHREAD__NEW_MEMORY(t, sizeof *t);
	UTHREAD__IGNORE(&t->word, sizeof t->word);
	UTHREAD__IGNORE(&t->tid, sizeof t->tid);
	UTHREAD__IGNORE(&t->announced, sizeof t->announced);
	st = UTHREAD__WORD_STATE(__atomic_load_n(&t->word, __ATOMIC_RELAXED));
	if ((st != UTHREAD__JOINABLE && st != UTHREAD__EXITED) || !t->blk)
		return;
	if (t->blk->map_size)
		UTHREAD__NEW_MEMORY(t->blk->map_base, t->blk->map_size);
	/* Relaxed: only this thread runs in the child. */
	__atomic_store_n(uthread__tcb_tid(t->blk->tp), 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->tid, 0, __ATOMIC_RELAXED);
	/* helgrind and DRD know no such thread in the child: a join must
	 * not tell them it joined one. */
	t->vg_id = NULL;
}

/* Forks this process's threads have made, counted in each child (what
 * once.c tells a runner in the parent by). */
static uint32_t fork_gen;

uint32_t uthread__fork_generation(void)
{
	/* Relaxed: it changes only in a fork child, before any other thread. */
	return __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

static void child(void)
{
	/* Only this thread is left: its own calls (if it forked from inside
	 * one) are the only ones in progress, and nobody sleeps. */
	(void)fork_done();
	__atomic_store_n(&phdr_state, in_iterate, __ATOMIC_RELAXED);
	uthread__glibc_atfork_child();
	uthread__registry_atfork_child();
	uthread__stack_atfork_child();
	uthread__live_atfork_child();
	uthread__attr_atfork_child();
	uthread__registry_each_other(forget_parent_thread);
	/* A forking uthread's block, which glibc's fork handling put on its
	 * list of glibc-allocated stacks, goes back to the user-stack list. */
	struct uthread *self = uthread__self_desc;
	if (self && self->blk &&
	    UTHREAD__WORD_STATE(__atomic_load_n(&self->word, __ATOMIC_RELAXED)) != UTHREAD__FOREIGN &&
	    UTHREAD__WORD_STATE(__atomic_load_n(&self->word, __ATOMIC_RELAXED)) != UTHREAD__ENDING)
		uthread__books_atfork_child(self->blk->tp);
	__atomic_store_n(&fork_gen, fork_gen + 1, __ATOMIC_RELAXED);
}

/*
 * Installed when the library is loaded, not at the first create: a process
 * that only called uthread_self() before fork() needs its cached tids
 * refreshed in the child too.
 */
__attribute__((__constructor__)) static void install(void)
{
	/* Fails only with ENOMEM; then a forked child may find a lock held. */
	(void)pthread_atfork(prepare, parent, child);
}
