/* SPDX-License-Identifier: MIT */
/*
 * stress.c - long runs that look for lost or duplicated work: tens of
 * thousands of threads created, joined and detached, lock and wait storms
 * with exact final counts, fork() while other threads hold locks, signals
 * aimed at threads asleep in futex(2).  After every scenario the process
 * must be back where it started: the same mappings, the same heap, no
 * thread left behind.  Run by 'make stress' (full scale) and, at small
 * scale, under memcheck, helgrind and DRD by 'make stress-valgrind'.
 * Exit status 0 only if every check of every scenario held.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <uthread.h>
#include "testutil.h"

#if defined(TU_HAVE_VALGRIND) && __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
/* Statistics words (alive, peak, failure counts) that threads bump with
 * atomics and nobody synchronises through: not races, tell the tools. */
#define UNTRACKED(p) VALGRIND_HG_DISABLE_CHECKING((p), sizeof *(p))
#else
#define UNTRACKED(p) ((void)(p))
#endif

/* ------------------------------------------------------------------ */
/* Sizes                                                                */
/* ------------------------------------------------------------------ */

struct sizes {
	long cycles;        /* create-join: create/join cycles */
	int alive;          /* many-alive: threads alive at once */
	long detached;      /* detached: detached threads in all */
	int inflight;       /* detached: most not yet finished */
	long join_rounds;   /* join-waiting: rounds per joiner */
	long mutex_iters;   /* mutex: lock/unlock per thread and type */
	long cond_items;    /* cond: items per producer */
	long rw_iters;      /* rwlock: write locks per writer */
	long sem_iters;     /* sem: waits per thread (mutex use), tokens per producer */
	long barrier_rounds;
	long spin_iters;
	int forks;          /* fork: children forked */
	int init_forks;     /* fork-during-init: fresh processes */
	int signals;        /* signals: signals sent to each target */
	long cancel_rounds; /* cancel: rounds of each race */
	int timeout;        /* watchdog, seconds per scenario */
};

static const struct sizes full_sizes = {
	.cycles = 100000, .alive = 1000, .detached = 200000, .inflight = 256,
	.join_rounds = 2000, .mutex_iters = 1000000, .cond_items = 300000,
	.rw_iters = 500000, .sem_iters = 500000, .barrier_rounds = 100000,
	.spin_iters = 2000000, .forks = 500, .init_forks = 10, .signals = 20000,
	.cancel_rounds = 5000, .timeout = 120,
};

/* Small enough for helgrind, which runs threads one at a time and ~100x
 * slower; still enough to make every code path race. */
static const struct sizes small_sizes = {
	.cycles = 2000, .alive = 500, .detached = 200, .inflight = 32,
	.join_rounds = 20, .mutex_iters = 1000, .cond_items = 1000,
	.rw_iters = 500, .sem_iters = 1000, .barrier_rounds = 200,
	.spin_iters = 500, .forks = 8, .init_forks = 3, .signals = 100,
	.cancel_rounds = 40, .timeout = 900,
};

/* The largest full-scale arrays. */
#define MAX_CYCLES   100000
#define MAX_ALIVE    1000
#define MAX_DETACHED 200000
#define MAX_ITEMS    (3 * 300000)

static const struct sizes *S;
static int on_valgrind;

/*
 * Blocks the threads malloc and free themselves are bigger than malloc's
 * per-thread cache takes (tcache: up to 1032 bytes).  uthread hands an
 * ended thread's tcache on to the next thread of its slot with whatever it
 * holds, so tcache-sized frees stay in use (bounded by threads x tcache
 * capacity) and would blur the leak check; bigger ones go back to the arena
 * as with glibc's threads.
 */
#define BIG_BLOCK 1040

/* ------------------------------------------------------------------ */
/* Checks and statistics                                                */
/* ------------------------------------------------------------------ */

static const char *current;  /* the running scenario's name */
static int failures;         /* failed checks in the running scenario */

static void failed(int line, const char *what, const char *fmt, ...)
	__attribute__((__format__(__printf__, 3, 4)));

/* Report a failed check (from any thread); the first few are printed. */
static void failed(int line, const char *what, const char *fmt, ...)
{
	int n = __atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	char detail[256] = "";
	va_list ap;

	if (n > 20)
		return;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "  %s: stress.c:%d: check failed: %s%s%s\n", current, line,
	        what, *detail ? ": " : "", detail);
}

