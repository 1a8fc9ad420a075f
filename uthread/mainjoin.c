/* SPDX-License-Identifier: MIT */
/*
 * mainjoin.c - the main thread as a thread others may join or detach.
 * POSIX lets main end with uthread_exit(value) and another thread's join
 * return that value, as glibc does.  Main has no slot life cycle of its
 * own (its descriptor is fixed), so its join state is this one word.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>

#include "internal.h"
#include "futex.h"
#include "annotate.h"

enum {
	MAIN_EXITED = 1,   /* main called uthread_exit; result is set */
	MAIN_CLAIMED = 2,  /* a joiner waits for it */
	MAIN_DETACHED = 4, /* uthread_detach(main) */
	MAIN_JOINED = 8,   /* a join has returned its value: main is gone */
};

static uint32_t state; /* futex word: joiners sleep until EXITED is set */
static void *result;

/* Only ever touched atomically (result: before the release of EXITED,
 * read after its acquire): no data race for helgrind and DRD. */
static void words_are_atomic(void)
{
	UTHREAD__IGNORE(&state, sizeof state);
}

void uthread__main_exited(void *retval)
{
	words_are_atomic();
	result = retval;
	UTHREAD__HAPPENS_BEFORE(&state);
	/* Release: a joiner that sees EXITED reads result after it. */
	if (__atomic_fetch_or(&state, MAIN_EXITED, __ATOMIC_RELEASE) & MAIN_CLAIMED)
		(void)uthread__futex_wake(&state, INT_MAX, 1);
}

int uthread__main_detach(void)
{
	words_are_atomic();
	/* Acquire/release as every claim; the competing party is a joiner. */
	uint32_t s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	do {
		if (s & MAIN_JOINED)
			return ESRCH;
		if (s & (MAIN_CLAIMED | MAIN_DETACHED))
			return EINVAL;
	} while (!__atomic_compare_exchange_n(&state, &s, s | MAIN_DETACHED, 0,
	                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return 0;
}

static void unclaim(void *arg)
{
	(void)arg;
	/* Release: a later joiner or detacher may claim it again. */
	__atomic_fetch_and(&state, ~(uint32_t)MAIN_CLAIMED, __ATOMIC_RELEASE);
}

/* Sleep until main has exited: 0, ETIMEDOUT or EINVAL (a bad time). */
static int sleep_until_exited(clockid_t clockid, const struct timespec *abstime)
{
	uint32_t s;

	/* Acquire: pairs with the release in uthread__main_exited. */
	while (!((s = __atomic_load_n(&state, __ATOMIC_ACQUIRE)) & MAIN_EXITED)) {
		/* Private: only this process's threads wake this word. */
		int r = uthread__futex_wait(&state, s, 1, clockid, abstime);
		if (r == ETIMEDOUT || r == EINVAL)
			return r;
	}
	return 0;
}

/* The same, as a cancellation point: a cancelled joiner gives up its
 * claim. */
static int wait_exited(clockid_t clockid, const struct timespec *abstime)
{
	int r;

	pthread_cleanup_push(unclaim, NULL);
	int old = uthread__cancel_async_begin();
	r = sleep_until_exited(clockid, abstime);
	uthread__cancel_async_end(old);
	pthread_cleanup_pop(0);
	return r;
}

int uthread__main_join(void **retval, int block, clockid_t clockid,
                       const struct timespec *abstime)
{
	words_are_atomic();
	/* Claim: one joiner only, none after a detach (EINVAL), none after
	 * the value was taken (ESRCH, as any joined thread). */
	uint32_t s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
	do {
		if (s & MAIN_JOINED)
			return ESRCH;
		if (s & (MAIN_CLAIMED | MAIN_DETACHED))
			return EINVAL;
		if (!block && !(s & MAIN_EXITED))
			return EBUSY;
	} while (!__atomic_compare_exchange_n(&state, &s, s | MAIN_CLAIMED, 0,
	                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	if (!(s & MAIN_EXITED)) {
		int r = wait_exited(clockid, abstime);
		if (r) {
			unclaim(NULL);
			return r;
		}
	}
	UTHREAD__HAPPENS_AFTER(&state);
	if (retval)
		*retval = result;
	/* Relaxed: we own the claim; the flag only turns later calls away. */
	__atomic_fetch_or(&state, MAIN_JOINED, __ATOMIC_RELAXED);
	return 0;
}
