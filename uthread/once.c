/* SPDX-License-Identifier: MIT */
/*
 * once.c - uthread_once(): 0 not run, 1 running, 2 running with sleepers,
 * 3 done.  After the first run, a caller pays one acquire load.
 */
#include <errno.h>
#include <limits.h>

#include "futex.h"
#include "annotate.h"

enum { NOT_RUN = 0, RUNNING = 1, RUNNING_WAITED = 2, DONE = 3 };

/* First calls: run init, or wait for the thread that runs it. */
__attribute__((__noinline__))
static int once_slow(uthread_once_t *control, void (*init)(void), uint32_t s)
{
	UTHREAD__IGNORE(control, sizeof *control);
	for (;;) {
		/* A value we never store: control was not initialised with
		 * UTHREAD_ONCE_INIT.  Waiting for it to change would spin. */
		if (s > DONE)
			return EINVAL;
		if (s == NOT_RUN) {
			/* Competing party: other first callers; one CAS wins. */
			if (!__atomic_compare_exchange_n(control, &s, RUNNING, 0,
			                                 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
				continue;
			init();
			UTHREAD__HAPPENS_BEFORE(control);
			/* Release: init's writes before DONE.  Wake sleepers. */
			if (__atomic_exchange_n(control, DONE, __ATOMIC_RELEASE) ==
			    RUNNING_WAITED)
				uthread__futex_wake(control, INT_MAX, 1);
			return 0;
		}
		if (s == DONE) {
			UTHREAD__HAPPENS_AFTER(control);
			return 0;
		}
		/* Tell the runner someone sleeps (1 -> 2), then sleep on 2. */
		if (s == RUNNING &&
		    !__atomic_compare_exchange_n(control, &s, RUNNING_WAITED, 0,
		                                 __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE))
			continue;
		(void)uthread__futex_wait(control, RUNNING_WAITED, 1, CLOCK_MONOTONIC, NULL);
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
