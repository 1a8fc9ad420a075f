/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - small helpers shared by the cmocka tests: running a body in
 * a forked child and reading its fate, counting mappings, heap size, and
 * the hand-shakes between a test's own threads (tu_set, tu_wait, ...) that
 * helgrind and DRD understand.
 */
#ifndef UTHREAD_TESTUTIL_H
#define UTHREAD_TESTUTIL_H

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Number of lines in /proc/self/maps (one per mapping). */
static inline int tu_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Bytes malloc has taken from the system (main arena + mmapped chunks). */
static inline size_t tu_heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.arena + mi.hblkhd;
}

/*
 * Run fn(arg) in a forked child, which exits with fn's return value.
 * Returns the raw wait status (use WIFEXITED/WTERMSIG on it), or -1.
 * stdout/stderr are flushed first so nothing is printed twice.
 */
static inline int tu_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* ------------------------------------------------------------------ */
/* Added for the lifecycle tests.                                       */
/* ------------------------------------------------------------------ */

#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TU_HAVE_VALGRIND 1
#endif
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define TU_HAVE_MEMCHECK_H 1
#endif
#endif

/* Nonzero under valgrind: long loops scale their counts down with it. */
static inline int tu_on_valgrind(void)
{
#ifdef TU_HAVE_VALGRIND
	return (int)RUNNING_ON_VALGRIND;
#else
	return 0;
#endif
}

/* ------------------------------------------------------------------ */
/* Hand-shakes between a test's own threads                             */
/* ------------------------------------------------------------------ */

/*
 * Start gates, ready and go flags, stop flags and done counters are int
 * words that the tests' threads touch only through these functions.  They
 * are atomics, which helgrind and DRD do not take as synchronisation, so
 * each access also tells the tools: the word itself is no data race, and a
 * set (or add) happens before every get or wait that sees it.  What a
 * thread wrote before it set a flag may then be read, without a lock, by
 * the thread that waited for the flag.  Outside valgrind a client request
 * costs a few instructions.
 *
 * DRD keeps such an annotation on a stack address after the frame is gone
 * (valgrind 3.19's DRD ignores ANNOTATE_HAPPENS_BEFORE_FORGET_ALL) and
 * then takes a lock later built at that address for the wrong kind of
 * object; 'make check-valgrind' runs DRD with --check-stack-var=yes, which
 * drops a popped frame's annotations (and checks stack variables for races
 * too).
 */
#if defined(TU_HAVE_VALGRIND) && __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#define TU_UNTRACKED(p) VALGRIND_HG_DISABLE_CHECKING((p), sizeof *(p))
#define TU_BEFORE(p)    ANNOTATE_HAPPENS_BEFORE(p)
#define TU_AFTER(p)     ANNOTATE_HAPPENS_AFTER(p)
#else
#define TU_UNTRACKED(p) ((void)(p))
#define TU_BEFORE(p)    ((void)(p))
#define TU_AFTER(p)     ((void)(p))
#endif
/* After helgrind.h, which drd.h expects first. */
#if defined(TU_HAVE_VALGRIND) && __has_include(<valgrind/drd.h>)
#include <valgrind/drd.h>
#endif

/* Nonzero under DRD: only DRD answers its thread-id request (with the
 * running thread's valgrind id, never 0). */
static inline int tu_on_drd(void)
{
#if defined(TU_HAVE_VALGRIND) && defined(DRD_GET_VALGRIND_THREADID)
	return DRD_GET_VALGRIND_THREADID != 0;
#else
	return 0;
#endif
}

/* Nonzero under helgrind or DRD (a thread checker): valgrind runs the
 * program, and its tool is not memcheck, the only one that answers a
 * request for validity bits (1: done; the others leave 0). */
static inline int tu_on_thread_checker(void)
{
#if defined(TU_HAVE_VALGRIND) && defined(TU_HAVE_MEMCHECK_H)
	char byte = 0, vbits;

	return tu_on_valgrind() && VALGRIND_GET_VBITS(&byte, &vbits, 1) != 1;
#else
	return 0;
#endif
}

/* *flag = v; what the caller did before happens before the gets that see
 * it.  Async-signal-safe. */
static inline void tu_set(int *flag, int v)
{
	TU_UNTRACKED(flag);
	TU_BEFORE(flag);
	__atomic_store_n(flag, v, __ATOMIC_RELEASE);
}

/* *flag; what its setters did before setting it is visible. */
static inline int tu_get(int *flag)
{
	int v;

	TU_UNTRACKED(flag);
	v = __atomic_load_n(flag, __ATOMIC_ACQUIRE);
	TU_AFTER(flag);
	return v;
}

