/* SPDX-License-Identifier: MIT */
/*
 * uthread-bench: uthread against glibc pthreads, side by side in one run.
 * Every benchmark runs in rounds, alternating which library goes first, and
 * reports the median and range of each library and the median of the
 * per-round ratios glibc/uthread (> 1: uthread is faster).  Results are
 * checked (exact counters) before a figure is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <gnu/libc-version.h>

#include <uthread.h>

#define MAX_THREADS 64
#define MAX_ROUNDS 101
#define MAX_MANY 10000

struct params {
	long n;       /* operations (or pairs, round trips) per round */
	int threads;  /* for the contended benchmarks */
};

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "uthread-bench: %s\n", what);
	exit(1);
}

/* Resident set size of the process, KiB. */
static long rss_kib(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f || fscanf(f, "%ld %ld", &pages, &resident) != 2)
		die("cannot read /proc/self/statm");
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Number of mappings of the process. */
static long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;
	if (!f)
		die("cannot read /proc/self/maps");
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

#define P(x) uthread_##x
#define T(x) uthread_##x
#define I(x) UTHREAD_##x
#define S _u
#define SEM_T uthread_sem_t
#define SEM(x) uthread_sem_##x
#define ATTR_T uthread_attr_t
#define ATTR(x) uthread_attr_##x
#include "body.h"
#undef SEM_T
#undef SEM
#undef ATTR_T
#undef ATTR
#undef P
#undef T
#undef I
#undef S

#define P(x) pthread_##x
#define T(x) pthread_##x
#define I(x) PTHREAD_##x
#define S _g
#define SEM_T sem_t
#define SEM(x) sem_##x
#define ATTR_T pthread_attr_t
#define ATTR(x) pthread_attr_##x
#include "body.h"
#undef SEM_T
#undef SEM
#undef ATTR_T
#undef ATTR
#undef P
#undef T
#undef I
#undef S

typedef double (*bench_fn)(const struct params *);

/*
 * The kernel floor of create+join: a raw clone sharing everything, on one
 * reused stack, that exits at once; join sleeps on the tid word the kernel
 * clears.  No TLS, no libc thread block: what neither library can beat.
 */
static char floor_stack[64 * 1024] __attribute__((aligned(16)));

static int floor_child(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 0);
	return 0;
}

static double floor_create_join(const struct params *pp)
{
	const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
	                  CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
	                  CLONE_CHILD_CLEARTID;
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++) {
		pid_t tid = 0;
		if (clone(floor_child, floor_stack + sizeof floor_stack, flags, NULL,
		          &tid, NULL, &tid) < 0)
			die("raw clone failed");
		pid_t v;
		while ((v = __atomic_load_n(&tid, __ATOMIC_ACQUIRE)) != 0)
			syscall(SYS_futex, &tid, FUTEX_WAIT, v, NULL, NULL, 0);
	}
	return (now_ns() - t0) / 1e3 / pp->n;
}

struct bench {
	const char *name;
	const char *unit;  /* lower is better for every unit here */
	bench_fn u, g;
	struct params p;
	long quick_n;      /* n in --quick mode */
	bench_fn floor;    /* if set: a third measurement, the kernel floor */
};