#define CHECK(cond) \
	do { if (!(cond)) failed(__LINE__, #cond, NULL); } while (0)
#define CHECKF(cond, ...) \
	do { if (!(cond)) failed(__LINE__, #cond, __VA_ARGS__); } while (0)
/* A call that must return 0. */
#define CHECK0(call) \
	do { int r_ = (call); if (r_ != 0) failed(__LINE__, #call, "returned %d (%s)", r_, strerror(r_)); } while (0)

static long created;   /* uthreads created in the running scenario */
static long alive;     /* scenario threads now between enter and leave */
static long peak;      /* most of them at once */

static int spawn(uthread_t *t, const uthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	int r = uthread_create(t, a, fn, arg);

	if (r == 0)
		__atomic_add_fetch(&created, 1, __ATOMIC_RELAXED);
	return r;
}

static void enter(void)
{
	long n = __atomic_add_fetch(&alive, 1, __ATOMIC_RELAXED);
	long p = __atomic_load_n(&peak, __ATOMIC_RELAXED);

	while (n > p && !__atomic_compare_exchange_n(&peak, &p, n, 1, __ATOMIC_RELAXED,
	                                             __ATOMIC_RELAXED))
		;
}

static void leave(void)
{
	__atomic_sub_fetch(&alive, 1, __ATOMIC_RELAXED);
}

/* A tiny per-thread random number generator (xorshift). */
static unsigned next_rand(unsigned *s)
{
	unsigned x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static pid_t my_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static pid_t tid_of(uthread_t t)
{
	pid_t tid = -1;

	return uthread_gettid(t, &tid) ? -1 : tid;
}

/* An absolute time ms milliseconds from now on clock. */
static struct timespec deadline(clockid_t clock, long ms)
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

/* Busy for about us microseconds (keeps a lock held without a syscall). */
static void busy_us(long us)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 < us);
}

/*
 * The system call thread tid is blocked in and its first three arguments
 * (/proc/self/task/TID/syscall); -1 if it is running or the file cannot
 * be read.
 */
static long task_syscall(pid_t tid, unsigned long args[3])
{
	char path[64], buf[256];
	long nr = -1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%ld 0x%lx 0x%lx 0x%lx", &nr, &args[0], &args[1], &args[2]) != 4)
		return -1;
	return nr;
}

/* Wait until this process has exactly n threads again (detached threads
 * still on their way out); 1 once it has. */
static int wait_tasks(int n, long ms)
{
	long long end = tu_now_ms() + ms;

	while (tu_count_tasks() != n) {
		if (tu_now_ms() >= end)
			return 0;
		tu_sleep_ms(1);
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Mappings: the baseline and what changed                              */
/* ------------------------------------------------------------------ */

static char maps0_text[1 << 18];

/*
 * /proc/self/maps without valgrind's own rwx mappings (as
 * tu_count_own_maps counts them), into buf (if not NULL); the number of
 * lines, and in *bytes their total size without [heap] and [stack] (which
 * brk and the main thread's stack move).  The size catches what the count
 * cannot: the kernel merges adjacent anonymous mappings, so a leak of
 * registry chunks or stacks next to each other may keep the count.
 */
static int read_own_maps(char *buf, size_t len, size_t *bytes)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	size_t used = 0, total = 0;
	int n = 0;

	if (buf)
		buf[0] = '\0';
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		char perms[5] = "";
		unsigned long lo, hi, ino = 1;
		size_t l = strlen(line);
		if (sscanf(line, "%lx-%lx %4s %*x %*s %lu", &lo, &hi, perms, &ino) != 4)
			continue;
		if (on_valgrind && strcmp(perms, "rwxp") == 0 && ino == 0)
			continue;
		if (!strstr(line, "[heap]") && !strstr(line, "[stack]"))
			total += hi - lo;
		if (buf && used + l + 1 < len) {
			memcpy(buf + used, line, l + 1);
			used += l;
		}
		n++;
	}
	fclose(f);
	if (bytes)
		*bytes = total;
	return n;
}

/* Print the lines of a that are not in b, prefixed with sign. */
static void print_missing(const char *a, const char *b, char sign)
{
	const char *p = a;
	int shown = 0;

	while (*p && shown < 12) {
		const char *e = strchr(p, '\n');
		size_t l = e ? (size_t)(e - p + 1) : strlen(p);
		const char *q = b;
		int found = 0;
		while (*q) {
			const char *qe = strchr(q, '\n');
			size_t ql = qe ? (size_t)(qe - q + 1) : strlen(q);
			if (ql == l && memcmp(p, q, l) == 0) {
				found = 1;
				break;
			}
			q += ql;
		}
		if (!found) {
			fprintf(stderr, "    %c %.*s", sign, (int)l, p);
			shown++;
		}
		p += l;
	}
}

static void show_maps_diff(void)
{
	static char now[1 << 18];

	read_own_maps(now, sizeof now, NULL);
	print_missing(maps0_text, now, '-');
	print_missing(now, maps0_text, '+');
}

/* Bytes malloc has handed out and not had back (all arenas + mmapped). */
static size_t heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* ------------------------------------------------------------------ */
/* Watchdog                                                             */
/* ------------------------------------------------------------------ */

/* Not SIGALRM (fork children use alarm), not SIGRTMAX (valgrind's). */
#define WATCHDOG_SIG (SIGRTMAX - 2)
static timer_t watchdog;
static int have_watchdog;

static void watchdog_fired(int sig)
{
	static const char a[] = "\nstress: watchdog: scenario '";
	static const char b[] = "' hung; giving up\n";
	ssize_t r;

	(void)sig;
	r = write(2, a, sizeof a - 1);
	r = write(2, current, strlen(current));
	r = write(2, b, sizeof b - 1);
	(void)r;
	_exit(124);
}

static void watchdog_arm(int seconds)
{
	struct itimerspec its;

	if (!have_watchdog)
		return;
	memset(&its, 0, sizeof its);
	its.it_value.tv_sec = seconds;
	timer_settime(watchdog, 0, &its, NULL);
}

static void watchdog_init(void)
{
	struct sigaction sa;
	struct sigevent sev;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = watchdog_fired;
	sigemptyset(&sa.sa_mask);
	sigaction(WATCHDOG_SIG, &sa, NULL);
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = WATCHDOG_SIG;
	have_watchdog = timer_create(CLOCK_MONOTONIC, &sev, &watchdog) == 0;
}

/* ================================================================== */
/* create-join                                                          */
/* ================================================================== */

static unsigned char cj_ran[MAX_CYCLES];

static uintptr_t cj_value(long id)
{
	return (uintptr_t)id * 2654435761u + 1;
}

static void *cj_thread(void *arg)
{
	long id = (long)(intptr_t)arg;

	enter();
	cj_ran[id]++;
	if (id % 8 == 0) {
		/* Some libc work: malloc in this thread's arena, stdio. */
		size_t sz = BIG_BLOCK + (size_t)id % 5000;
		char *p = malloc(sz);
		if (p) {
			snprintf(p, sz, "thread %ld", id);
			free(p);
		}
	}
	leave();
	if (id & 1)
		uthread_exit((void *)cj_value(id));
	return (void *)cj_value(id);
}

struct cj_worker {
	long first, n;
	long bad_value, errors;
};

static void *cj_worker(void *arg)
{
	struct cj_worker *w = arg;

	for (long i = w->first; i < w->first + w->n; i++) {
		uthread_t t;
		void *ret = NULL;
		int r = spawn(&t, NULL, cj_thread, (void *)(intptr_t)i);
		if (r == 0)
			r = uthread_join(t, &ret);
		if (r) {
			w->errors++;
			continue;
		}
		w->bad_value += ret != (void *)cj_value(i);
	}
	return NULL;
}

static long run_create_join(void)
{
	enum { WORKERS = 2 };
	struct cj_worker w[WORKERS];
	uthread_t t[WORKERS];
	long n = S->cycles, twice = 0, never = 0;

	memset(cj_ran, 0, sizeof cj_ran);
	for (int i = 0; i < WORKERS; i++) {
		w[i] = (struct cj_worker){ .first = i * (n / WORKERS), .n = n / WORKERS };
		CHECK0(spawn(&t[i], NULL, cj_worker, &w[i]));
	}
	for (int i = 0; i < WORKERS; i++) {
		CHECK0(uthread_join(t[i], NULL));
		CHECKF(w[i].errors == 0, "%ld creates or joins failed", w[i].errors);
		CHECKF(w[i].bad_value == 0, "%ld joins returned a wrong value", w[i].bad_value);
	}
	for (long i = 0; i < WORKERS * (n / WORKERS); i++) {
		never += cj_ran[i] == 0;
		twice += cj_ran[i] > 1;
	}
	CHECKF(never == 0 && twice == 0, "%ld threads never ran, %ld ran twice", never, twice);
	return WORKERS * (n / WORKERS);
}

/* ================================================================== */
/* many-alive                                                           */
/* ================================================================== */

static uthread_barrier_t ma_barrier;

static void *ma_thread(void *arg)
{
	long id = (long)(intptr_t)arg;
	char *buf;

	enter();
	buf = malloc(64);
	if (buf)
		snprintf(buf, 64, "alive %ld", id);
	uthread_barrier_wait(&ma_barrier); /* all are alive */
	uthread_barrier_wait(&ma_barrier); /* main has counted them */
	leave();
	return buf;
}

static long run_many_alive(void)
{
	static uthread_t t[MAX_ALIVE];
	int n = S->alive, tasks0 = tu_count_tasks(), started = 0;
	long bad = 0;

	CHECK0(uthread_barrier_init(&ma_barrier, NULL, (unsigned)n + 1));
	for (int i = 0; i < n; i++) {
		int r = spawn(&t[i], NULL, ma_thread, (void *)(intptr_t)i);
		CHECKF(r == 0, "create #%d: %s", i, strerror(r));
		if (r)
			break;
		started++;
	}
	if (started != n) {
		/* Cannot meet at the barrier: stop here (the started ones hang). */
		return started;
	}
	uthread_barrier_wait(&ma_barrier);
	CHECKF(tu_count_tasks() == tasks0 + n, "%d tasks, want %d", tu_count_tasks(), tasks0 + n);
	CHECKF(__atomic_load_n(&alive, __ATOMIC_RELAXED) == n, "alive %ld", alive);
	uthread_barrier_wait(&ma_barrier);
	for (int i = 0; i < n; i++) {
		void *ret = NULL;
		char want[32];
		CHECK0(uthread_join(t[i], &ret));
		snprintf(want, sizeof want, "alive %d", i);
		bad += !ret || strcmp(ret, want) != 0;
		free(ret);
	}
	CHECKF(bad == 0, "%ld threads returned the wrong buffer", bad);
	CHECK0(uthread_barrier_destroy(&ma_barrier));
	CHECKF(peak == n, "peak %ld, want %d", peak, n);
	return n;
}

/* ================================================================== */
/* detached                                                             */
/* ================================================================== */

static unsigned char dt_done[MAX_DETACHED];
static uthread_mutex_t dt_lock = UTHREAD_MUTEX_INITIALIZER;
static uthread_cond_t dt_all_done = UTHREAD_COND_INITIALIZER;
static long dt_finished, dt_total;
static uthread_sem_t dt_slots;

static void *dt_thread(void *arg)
{
	long id = (long)(intptr_t)arg;

	enter();
	dt_done[id]++;
	if (id % 16 == 0) {
		char *p = malloc(BIG_BLOCK + (size_t)id % 3000);
		if (p) {
			p[0] = (char)id;
			free(p);
		}
	}
	uthread_mutex_lock(&dt_lock);
	if (++dt_finished == dt_total)
		uthread_cond_signal(&dt_all_done);
	uthread_mutex_unlock(&dt_lock);
	leave();
	uthread_sem_post(&dt_slots);
	if (id % 3 == 0)
		uthread_exit(NULL);
	return NULL;
}

struct dt_creator {
	long first, n;
	long errors;
};

/* Create n detached threads: half detached by attribute, half detached
 * right after create (racing with their exit). */
static void *dt_creator(void *arg)
{
	struct dt_creator *c = arg;
	uthread_attr_t a;

	if (uthread_attr_init(&a) ||
	    uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED)) {
		c->errors = c->n;
		return NULL;
	}
	for (long i = c->first; i < c->first + c->n; i++) {
		uthread_t t;
		int r;
		uthread_sem_wait(&dt_slots);
		if (i & 1) {
			r = spawn(&t, &a, dt_thread, (void *)(intptr_t)i);
		} else {
			r = spawn(&t, NULL, dt_thread, (void *)(intptr_t)i);
			if (r == 0)
				r = uthread_detach(t);
		}
		c->errors += r != 0;
	}
	uthread_attr_destroy(&a);
	return NULL;
}

static long run_detached(void)
{
	enum { CREATORS = 4 };
	struct dt_creator c[CREATORS];
	uthread_t t[CREATORS];
	long n = S->detached / CREATORS * CREATORS, never = 0, twice = 0;
	int tasks0 = tu_count_tasks(), ok;

	memset(dt_done, 0, sizeof dt_done);
	dt_finished = 0;
	dt_total = n;
	CHECK0(uthread_sem_init(&dt_slots, 0, (unsigned)S->inflight));
	for (int i = 0; i < CREATORS; i++) {
		c[i] = (struct dt_creator){ .first = i * (n / CREATORS), .n = n / CREATORS };
		CHECK0(spawn(&t[i], NULL, dt_creator, &c[i]));
	}
	for (int i = 0; i < CREATORS; i++) {
		CHECK0(uthread_join(t[i], NULL));
		CHECKF(c[i].errors == 0, "%ld creates or detaches failed", c[i].errors);
	}
	uthread_mutex_lock(&dt_lock);
	while (dt_finished < n) {
		struct timespec ts = deadline(CLOCK_REALTIME, 1000L * S->timeout);
		if (uthread_cond_timedwait(&dt_all_done, &dt_lock, &ts) == ETIMEDOUT)
			break;
	}
	CHECKF(dt_finished == n, "%ld of %ld detached threads finished", dt_finished, n);
	uthread_mutex_unlock(&dt_lock);
	for (long i = 0; i < n; i++) {
		never += dt_done[i] == 0;
		twice += dt_done[i] > 1;
	}
	CHECKF(never == 0 && twice == 0, "%ld threads never ran, %ld ran twice", never, twice);
	ok = wait_tasks(tasks0, 1000L * S->timeout);
	CHECKF(ok, "%d tasks remain, want %d", tu_count_tasks(), tasks0);
	/* Every slot came back: the value is where it started. */
	{
		int v = -1;
		CHECK0(uthread_sem_getvalue(&dt_slots, &v));
		CHECKF(v == S->inflight, "semaphore %d, want %d", v, S->inflight);
	}
	CHECK0(uthread_sem_destroy(&dt_slots));
	return n;
}

/* ================================================================== */
/* join-waiting                                                         */
/* ================================================================== */

struct jw_joiner {
	pid_t tid;          /* the joiner's kernel tid */
	long round;
	int seen;           /* the child saw its joiner asleep in futex */
	long seen_total, bad_value, errors;
};

static uintptr_t jw_value(const struct jw_joiner *j)
{
	return ((uintptr_t)j->tid << 20) + (uintptr_t)j->round + 1;
}

/* Wait until the joiner sleeps in futex(2) on our tid word, then end. */
static void *jw_child(void *arg)
{
	struct jw_joiner *j = arg;
	pid_t me = my_tid();
	long long end;

	enter();
	end = tu_now_ms() + (on_valgrind ? 60000 : 10000);
	j->seen = 0;
	while (tu_now_ms() < end) {
		unsigned long a[3];
		/*
		 * join sleeps on the thread block's tid word; the value it
		 * expects is our tid, or -1 if it looked before we started.
		 */
		if (task_syscall(j->tid, a) == SYS_futex &&
		    ((uint32_t)a[2] == (uint32_t)me || (uint32_t)a[2] == UINT32_MAX)) {
			j->seen = 1;
			break;
		}
		if (on_valgrind)
			usleep(100);
		else
			uthread_yield();
	}
	leave();
	if (j->round & 1)
		uthread_exit((void *)jw_value(j));
	return (void *)jw_value(j);
}

static void *jw_joiner(void *arg)
{
	struct jw_joiner *j = arg;

	j->tid = my_tid();
	for (j->round = 0; j->round < S->join_rounds; j->round++) {
		uthread_t t;
		void *ret = NULL;
		if (spawn(&t, NULL, jw_child, j) || uthread_join(t, &ret)) {
			j->errors++;
			continue;
		}
		j->seen_total += j->seen;
		j->bad_value += ret != (void *)jw_value(j);
	}
	return NULL;
}

static long run_join_waiting(void)
{
	enum { JOINERS = 4 };
	struct jw_joiner j[JOINERS];
	uthread_t t[JOINERS];
	long total = 0;

	memset(j, 0, sizeof j);
	for (int i = 0; i < JOINERS; i++)
		CHECK0(spawn(&t[i], NULL, jw_joiner, &j[i]));
	for (int i = 0; i < JOINERS; i++) {
		CHECK0(uthread_join(t[i], NULL));
		CHECKF(j[i].errors == 0, "joiner %d: %ld creates or joins failed", i, j[i].errors);
		CHECKF(j[i].bad_value == 0, "joiner %d: %ld wrong values", i, j[i].bad_value);
		CHECKF(j[i].seen_total == S->join_rounds,
		       "joiner %d: asleep in join before the exit in %ld of %ld rounds",
		       i, j[i].seen_total, S->join_rounds);
		total += j[i].seen_total;
	}
	return total;
}

/* ================================================================== */
/* mutex                                                                */
/* ================================================================== */

struct mx_shared {
	uthread_mutex_t m;
	int type, pi;
	long counter;       /* under m */
	int holder;         /* under m: who is inside, 0 nobody */
	long overlap;       /* entered while someone else was inside */
	long errors;        /* a call returned what it must not */
};

struct mx_thread {
	struct mx_shared *s;
	int id;
	long busy;          /* trylock answered EBUSY */
};

static void *mx_thread(void *arg)
{
	struct mx_thread *me = arg;
	struct mx_shared *s = me->s;
	unsigned seed = (unsigned)me->id * 7919u;
	long errors = 0;

	enter();
	for (long k = 0; k < S->mutex_iters; k++) {
		unsigned op = next_rand(&seed) % 16;
		int r;
		if (op < 11) {
			r = uthread_mutex_lock(&s->m);
		} else if (op < 14) {
			while ((r = uthread_mutex_trylock(&s->m)) == EBUSY) {
				me->busy++;
				uthread_yield();
			}
		} else {
			struct timespec ts = deadline(CLOCK_REALTIME, 600000);
			r = uthread_mutex_timedlock(&s->m, &ts);
		}
		if (r) {
			errors++;
			continue;
		}
		s->overlap += s->holder != 0;
		s->holder = me->id;
		s->counter++;
		if (s->type == UTHREAD_MUTEX_RECURSIVE && k % 4 == 0) {
			errors += uthread_mutex_lock(&s->m) != 0;
			errors += uthread_mutex_trylock(&s->m) != 0;
			s->overlap += s->holder != me->id;
			errors += uthread_mutex_unlock(&s->m) != 0;
			errors += uthread_mutex_unlock(&s->m) != 0;
		}
		if (s->type == UTHREAD_MUTEX_ERRORCHECK && k % 64 == 0) {
			errors += uthread_mutex_lock(&s->m) != EDEADLK;
			errors += uthread_mutex_trylock(&s->m) != EBUSY;
		}
		if (k % 256 == 0)
			uthread_yield(); /* others pile up asleep on the lock */
		s->overlap += s->holder != me->id;
		s->holder = 0;
		errors += uthread_mutex_unlock(&s->m) != 0;
		/* A checked mutex refuses an unlock by a thread not holding it. */
		if ((s->type != UTHREAD_MUTEX_NORMAL || s->pi) && k % 1000 == 500)
			errors += uthread_mutex_unlock(&s->m) != EPERM;
	}
	leave();
	__atomic_add_fetch(&s->errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static long run_mutex(void)
{
	enum { THREADS = 4 };
	static const struct { int type, pi; const char *name; } kinds[] = {
		{ UTHREAD_MUTEX_NORMAL, 0, "normal" },
		{ UTHREAD_MUTEX_ERRORCHECK, 0, "errorcheck" },
		{ UTHREAD_MUTEX_RECURSIVE, 0, "recursive" },
		{ UTHREAD_MUTEX_NORMAL, 1, "pi" },
	};
	long total = 0;

	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		struct mx_shared s;
		struct mx_thread th[THREADS];
		uthread_mutexattr_t ma;
		uthread_t t[THREADS];

		memset(&s, 0, sizeof s);
		UNTRACKED(&s.errors);
		s.type = kinds[k].type;
		s.pi = kinds[k].pi;
		CHECK0(uthread_mutexattr_init(&ma));
		CHECK0(uthread_mutexattr_settype(&ma, s.type));
		if (s.pi)
			CHECK0(uthread_mutexattr_setprotocol(&ma, UTHREAD_PRIO_INHERIT));
		CHECK0(uthread_mutex_init(&s.m, &ma));
		CHECK0(uthread_mutexattr_destroy(&ma));
		for (int i = 0; i < THREADS; i++) {
			th[i] = (struct mx_thread){ .s = &s, .id = i + 1 };
			CHECK0(spawn(&t[i], NULL, mx_thread, &th[i]));
		}
		for (int i = 0; i < THREADS; i++)
			CHECK0(uthread_join(t[i], NULL));
		CHECKF(s.counter == THREADS * S->mutex_iters, "%s: counter %ld, want %ld",
		       kinds[k].name, s.counter, THREADS * S->mutex_iters);
		CHECKF(s.overlap == 0, "%s: two threads inside at once %ld times",
		       kinds[k].name, s.overlap);
		CHECKF(s.errors == 0, "%s: %ld calls returned a wrong code", kinds[k].name, s.errors);
		CHECK0(uthread_mutex_destroy(&s.m));
		total += s.counter;
	}
	return total;
}

/* ================================================================== */
/* cond                                                                 */
/* ================================================================== */

#define CV_CAP 8

static struct {
	uthread_mutex_t m;
	uthread_cond_t not_empty;   /* CLOCK_MONOTONIC */
	uthread_cond_t not_full;    /* CLOCK_REALTIME */
	long buf[CV_CAP];
	int head, count;
	int done;
	long consumed, sum;
	long timeouts;
	long errors;
} cv;
static unsigned char cv_seen[MAX_ITEMS];

static void *cv_producer(void *arg)
{
	long p = (long)(intptr_t)arg, errors = 0;

	enter();
	for (long k = 0; k < S->cond_items; k++) {
		long item = p * S->cond_items + k;
		uthread_mutex_lock(&cv.m);
		while (cv.count == CV_CAP) {
			if (k % 3 == 0) {
				struct timespec ts = deadline(CLOCK_REALTIME, 2);
				int r = uthread_cond_timedwait(&cv.not_full, &cv.m, &ts);
				if (r == ETIMEDOUT)
					cv.timeouts++;
				else
					errors += r != 0;
			} else {
				errors += uthread_cond_wait(&cv.not_full, &cv.m) != 0;
			}
		}
		cv.buf[(cv.head + cv.count) % CV_CAP] = item;
		cv.count++;
		/* Now and then broadcast: the requeue path. */
		errors += (k % 50 == 0 ? uthread_cond_broadcast(&cv.not_empty)
		                       : uthread_cond_signal(&cv.not_empty)) != 0;
		uthread_mutex_unlock(&cv.m);
	}
	leave();
	__atomic_add_fetch(&cv.errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static void *cv_consumer(void *arg)
{
	long c = (long)(intptr_t)arg, mine = 0, errors = 0;

	enter();
	uthread_mutex_lock(&cv.m);
	for (;;) {
		long item;
		while (cv.count == 0 && !cv.done) {
			if (c == 1) {
				struct timespec ts = deadline(CLOCK_MONOTONIC, 1 + mine % 3);
				int r = uthread_cond_timedwait(&cv.not_empty, &cv.m, &ts);
				if (r == ETIMEDOUT)
					cv.timeouts++;
				else
					errors += r != 0;
			} else {
				errors += uthread_cond_wait(&cv.not_empty, &cv.m) != 0;
			}
		}
		if (cv.count == 0)
			break; /* done and drained */
		item = cv.buf[cv.head];
		cv.head = (cv.head + 1) % CV_CAP;
		cv.count--;
		cv.consumed++;
		cv.sum += item;
		errors += (mine % 50 == 0 ? uthread_cond_broadcast(&cv.not_full)
		                          : uthread_cond_signal(&cv.not_full)) != 0;
		uthread_mutex_unlock(&cv.m);
		/* Outside the lock: every item reaches exactly one consumer. */
		if (item >= 0 && item < MAX_ITEMS)
			cv_seen[item]++;
		mine++;
		uthread_mutex_lock(&cv.m);
	}
	uthread_mutex_unlock(&cv.m);
	leave();
	__atomic_add_fetch(&cv.errors, errors, __ATOMIC_RELAXED);
	return (void *)(intptr_t)mine;
}

static long run_cond(void)
{
	enum { PRODUCERS = 3, CONSUMERS = 3 };
	uthread_t p[PRODUCERS], c[CONSUMERS];
	uthread_condattr_t ca;
	long n = PRODUCERS * S->cond_items, per = 0, never = 0, twice = 0;

	memset(&cv, 0, sizeof cv);
	memset(cv_seen, 0, sizeof cv_seen);
	UNTRACKED(&cv.errors);
	CHECK0(uthread_mutex_init(&cv.m, NULL));
	CHECK0(uthread_condattr_init(&ca));
	CHECK0(uthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
	CHECK0(uthread_cond_init(&cv.not_empty, &ca));
	CHECK0(uthread_condattr_destroy(&ca));
	CHECK0(uthread_cond_init(&cv.not_full, NULL));
	for (int i = 0; i < CONSUMERS; i++)
		CHECK0(spawn(&c[i], NULL, cv_consumer, (void *)(intptr_t)i));
	for (int i = 0; i < PRODUCERS; i++)
		CHECK0(spawn(&p[i], NULL, cv_producer, (void *)(intptr_t)i));
	for (int i = 0; i < PRODUCERS; i++)
		CHECK0(uthread_join(p[i], NULL));
	uthread_mutex_lock(&cv.m);
	cv.done = 1;
	CHECK0(uthread_cond_broadcast(&cv.not_empty));
	uthread_mutex_unlock(&cv.m);
	for (int i = 0; i < CONSUMERS; i++) {
		void *ret = NULL;
		CHECK0(uthread_join(c[i], &ret));
		per += (long)(intptr_t)ret;
	}
	for (long i = 0; i < n; i++) {
		never += cv_seen[i] == 0;
		twice += cv_seen[i] > 1;
	}
	CHECKF(cv.consumed == n && per == n, "consumed %ld (threads say %ld), want %ld",
	       cv.consumed, per, n);
	CHECKF(cv.sum == n * (n - 1) / 2, "sum of items %ld, want %ld", cv.sum, n * (n - 1) / 2);
	CHECKF(never == 0 && twice == 0, "%ld items lost, %ld consumed twice", never, twice);
	CHECKF(cv.count == 0, "%d items left in the buffer", cv.count);
	CHECKF(cv.errors == 0, "%ld calls returned a wrong code", cv.errors);
	CHECK0(uthread_cond_destroy(&cv.not_empty));
	CHECK0(uthread_cond_destroy(&cv.not_full));
	CHECK0(uthread_mutex_destroy(&cv.m));
	return n;
}

/* ================================================================== */
/* rwlock                                                               */
/* ================================================================== */

static struct {
	uthread_rwlock_t rw;
	long a, b;          /* written together under the write lock */
	int done;           /* under the write lock */
	int readers_in, writers_in; /* atomics: who is inside now */
	long torn, overlap, errors, reads;
} rw;

static void *rw_writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 104729u + 1;
	long errors = 0, overlap = 0;

	enter();
	for (long k = 0; k < S->rw_iters; k++) {
		unsigned op = next_rand(&seed) % 8;
		int r;
		if (op < 5) {
			r = uthread_rwlock_wrlock(&rw.rw);
		} else if (op < 7) {
			while ((r = uthread_rwlock_trywrlock(&rw.rw)) == EBUSY)
				uthread_yield();
		} else {
			struct timespec ts = deadline(CLOCK_REALTIME, 600000);
			r = uthread_rwlock_timedwrlock(&rw.rw, &ts);
		}
		if (r) {
			errors++;
			continue;
		}
		overlap += __atomic_add_fetch(&rw.writers_in, 1, __ATOMIC_SEQ_CST) != 1;
		overlap += __atomic_load_n(&rw.readers_in, __ATOMIC_SEQ_CST) != 0;
		rw.a++;
		if (k % 128 == 0)
			uthread_yield(); /* readers pile up behind us */
		rw.b++;
		if (k % 100 == 0)
			errors += uthread_rwlock_rdlock(&rw.rw) != EDEADLK;
		__atomic_sub_fetch(&rw.writers_in, 1, __ATOMIC_SEQ_CST);
		errors += uthread_rwlock_unlock(&rw.rw) != 0;
	}
	leave();
	__atomic_add_fetch(&rw.errors, errors, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rw.overlap, overlap, __ATOMIC_RELAXED);
	return NULL;
}

static void *rw_reader(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7727u + 3;
	long errors = 0, overlap = 0, torn = 0, reads = 0;
	int done = 0;

	enter();
	while (!done) {
		unsigned op = next_rand(&seed) % 8;
		int r;
		if (op < 5) {
			r = uthread_rwlock_rdlock(&rw.rw);
		} else if (op < 7) {
			while ((r = uthread_rwlock_tryrdlock(&rw.rw)) == EBUSY)
				uthread_yield();
		} else {
			struct timespec ts = deadline(CLOCK_REALTIME, 600000);
			r = uthread_rwlock_timedrdlock(&rw.rw, &ts);
		}
		if (r) {
			errors++;
			continue;
		}
		__atomic_add_fetch(&rw.readers_in, 1, __ATOMIC_SEQ_CST);
		overlap += __atomic_load_n(&rw.writers_in, __ATOMIC_SEQ_CST) != 0;
		torn += rw.a != rw.b;
		done = rw.done;
		reads++;
		__atomic_sub_fetch(&rw.readers_in, 1, __ATOMIC_SEQ_CST);
		errors += uthread_rwlock_unlock(&rw.rw) != 0;
		if (reads % 16 == 0)
			uthread_yield();
	}
	leave();
	__atomic_add_fetch(&rw.errors, errors, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rw.overlap, overlap, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rw.torn, torn, __ATOMIC_RELAXED);
	__atomic_add_fetch(&rw.reads, reads, __ATOMIC_RELAXED);
	return NULL;
}

static long run_rwlock(void)
{
	enum { WRITERS = 2, READERS = 3 };
	uthread_t w[WRITERS], r[READERS];

	memset(&rw, 0, sizeof rw);
	UNTRACKED(&rw.readers_in);
	UNTRACKED(&rw.writers_in);
	UNTRACKED(&rw.torn);
	UNTRACKED(&rw.overlap);
	UNTRACKED(&rw.errors);
	UNTRACKED(&rw.reads);
	CHECK0(uthread_rwlock_init(&rw.rw, NULL));
	for (int i = 0; i < READERS; i++)
		CHECK0(spawn(&r[i], NULL, rw_reader, (void *)(intptr_t)i));
	for (int i = 0; i < WRITERS; i++)
		CHECK0(spawn(&w[i], NULL, rw_writer, (void *)(intptr_t)i));
	for (int i = 0; i < WRITERS; i++)
		CHECK0(uthread_join(w[i], NULL));
	CHECK0(uthread_rwlock_wrlock(&rw.rw));
	rw.done = 1;
	CHECK0(uthread_rwlock_unlock(&rw.rw));
	for (int i = 0; i < READERS; i++)
		CHECK0(uthread_join(r[i], NULL));
	CHECKF(rw.a == WRITERS * S->rw_iters && rw.b == rw.a, "a %ld b %ld, want %ld",
	       rw.a, rw.b, WRITERS * S->rw_iters);
	CHECKF(rw.torn == 0, "readers saw a half-done write %ld times", rw.torn);
	CHECKF(rw.overlap == 0, "a writer shared the lock %ld times", rw.overlap);
	CHECKF(rw.errors == 0, "%ld calls returned a wrong code", rw.errors);
	CHECKF(rw.reads >= READERS, "only %ld reads", rw.reads);
	CHECK(uthread_rwlock_unlock(&rw.rw) == EPERM);
	CHECK0(uthread_rwlock_destroy(&rw.rw));
	return rw.a + rw.reads;
}

/* ================================================================== */
/* sem                                                                  */
/* ================================================================== */

static struct {
	uthread_sem_t lock;     /* binary: a semaphore as a mutex */
	long counter;
	int inside;
	long overlap;
	uthread_sem_t tokens;   /* counting */
	long reserved;          /* waits handed out (atomic) */
	long taken, errors;
} sm;

static void *sm_locker(void *arg)
{
	long errors = 0;

	(void)arg;
	enter();
	for (long k = 0; k < S->sem_iters; k++) {
		errors += uthread_sem_wait(&sm.lock) != 0;
		sm.overlap += sm.inside++ != 0;
		sm.counter++;
		if (k % 256 == 0)
			uthread_yield();
		sm.inside--;
		errors += uthread_sem_post(&sm.lock) != 0;
	}
	leave();
	__atomic_add_fetch(&sm.errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static void *sm_producer(void *arg)
{
	long errors = 0;

	(void)arg;
	enter();
	for (long k = 0; k < S->sem_iters; k++) {
		errors += uthread_sem_post(&sm.tokens) != 0;
		if (k % 64 == 0)
			uthread_yield();
	}
	leave();
	__atomic_add_fetch(&sm.errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

/* Take tokens until all producers' posts are spoken for. */
static void *sm_consumer(void *arg)
{
	long total = (long)(intptr_t)arg, mine = 0, errors = 0;
	unsigned seed = (unsigned)total ^ 0x5bd1e995u;

	enter();
	while (__atomic_fetch_add(&sm.reserved, 1, __ATOMIC_RELAXED) < total) {
		unsigned op = next_rand(&seed) % 4;
		int r;
		if (op < 2) {
			r = uthread_sem_wait(&sm.tokens);
		} else if (op == 2) {
			while ((r = uthread_sem_trywait(&sm.tokens)) == EAGAIN)
				uthread_yield();
		} else {
			struct timespec ts;
			do
				ts = deadline(CLOCK_REALTIME, 1);
			while ((r = uthread_sem_timedwait(&sm.tokens, &ts)) == ETIMEDOUT);
		}
		errors += r != 0;
		mine += r == 0;
	}
	leave();
	__atomic_add_fetch(&sm.errors, errors, __ATOMIC_RELAXED);
	__atomic_add_fetch(&sm.taken, mine, __ATOMIC_RELAXED);
	return NULL;
}

static long run_sem(void)
{
	enum { LOCKERS = 4, PRODUCERS = 2, CONSUMERS = 3 };
	uthread_t l[LOCKERS], p[PRODUCERS], c[CONSUMERS];
	long total = PRODUCERS * S->sem_iters;
	int v = -1;

	memset(&sm, 0, sizeof sm);
	UNTRACKED(&sm.reserved);
	UNTRACKED(&sm.taken);
	UNTRACKED(&sm.errors);
	CHECK0(uthread_sem_init(&sm.lock, 0, 1));
	CHECK0(uthread_sem_init(&sm.tokens, 0, 0));
	for (int i = 0; i < LOCKERS; i++)
		CHECK0(spawn(&l[i], NULL, sm_locker, NULL));
	for (int i = 0; i < CONSUMERS; i++)
		CHECK0(spawn(&c[i], NULL, sm_consumer, (void *)(intptr_t)total));
	for (int i = 0; i < PRODUCERS; i++)
		CHECK0(spawn(&p[i], NULL, sm_producer, NULL));
	for (int i = 0; i < LOCKERS; i++)
		CHECK0(uthread_join(l[i], NULL));
	for (int i = 0; i < PRODUCERS; i++)
		CHECK0(uthread_join(p[i], NULL));
	for (int i = 0; i < CONSUMERS; i++)
		CHECK0(uthread_join(c[i], NULL));
	CHECKF(sm.counter == LOCKERS * S->sem_iters, "counter %ld, want %ld", sm.counter,
	       LOCKERS * S->sem_iters);
	CHECKF(sm.overlap == 0, "two threads inside at once %ld times", sm.overlap);
	CHECKF(sm.taken == total, "took %ld tokens, %ld were posted", sm.taken, total);
	CHECK0(uthread_sem_getvalue(&sm.tokens, &v));
	CHECKF(v == 0, "%d tokens left over", v);
	CHECK0(uthread_sem_getvalue(&sm.lock, &v));
	CHECKF(v == 1, "binary semaphore at %d", v);
	CHECKF(sm.errors == 0, "%ld calls returned a wrong code", sm.errors);
	CHECK0(uthread_sem_destroy(&sm.lock));
	CHECK0(uthread_sem_destroy(&sm.tokens));
	return sm.counter + sm.taken;
}

/* ================================================================== */
/* barrier                                                              */
/* ================================================================== */

#define BR_THREADS 4

static struct {
	uthread_barrier_t b;
	long slot[2][BR_THREADS];  /* slot[r % 2][i]: thread i reached round r */
	long serial;               /* written only by each round's serial thread */
	long mismatch[BR_THREADS];
	long errors[BR_THREADS];
} br;

static void *br_thread(void *arg)
{
	int i = (int)(intptr_t)arg;

	enter();
	for (long r = 0; r < S->barrier_rounds; r++) {
		int ret;
		br.slot[r % 2][i] = r;
		ret = uthread_barrier_wait(&br.b);
		if (ret == UTHREAD_BARRIER_SERIAL_THREAD)
			br.serial++;
		else if (ret != 0)
			br.errors[i]++;
		/* Everyone wrote this round before anyone got past the wait;
		 * nobody writes this half again before the next wait. */
		for (int j = 0; j < BR_THREADS; j++)
			br.mismatch[i] += br.slot[r % 2][j] != r;
	}
	leave();
	return NULL;
}

static long run_barrier(void)
{
	uthread_t t[BR_THREADS];
	long mismatch = 0, errors = 0;

	memset(&br, 0, sizeof br);
	CHECK0(uthread_barrier_init(&br.b, NULL, BR_THREADS));
	for (int i = 0; i < BR_THREADS; i++)
		CHECK0(spawn(&t[i], NULL, br_thread, (void *)(intptr_t)i));
	for (int i = 0; i < BR_THREADS; i++) {
		CHECK0(uthread_join(t[i], NULL));
		mismatch += br.mismatch[i];
		errors += br.errors[i];
	}
	CHECKF(br.serial == S->barrier_rounds, "%ld serial threads in %ld rounds", br.serial,
	       S->barrier_rounds);
	CHECKF(mismatch == 0, "a thread got past the barrier early %ld times", mismatch);
	CHECKF(errors == 0, "%ld waits returned a wrong code", errors);
	CHECK0(uthread_barrier_destroy(&br.b));
	return BR_THREADS * S->barrier_rounds;
}

/* ================================================================== */
/* spin                                                                 */
/* ================================================================== */

static struct {
	uthread_spinlock_t l;
	long counter;
	int inside;
	long overlap, errors;
} sp;

static void *sp_thread(void *arg)
{
	long errors = 0;

	(void)arg;
	enter();
	for (long k = 0; k < S->spin_iters; k++) {
		int r;
		if (k % 4 == 3)
			while ((r = uthread_spin_trylock(&sp.l)) == EBUSY)
				uthread_yield();
		else
			r = uthread_spin_lock(&sp.l);
		if (r) {
			errors++;
			continue;
		}
		sp.overlap += sp.inside++ != 0;
		sp.counter++;
		sp.inside--;
		errors += uthread_spin_unlock(&sp.l) != 0;
		if (on_valgrind || k % 64 == 0)
			uthread_yield(); /* valgrind: let the holder run */
	}
	leave();
	__atomic_add_fetch(&sp.errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static long run_spin(void)
{
	enum { THREADS = 3 };
	uthread_t t[THREADS];

	memset(&sp, 0, sizeof sp);
	UNTRACKED(&sp.errors);
	CHECK0(uthread_spin_init(&sp.l, 0));
	for (int i = 0; i < THREADS; i++)
		CHECK0(spawn(&t[i], NULL, sp_thread, NULL));
	for (int i = 0; i < THREADS; i++)
		CHECK0(uthread_join(t[i], NULL));
	CHECKF(sp.counter == THREADS * S->spin_iters, "counter %ld, want %ld", sp.counter,
	       THREADS * S->spin_iters);
	CHECKF(sp.overlap == 0, "two threads inside at once %ld times", sp.overlap);
	CHECKF(sp.errors == 0, "%ld calls returned a wrong code", sp.errors);
	CHECK0(uthread_spin_destroy(&sp.l));
	return sp.counter;
}

/* ================================================================== */
/* pshared                                                              */
/* ================================================================== */

/* Shared between a parent and its fork child (MAP_SHARED). */
struct ps_shared {
	uthread_mutex_t m;
	uthread_cond_t c;
	long iters, rounds;
	long counter;   /* under m */
	long turns;     /* under m: ping-pong moves */
	int turn;       /* under m: whose move, 0 parent, 1 child */
	int errors;     /* atomic */
};

static struct ps_shared *ps;

static void *ps_counter(void *arg)
{
	struct ps_shared *s = arg;

	for (long i = 0; i < s->iters; i++) {
		if (uthread_mutex_lock(&s->m) != 0) {
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		s->counter++;
		if (uthread_mutex_unlock(&s->m) != 0)
			__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* One side of the ping-pong: moves on its turn, signals the other side. */
static void *ps_pinger(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (long i = 0; i < ps->rounds; i++) {
		int bad = uthread_mutex_lock(&ps->m);
		while (!bad && ps->turn != me)
			bad = uthread_cond_wait(&ps->c, &ps->m);
		ps->turn = !me;
		ps->turns++;
		bad |= uthread_cond_signal(&ps->c) | uthread_mutex_unlock(&ps->m);
		if (bad)
			__atomic_add_fetch(&ps->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Three counting threads and a ping-pong thread per process. */
static int ps_side(int me)
{
	enum { THREADS = 3 };
	uthread_t t[THREADS + 1];
	int bad = 0;

	for (int i = 0; i < THREADS; i++)
		bad |= spawn(&t[i], NULL, ps_counter, ps);
	bad |= spawn(&t[THREADS], NULL, ps_pinger, (void *)(intptr_t)me);
	for (int i = 0; i <= THREADS; i++)
		bad |= uthread_join(t[i], NULL);
	return bad;
}

static long run_pshared(void)
{
	static const int types[] = { UTHREAD_MUTEX_NORMAL, UTHREAD_MUTEX_RECURSIVE,
		                     UTHREAD_MUTEX_ERRORCHECK };
	long total = 0;

	ps = mmap(NULL, sizeof *ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(ps != MAP_FAILED);
	if (ps == MAP_FAILED)
		return 0;
	for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
		uthread_mutexattr_t ma;
		uthread_condattr_t ca;
		int st = -1;

		memset(ps, 0, sizeof *ps);
		ps->iters = S->mutex_iters / 10;
		ps->rounds = S->barrier_rounds / 10 + 1;
		CHECK0(uthread_mutexattr_init(&ma));
		CHECK0(uthread_mutexattr_settype(&ma, types[k]));
		CHECK0(uthread_mutexattr_setpshared(&ma, UTHREAD_PROCESS_SHARED));
		CHECK0(uthread_mutex_init(&ps->m, &ma));
		CHECK0(uthread_mutexattr_destroy(&ma));
		CHECK0(uthread_condattr_init(&ca));
		CHECK0(uthread_condattr_setpshared(&ca, UTHREAD_PROCESS_SHARED));
		CHECK0(uthread_cond_init(&ps->c, &ca));
		CHECK0(uthread_condattr_destroy(&ca));
		fflush(NULL);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0)
			_exit(ps_side(1));
		CHECK0(ps_side(0));
		CHECK(waitpid(pid, &st, 0) == pid);
		CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
		CHECKF(ps->counter == 2 * 3 * ps->iters, "type %d: counter %ld, want %ld",
		       types[k], ps->counter, 2 * 3 * ps->iters);
		CHECKF(ps->turns == 2 * ps->rounds, "type %d: %ld moves, want %ld", types[k],
		       ps->turns, 2 * ps->rounds);
		CHECKF(ps->errors == 0, "type %d: %d calls failed", types[k], ps->errors);
		CHECK0(uthread_cond_destroy(&ps->c));
		CHECK0(uthread_mutex_destroy(&ps->m));
		total += ps->counter + ps->turns;
	}
	CHECK0(munmap(ps, sizeof *ps));
	return total;
}

/* ================================================================== */
/* fork                                                                 */
/* ================================================================== */

static int fk_stop;             /* atomic: background threads stop */
static uthread_mutex_t fk_held = UTHREAD_MUTEX_INITIALIZER;

static void *fk_nothing(void *arg)
{
	return arg;
}

/* Background: create and join (the registry and stack cache locks),
 * now and then a detached thread (exits free themselves). */
static void *fk_churn(void *arg)
{
	uthread_attr_t a;
	long n = 0, errors = 0;

	(void)arg;
	enter();
	uthread_attr_init(&a);
	uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED);
	while (!__atomic_load_n(&fk_stop, __ATOMIC_RELAXED)) {
		uthread_t t;
		void *ret = NULL;
		if (n % 8 == 7) {
			errors += spawn(&t, &a, fk_nothing, NULL) != 0;
		} else {
			errors += spawn(&t, NULL, fk_nothing, (void *)(intptr_t)n) != 0 ||
			          uthread_join(t, &ret) != 0 || ret != (void *)(intptr_t)n;
		}
		n++;
	}
	uthread_attr_destroy(&a);
	leave();
	return (void *)(intptr_t)errors;
}

/* Background: hold a user mutex much of the time, and malloc. */
static void *fk_holder(void *arg)
{
	long n = 0;

	(void)arg;
	enter();
	while (!__atomic_load_n(&fk_stop, __ATOMIC_RELAXED)) {
		char *p = malloc(BIG_BLOCK + (size_t)(n % 20000));
		uthread_mutex_lock(&fk_held);
		if (p)
			snprintf(p, 32, "%ld", n);
		busy_us(50);
		uthread_mutex_unlock(&fk_held);
		free(p);
		n++;
	}
	leave();
	return NULL;
}

static void *fk_child_thread(void *arg)
{
	long v = (long)(intptr_t)arg;
	char *p = malloc(1000);

	if (!p)
		return NULL;
	snprintf(p, 1000, "child thread %ld", v);
	free(p);
	return (void *)(intptr_t)(v + 1);
}

static uthread_sem_t fk_child_sem;

static void *fk_child_detached(void *arg)
{
	(void)arg;
	uthread_sem_post(&fk_child_sem);
	return NULL;
}

static uthread_mutex_t fk_child_m;
static uthread_cond_t fk_child_c;
static int fk_child_flag;

static void *fk_child_signaller(void *arg)
{
	(void)arg;
	uthread_mutex_lock(&fk_child_m);
	fk_child_flag = 1;
	uthread_cond_signal(&fk_child_c);
	uthread_mutex_unlock(&fk_child_m);
	return NULL;
}

/* In the child: is the library whole?  0, or the number of the failed step. */
static int fk_child(void)
{
	uthread_attr_t a;
	uthread_t t;
	pid_t tid = 0;
	void *ret = NULL;

	/* A hang is a failure: the alarm ends the child before the parent's
	 * 60 s wait does, and the parent counts SIGALRM as a hang.  Not less:
	 * a fork takes 50 ms and more when other work loads the machine. */
	alarm(on_valgrind ? 300 : 50);
	if (uthread_gettid(uthread_self(), &tid) || tid != getpid() || my_tid() != getpid())
		return 2;
	if (tu_count_tasks() != 1)
		return 3;
	for (long i = 0; i < 4; i++)
		if (uthread_create(&t, NULL, fk_child_thread, (void *)(intptr_t)i) ||
		    uthread_join(t, &ret) || ret != (void *)(intptr_t)(i + 1))
			return 4;
	/* Detached threads in the child free themselves. */
	if (uthread_sem_init(&fk_child_sem, 0, 0) || uthread_attr_init(&a) ||
	    uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED))
		return 5;
	for (int i = 0; i < 3; i++)
		if (uthread_create(&t, &a, fk_child_detached, NULL))
			return 6;
	for (int i = 0; i < 3; i++)
		if (uthread_sem_wait(&fk_child_sem))
			return 7;
	if (!wait_tasks(1, on_valgrind ? 60000 : 10000))
		return 8;
	/* Fresh locks and condition variables work. */
	if (uthread_mutex_init(&fk_child_m, NULL) || uthread_cond_init(&fk_child_c, NULL))
		return 9;
	fk_child_flag = 0;
	uthread_mutex_lock(&fk_child_m);
	if (uthread_create(&t, NULL, fk_child_signaller, NULL))
		return 10;
	while (!fk_child_flag)
		uthread_cond_wait(&fk_child_c, &fk_child_m);
	uthread_mutex_unlock(&fk_child_m);
	if (uthread_join(t, NULL))
		return 11;
	/* The stack cache (its lock was reset) serves many cycles. */
	for (long i = 0; i < 50; i++)
		if (uthread_create(&t, NULL, fk_nothing, (void *)(intptr_t)i) ||
		    uthread_join(t, &ret) || ret != (void *)(intptr_t)i)
			return 12;
	return 0;
}

/* Wait for child pid, at most ms; -1 if it had to be killed. */
static int wait_child(pid_t pid, long ms)
{
	long long end = tu_now_ms() + ms;
	int st;
	pid_t r;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	if (r == pid)
		return st;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* Valgrind's count of errors found so far (0 natively). */
static unsigned vg_errors(void)
{
#ifdef TU_HAVE_VALGRIND
	return (unsigned)VALGRIND_COUNT_ERRORS;
#else
	return 0;
#endif
}

/*
 * Fork; the child runs fk_child and reports its verdict through a pipe.
 * Returns the verdict (0: whole), -1 if the child hung, -2 if fork failed,
 * 100 + signal if it died otherwise, 99 if it said nothing.
 *
 * Under valgrind the child also fails if the tool found an error in it
 * (VALGRIND_COUNT_ERRORS), and it then ends with SIGKILL to skip the exit
 * leak check: a child inherits every block the parent's other threads held
 * (in their registers, or as their thread blocks' dtvs, which uthread does
 * not reclaim in a fork child), and those show as lost in every child.
 */
static int fork_and_check(void)
{
	int fds[2], st, code;
	unsigned char verdict = 99;
	pid_t pid;

	if (pipe(fds))
		return -2;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		unsigned errors0 = vg_errors();
		close(fds[0]);
		verdict = (unsigned char)fk_child();
		if (verdict == 0 && vg_errors() != errors0)
			verdict = 98;
		if (write(fds[1], &verdict, 1) != 1)
			_exit(97);
		if (on_valgrind)
			kill(getpid(), SIGKILL);
		_exit(verdict);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return -2;
	}
	st = wait_child(pid, on_valgrind ? 600000 : 60000);
	if (read(fds[0], &verdict, 1) != 1)
		verdict = 99;
	close(fds[0]);
	if (st == -1)
		return -1;
	if (on_valgrind && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		return verdict;
	if (WIFEXITED(st))
		code = WEXITSTATUS(st);
	else
		return 100 + WTERMSIG(st);
	return code == verdict ? code : 99;
}

static void *fk_forker(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)fork_and_check();
}

static long run_fork(void)
{
	enum { CHURNERS = 2, HOLDERS = 2, MAX_STEP = 100 };
	uthread_t ch[CHURNERS], ho[HOLDERS];
	long ok = 0, hung = 0, fork_failed = 0, killed = 0, step[MAX_STEP] = { 0 };
	int last_signal = 0;

	__atomic_store_n(&fk_stop, 0, __ATOMIC_RELAXED);
	UNTRACKED(&fk_stop);
	for (int i = 0; i < CHURNERS; i++)
		CHECK0(spawn(&ch[i], NULL, fk_churn, NULL));
	for (int i = 0; i < HOLDERS; i++)
		CHECK0(spawn(&ho[i], NULL, fk_holder, NULL));
	for (int i = 0; i < S->forks; i++) {
		int code;
		if (i & 1) {
			/* From a uthread. */
			uthread_t t;
			void *ret = NULL;
			CHECK0(spawn(&t, NULL, fk_forker, NULL));
			CHECK0(uthread_join(t, &ret));
			code = (int)(intptr_t)ret;
		} else {
			code = fork_and_check();
		}
		if (code == 0)
			ok++;
		else if (code == -1)
			hung++;
		else if (code == -2)
			fork_failed++;
		else if (code == 100 + SIGALRM)
			hung++;
		else if (code >= 100) {
			killed++;
			last_signal = code - 100;
		}
		else
			step[code < MAX_STEP ? code : 1]++;
		if (i % 8 == 0)
			uthread_yield();
	}
	__atomic_store_n(&fk_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < CHURNERS; i++) {
		void *ret = NULL;
		CHECK0(uthread_join(ch[i], &ret));
		CHECKF(ret == NULL, "churner %d: %ld failures", i, (long)(intptr_t)ret);
	}
	for (int i = 0; i < HOLDERS; i++)
		CHECK0(uthread_join(ho[i], NULL));
	CHECKF(hung == 0, "%ld children hung", hung);
	CHECKF(fork_failed == 0, "fork failed %ld times", fork_failed);
	CHECKF(killed == 0, "%ld children were killed by a signal (the last by %s)",
	       killed, strsignal(last_signal));
	for (int c = 1; c < MAX_STEP; c++)
		CHECKF(step[c] == 0, "%ld children failed at step %d%s", step[c], c,
		       c == 98 ? " (valgrind found errors in the child)" :
		       c == 99 ? " (no verdict from the child)" : "");
	CHECKF(ok == S->forks, "%ld of %d children were whole", ok, S->forks);
	return ok;
}

/* ================================================================== */
/* fork-during-init                                                     */
/* ================================================================== */

static char self_exe[4096];

static void *fi_ret7(void *arg)
{
	(void)arg;
	return (void *)7;
}

static int fi_go;

/* A pthread (uthread cannot be used yet) forking back to back while main
 * runs the library's first-time initialisation. */
static void *fi_forker(void *arg)
{
	pid_t *kids = arg;

	while (!__atomic_load_n(&fi_go, __ATOMIC_ACQUIRE))
		;
	for (int i = 0; i < 64; i++) {
		pid_t p = fork();
		if (p == 0) {
			uthread_t t;
			void *ret = NULL;
			alarm(10);
			if (uthread_create(&t, NULL, fi_ret7, NULL) || uthread_join(t, &ret) ||
			    ret != (void *)7)
				_exit(3);
			_exit(0);
		}
		kids[i] = p;
	}
	return NULL;
}

/* The helper process (--fork-during-init-helper): exit 0 if every child
 * could create a thread, else the number of children that hung (max 100). */
static int fork_during_init_helper(void)
{
	static pid_t kids[64];
	pthread_t f;
	uthread_t t;
	long long end;
	int hung = 0, bad = 0, left = 64;

	if (pthread_create(&f, NULL, fi_forker, kids))
		return 120;
	__atomic_store_n(&fi_go, 1, __ATOMIC_RELEASE);
	usleep(100);
	if (uthread_create(&t, NULL, fi_ret7, NULL) || uthread_join(t, NULL))
		return 121;
	pthread_join(f, NULL);
	/* A child needs milliseconds, but seconds when other work loads the
	 * machine: one that hangs is ended by its 10 s alarm (counted as
	 * hung below), and one still there after 15 s is killed. */
	end = tu_now_ms() + 15000;
	while (left > 0 && tu_now_ms() < end) {
		for (int i = 0; i < 64; i++) {
			int st;
			if (kids[i] <= 0 || waitpid(kids[i], &st, WNOHANG) != kids[i])
				continue;
			kids[i] = 0;
			left--;
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
				hung++;
			else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				bad++;
		}
		tu_sleep_ms(1);
	}
	for (int i = 0; i < 64; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			hung++;
		} else if (kids[i] < 0) {
			bad++;
		}
	}
	if (bad)
		return 122;
	return hung > 100 ? 100 : hung;
}

static long run_fork_during_init(void)
{
	long hung = 0, procs = 0;

	for (int i = 0; i < S->init_forks; i++) {
		pid_t pid;
		int st;
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			char *argv[] = { self_exe, (char *)"--fork-during-init-helper", NULL };
			execv(self_exe, argv);
			_exit(127);
		}
		CHECK(pid > 0);
		if (pid < 0)
			break;
		st = wait_child(pid, on_valgrind ? 600000 : 60000);
		CHECKF(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) <= 100,
		       "helper process: status 0x%x", st);
		if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) <= 100)
			hung += WEXITSTATUS(st);
		procs++;
	}
	CHECKF(hung == 0,
	       "%ld children forked during uthread's first-time initialisation hung in "
	       "their first uthread_create (init lock still held in the child)", hung);
	return procs * 64;
}

/* ================================================================== */
/* signals                                                              */
/* ================================================================== */

/*
 * Signals aimed at single threads while they sleep in futex(2): each
 * target counts the handler runs it saw in a __thread counter.  A real-time
 * signal is queued, never merged, so counts are exact: every signal the
 * sender sent to a thread runs the handler in that thread, once.  Two
 * targets block the signal in their own mask: they see nothing until they
 * unblock it at the end, then all of theirs at once.
 *
 * TODO: switch to uthread_kill()/uthread_sigmask() once the API has them;
 * until then tgkill(2) on uthread_gettid() and pthread_sigmask() (which
 * acts on the calling thread only, on Linux).
 */
#define SIG_A (SIGRTMIN + 1)

static __thread volatile long sig_seen;

static void sig_handler(int sig)
{
	(void)sig;
	sig_seen = sig_seen + 1;
}

enum { SG_COND, SG_SEM, SG_MUTEX, SG_RWLOCK, SG_JOIN, SG_BLOCKED };

struct sg_pair {
	int kind;
	uthread_mutex_t m;
	uthread_cond_t c;
	uthread_sem_t s[2];
	uthread_rwlock_t rw;
	long turn;          /* cond: whose turn (parity); mutex/rwlock: counter */
	int stop;           /* under m (cond) or atomic */
	long rounds[2];
	long errors;
};

struct sg_target {
	struct sg_pair *pair;
	int side;
	pid_t tid;
	long sent;          /* by the sender */
	long seen_blocked;  /* handler runs while the signal was blocked */
	long seen;          /* handler runs in all */
};

static void *sg_child(void *arg)
{
	usleep(200);
	return arg;
}

/*
 * Hold a lock for about us microseconds while the other side sleeps on it:
 * natively busy (a signal may find the holder in user code), under
 * valgrind asleep.  valgrind runs one thread at a time under a lock that is
 * not fair: a holder spinning in user code keeps the others, the sender
 * included, from running for long stretches (the same run took 0.4 s or
 * 440 s under memcheck).  The sleeping side waits in futex(2) either way.
 */
static void hold_us(long us)
{
	if (on_valgrind)
		usleep((useconds_t)us);
	else
		busy_us(us);
}

/* One side of a pair that keeps both sides asleep in futex waits. */
static void *sg_target(void *arg)
{
	struct sg_target *me = arg;
	struct sg_pair *p = me->pair;
	int i = me->side;
	long errors = 0, sent;
	long long end;

	enter();
	me->tid = my_tid();
	if (p->kind == SG_BLOCKED) {
		sigset_t cur;
		/* Inherited from the creator, which blocked it for us. */
		errors += pthread_sigmask(SIG_BLOCK, NULL, &cur) != 0 ||
		          sigismember(&cur, SIG_A) != 1;
	}
	switch (p->kind) {
	case SG_COND:
	case SG_BLOCKED:
		/* Ping-pong: each waits for its parity of turn. */
		uthread_mutex_lock(&p->m);
		for (;;) {
			while (p->turn % 2 != i && !p->stop)
				errors += uthread_cond_wait(&p->c, &p->m) != 0;
			if (p->stop)
				break;
			p->turn++;
			p->rounds[i]++;
			errors += uthread_cond_signal(&p->c) != 0;
		}
		uthread_mutex_unlock(&p->m);
		break;
	case SG_SEM:
		for (;;) {
			int r;

			/* A handler without SA_RESTART ends a semaphore
			 * wait with EINTR, as glibc's: wait again. */
			while ((r = uthread_sem_wait(&p->s[i])) == EINTR)
				;
			errors += r != 0;
			if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
				break;
			p->rounds[i]++;
			errors += uthread_sem_post(&p->s[1 - i]) != 0;
		}
		break;
	case SG_MUTEX:
		while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
			errors += uthread_mutex_lock(&p->m) != 0;
			p->turn++;
			p->rounds[i]++;
			hold_us(30); /* the other side sleeps on the lock */
			errors += uthread_mutex_unlock(&p->m) != 0;
		}
		break;
	case SG_RWLOCK:
		while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
			int r = i == 0 ? uthread_rwlock_wrlock(&p->rw)
			               : uthread_rwlock_rdlock(&p->rw);
			errors += r != 0;
			if (i == 0)
				p->turn++;
			p->rounds[i]++;
			hold_us(30);
			errors += uthread_rwlock_unlock(&p->rw) != 0;
		}
		break;
	case SG_JOIN:
		while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
			uthread_t t;
			void *ret = NULL;
			errors += spawn(&t, NULL, sg_child, (void *)(intptr_t)p->rounds[i]) != 0 ||
			          uthread_join(t, &ret) != 0 ||
			          ret != (void *)(intptr_t)p->rounds[i];
			p->rounds[i]++;
		}
		break;
	}
	/* The sender wrote our count before it set stop, under m. */
	uthread_mutex_lock(&p->m);
	sent = me->sent;
	uthread_mutex_unlock(&p->m);
	if (p->kind == SG_BLOCKED) {
		sigset_t set;
		me->seen_blocked = sig_seen;
		sigemptyset(&set);
		sigaddset(&set, SIG_A);
		errors += pthread_sigmask(SIG_UNBLOCK, &set, NULL) != 0;
	}
	/*
	 * Every signal sent to us is queued on this thread by now.  Natively
	 * the last system call delivered them all on its way back; valgrind
	 * delivers a pending signal only at its next poll, so give it a few
	 * sleeps (each lets valgrind deliver) before counting.  A count that
	 * stays short of sent is a lost signal; one above it, a duplicate.
	 */
	end = tu_now_ms() + (on_valgrind ? 60000 : 10000);
	while (sig_seen < sent && tu_now_ms() < end)
		usleep(100);
	me->seen = sig_seen;
	leave();
	__atomic_add_fetch(&p->errors, errors, __ATOMIC_RELAXED);
	return NULL;
}

static long run_signals(void)
{
	static const int kinds[] = { SG_COND, SG_SEM, SG_MUTEX, SG_RWLOCK, SG_JOIN, SG_BLOCKED };
	enum { NPAIRS = sizeof kinds / sizeof kinds[0] };
	static struct sg_pair pairs[NPAIRS];
	static struct sg_target tg[2 * NPAIRS];
	uthread_t t[2 * NPAIRS];
	struct sigaction sa, old;
	sigset_t block, old_mask;
	int ntg = 0, retries = 0;
	long sent = 0;

	memset(&sa, 0, sizeof sa);
	/* No SA_RESTART: the other waits must not end anyway; a semaphore
	 * wait's EINTR (as glibc's) is waited again. */
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIG_A, &sa, &old) == 0);
	sigemptyset(&block);
	sigaddset(&block, SIG_A);
	memset(pairs, 0, sizeof pairs);
	memset(tg, 0, sizeof tg);
	for (int k = 0; k < NPAIRS; k++) {
		struct sg_pair *p = &pairs[k];
		p->kind = kinds[k];
		UNTRACKED(&p->errors);
		CHECK0(uthread_mutex_init(&p->m, NULL));
		CHECK0(uthread_cond_init(&p->c, NULL));
		CHECK0(uthread_sem_init(&p->s[0], 0, 1));
		CHECK0(uthread_sem_init(&p->s[1], 0, 0));
		CHECK0(uthread_rwlock_init(&p->rw, NULL));
		UNTRACKED(&p->stop);
		/* A new thread starts with its creator's mask: the blocked
		 * pair has the signal blocked from its first instruction. */
		if (p->kind == SG_BLOCKED)
			CHECK(pthread_sigmask(SIG_BLOCK, &block, &old_mask) == 0);
		for (int side = 0; side < (p->kind == SG_JOIN ? 1 : 2); side++) {
			tg[ntg] = (struct sg_target){ .pair = p, .side = side };
			CHECK0(spawn(&t[ntg], NULL, sg_target, &tg[ntg]));
			ntg++;
		}
		if (p->kind == SG_BLOCKED)
			CHECK(pthread_sigmask(SIG_SETMASK, &old_mask, NULL) == 0);
	}
	/* Round robin, S->signals to each target, at its kernel tid. */
	for (int n = 0; n < S->signals; n++) {
		for (int i = 0; i < ntg; i++) {
			pid_t tid = tid_of(t[i]);
			long r;
			while ((r = syscall(SYS_tgkill, getpid(), tid, SIG_A)) != 0 &&
			       errno == EAGAIN && retries < 100000) {
				retries++; /* the queue is full for a moment */
				uthread_yield();
			}
			CHECKF(r == 0, "tgkill to target %d: %s", i, strerror(errno));
			tg[i].sent += r == 0;
			sent += r == 0;
		}
		if (n % 16 == 0)
			usleep(on_valgrind ? 1000 : 100); /* let them sleep again */
	}
	/* Stop every pair; the last wait of each side ends. */
	for (int k = 0; k < NPAIRS; k++) {
		struct sg_pair *p = &pairs[k];
		uthread_mutex_lock(&p->m);
		__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
		uthread_cond_broadcast(&p->c);
		uthread_mutex_unlock(&p->m);
		uthread_sem_post(&p->s[0]);
		uthread_sem_post(&p->s[1]);
	}
	for (int i = 0; i < ntg; i++)
		CHECK0(uthread_join(t[i], NULL));
	for (int i = 0; i < ntg; i++) {
		struct sg_pair *p = tg[i].pair;
		CHECKF(tg[i].seen == tg[i].sent, "target %d (kind %d): %ld handler runs for %ld "
		       "signals", i, p->kind, tg[i].seen, tg[i].sent);
		if (p->kind == SG_BLOCKED)
			CHECKF(tg[i].seen_blocked == 0, "target %d ran the handler %ld times with "
			       "the signal blocked", i, tg[i].seen_blocked);
	}
	for (int k = 0; k < NPAIRS; k++) {
		struct sg_pair *p = &pairs[k];
		int v0 = -1, v1 = -1;
		CHECKF(p->errors == 0, "pair %d: %ld calls returned a wrong code", k, p->errors);
		switch (p->kind) {
		case SG_COND:
		case SG_BLOCKED:
			CHECKF(p->rounds[0] + p->rounds[1] == p->turn &&
			       labs(p->rounds[0] - p->rounds[1]) <= 1,
			       "pair %d: rounds %ld + %ld, turn %ld", k, p->rounds[0], p->rounds[1],
			       p->turn);
			break;
		case SG_SEM:
			/* 1 token circulated, 2 stop tokens, 1 taken by each side's
			 * last wait: exactly one is left. */
			uthread_sem_getvalue(&p->s[0], &v0);
			uthread_sem_getvalue(&p->s[1], &v1);
			CHECKF(v0 + v1 == 1 && labs(p->rounds[0] - p->rounds[1]) <= 1,
			       "pair %d: %d + %d tokens left, rounds %ld %ld", k, v0, v1,
			       p->rounds[0], p->rounds[1]);
			break;
		case SG_MUTEX:
			CHECKF(p->turn == p->rounds[0] + p->rounds[1], "pair %d: counter %ld, "
			       "want %ld", k, p->turn, p->rounds[0] + p->rounds[1]);
			break;
		case SG_RWLOCK:
			CHECKF(p->turn == p->rounds[0], "pair %d: counter %ld, want %ld", k,
			       p->turn, p->rounds[0]);
			break;
		}
		CHECK0(uthread_cond_destroy(&p->c));
		CHECK0(uthread_mutex_destroy(&p->m));
		CHECK0(uthread_rwlock_destroy(&p->rw));
		CHECK0(uthread_sem_destroy(&p->s[0]));
		CHECK0(uthread_sem_destroy(&p->s[1]));
	}
	CHECK(sigaction(SIG_A, &old, NULL) == 0);
	return sent;
}

/* ================================================================== */
/* dlclose while uthreads bind lazily                                   */
/* ================================================================== */

static int dl_stop;             /* atomic: the uthreads stop */
static long dl_lookups;         /* atomic: lazy bindings made */

/* Open a library of our own, call its function once (its first call of
 * getpid binds lazily: a lookup in the global scope), close it. */
static void *dl_binder(void *arg)
{
	long n = 0, errors = 0;

	(void)arg;
	enter();
	while (!__atomic_load_n(&dl_stop, __ATOMIC_RELAXED)) {
		void *h = dlopen(GSCOPE_LAZY_PATH, RTLD_LAZY | RTLD_LOCAL);
		int (*f)(void) = h ? (int (*)(void))dlsym(h, "gscope_lazy") : NULL;
		if (!f || f() != 42)
			errors++;
		else
			n++;
		if (h)
			dlclose(h);
	}
	__atomic_add_fetch(&dl_lookups, n, __ATOMIC_RELAXED);
	leave();
	return (void *)errors;
}

/*
 * Issue 12, case 1: dlclose of an RTLD_GLOBAL library frees the old global
 * scope once no thread is inside a lookup of the dynamic linker's; it
 * waited only for glibc's threads, and a uthread binding lazily meanwhile
 * crashed in do_lookup_x within seconds.  Main loads and unloads such a
 * library while three uthreads bind lazily, again and again.
 */
static long run_dlclose_lookup(void)
{
	enum { THREADS = 3 };
	uthread_t t[THREADS];
	long rounds = S == &full_sizes ? 20000 : 30;

	dl_stop = 0;
	dl_lookups = 0;
	UNTRACKED(&dl_stop);
	UNTRACKED(&dl_lookups);
	for (int i = 0; i < THREADS; i++)
		CHECK0(spawn(&t[i], NULL, dl_binder, NULL));
	for (long r = 0; r < rounds; r++) {
		void *h = dlopen(GSCOPE_PATH, RTLD_NOW | RTLD_GLOBAL);
		CHECKF(h != NULL, "dlopen: %s", dlerror());
		if (h)
			dlclose(h);
	}
	__atomic_store_n(&dl_stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++) {
		void *errors = (void *)1;
		CHECK0(uthread_join(t[i], &errors));
		CHECKF(errors == NULL, "thread %d: %ld failed lookups", i, (long)errors);
	}
	CHECKF(dl_lookups > 0, "no lazy binding made");
	return rounds + dl_lookups;
}

/* ================================================================== */
/* cancel                                                               */
/* ================================================================== */

/* Spins a little (how long: from its argument), passes a cancellation
 * point, then returns its argument. */
static void *cn_spin_then_return(void *arg)
{
	unsigned n = (unsigned)((uintptr_t)arg >> 1) % 64;

	for (volatile unsigned i = 0; i < n * 60; i++)
		;
	uthread_testcancel(); /* where a cancel that came in time acts */
	return arg;
}

/* Joins *arg and returns what it got (or (void *)1 if the join failed). */
static void *cn_joiner(void *arg)
{
	void *r = NULL;

	if (uthread_join(*(uthread_t *)arg, &r) != 0)
		return (void *)1;
	return r;
}

static void cn_spin(unsigned *seed)
{
	unsigned n = next_rand(seed) % 131072;

	for (volatile unsigned i = 0; i < n; i++)
		;
}

/*
 * Two races, each round: a cancel against the thread's own end (the join
 * gets its value or UTHREAD_CANCELED, never anything else, and nothing is
 * freed twice), and a cancel against a join the cancelled thread is making
 * (either the join finished, and the target's handle is stale, or it did
 * not, and the target is still joinable exactly once).
 */
static long run_cancel(void)
{
	long ended_first = 0, cancelled = 0, joined = 0, join_cancelled = 0;
	unsigned seed = 4242;

	for (long k = 0; k < S->cancel_rounds; k++) {
		void *v = (void *)(uintptr_t)(2 * k + 2), *r = NULL;
		uthread_t t, target;

		CHECK0(spawn(&t, NULL, cn_spin_then_return, v));
		cn_spin(&seed);
		CHECK0(uthread_cancel(t));
		CHECK0(uthread_join(t, &r));
		CHECKF(r == v || r == UTHREAD_CANCELED, "round %ld: join got %p", k, r);
		ended_first += r == v;
		cancelled += r == UTHREAD_CANCELED;

		CHECK0(spawn(&target, NULL, cn_spin_then_return, v));
		CHECK0(spawn(&t, NULL, cn_joiner, &target));
		cn_spin(&seed);
		CHECK0(uthread_cancel(t));
		CHECK0(uthread_join(t, &r));
		if (r == UTHREAD_CANCELED) {
			void *rt = NULL;
			CHECK0(uthread_join(target, &rt)); /* still joinable */
			CHECKF(rt == v, "round %ld: the target gave %p", k, rt);
			join_cancelled++;
		} else {
			CHECKF(r == v, "round %ld: the joiner got %p", k, r);
			CHECKF(uthread_join(target, NULL) == ESRCH,
			       "round %ld: a joined target could be joined again", k);
			joined++;
		}
	}
	if (!on_valgrind)
		printf("cancel: ended first %ld, cancelled %ld; join done %ld, join cancelled %ld\n",
		       ended_first, cancelled, joined, join_cancelled);
	return 2 * S->cancel_rounds;
}

/* ================================================================== */
/* Driver                                                               */
/* ================================================================== */

struct scenario {
	const char *name;
	const char *what;
	long (*run)(void);
};

static const struct scenario scenarios[] = {
	{ "create-join", "create/join cycles from two threads; each ran once, returned its value",
	  run_create_join },
	{ "join-waiting", "threads that end while their joiner already sleeps in join",
	  run_join_waiting },
	{ "mutex", "normal, errorcheck, recursive, PI mutex storms; exact counter, no overlap",
	  run_mutex },
	{ "cond", "bounded buffer, 3 producers 3 consumers, timed waits, broadcasts; each item once",
	  run_cond },
	{ "rwlock", "writers and readers (try, timed); no torn read, exact counter",
	  run_rwlock },
	{ "sem", "semaphore as a mutex, and counting tokens (wait, try, timed); exact counts",
	  run_sem },
	{ "barrier", "four threads, many rounds; one serial thread per round, nobody early",
	  run_barrier },
	{ "spin", "spinlock storm; exact counter", run_spin },
	{ "pshared", "process-shared mutex storms and a cond ping-pong between a parent and its fork child; exact counts",
	  run_pshared },
	{ "signals", "real-time signals at single threads asleep in futex waits; exact counts",
	  run_signals },
	{ "many-alive", "threads alive at once (counted in /proc), then joined",
	  run_many_alive },
	{ "dlclose-lookup", "dlopen/dlclose of a global library while uthreads bind lazily",
	  run_dlclose_lookup },
	{ "cancel", "cancel racing the thread's own end, and a join it is making",
	  run_cancel },
	/* Last: DRD never forgets a detached thread, and slows down with each. */
	{ "detached", "detached threads (attr, and detach racing exit) made by four creators",
	  run_detached },
	{ "fork", "fork (from main and threads) while others create, join and hold locks",
	  run_fork },
	{ "fork-during-init", "fork while another thread runs uthread's first initialisation",
	  run_fork_during_init },
};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* Bring the process to its steady state: as many threads alive at once as
 * any scenario has (slot chunks, malloc arenas and tcaches), a full stack
 * cache, as many detached threads in flight as the detached scenario has
 * (each slot's tcache keeps freed thread blocks' dtvs), a fork. */
static void *warm_thread(void *arg)
{
	uthread_barrier_t *b = arg;
	char *p = malloc(200);

	if (p)
		snprintf(p, 200, "%p", (void *)p);
	uthread_barrier_wait(b);
	free(p);
	return NULL;
}

/*
 * Touch 256 KiB of main's stack.  Under valgrind main's stack is a plain
 * anonymous mapping (valgrind's own is the one named [stack]) that grows
 * page by page as it is first touched, so a scenario reaching deeper than
 * the warm-up did would show as mapped bytes gained.
 */
static __attribute__((__noinline__)) void grow_stack(void)
{
	volatile char buf[256 * 1024];

	for (size_t i = 0; i < sizeof buf; i += 1024)
		buf[i] = 0;
}

static int warm_up(void)
{
	static uthread_t t[MAX_ALIVE + 64 + 16];
	const struct sizes *keep = S;
	struct sizes w = *S;
	uthread_barrier_t b;
	/* At least a stack cache's worth (64), so the cache ends up full. */
	int n = (S->alive > 64 ? S->alive : 64) + 16;

	if (uthread_barrier_init(&b, NULL, (unsigned)n + 1))
		return -1;
	for (int i = 0; i < n; i++)
		if (uthread_create(&t[i], NULL, warm_thread, &b))
			return -1;
	uthread_barrier_wait(&b);
	for (int i = 0; i < n; i++)
		if (uthread_join(t[i], NULL))
			return -1;
	uthread_barrier_destroy(&b);
	for (int i = 0; i < 200; i++) {
		uthread_t u;
		if (uthread_create(&u, NULL, fk_nothing, NULL) || uthread_join(u, NULL))
			return -1;
	}
	/* The first cancellation loads the unwinder (libgcc_s). */
	{
		uthread_t u;
		void *r = NULL;
		if (uthread_create(&u, NULL, cn_spin_then_return, (void *)2) ||
		    uthread_cancel(u) || uthread_join(u, &r))
			return -1;
	}
	grow_stack();
	/* Malloc's state only (valgrind replaces malloc): natively. */
	if (!on_valgrind) {
		w.detached = 4L * S->inflight;
		S = &w;
		run_detached();
		S = keep;
		if (failures)
			return -1;
	}
	return fork_and_check();
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: uthread-stress [--scale small|full] [--alive N] [--skip NAME]\n"
	        "                      [--repeat N] [--list] [--help] [SCENARIO...]\n"
	        "Runs the named scenarios (default: all) and checks each for lost or\n"
	        "duplicated work, and that mappings, heap and threads return to where\n"
	        "they started.  Exit status 0 only if every check passed.\n"
	        "  --scale full   the full sizes (default natively)\n"
	        "  --scale small  small sizes, for valgrind (default under valgrind)\n"
	        "  --alive N      threads alive at once in many-alive (and the warm-up)\n"
	        "  --skip NAME    leave scenario NAME out (may be repeated)\n"
	        "  --repeat N     run the scenarios N times (growth shows as a leak)\n"
	        "  --list         name and describe the scenarios\n");
}

int main(int argc, char **argv)
{
	const char *only[NSCENARIOS + 1], *skipped[NSCENARIOS + 1];
	static struct sizes custom;
	int nonly = 0, nskip = 0, total_fail = 0, ran = 0, tasks0, maps0, repeat = 1, alive_n = 0;
	size_t heap0, use0, mapped0 = 0;
	long long t_all = tu_now_ms();
	ssize_t l;

	on_valgrind = tu_on_valgrind();
	S = on_valgrind ? &small_sizes : &full_sizes;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--list") == 0) {
			for (size_t k = 0; k < NSCENARIOS; k++)
				printf("%-18s %s\n", scenarios[k].name, scenarios[k].what);
			return 0;
		} else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "small") == 0)
				S = &small_sizes;
			else if (strcmp(argv[i], "full") == 0)
				S = &full_sizes;
			else {
				usage(stderr);
				return 2;
			}
		} else if (strcmp(argv[i], "--alive") == 0 && i + 1 < argc) {
			alive_n = atoi(argv[++i]);
			if (alive_n < 1 || alive_n > MAX_ALIVE) {
				usage(stderr);
				return 2;
			}
		} else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
			if (nskip == (int)NSCENARIOS) {
				usage(stderr);
				return 2;
			}
			skipped[nskip++] = argv[++i];
		} else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
			repeat = atoi(argv[++i]);
			if (repeat < 1) {
				usage(stderr);
				return 2;
			}
		} else if (strcmp(argv[i], "--fork-during-init-helper") == 0) {
			return fork_during_init_helper();
		} else if (argv[i][0] == '-') {
			usage(stderr);
			return 2;
		} else {
			size_t k;
			for (k = 0; k < NSCENARIOS; k++)
				if (strcmp(argv[i], scenarios[k].name) == 0)
					break;
			if (k == NSCENARIOS || nonly == (int)NSCENARIOS) {
				fprintf(stderr, "uthread-stress: no scenario '%s' (see --list)\n", argv[i]);
				return 2;
			}
			only[nonly++] = argv[i];
		}
	}
	if (alive_n) {
		custom = *S;
		custom.alive = alive_n;
		S = &custom;
	}
	l = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (l <= 0) {
		fprintf(stderr, "uthread-stress: cannot read /proc/self/exe\n");
		return 2;
	}
	self_exe[l] = '\0';
	setvbuf(stdout, NULL, _IOLBF, 0);
	UNTRACKED(&failures);
	UNTRACKED(&created);
	UNTRACKED(&alive);
	UNTRACKED(&peak);

	current = "warm-up";
	watchdog_init();
	watchdog_arm(S->timeout);
	if (warm_up() != 0) {
		fprintf(stderr, "uthread-stress: warm-up failed\n");
		return 1;
	}
	tasks0 = tu_count_tasks();
	maps0 = read_own_maps(maps0_text, sizeof maps0_text, &mapped0);
	heap0 = tu_heap_bytes();
	use0 = heap_in_use();
	printf("uthread-stress: %s scale%s, %d alive at once; %d mappings, heap %zu KiB "
	       "(%zu KiB in use) after warm-up\n", S->cycles == full_sizes.cycles ? "full" : "small",
	       on_valgrind ? ", under valgrind" : "", S->alive, maps0, heap0 / 1024, use0 / 1024);

	for (size_t k = 0; k < NSCENARIOS * (size_t)repeat; k++) {
		const struct scenario *sc = &scenarios[k % NSCENARIOS];
		long long t0;
		long ops;
		int maps, tasks;
		size_t heap, use, heap_before, use_before, allowed, mapped = 0;

		if (nonly || nskip) {
			int want = !nonly;
			for (int i = 0; i < nonly; i++)
				want |= strcmp(only[i], sc->name) == 0;
			for (int i = 0; i < nskip; i++)
				want &= strcmp(skipped[i], sc->name) != 0;
			if (!want)
				continue;
		}
		current = sc->name;
		failures = 0;
		created = alive = peak = 0;
		watchdog_arm(S->timeout);
		heap_before = tu_heap_bytes();
		use_before = heap_in_use();
		t0 = tu_now_ms();
		ops = sc->run();
		t0 = tu_now_ms() - t0;
		/* Back where we started: no thread and no mapping left over. */
		CHECKF(wait_tasks(tasks0, on_valgrind ? 60000 : 10000), "%d threads, want %d",
		       tu_count_tasks(), tasks0);
		tasks = tu_count_tasks();
		maps = read_own_maps(NULL, 0, &mapped);
		heap = tu_heap_bytes();
		use = heap_in_use();
		CHECKF(maps == maps0, "%d mappings, %d after warm-up", maps, maps0);
		CHECKF(mapped == mapped0, "%zu KiB mapped, %zu KiB after warm-up", mapped / 1024,
		       mapped0 / 1024);
		if (maps != maps0 || mapped != mapped0)
			show_maps_diff();
		/*
		 * The heap.  Bytes in use are what a leak raises.  Allowed: the
		 * tcache residue of newly used slots (each keeps up to 7 freed
		 * chunks per size, the library's own thread-block dtvs among
		 * them), at most 16 bytes per thread created; a leak of even the
		 * smallest chunk (32 bytes) per thread is twice that.  Bytes
		 * taken from the system: slack for arena fragmentation.
		 */
		allowed = (256u << 10) + 16 * (size_t)created;
		CHECKF(use <= use_before + allowed, "%zu KiB in use, %zu KiB before (allowed "
		       "+%zu KiB for %ld threads)", use / 1024, use_before / 1024, allowed / 1024,
		       created);
		CHECKF(heap <= heap_before + (1u << 20), "heap %zu KiB, %zu KiB before",
		       heap / 1024, heap_before / 1024);
		printf("%-18s %-4s created %7ld  peak %5ld  checked %9ld  %7.2f s  "
		       "threads %+d maps %+d (%+ld KiB) heap %+ld KiB (in use %+ld B)\n",
		       sc->name, failures ? "FAIL" : "ok", created, peak, ops, (double)t0 / 1000,
		       tasks - tasks0, maps - maps0, ((long)mapped - (long)mapped0) / 1024,
		       ((long)heap - (long)heap_before) / 1024, (long)use - (long)use_before);
		total_fail += failures != 0;
		ran++;
	}
	{
		size_t mapped = 0;
		int maps = read_own_maps(NULL, 0, &mapped);
		printf("uthread-stress: since warm-up: maps %+d (%+ld KiB), heap %+ld KiB, "
		       "in use %+ld KiB\n", maps - maps0, ((long)mapped - (long)mapped0) / 1024,
		       ((long)tu_heap_bytes() - (long)heap0) / 1024,
		       ((long)heap_in_use() - (long)use0) / 1024);
	}
	watchdog_arm(0);
	printf("uthread-stress: %d of %d scenarios passed in %.1f s\n", ran - total_fail, ran,
	       (double)(tu_now_ms() - t_all) / 1000);
	return total_fail ? 1 : 0;
}
