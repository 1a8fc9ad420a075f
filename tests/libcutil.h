/* SPDX-License-Identifier: MIT */
/*
 * libcutil.h - helpers of the libc-in-a-uthread tests (test_stdio,
 * test_malloc, test_tls, test_misc, test_cxx): valgrind detection for
 * scaling loop counts down, a spin-wait on a counter that only calls
 * sched_yield (it touches neither errno nor any lock), clocks, and the
 * number of threads the kernel lists for this process.
 */
#ifndef UTHREAD_LIBCUTIL_H
#define UTHREAD_LIBCUTIL_H

#include <dirent.h>
#include <sched.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define LU_HAVE_VALGRIND 1
#endif
#endif

/* Nonzero when running under valgrind: loops run a tenth as long there. */
static inline int lu_on_valgrind(void)
{
#ifdef LU_HAVE_VALGRIND
	return RUNNING_ON_VALGRIND ? 1 : 0;
#else
	return 0;
#endif
}

static inline int lu_scaled(int n)
{
	return lu_on_valgrind() ? n / 10 : n;
}

/* Wait until *counter reaches n (acquire: what was done before each
 * increment is visible afterwards). */
static inline void lu_spin_until(unsigned *counter, unsigned n)
{
	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < n)
		sched_yield();
}

/* Milliseconds on the monotonic clock. */
static inline long long lu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void lu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Threads of this process: entries in /proc/self/task, or -1. */
static inline int lu_count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

#endif
