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
	r = uthread_gettid(thread, &tid);
	if (r)
		return r;
	/* tgkill, not tkill: a tid reused by another process is not hit. */
	if (syscall(SYS_tgkill, getpid(), tid, sig) == 0)
		return 0;
	/* ESRCH: it ended between the lookup and the signal. */
	return errno;
}

int uthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)
{
	if (set && how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
		return EINVAL;
	/* sigprocmask acts on the calling thread only, on Linux. */
	return sigprocmask(how, set, oldset) == 0 ? 0 : errno;
}
