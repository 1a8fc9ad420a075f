/* SPDX-License-Identifier: MIT */
/*
 * once.c - uthread_once().  The control word: 0 not run, 3 done; while a
 * thread runs init, gen << 2 | 1 (running) or gen << 2 | 2 (running, with
 * sleepers), gen being the fork generation the runner lives in.  After the
 * first run, a caller pays one acquire load.  An init cut short (its
 * thread ended in it, or a fork left the runner in the parent) is started
 * over by the next caller, as glibc's pthread_once does.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>

#include "internal.h"
#include "futex.h"
#include "annotate.h"

enum { NOT_RUN = 0, RUNNING = 1, RUNNING_WAITED = 2, DONE = 3 };

#define STATE(s)   ((s) & 3u)
#define GEN(s)     ((s) >> 2)
#define GEN_BITS   24 /* higher bits are never set: a value with them is garbage */
#define RUN(st)    (uthread__fork_generation() % (1u << GEN_BITS) << 2 | (st))

/*
 * The controls whose init this thread is running, innermost last (an init
 * may call uthread_once for another control): if the thread ends inside
 * one, uthread_exit gives them up (uthread__once_abandon_all).  Deeper
 * nesting than this is not tracked (such an init, ended, stays running).
 */
#define NEST 8
static __thread uthread_once_t *running[NEST] __attribute__((__tls_model__("initial-exec")));
static __thread unsigned nrunning __attribute__((__tls_model__("initial-exec")));

/* Was s stored by uthread_once? */
static int valid(uint32_t s)
{
	return s == NOT_RUN || s == DONE ||
	       ((STATE(s) == RUNNING || STATE(s) == RUNNING_WAITED) && GEN(s) < (1u << GEN_BITS));
}

/* Give control up: init did not finish.  The next caller (a sleeper, woken
 * here, or a later one) starts it over.  Release: pairs with the acquire
 * of the CAS that takes it next. */
static void abandon(uthread_once_t *control)
{
	if (STATE(__atomic_exchange_n(control, NOT_RUN, __ATOMIC_RELEASE)) == RUNNING_WAITED)
		uthread__futex_wake(control, INT_MAX, 1);
}

/* Cleanup handler: init was unwound (pthread_exit, from any thread). */
static void init_unwound(void *control)
{
	nrunning--; /* ours: the innermost */
	abandon(control);
}

/* uthread_exit: the thread ends inside the inits it is running. */
void uthread__once_abandon_all(void)
{
	while (nrunning > 0) {
		nrunning--;
		if (nrunning < NEST)
			abandon(running[nrunning]);
	}
}

/* Run init for control, which we hold in state running. */
static void run_init(uthread_once_t *control, void (*init)(void))
{
	if (nrunning < NEST)
		running[nrunning] = control;
	nrunning++;
	pthread_cleanup_push(init_unwound, control);
	init();
	pthread_cleanup_pop(0);
	nrunning--;
}

/* First calls: run init, or wait for the thread that runs it. */
__attribute__((__noinline__))
static int once_slow(uthread_once_t *control, void (*init)(void), uint32_t s)
{
	UTHREAD__IGNORE(control, sizeof *control);
	for (;;) {
		/* A value we never store: control was not initialised with
		 * UTHREAD_ONCE_INIT.  Waiting for it to change would spin. */
		if (!valid(s))
			return EINVAL;
		if (s == DONE) {
			UTHREAD__HAPPENS_AFTER(control);
			return 0;
		}
		/*
		 * Not run, or running in another fork generation: its runner is
		 * in a process this one was forked from, and will never finish
		 * here.  Competing party: other first callers; one CAS wins.
		 */
		if (s == NOT_RUN || GEN(s) != GEN(RUN(0))) {
			if (!__atomic_compare_exchange_n(control, &s, RUN(RUNNING), 0,
			                                 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
				continue;
			run_init(control, init);
			UTHREAD__HAPPENS_BEFORE(control);
			/* Release: init's writes before DONE.  Wake sleepers. */
			if (STATE(__atomic_exchange_n(control, DONE, __ATOMIC_RELEASE)) ==
			    RUNNING_WAITED)
				uthread__futex_wake(control, INT_MAX, 1);
			return 0;
		}
		/* Tell the runner someone sleeps (1 -> 2), then sleep on 2. */
		if (STATE(s) == RUNNING &&
		    !__atomic_compare_exchange_n(control, &s, RUN(RUNNING_WAITED), 0,
		                                 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
			continue;
		(void)uthread__futex_wait(control, RUN(RUNNING_WAITED), 1, CLOCK_MONOTONIC, NULL);
		s = __atomic_load_n(control, __ATOMIC_ACQUIRE);
	}
}

int uthread_once(uthread_once_t *control, void (*init)(void))
{
	uint32_t s;

	if (!control || !init)
		return EINVAL;
	/* Acquire pairs with the release of DONE: init's writes are visible.
	 * Every call after the first ends here, without a stack frame. */
	s = __atomic_load_n(control, __ATOMIC_ACQUIRE);
	if (s == DONE) {
		UTHREAD__HAPPENS_AFTER(control);
		return 0;
	}
	return once_slow(control, init, s);
}
