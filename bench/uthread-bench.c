/* SPDX-License-Identifier: MIT */
/*
 * uthread-bench: uthread against glibc pthreads, side by side in one run.
 * Every benchmark runs in rounds, alternating which library goes first, and
 * reports the median and range of each library and the median of the
 * per-round ratios glibc/uthread (> 1: uthread is faster).  Results are
 * checked (exact counters) before a figure is printed.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
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

#define P(x) uthread_##x
#define T(x) uthread_##x
#define I(x) UTHREAD_##x
#define S _u
#include "body.h"
#undef P
#undef T
#undef I
#undef S

#define P(x) pthread_##x
#define T(x) pthread_##x
#define I(x) PTHREAD_##x
#define S _g
#include "body.h"
#undef P
#undef T
#undef I
#undef S

typedef double (*bench_fn)(const struct params *);

struct bench {
	const char *name;
	const char *unit;  /* lower is better for every unit here */
	bench_fn u, g;
	struct params p;
	long quick_n;      /* n in --quick mode */
};

static const struct bench benches[] = {
	{ "create_join", "us/pair", create_join_u, create_join_g, { 2000, 0 }, 200 },
	{ "mutex_uncontended", "ns/op", mutex_uncontended_u, mutex_uncontended_g,
	  { 2000000, 0 }, 100000 },
	{ "mutex_contended_2", "ms", mutex_contended_u, mutex_contended_g,
	  { 1000000, 2 }, 50000 },
	{ "mutex_contended_4", "ms", mutex_contended_u, mutex_contended_g,
	  { 1000000, 4 }, 50000 },
	{ "mutex_contended_8", "ms", mutex_contended_u, mutex_contended_g,
	  { 500000, 8 }, 20000 },
	{ "cond_pingpong", "us/roundtrip", cond_pingpong_u, cond_pingpong_g,
	  { 20000, 0 }, 2000 },
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
		if (quick)
			p.n = bm->quick_n;
		/* Warm-up: start-up costs, caches, page faults. */
		struct params w = p;
		w.n = p.n / 10 + 1;
		bm->u(&w);
		bm->g(&w);
		for (int r = 0; r < rounds; r++) {
			/* Alternate who goes first, so drift favours neither. */
			if (r & 1) {
				g[r] = bm->g(&p);
				u[r] = bm->u(&p);
			} else {
				u[r] = bm->u(&p);
				g[r] = bm->g(&p);
			}
			ratio[r] = g[r] / u[r];
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
		fflush(stdout);
	}
	if (csv)
		fclose(csv);
	return 0;
}
