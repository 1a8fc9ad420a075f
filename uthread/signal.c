/* SPDX-License-Identifier: MIT */
/*
 * signal.c - uthread_kill() and uthread_sigmask(): signals aimed at one
 * thread, and the calling thread's own mask.
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "lock.h"

int uthread_kill(uthread_t thread, int sig)
{
	pid_t tid;
	int r;

	if (sig < 0 || sig >= NSIG)
		return EINVAL;
	/*
	 * glibc keeps the real-time signals below SIGRTMIN for itself
	 * (SIGCANCEL, SIGSETXID) and its pthread_kill refuses them: sent to a
	 * thread, SIGCANCEL ends the whole process until pthread_cancel has
	 * installed glibc's handler, which then marks the thread cancelled.
	 */
	if (sig >= __SIGRTMIN && sig < SIGRTMIN)
		return EINVAL;
	uint32_t gen;
	struct uthread *t = uthread__desc_lookup(thread, &gen);
	if (!t)
		return ESRCH;
	/* Ourselves: alive for sure, and our own exit lock may be held by
	 * the code this signal handler (if it is one) interrupted. */
	if (t == uthread__self_desc) {
		r = uthread_gettid(thread, &tid);
		if (r)
			return r;
		return syscall(SYS_tgkill, getpid(), tid, sig) == 0 ? 0 : errno;
	}
	/*
	 * Hold the target's exit lock from the look at its tid to the signal:
	 * the target cannot end meanwhile, so the tid cannot have gone to a
	 * newer thread (as glibc 2.34's pthread_kill).  Every signal blocked
	 * meanwhile: a handler of ours that killed the same thread would wait
	 * for the lock we hold.
	 */
	uint64_t all = ~(uint64_t)0, old;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(uint64_t));
	uthread__lock(&t->exit_lock);
	tid = uthread__desc_tid(t, gen);
	/* Ended but not joined: its ID is still valid, the signal goes
	 * nowhere (glibc 2.34 and later answer 0 too).  Joined: ESRCH.
	 * tgkill, not tkill: a tid reused by another process is not hit. */
	r = tid < 0 ? ESRCH : 0;
	if (tid > 0 && syscall(SYS_tgkill, getpid(), tid, sig) != 0)
		r = errno;
	uthread__unlock(&t->exit_lock);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(uint64_t));
	return r;
}

int uthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)
{
	if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return EINVAL;
	/* sigprocmask acts on the calling thread only, on Linux. */
	return sigprocmask(how, set, oldset) == 0 ? 0 : errno;
}
