/* SPDX-License-Identifier: MIT */
/*
 * test_sched: scheduling, affinity and signal-mask attributes, applied
 * before a new thread runs; the same on running threads; a thread's actual
 * attributes; the process defaults; the concurrency hint.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

static int ran; /* tu_add/tu_get: start routines that ran */

static void *count_and_return(void *arg)
{
	tu_add(&ran, 1);
	return arg;
}

/* What a new thread saw in its first line of code. */
struct first_look {
	int policy, prio;
	cpu_set_t cpus;
	sigset_t mask;
	pid_t tid;
};

static void *look(void *arg)
{
	struct first_look *l = arg;
	struct sched_param sp;

	l->policy = sched_getscheduler(0);
	l->prio = sched_getparam(0, &sp) == 0 ? sp.sched_priority : -1;
	CPU_ZERO(&l->cpus);
	(void)sched_getaffinity(0, sizeof l->cpus, &l->cpus);
	(void)pthread_sigmask(SIG_SETMASK, NULL, &l->mask);
	l->tid = (pid_t)syscall(SYS_gettid);
	return NULL;
}

static void attr_sched_defaults_are_glibcs(void **state)
{
	uthread_attr_t a;
	struct sched_param sp = { .sched_priority = 7 };
	int v;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_getschedpolicy(&a, &v), 0);
	assert_int_equal(v, SCHED_OTHER);
	assert_int_equal(uthread_attr_getschedparam(&a, &sp), 0);
	assert_int_equal(sp.sched_priority, 0);
	assert_int_equal(uthread_attr_getinheritsched(&a, &v), 0);
	assert_int_equal(v, UTHREAD_INHERIT_SCHED);
	assert_int_equal(UTHREAD_INHERIT_SCHED, PTHREAD_INHERIT_SCHED);
	assert_int_equal(uthread_attr_getscope(&a, &v), 0);
	assert_int_equal(v, UTHREAD_SCOPE_SYSTEM);
	assert_int_equal(UTHREAD_SCOPE_PROCESS, PTHREAD_SCOPE_PROCESS);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void attr_sched_setters_check_their_values(void **state)
{
	uthread_attr_t a, bad;
	struct sched_param sp;
	int v;

	(void)state;
	memset(&bad, 0xa5, sizeof bad);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setschedpolicy(&a, 42), EINVAL);
	assert_int_equal(uthread_attr_setschedpolicy(&a, SCHED_BATCH), EINVAL);
	/* SCHED_OTHER's range is [0, 0]. */
	sp.sched_priority = 1;
	assert_int_equal(uthread_attr_setschedparam(&a, &sp), EINVAL);
	assert_int_equal(uthread_attr_setschedpolicy(&a, SCHED_FIFO), 0);
	assert_int_equal(uthread_attr_setschedparam(&a, &sp), 0);
	sp.sched_priority = sched_get_priority_max(SCHED_FIFO) + 1;
	assert_int_equal(uthread_attr_setschedparam(&a, &sp), EINVAL);
	sp.sched_priority = -1;
	assert_int_equal(uthread_attr_setschedparam(&a, &sp), EINVAL);
	assert_int_equal(uthread_attr_getschedparam(&a, &sp), 0);
	assert_int_equal(sp.sched_priority, 1);
	assert_int_equal(uthread_attr_getschedpolicy(&a, &v), 0);
	assert_int_equal(v, SCHED_FIFO);
	assert_int_equal(uthread_attr_setinheritsched(&a, 5), EINVAL);
	assert_int_equal(uthread_attr_setinheritsched(&a, UTHREAD_EXPLICIT_SCHED), 0);
	assert_int_equal(uthread_attr_getinheritsched(&a, &v), 0);
	assert_int_equal(v, UTHREAD_EXPLICIT_SCHED);
	assert_int_equal(uthread_attr_setscope(&a, UTHREAD_SCOPE_PROCESS), ENOTSUP);
	assert_int_equal(uthread_attr_setscope(&a, 9), EINVAL);
	assert_int_equal(uthread_attr_setscope(&a, UTHREAD_SCOPE_SYSTEM), 0);
	/* NULL out pointers and parameters, bad attrs. */
	assert_int_equal(uthread_attr_setschedparam(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_getschedparam(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_getschedpolicy(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_getinheritsched(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_getscope(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_setschedpolicy(&bad, SCHED_OTHER), EINVAL);
	assert_int_equal(uthread_attr_getschedpolicy(&bad, &v), EINVAL);
	assert_int_equal(uthread_attr_setschedparam(NULL, &sp), EINVAL);
	assert_int_equal(uthread_attr_setinheritsched(&bad, UTHREAD_INHERIT_SCHED), EINVAL);
	assert_int_equal(uthread_attr_setscope(&bad, UTHREAD_SCOPE_SYSTEM), EINVAL);
	assert_int_equal(uthread_attr_getscope(NULL, &v), EINVAL);
	/* Every new attr function with a NULL attr. */
	cpu_set_t cs;
	sigset_t ss;
	CPU_ZERO(&cs);
	sigemptyset(&ss);
	assert_int_equal(uthread_attr_setschedpolicy(NULL, SCHED_OTHER), EINVAL);
	assert_int_equal(uthread_attr_getschedpolicy(NULL, &v), EINVAL);
	assert_int_equal(uthread_attr_getschedparam(NULL, &sp), EINVAL);
	assert_int_equal(uthread_attr_setinheritsched(NULL, UTHREAD_INHERIT_SCHED), EINVAL);
	assert_int_equal(uthread_attr_getinheritsched(NULL, &v), EINVAL);
	assert_int_equal(uthread_attr_setscope(NULL, UTHREAD_SCOPE_SYSTEM), EINVAL);
	assert_int_equal(uthread_attr_setaffinity_np(NULL, sizeof cs, &cs), EINVAL);
	assert_int_equal(uthread_attr_getaffinity_np(NULL, sizeof cs, &cs), EINVAL);
	assert_int_equal(uthread_attr_setsigmask_np(NULL, &ss), EINVAL);
	assert_int_equal(uthread_attr_getsigmask_np(NULL, &ss), EINVAL);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(uthread_attr_setschedpolicy(&a, SCHED_OTHER), EINVAL);
}

static int stop; /* tu_set/tu_get */

static void *wait_for_stop(void *arg)
{
	(void)arg;
	while (!tu_get(&stop))
		tu_sleep_ms(1);
	return NULL;
}

/* Can this process use SCHED_RR at all (root, or RLIMIT_RTPRIO)? */
static int rt_allowed(void)
{
	struct sched_param sp = { .sched_priority = 1 };
	int policy = sched_getscheduler(0);
	struct sched_param old;

	if (sched_getparam(0, &old) != 0 || sched_setscheduler(0, SCHED_RR, &sp) != 0)
		return 0;
	(void)sched_setscheduler(0, policy, &old);
	return 1;
}

static void explicit_scheduling_and_affinity_hold_from_the_first_line(void **state)
{
	uthread_attr_t a;
	struct sched_param sp = { .sched_priority = 1 };
	struct first_look l;
	cpu_set_t one;
	uthread_t t;
	int cpu = sched_getcpu();

	(void)state;
	assert_true(cpu >= 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setaffinity_np(&a, sizeof one, &one), 0);
	memset(&l, 0, sizeof l);
	assert_int_equal(uthread_create(&t, &a, look, &l), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(CPU_COUNT(&l.cpus), 1);
	assert_true(CPU_ISSET(cpu, &l.cpus));
	if (!rt_allowed()) {
		assert_int_equal(uthread_attr_destroy(&a), 0);
		skip();
	}
	/* Round-robin at priority 1, from its first line on. */
	assert_int_equal(uthread_attr_setschedpolicy(&a, SCHED_RR), 0);
	assert_int_equal(uthread_attr_setschedparam(&a, &sp), 0);
	/* Not applied while the thread inherits. */
	assert_int_equal(uthread_create(&t, &a, look, &l), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(l.policy, SCHED_OTHER);
	assert_int_equal(uthread_attr_setinheritsched(&a, UTHREAD_EXPLICIT_SCHED), 0);
	assert_int_equal(uthread_create(&t, &a, look, &l), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(l.policy, SCHED_RR);
	assert_int_equal(l.prio, 1);
	assert_int_equal(CPU_COUNT(&l.cpus), 1);
	/* getattr_np reports the inheritance it was created with. */
	tu_set(&stop, 0);
	assert_int_equal(uthread_create(&t, &a, wait_for_stop, NULL), 0);
	uthread_attr_t got;
	int v;
	assert_int_equal(uthread_getattr_np(t, &got), 0);
	assert_int_equal(uthread_attr_getinheritsched(&got, &v), 0);
	assert_int_equal(v, UTHREAD_EXPLICIT_SCHED);
	assert_int_equal(uthread_attr_getschedpolicy(&got, &v), 0);
	assert_int_equal(v, SCHED_RR);
	assert_int_equal(uthread_attr_destroy(&got), 0);
	tu_set(&stop, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void a_refused_create_returns_the_error_and_leaves_nothing(void **state)
{
	uthread_attr_t a;
	cpu_set_t *none;
	size_t size = CPU_ALLOC_SIZE(8192);
	uthread_t t = 12345;
	int i, n = tu_on_valgrind() ? 20 : 300, maps;

	(void)state;
	/* A set naming only a CPU no machine here has: the kernel says
	 * EINVAL to sched_setaffinity, after the clone. */
	none = CPU_ALLOC(8192);
	assert_non_null(none);
	CPU_ZERO_S(size, none);
	CPU_SET_S(8191, size, none);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setaffinity_np(&a, size, none), 0);
	CPU_FREE(none);
	tu_set(&ran, 0);
	/* Warm up whatever the first failure maps (the stack cache). */
	assert_int_equal(uthread_create(&t, &a, count_and_return, NULL), EINVAL);
	for (i = 0; i < 200 && tu_count_tasks() != 1; i++)
		tu_sleep_ms(5);
	maps = tu_count_maps();
	for (i = 0; i < n; i++) {
		int j;

		assert_int_equal(uthread_create(&t, &a, count_and_return, NULL), EINVAL);
		/* Also detached: the same answer. */
		assert_int_equal(uthread_attr_setdetachstate(&a, i & 1), 0);
		/* One at a time, so each finds the last one's stack cached. */
		for (j = 0; j < 400 && tu_count_tasks() != 1; j++)
			tu_sleep_ms(1);
	}
	assert_int_equal(t, 12345);
	/* The refused threads end by themselves, without running ours. */
	for (i = 0; i < 400 && tu_count_tasks() != 1; i++)
		tu_sleep_ms(5);
	assert_int_equal(tu_count_tasks(), 1);
	assert_int_equal(tu_get(&ran), 0);
	/* Their stacks went back to the cache, not into new mappings. */
	assert_true(tu_count_maps() <= maps + 4);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	/* And a thread can still be created normally. */
	assert_int_equal(uthread_create(&t, NULL, count_and_return, (void *)7), 0);
	void *ret;
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, (void *)7);
}

/*
 * Regression: a create with a signal mask or affinity blocked every
 * signal, glibc's SIGSETXID too, then waited for glibc's stack-list lock,
 * which a set*id() call holds while it waits for every listed thread to
 * answer that signal: both waited for ever (a refused child, on its way
 * out through the same lock, too).  In a child, with an alarm for a hang.
 */
static int setxid_stop;

static void *setuid_in_a_loop(void *arg)
{
	(void)arg;
	while (!tu_get(&setxid_stop))
		if (setuid(getuid()) != 0)
			return (void *)1;
	return NULL;
}

static int create_with_attrs_during_setuid(void *arg)
{
	uthread_attr_t masked, refused;
	uthread_t setter, t;
	sigset_t set;
	cpu_set_t *none;
	size_t size = CPU_ALLOC_SIZE(8192);
	void *ret;
	long long end = tu_deadline_ms(tu_on_valgrind() ? 3000 : 1500);
	int n = 0;

	(void)arg;
	alarm(60);
	none = CPU_ALLOC(8192);
	if (!none)
		return 2;
	CPU_ZERO_S(size, none);
	CPU_SET_S(8191, size, none);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (uthread_attr_init(&masked) || uthread_attr_setsigmask_np(&masked, &set) ||
	    uthread_attr_init(&refused) ||
	    uthread_attr_setaffinity_np(&refused, size, none))
		return 3;
	CPU_FREE(none);
	if (uthread_create(&setter, NULL, setuid_in_a_loop, NULL))
		return 4;
	while (tu_now_ms() < end) {
		if (uthread_create(&t, &masked, count_and_return, NULL) ||
		    uthread_join(t, NULL))
			return 5;
		if (uthread_create(&t, &refused, count_and_return, NULL) != EINVAL)
			return 6;
		n++;
	}
	tu_set(&setxid_stop, 1);
	if (uthread_join(setter, &ret) || ret)
		return 7;
	if (uthread_attr_destroy(&masked) || uthread_attr_destroy(&refused))
		return 9;
	return n > 0 ? 0 : 8;
}

static void creates_with_attributes_never_deadlock_against_setuid(void **state)
{
	int st;

	(void)state;
	/*
	 * glibc's set*id signal handler writes the thread block of every
	 * thread it reaches without a word to helgrind or DRD, so a block
	 * reused after a set*id reads to them as a race with it.  Natively
	 * and under memcheck the deadlock is checked.
	 */
	if (tu_on_thread_checker())
		skip();
	st = tu_in_child(create_with_attrs_during_setuid, NULL);
	assert_false(WIFSIGNALED(st)); /* SIGALRM: the deadlock */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* In a child that has lost every privilege: SCHED_FIFO is refused. */
static int fifo_unprivileged(void *arg)
{
	struct rlimit rl = { 0, 0 };
	struct sched_param sp = { .sched_priority = 1 };
	uthread_attr_t a;
	uthread_t t = 0;
	int r;

	(void)arg;
	if (setrlimit(RLIMIT_RTPRIO, &rl) != 0)
		return 10;
	if (getuid() == 0 && setuid(65534) != 0)
		return 11;
	if (uthread_attr_init(&a) || uthread_attr_setinheritsched(&a, UTHREAD_EXPLICIT_SCHED) ||
	    uthread_attr_setschedpolicy(&a, SCHED_FIFO) || uthread_attr_setschedparam(&a, &sp))
		return 12;
	r = uthread_create(&t, &a, count_and_return, NULL);
	if (r != EPERM)
		return 13;
	if (t != 0 || tu_get(&ran) != 0)
		return 14;
	/* Nor on a running thread. */
	if (uthread_setschedparam(uthread_self(), SCHED_FIFO, &sp) != EPERM)
		return 15;
	uthread_attr_destroy(&a);
	return 0;
}

static void fifo_without_privilege_fails_create_with_eperm(void **state)
{
	int st;

	(void)state;
	tu_set(&ran, 0);
	st = tu_in_child(fifo_unprivileged, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}


/* Start t running wait_for_stop; end it with end_ended(). */
static uthread_t started(void)
{
	uthread_t t;

	tu_set(&stop, 0);
	assert_int_equal(uthread_create(&t, NULL, wait_for_stop, NULL), 0);
	return t;
}

/* Let t end and wait until it has (its tid is gone), unjoined. */
static void end_unjoined(uthread_t t)
{
	pid_t tid;
	int i;

	tu_set(&stop, 1);
	for (i = 0; i < 2000 && uthread_gettid(t, &tid) == 0; i++)
		tu_sleep_ms(1);
	assert_int_equal(uthread_gettid(t, &tid), ESRCH);
}

static void schedparam_acts_on_the_running_thread(void **state)
{
	struct sched_param sp = { .sched_priority = 0 };
	uthread_t t = started();
	int policy;

	(void)state;
	assert_int_equal(uthread_getschedparam(t, &policy, &sp), 0);
	assert_int_equal(policy, SCHED_OTHER);
	assert_int_equal(sp.sched_priority, 0);
	/* Bad policy and priority, NULL pointers. */
	assert_int_equal(uthread_setschedparam(t, 99, &sp), EINVAL);
	sp.sched_priority = 5;
	assert_int_equal(uthread_setschedparam(t, SCHED_OTHER, &sp), EINVAL);
	assert_int_equal(uthread_setschedparam(t, SCHED_OTHER, NULL), EINVAL);
	assert_int_equal(uthread_getschedparam(t, NULL, &sp), EINVAL);
	assert_int_equal(uthread_getschedparam(t, &policy, NULL), EINVAL);
	assert_int_equal(uthread_setschedprio(t, 5), EINVAL);
	if (rt_allowed()) {
		sp.sched_priority = 2;
		assert_int_equal(uthread_setschedparam(t, SCHED_RR, &sp), 0);
		assert_int_equal(uthread_setschedprio(t, 3), 0);
		assert_int_equal(uthread_getschedparam(t, &policy, &sp), 0);
		assert_int_equal(policy, SCHED_RR);
		assert_int_equal(sp.sched_priority, 3);
		/* Only the thread: the caller keeps its own. */
		assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
		sp.sched_priority = 0;
		assert_int_equal(uthread_setschedparam(t, SCHED_OTHER, &sp), 0);
	}
	/* Ended, not yet joined: ESRCH, and never the caller (tid 0). */
	end_unjoined(t);
	sp.sched_priority = 0;
	assert_int_equal(uthread_setschedparam(t, SCHED_OTHER, &sp), ESRCH);
	assert_int_equal(uthread_getschedparam(t, &policy, &sp), ESRCH);
	assert_int_equal(uthread_setschedprio(t, 0), ESRCH);
	assert_int_equal(uthread_join(t, NULL), 0);
	/* Stale, and never a handle. */
	assert_int_equal(uthread_setschedparam(t, SCHED_OTHER, &sp), ESRCH);
	assert_int_equal(uthread_getschedparam(t, &policy, &sp), ESRCH);
	assert_int_equal(uthread_setschedprio(t, 0), ESRCH);
	assert_int_equal(uthread_setschedprio(0, 0), ESRCH);
	assert_int_equal(uthread_getschedparam((uthread_t)0x7fff0000ul, &policy, &sp), ESRCH);
	/* The calling thread by its own handle. */
	assert_int_equal(uthread_getschedparam(uthread_self(), &policy, &sp), 0);
	assert_int_equal(policy, sched_getscheduler(0));
}

static void affinity_acts_on_the_running_thread(void **state)
{
	cpu_set_t one, got;
	uthread_t t = started();
	pid_t tid;
	int cpu = sched_getcpu();

	(void)state;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(uthread_setaffinity_np(t, sizeof one, &one), 0);
	memset(&got, 0xa5, sizeof got);
	assert_int_equal(uthread_getaffinity_np(t, sizeof got, &got), 0);
	assert_true(CPU_EQUAL(&one, &got));
	assert_int_equal(uthread_gettid(t, &tid), 0);
	CPU_ZERO(&got);
	assert_int_equal(sched_getaffinity(tid, sizeof got, &got), 0);
	assert_true(CPU_EQUAL(&one, &got));
	/* Bad input: NULL sets, a size below the kernel's, an empty set. */
	assert_int_equal(uthread_setaffinity_np(t, sizeof one, NULL), EFAULT);
	assert_int_equal(uthread_getaffinity_np(t, sizeof got, NULL), EFAULT);
	assert_int_equal(uthread_getaffinity_np(t, 1, &got), EINVAL);
	CPU_ZERO(&one);
	assert_int_equal(uthread_setaffinity_np(t, sizeof one, &one), EINVAL);
	end_unjoined(t);
	assert_int_equal(uthread_setaffinity_np(t, sizeof got, &got), ESRCH);
	assert_int_equal(uthread_getaffinity_np(t, sizeof got, &got), ESRCH);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_getaffinity_np(t, sizeof got, &got), ESRCH);
}

static void *end_at_once(void *arg)
{
	return arg;
}

static void calls_racing_a_threads_end_never_reach_the_caller(void **state)
{
	cpu_set_t mine, one, after;
	struct sched_param sp;
	uthread_t t;
	int i, r, policy, n = tu_on_valgrind() ? 20 : 300;

	(void)state;
	assert_int_equal(sched_getaffinity(0, sizeof mine, &mine), 0);
	if (CPU_COUNT(&mine) < 2)
		skip();
	CPU_ZERO(&one);
	for (i = 0; !CPU_ISSET(i, &mine); i++)
		;
	CPU_SET(i, &one);
	for (i = 0; i < n; i++) {
		assert_int_equal(uthread_create(&t, NULL, end_at_once, NULL), 0);
		/* Until the thread is gone: its answer or ESRCH, nothing else,
		 * and never the caller's affinity (tid 0 would be the caller). */
		do {
			r = uthread_setaffinity_np(t, sizeof one, &one);
			assert_true(r == 0 || r == ESRCH);
			int g = uthread_getschedparam(t, &policy, &sp);
			assert_true(g == 0 || g == ESRCH);
		} while (r == 0);
		assert_int_equal(uthread_join(t, NULL), 0);
	}
	assert_int_equal(sched_getaffinity(0, sizeof after, &after), 0);
	assert_true(CPU_EQUAL(&mine, &after));
}

static void *spin_and_compare_clocks(void *arg)
{
	clockid_t mine = 0, glibcs = 1;
	struct timespec ts;
	volatile unsigned long x = 0;

	(void)arg;
	while (x < 1000000)
		x++;
	if (uthread_getcpuclockid(uthread_self(), &mine) != 0 ||
	    pthread_getcpuclockid(pthread_self(), &glibcs) != 0 || mine != glibcs ||
	    clock_gettime(mine, &ts) != 0 || (ts.tv_sec == 0 && ts.tv_nsec == 0))
		return (void *)1;
	return NULL;
}

static void cpuclockid_is_the_threads_cpu_clock(void **state)
{
	clockid_t c, g;
	struct timespec ts;
	uthread_t t;
	void *ret;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, spin_and_compare_clocks, NULL), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_null(ret);
	/* The main thread's, the same as glibc's. */
	assert_int_equal(uthread_getcpuclockid(uthread_self(), &c), 0);
	assert_int_equal(pthread_getcpuclockid(pthread_self(), &g), 0);
	assert_int_equal(c, g);
	assert_int_equal(clock_gettime(c, &ts), 0);
	/* Another thread's clock, read while it runs. */
	t = started();
	assert_int_equal(uthread_getcpuclockid(t, &c), 0);
	assert_int_equal(clock_gettime(c, &ts), 0);
	assert_int_equal(uthread_getcpuclockid(t, NULL), EINVAL);
	end_unjoined(t);
	assert_int_equal(uthread_getcpuclockid(t, &c), ESRCH);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_getcpuclockid(t, &c), ESRCH);
}

static void attr_affinity_is_copied_with_glibcs_sizes(void **state)
{
	uthread_attr_t a;
	cpu_set_t *big, small;
	size_t bigsize = CPU_ALLOC_SIZE(2048);

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	/* None set: every bit set. */
	memset(&small, 0, sizeof small);
	assert_int_equal(uthread_attr_getaffinity_np(&a, sizeof small, &small), 0);
	assert_int_equal(CPU_COUNT(&small), CPU_SETSIZE);
	big = CPU_ALLOC(2048);
	assert_non_null(big);
	CPU_ZERO_S(bigsize, big);
	CPU_SET_S(2000, bigsize, big);
	assert_int_equal(uthread_attr_setaffinity_np(&a, bigsize, big), 0);
	/* The caller's buffer cannot hold CPU 2000. */
	assert_int_equal(uthread_attr_getaffinity_np(&a, sizeof small, &small), EINVAL);
	CPU_ZERO_S(bigsize, big);
	CPU_SET_S(3, bigsize, big);
	assert_int_equal(uthread_attr_setaffinity_np(&a, bigsize, big), 0);
	CPU_FREE(big);  /* the attr has its own copy */
	memset(&small, 0xff, sizeof small);
	assert_int_equal(uthread_attr_getaffinity_np(&a, sizeof small, &small), 0);
	assert_int_equal(CPU_COUNT(&small), 1);
	assert_true(CPU_ISSET(3, &small));
	/* A smaller set: the rest of a bigger buffer zeroed. */
	CPU_ZERO(&small);
	CPU_SET(1, &small);
	assert_int_equal(uthread_attr_setaffinity_np(&a, 8, &small), 0);
	big = CPU_ALLOC(2048);
	memset(big, 0xff, bigsize);
	assert_int_equal(uthread_attr_getaffinity_np(&a, bigsize, big), 0);
	assert_int_equal(CPU_COUNT_S(bigsize, big), 1);
	assert_true(CPU_ISSET_S(1, bigsize, big));
	CPU_FREE(big);
	assert_int_equal(uthread_attr_getaffinity_np(&a, sizeof small, NULL), EINVAL);
	/* NULL or size 0 removes it. */
	assert_int_equal(uthread_attr_setaffinity_np(&a, 0, &small), 0);
	assert_int_equal(uthread_attr_getaffinity_np(&a, sizeof small, &small), 0);
	assert_int_equal(CPU_COUNT(&small), CPU_SETSIZE);
	assert_int_equal(uthread_attr_setaffinity_np(&a, sizeof small, &small), 0);
	/* destroy frees the copy (memcheck would see a leak). */
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(uthread_attr_setaffinity_np(&a, sizeof small, &small), EINVAL);
	assert_int_equal(uthread_attr_getaffinity_np(&a, sizeof small, &small), EINVAL);
}

static volatile pid_t handled_on;

static void on_usr1(int sig)
{
	(void)sig;
	handled_on = (pid_t)syscall(SYS_gettid);
}

struct masked {
	int pending;      /* SIGUSR1 pending on arrival */
	int handled_here; /* the handler ran on this thread before we looked */
	sigset_t mask;
};

static void *check_mask(void *arg)
{
	struct masked *m = arg;
	sigset_t set;
	int sig;

	m->handled_here = handled_on == (pid_t)syscall(SYS_gettid);
	(void)pthread_sigmask(SIG_SETMASK, NULL, &m->mask);
	/* The creator sent SIGUSR1 before we ran: pending, not handled. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	(void)sigwait(&set, &sig);
	m->pending = sig == SIGUSR1;
	return NULL;
}

static void attr_sigmask_is_the_new_threads_mask_from_its_start(void **state)
{
	uthread_attr_t a;
	sigset_t set, got, old;
	struct masked m;
	uthread_t t;
	int i, n = tu_on_valgrind() ? 5 : 50;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_getsigmask_np(&a, &got), UTHREAD_ATTR_NO_SIGMASK_NP);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN + 2);
	sigaddset(&set, 32); /* glibc's own: never blocked */
	assert_int_equal(uthread_attr_setsigmask_np(&a, &set), 0);
	assert_int_equal(uthread_attr_getsigmask_np(&a, &got), 0);
	assert_true(sigismember(&got, SIGUSR1));
	assert_false(sigismember(&got, 32));
	/* The creator blocks SIGUSR2 and not SIGUSR1: the thread the other
	 * way round. */
	signal(SIGUSR1, on_usr1);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	assert_int_equal(uthread_sigmask(SIG_BLOCK, &set, &old), 0);
	for (i = 0; i < n; i++) {
		memset(&m, 0, sizeof m);
		handled_on = 0;
		assert_int_equal(uthread_create(&t, &a, check_mask, &m), 0);
		assert_int_equal(uthread_kill(t, SIGUSR1), 0);
		assert_int_equal(uthread_join(t, NULL), 0);
		assert_false(m.handled_here);
		assert_int_equal(handled_on, 0);
		assert_true(m.pending);
		assert_true(sigismember(&m.mask, SIGUSR1));
		assert_true(sigismember(&m.mask, SIGRTMIN + 2));
		assert_false(sigismember(&m.mask, SIGUSR2));
	}
	assert_int_equal(uthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	signal(SIGUSR1, SIG_DFL);
	/* NULL removes it; bad input. */
	assert_int_equal(uthread_attr_setsigmask_np(&a, NULL), 0);
	assert_int_equal(uthread_attr_getsigmask_np(&a, &got), UTHREAD_ATTR_NO_SIGMASK_NP);
	assert_int_equal(uthread_attr_getsigmask_np(&a, NULL), EINVAL);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(uthread_attr_setsigmask_np(&a, &set), EINVAL);
	assert_int_equal(uthread_attr_getsigmask_np(&a, &got), EINVAL);
}

struct where {
	char *local;
	int ready;
};

static void *report_stack(void *arg)
{
	struct where *w = arg;
	char here;

	w->local = &here;
	tu_set(&w->ready, 1);
	while (!tu_get(&stop))
		tu_sleep_ms(1);
	return NULL;
}

static void getattr_np_reports_the_actual_attributes(void **state)
{
	uthread_attr_t a, got;
	struct where w = { NULL, 0 };
	cpu_set_t one, cpus;
	size_t size, guard;
	void *addr;
	uthread_t t;
	int v, cpu = sched_getcpu();
	struct sched_param sp;
	char here;

	(void)state;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 256 * 1024), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, 3 * 4096), 0);
	assert_int_equal(uthread_attr_setaffinity_np(&a, sizeof one, &one), 0);
	tu_set(&stop, 0);
	assert_int_equal(uthread_create(&t, &a, report_stack, &w), 0);
	assert_true(tu_wait(&w.ready, 1, 10000));
	memset(&got, 0xa5, sizeof got); /* getattr_np initialises it */
	assert_int_equal(uthread_getattr_np(t, &got), 0);
	assert_int_equal(uthread_attr_getstack(&got, &addr, &size), 0);
	assert_true(size >= 256 * 1024 && size < 256 * 1024 + 65536);
	assert_true(w.local > (char *)addr && w.local < (char *)addr + size);
	assert_int_equal(uthread_attr_getguardsize(&got, &guard), 0);
	assert_int_equal(guard, 3 * 4096);
	assert_int_equal(uthread_attr_getdetachstate(&got, &v), 0);
	assert_int_equal(v, UTHREAD_CREATE_JOINABLE);
	assert_int_equal(uthread_attr_getaffinity_np(&got, sizeof cpus, &cpus), 0);
	assert_true(CPU_EQUAL(&cpus, &one));
	assert_int_equal(uthread_attr_getschedpolicy(&got, &v), 0);
	assert_int_equal(v, SCHED_OTHER);
	assert_int_equal(uthread_attr_getschedparam(&got, &sp), 0);
	assert_int_equal(sp.sched_priority, 0);
	assert_int_equal(uthread_attr_destroy(&got), 0);
	assert_int_equal(uthread_detach(t), 0);
	assert_int_equal(uthread_getattr_np(t, &got), 0);
	assert_int_equal(uthread_attr_getdetachstate(&got, &v), 0);
	assert_int_equal(v, UTHREAD_CREATE_DETACHED);
	assert_int_equal(uthread_attr_destroy(&got), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	/* Detached and ended: its handle goes stale. */
	tu_set(&stop, 1);
	pid_t tid;
	for (v = 0; v < 2000 && uthread_gettid(t, &tid) == 0; v++)
		tu_sleep_ms(1);
	assert_int_not_equal(uthread_gettid(t, &tid), 0);
	assert_int_equal(uthread_getattr_np(t, &got), ESRCH);
	/* The main thread: glibc's answer, a stack holding our locals. */
	assert_int_equal(uthread_getattr_np(uthread_self(), &got), 0);
	assert_int_equal(uthread_attr_getstack(&got, &addr, &size), 0);
	assert_true(&here > (char *)addr && &here < (char *)addr + size);
	assert_int_equal(uthread_attr_destroy(&got), 0);
	assert_int_equal(uthread_getattr_np(uthread_self(), NULL), EINVAL);
	assert_int_equal(uthread_getattr_np(0, &got), ESRCH);
}

static void *report_stack_once(void *arg)
{
	uthread_attr_t got;
	size_t size = 0;
	void *addr;

	(void)arg;
	if (uthread_getattr_np(uthread_self(), &got) != 0)
		return NULL;
	(void)uthread_attr_getstack(&got, &addr, &size);
	uthread_attr_destroy(&got);
	return (void *)size;
}

static void the_default_attributes_serve_null_attrs(void **state)
{
	uthread_attr_t a, d, orig;
	size_t size, dsize;
	void *ret;
	uthread_t t;
	char stack[UTHREAD_STACK_MIN * 2] __attribute__((aligned(16)));

	(void)state;
	assert_int_equal(uthread_getattr_default_np(&orig), 0);
	assert_int_equal(uthread_attr_getstacksize(&orig, &dsize), 0);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 192 * 1024), 0);
	assert_int_equal(uthread_setattr_default_np(&a), 0);
	assert_int_equal(uthread_getattr_default_np(&d), 0);
	assert_int_equal(uthread_attr_getstacksize(&d, &size), 0);
	assert_int_equal(size, 192 * 1024);
	assert_int_equal(uthread_attr_destroy(&d), 0);
	assert_int_equal(uthread_create(&t, NULL, report_stack_once, NULL), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_true((size_t)ret >= 192 * 1024 && (size_t)ret < 192 * 1024 + 65536);
	/* Bad input: a stack address, an uninitialised or NULL attr. */
	assert_int_equal(uthread_attr_setstack(&a, stack, sizeof stack), 0);
	assert_int_equal(uthread_setattr_default_np(&a), EINVAL);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(uthread_setattr_default_np(&a), EINVAL);
	assert_int_equal(uthread_setattr_default_np(NULL), EINVAL);
	assert_int_equal(uthread_getattr_default_np(NULL), EINVAL);
	/* Back to the original size. */
	assert_int_equal(uthread_attr_setstacksize(&orig, dsize), 0);
	assert_int_equal(uthread_setattr_default_np(&orig), 0);
	assert_int_equal(uthread_attr_destroy(&orig), 0);
}

static void concurrency_is_a_stored_hint(void **state)
{
	(void)state;
	assert_int_equal(uthread_getconcurrency(), 0);
	assert_int_equal(uthread_setconcurrency(4), 0);
	assert_int_equal(uthread_getconcurrency(), 4);
	assert_int_equal(uthread_setconcurrency(-1), EINVAL);
	assert_int_equal(uthread_getconcurrency(), 4);
	assert_int_equal(uthread_setconcurrency(0), 0);
	assert_int_equal(uthread_getconcurrency(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(attr_sched_defaults_are_glibcs),
		cmocka_unit_test(attr_sched_setters_check_their_values),
		cmocka_unit_test(explicit_scheduling_and_affinity_hold_from_the_first_line),
		cmocka_unit_test(a_refused_create_returns_the_error_and_leaves_nothing),
		cmocka_unit_test(creates_with_attributes_never_deadlock_against_setuid),
		cmocka_unit_test(fifo_without_privilege_fails_create_with_eperm),
		cmocka_unit_test(schedparam_acts_on_the_running_thread),
		cmocka_unit_test(affinity_acts_on_the_running_thread),
		cmocka_unit_test(calls_racing_a_threads_end_never_reach_the_caller),
		cmocka_unit_test(cpuclockid_is_the_threads_cpu_clock),
		cmocka_unit_test(attr_affinity_is_copied_with_glibcs_sizes),
		cmocka_unit_test(attr_sigmask_is_the_new_threads_mask_from_its_start),
		cmocka_unit_test(getattr_np_reports_the_actual_attributes),
		cmocka_unit_test(the_default_attributes_serve_null_attrs),
		cmocka_unit_test(concurrency_is_a_stored_hint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
