/* SPDX-License-Identifier: MIT */
/*
 * sched.c - what acts on a running thread through its kernel tid:
 * scheduling policy and priority, CPU affinity, its CPU-time clock; and
 * the concurrency hint.  Never acts on a tid that went to a newer thread.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "lock.h"

static int concurrency; /* atomic; the hint, nothing reads it but us */

int uthread__with_tid(uthread_t thread, int (*fn)(pid_t tid, void *arg), void *arg)
{
	uint32_t gen;
	struct uthread *t = uthread__desc_lookup(thread, &gen);
	pid_t tid;
	int r;

	if (!t)
		return ESRCH;
	/* Ourselves: alive for sure, and our own exit lock may be held by
	 * the code a signal handler (if we are one) interrupted. */
	if (t == uthread__self_desc) {
		tid = uthread__desc_tid(t, gen);
		return tid > 0 ? fn(tid, arg) : ESRCH;
	}
	/*
	 * As uthread_kill (signal.c): the target's exit lock, held from the
	 * look at its tid until fn is done, keeps it from ending meanwhile, so
	 * the tid cannot have gone to a newer thread.  Every signal blocked: a
	 * handler of ours aiming at the same thread would wait for us.
	 */
	uint64_t all = ~(uint64_t)0, old;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(uint64_t));
	uthread__lock(&t->exit_lock);
	tid = uthread__desc_tid(t, gen);
	/* 0: ended (not yet joined); negative: a stale handle.  Both ESRCH,
	 * as glibc's INVALID_TD_P. */
	r = tid > 0 ? fn(tid, arg) : ESRCH;
	uthread__unlock(&t->exit_lock);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(uint64_t));
	return r;
}

struct sched_args {
	int policy;
	int prio;
	const struct sched_param *in;
	struct sched_param *out;
	size_t size;
	void *set;
};

/* The raw calls: glibc's wrappers would do the same, errno aside. */
static int set_scheduler(pid_t tid, void *arg)
{
	struct sched_args *a = arg;

	return syscall(SYS_sched_setscheduler, tid, a->policy, a->in) == 0 ? 0 : errno;
}

int uthread_setschedparam(uthread_t thread, int policy,
                          const struct sched_param *param)
{
	struct sched_args a = { .policy = policy, .in = param };

	if (!param)
		return EINVAL;
	return uthread__with_tid(thread, set_scheduler, &a);
}

static int get_scheduler(pid_t tid, void *arg)
{
	struct sched_args *a = arg;
	long policy = syscall(SYS_sched_getscheduler, tid);

	if (policy < 0 || syscall(SYS_sched_getparam, tid, a->out) != 0)
		return errno;
	a->policy = (int)policy;
	return 0;
}

int uthread_getschedparam(uthread_t thread, int *policy, struct sched_param *param)
{
	struct sched_args a = { .out = param };
	int r;

	if (!policy || !param)
		return EINVAL;
	r = uthread__with_tid(thread, get_scheduler, &a);
	if (r == 0)
		*policy = a.policy;
	return r;
}

static int set_param(pid_t tid, void *arg)
{
	struct sched_args *a = arg;
	struct sched_param sp;

	memset(&sp, 0, sizeof sp);
	sp.sched_priority = a->prio;
	return syscall(SYS_sched_setparam, tid, &sp) == 0 ? 0 : errno;
}

int uthread_setschedprio(uthread_t thread, int prio)
{
	struct sched_args a = { .prio = prio };

	return uthread__with_tid(thread, set_param, &a);
}

static int set_affinity(pid_t tid, void *arg)
{
	struct sched_args *a = arg;

	return syscall(SYS_sched_setaffinity, tid, a->size, a->set) == 0 ? 0 : errno;
}

int uthread_setaffinity_np(uthread_t thread, size_t cpusetsize,
                           const cpu_set_t *cpuset)
{
	struct sched_args a = { .size = cpusetsize, .set = (void *)cpuset };

	/* The kernel's answer for a NULL set, without handing it one. */
	if (!cpuset)
		return EFAULT;
	return uthread__with_tid(thread, set_affinity, &a);
}

static int get_affinity(pid_t tid, void *arg)
{
	struct sched_args *a = arg;
	long n = syscall(SYS_sched_getaffinity, tid, a->size, a->set);

	if (n < 0)
		return errno;
	/* The kernel writes its mask's size; glibc zeroes the rest. */
	memset((char *)a->set + n, 0, a->size - (size_t)n);
	return 0;
}

int uthread_getaffinity_np(uthread_t thread, size_t cpusetsize, cpu_set_t *cpuset)
{
	struct sched_args a = { .size = cpusetsize, .set = cpuset };

	if (!cpuset)
		return EFAULT;
	return uthread__with_tid(thread, get_affinity, &a);
}

static int cpu_clock(pid_t tid, void *arg)
{
	/* glibc's MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): ~tid << 3, the
	 * per-thread bit (4) and the scheduler clock (2). */
	*(clockid_t *)arg = (clockid_t)((~(unsigned)tid << 3) | 6u);
	return 0;
}

int uthread_getcpuclockid(uthread_t thread, clockid_t *clockid)
{
	clockid_t id;
	int r;

	if (!clockid)
		return EINVAL;
	r = uthread__with_tid(thread, cpu_clock, &id);
	if (r == 0)
		*clockid = id;
	return r;
}

int uthread_setconcurrency(int level)
{
	if (level < 0)
		return EINVAL;
	/* Relaxed: a hint with no other data attached. */
	__atomic_store_n(&concurrency, level, __ATOMIC_RELAXED);
	return 0;
}

int uthread_getconcurrency(void)
{
	return __atomic_load_n(&concurrency, __ATOMIC_RELAXED);
}