static const struct bench benches[] = {
	{ "create_join", "us/pair", create_join_u, create_join_g, { 2000, 0 }, 200,
	  floor_create_join },
	{ "mutex_uncontended", "ns/op", mutex_uncontended_u, mutex_uncontended_g,
	  { 2000000, 0 }, 100000, NULL },
	{ "mutex_contended_2", "ms", mutex_contended_u, mutex_contended_g,
	  { 1000000, 2 }, 50000, NULL },
	{ "mutex_contended_4", "ms", mutex_contended_u, mutex_contended_g,
	  { 1000000, 4 }, 50000, NULL },
	{ "mutex_contended_8", "ms", mutex_contended_u, mutex_contended_g,
	  { 500000, 8 }, 20000, NULL },
	{ "cond_pingpong", "us/roundtrip", cond_pingpong_u, cond_pingpong_g,
	  { 20000, 0 }, 2000, NULL },
	{ "rwlock_read_mostly", "ms", rwlock_read_mostly_u, rwlock_read_mostly_g,
	  { 500000, 4 }, 20000, NULL },
	{ "sem_handoff", "us/roundtrip", sem_handoff_u, sem_handoff_g,
	  { 20000, 0 }, 2000, NULL },
	{ "barrier_rounds", "us/round", barrier_rounds_u, barrier_rounds_g,
	  { 20000, 2 }, 2000, NULL },
	{ "once_fast_path", "ns/call", once_fast_path_u, once_fast_path_g,
	  { 10000000, 0 }, 100000, NULL },
	{ "threads_10k_time", "ms", threads_10k_ms_u, threads_10k_ms_g,
	  { 0, 10000 }, 0, NULL },
	{ "threads_10k_rss", "KiB/thread", threads_10k_kib_u, threads_10k_kib_g,
	  { 0, 10000 }, 0, NULL },
	{ "threads_10k_maps", "maps/thread", threads_10k_maps_u, threads_10k_maps_g,
	  { 0, 10000 }, 0, NULL },
};
#define NBENCH (sizeof benches / sizeof benches[0])

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(FILE *f)
{
	fprintf(f,
	"usage: uthread-bench [-r ROUNDS] [--quick] [--csv FILE] [--list] [NAME...]\n"
	"  Runs each benchmark (all, or those named) for uthread and for glibc\n"
	"  pthreads in alternating order, ROUNDS times each, and prints median\n"
	"  [min - max] per library and the median per-round ratio glibc/uthread\n"
	"  (above 1: uthread is faster).\n"
	"  -r, --rounds N  rounds per library (default 11, at most %d)\n"
	"  -q, --quick     small sizes and 3 rounds, for a smoke run\n"
	"  -c, --csv FILE  also write one CSV row per benchmark and round\n"
	"  -l, --list      list the benchmarks and exit\n"
	"  -h, --help      this help\n", MAX_ROUNDS);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "csv", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rounds = 11, quick = 0, opt;
	const char *csv_path = NULL;
	FILE *csv = NULL;
	struct utsname un;

	while ((opt = getopt_long(argc, argv, "r:qc:lh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > MAX_ROUNDS) {
				fprintf(stderr, "uthread-bench: rounds must be 1..%d\n", MAX_ROUNDS);
				return 2;
			}
			break;
		case 'q': quick = 1; rounds = 3; break;
		case 'c': csv_path = optarg; break;
		case 'l':
			for (size_t i = 0; i < NBENCH; i++)
				printf("%s\n", benches[i].name);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	for (int a = optind; a < argc; a++) {
		size_t i;
		for (i = 0; i < NBENCH && strcmp(argv[a], benches[i].name); i++)
			;
		if (i == NBENCH) {
			fprintf(stderr, "uthread-bench: no benchmark '%s' (try --list)\n", argv[a]);
			return 2;
		}
	}
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			perror(csv_path);
			return 1;
		}
		fprintf(csv, "benchmark,unit,round,uthread,glibc,ratio\n");
	}

	uname(&un);
	printf("uthread-bench: %ld CPUs, Linux %s, glibc %s, %d rounds%s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), un.release, gnu_get_libc_version(),
	       rounds, quick ? " (quick)" : "");
	printf("%-18s %-13s %22s %22s %18s\n", "benchmark", "unit",
	       "uthread median [range]", "glibc median [range]", "glibc/uthread");
	for (size_t b = 0; b < NBENCH; b++) {
		const struct bench *bm = &benches[b];
		struct params p = bm->p;
		double u[MAX_ROUNDS], g[MAX_ROUNDS], ratio[MAX_ROUNDS];

		if (optind < argc) {
			int wanted = 0;
			for (int a = optind; a < argc; a++)
				wanted |= !strcmp(argv[a], bm->name);
			if (!wanted)
				continue;
		}
		if (quick) {
			p.n = bm->quick_n;
			if (p.threads > 1000)
				p.threads = 1000;
		}
		/* Warm-up: start-up costs, caches, page faults. */
		struct params w = p;
		w.n = p.n / 10 + 1;
		if (w.threads > 1000)
			w.threads /= 10;
		bm->u(&w);
		bm->g(&w);
		double fl[MAX_ROUNDS], flr[MAX_ROUNDS];
		for (int r = 0; r < rounds; r++) {
			if (bm->floor) {
				fl[r] = bm->floor(&p);
			}
			/* Alternate who goes first, so drift favours neither. */
			if (r & 1) {
				g[r] = bm->g(&p);
				u[r] = bm->u(&p);
			} else {
				u[r] = bm->u(&p);
				g[r] = bm->g(&p);
			}
			ratio[r] = g[r] / u[r];
			if (bm->floor)
				flr[r] = u[r] / fl[r];
			if (csv)
				fprintf(csv, "%s,%s,%d,%.4f,%.4f,%.4f\n", bm->name, bm->unit,
				        r, u[r], g[r], ratio[r]);
		}
		double um = median(u, rounds), gm = median(g, rounds);
		double rm = median(ratio, rounds);
		char us[64], gs[64], rs[64];
		snprintf(us, sizeof us, "%.2f [%.2f-%.2f]", um, u[0], u[rounds - 1]);
		snprintf(gs, sizeof gs, "%.2f [%.2f-%.2f]", gm, g[0], g[rounds - 1]);
		snprintf(rs, sizeof rs, "%.2f [%.2f-%.2f]", rm, ratio[0], ratio[rounds - 1]);
		printf("%-18s %-13s %22s %22s %18s\n", bm->name, bm->unit, us, gs, rs);
		if (bm->floor) {
			double fm = median(fl, rounds), frm = median(flr, rounds);
			printf("  kernel floor (raw clone, reused stack): %.2f [%.2f-%.2f] %s;"
			       " uthread/floor %.2f [%.2f-%.2f]\n", fm, fl[0],
			       fl[rounds - 1], bm->unit, frm, flr[0], flr[rounds - 1]);
		}
		fflush(stdout);
	}
	if (csv)
		fclose(csv);
	return 0;
}
