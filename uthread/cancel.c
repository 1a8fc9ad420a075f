/* SPDX-License-Identifier: MIT */
/*
 * cancel.c - uthread_cancel() and the calling thread's cancellation state.
 *
 * A uthread's thread block is glibc's struct pthread, with glibc's cleanup
 * jump buffer set by start(): glibc's cancellation machinery (the state
 * bits in the block, its SIGCANCEL handler, its cancellation points and
 * its unwinder) works on it as on glibc's own threads, and the unwinding
 * ends in start(), which ends the thread.  What is ours: handles, and
 * keeping the target's block alive while glibc aims at it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "lock.h"
#include "annotate.h"

int uthread_cancel(uthread_t thread)
{
	uint32_t gen;
	struct uthread *t = uthread__desc_lookup(thread, &gen);
	pid_t tid;
	int r;

	if (!t)
		return ESRCH;
	/* Ourselves: alive, and with the asynchronous type enabled glibc
	 * unwinds us right here, so no lock of ours may be held. */
	if (t == uthread__self())
		return pthread_cancel(pthread_self());
	/*
	 * As uthread_kill: the target's exit lock, every signal blocked, from
	 * the look at its tid to glibc's signal, so the target cannot end and
	 * its block be reused (or its tid go to a newer thread) meanwhile.
	 */
	uint64_t all = ~(uint64_t)0, old;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(uint64_t));
	uthread__lock(&t->exit_lock);
	tid = uthread__desc_tid(t, gen);
	r = tid < 0 ? ESRCH : 0; /* ended, not joined: 0, as glibc */
	/* DRD checks the target of a pthread_cancel against the threads it
	 * knows, and a new uthread names itself in start(): under valgrind,
	 * wait until it has (it takes no lock of ours before). */
	if (tid > 0 && t->blk && UTHREAD__RUNNING_ON_VALGRIND())
		/* Acquire: pairs with start()'s release; DRD knows it now. */
		while (!__atomic_load_n(&t->announced, __ATOMIC_ACQUIRE))
			sched_yield();
	if (tid > 0)
		r = pthread_cancel((pthread_t)t->pd);
	uthread__unlock(&t->exit_lock);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(uint64_t));
	return r;
}

int uthread_setcancelstate(int state, int *old)
{
	return pthread_setcancelstate(state, old);
}

int uthread_setcanceltype(int type, int *old)
{
	return pthread_setcanceltype(type, old);
}

void uthread_testcancel(void)
{
	pthread_testcancel();
}

/*
 * Around the one blocking wait of a cancellation point of ours (join, a
 * condition or semaphore wait): the asynchronous type for the wait only,
 * as glibc's own cancellation points had it up to 2.40.  A cancel already
 * pending acts in begin; one that comes while the thread sleeps interrupts
 * the futex call with glibc's SIGCANCEL, whose handler unwinds the thread.
 * The caller has pushed a cleanup handler that undoes its registration.
 */
int uthread__cancel_async_begin(void)
{
	int old = PTHREAD_CANCEL_DEFERRED;

	/* Only around one futex call, which is async-cancel-safe. */
	(void)pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old); /* NOLINT(cert-pos47-c): for one futex call only */
	return old;
}

void uthread__cancel_async_end(int old)
{
	(void)pthread_setcanceltype(old, NULL);
}