/* *flag without telling the tools anything: for polling loops (DRD starts
 * a new segment for every happens-after).  End the loop with one tu_get. */
static inline int tu_peek(int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* Add d to *counter and return the new value; ordered like a set and a
 * get.  Async-signal-safe. */
static inline int tu_add(int *counter, int d)
{
	int v;

	TU_UNTRACKED(counter);
	TU_BEFORE(counter);
	v = __atomic_add_fetch(counter, d, __ATOMIC_ACQ_REL);
	TU_AFTER(counter);
	return v;
}

/*
 * Wait until *flag >= n; what its setters did is then visible.  ms < 0:
 * for as long as it takes; else give up after ms milliseconds (ten times
 * that under valgrind).  1 once *flag >= n, 0 on timeout.  Spins briefly,
 * yields, and after a few hundred yields sleeps a millisecond at a time (a
 * long wait leaves the CPU to the threads it waits for).  errno is kept;
 * no lock is taken.
 */
static inline int tu_wait(int *flag, int n, long ms)
{
	struct timespec now;
	long long end = -1;

	for (unsigned spins = 1; tu_peek(flag) < n; spins++) {
		if (spins % 64) {
			__asm__ volatile("pause" ::: "memory");
			continue;
		}
		if (ms >= 0) {
			long long t;
			clock_gettime(CLOCK_MONOTONIC, &now);
			t = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
			if (end < 0)
				end = t + (tu_on_valgrind() ? 10 * ms : ms);
			else if (t > end)
				return 0;
		}
		if (spins < 64 * 256) {
			sched_yield(); /* more threads than CPUs, or valgrind's one at a time */
		} else {
			struct timespec ts = { 0, 1000000 };
			int e = errno;
			nanosleep(&ts, NULL);
			errno = e;
		}
	}
	(void)tu_get(flag);
	return 1;
}

/*
 * Like tu_count_maps(), but under valgrind leaves out valgrind's own
 * anonymous rwx mappings (its arenas and translation caches come and go
 * as it pleases; the program under test never maps rwx memory).  Without
 * valgrind it is exactly tu_count_maps().
 */
static inline int tu_count_own_maps(void)
{
	FILE *f;
	char line[512];
	int n = 0;

	if (!tu_on_valgrind())
		return tu_count_maps();
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char perms[5] = "";
		unsigned long ino = 1;
		if (sscanf(line, "%*x-%*x %4s %*x %*s %lu", perms, &ino) == 2 &&
		    strcmp(perms, "rwxp") == 0 && ino == 0)
			continue;
		n++;
	}
	fclose(f);
	return n;
}

/* Milliseconds on the monotonic clock. */
static inline long long tu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A deadline ms milliseconds from now on the tu_now_ms() clock, ten times
 * further under valgrind: for waits that only a hang should outlast. */
static inline long long tu_deadline_ms(long ms)
{
	return tu_now_ms() + (tu_on_valgrind() ? 10LL * ms : ms);
}

/* Sleep ms milliseconds (restarting after a signal). */
static inline void tu_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Number of threads of this process (entries in /proc/self/task). */
static inline int tu_count_tasks(void)
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

/* Nonzero while the kernel still lists thread tid in this process. */
static inline int tu_task_exists(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
	return access(path, F_OK) == 0;
}

/*
 * The mapping of this process that contains addr: its bounds and its
 * permission string ("rw-p", "---p", ...).  Returns 0, or -1 if no mapping
 * contains addr.
 */
static inline int tu_find_map(const void *addr, uintptr_t *lo, uintptr_t *hi,
                              char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b;
		char p[5];
		if (sscanf(line, "%lx-%lx %4s", &a, &b, p) != 3)
			continue;
		if ((uintptr_t)addr >= a && (uintptr_t)addr < b) {
			*lo = a;
			*hi = b;
			memcpy(perms, p, 5);
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * The system call thread tid of this process is blocked in (the first
 * field of /proc/self/task/TID/syscall), or -1 if it is running or the
 * file cannot be read.
 */
static inline long tu_task_syscall(pid_t tid)
{
	char path[64], buf[64];
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof buf, f) || sscanf(buf, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr;
}

/* ------------------------------------------------------------------ */
/* Added for the hardening tests.                                       */
/* ------------------------------------------------------------------ */

/*
 * The word at offset off of the calling thread's TCB (%fs:off on x86-64):
 * 0x28 is the stack-protector canary, 0x30 the pointer guard.
 */
static inline uintptr_t tu_tcb_word(uintptr_t off)
{
	uintptr_t v;

	__asm__ volatile("mov %%fs:(%1), %0" : "=r"(v) : "r"(off));
	return v;
}

#endif
