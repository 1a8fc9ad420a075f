/* SPDX-License-Identifier: MIT */
/*
 * syncutil.h - helpers for the synchronisation primitive tests: deadlines on
 * a clock, running a function in a uthread and collecting its int result,
 * waiting until a thread sleeps in futex(2), a whole-program watchdog and a
 * forked child with an alarm for bodies that hang when the primitive is
 * wrong.
 */
#ifndef UTHREAD_SYNCUTIL_H
#define UTHREAD_SYNCUTIL_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <uthread.h>

#include "testutil.h"

/* Iteration counts: the full count natively, a twentieth under valgrind
 * (never fewer than min). */
static inline long su_iters(long n, long min)
{
	long k = tu_on_valgrind() ? n / 20 : n;
	return k < min ? min : k;
}

/* The absolute time ms milliseconds from now on clock. */
static inline struct timespec su_deadline(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* a - b in milliseconds (negative if a is earlier). */
static inline double su_ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) * 1e3 +
	       (double)(a->tv_nsec - b->tv_nsec) / 1e6;
}

/* Milliseconds from deadline until now on clock: how late a timed wait
 * came back (negative: it returned early). */
static inline double su_ms_late(clockid_t clock, const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(clock, &now);
	return su_ms_between(&now, deadline);
}

/* Allowed lateness of a timed wait (scheduling, valgrind). */
static inline double su_max_late_ms(void)
{
	return tu_on_valgrind() ? 2000.0 : 200.0;
}

/* ------------------------------------------------------------------ */
/* Running an int-returning function in a uthread.                      */
/* ------------------------------------------------------------------ */

struct su_call {
	int (*fn)(void *);
	void *arg;
	int result;
};

static inline void *su_call_start(void *p)
{
	struct su_call *c = p;

	c->result = c->fn(c->arg);
	return NULL;
}

/* fn(arg) in a new uthread, joined: its return value, or -1000 - the
 * create/join error. */
static inline int su_in_thread(int (*fn)(void *), void *arg)
{
	struct su_call c = { fn, arg, 0 };
	uthread_t t;
	int r = uthread_create(&t, NULL, su_call_start, &c);

	if (r)
		return -1000 - r;
	r = uthread_join(t, NULL);
	return r ? -1000 - r : c.result;
}

/* ------------------------------------------------------------------ */
/* Sleeping threads and signals.                                        */
/* ------------------------------------------------------------------ */

/* The kernel tid of t, or -1. */
static inline pid_t su_tid(uthread_t t)
{
	pid_t tid;

	return uthread_gettid(t, &tid) ? -1 : tid;
}

/*
 * Wait (up to ms milliseconds) until thread tid sleeps in futex(2).
 * Returns 1 once it does, 0 on timeout.  A thread the caller knows is about
 * to block (it announced so under a lock) gets there in microseconds.
 */
static inline int su_wait_futex_sleep(pid_t tid, long ms)
{
	long long end = tu_now_ms() + ms;

	do {
		if (tu_task_syscall(tid) == SYS_futex)
			return 1;
		usleep(200);
	} while (tu_now_ms() < end);
	return 0;
}

/* Send sig to thread tid of this process. */
static inline int su_tgkill(pid_t tid, int sig)
{
	return (int)syscall(SYS_tgkill, (int)getpid(), (int)tid, sig);
}

/* Install handler for sig, with SA_RESTART if restart. */
static inline void su_handle(int sig, void (*handler)(int), int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* ------------------------------------------------------------------ */
/* Hangs are failures.                                                  */
/* ------------------------------------------------------------------ */

static inline void su_watchdog_fired(int sig)
{
	static const char msg[] = "watchdog: the test program hung; killed\n";

	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more to do */
	}
	_exit(124);
}

/* The watchdog's signal: not SIGALRM (the tests use it), not SIGRTMAX
 * (valgrind keeps that one for itself). */
#define SU_WATCHDOG_SIG (SIGRTMAX - 2)

/*
 * End the whole program with status 124 if it runs longer than seconds
 * (ten times that under valgrind).  A POSIX timer with its own signal, so
 * the tests remain free to use alarm(), setitimer() and SIGALRM.
 */
static inline void su_watchdog(int seconds)
{
	struct sigevent sev;
	struct itimerspec its;
	timer_t timer;

	su_handle(SU_WATCHDOG_SIG, su_watchdog_fired, 1);
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SU_WATCHDOG_SIG;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = tu_on_valgrind() ? 10 * seconds : seconds;
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0)
		timer_settime(timer, 0, &its, NULL);
}

/* In a forked child: report a failed check on stderr and exit 1. */
#define SU_CHECK(cond)                                                       \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                            \
			_exit(1);                                            \
		}                                                            \
	} while (0)

struct su_child_arg {
	int (*fn)(void *);
	void *arg;
	unsigned seconds;
};

static inline int su_child_body(void *p)
{
	struct su_child_arg *a = p;

	alarm(tu_on_valgrind() ? 10 * a->seconds : a->seconds);
	return a->fn(a->arg);
}

/*
 * Run fn(arg) in a forked child that SIGALRM kills after seconds (ten times
 * that under valgrind).  Returns 0 if the child exited with 0; otherwise
 * prints what happened and returns 1.  fn must not use cmocka assertions
 * (they would longjmp inside the child); use SU_CHECK or return nonzero.
 */
static inline int su_run_child(int (*fn)(void *), void *arg, unsigned seconds)
{
	struct su_child_arg a = { fn, arg, seconds };
	int st = tu_in_child(su_child_body, &a);

	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (st == -1)
		fprintf(stderr, "fork/wait failed\n");
	else if (WIFSIGNALED(st))
		fprintf(stderr, "child killed by signal %d%s\n", WTERMSIG(st),
		        WTERMSIG(st) == SIGALRM ? " (it hung)" : "");
	else
		fprintf(stderr, "child exited with %d\n", WEXITSTATUS(st));
	return 1;
}

#endif
