/* SPDX-License-Identifier: MIT */
/*
 * create_join: create+join latency of uthread against glibc pthreads, in
 * the same run, interleaved round by round (uthread, pthread, uthread, ...)
 * so drift on a shared machine hits both alike.  Reports the median and
 * range of each, and the median of the per-round ratios pthread/uthread.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthread.h>

static void *nothing(void *arg)
{
	return arg;
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Mean microseconds per create+join over n pairs. */
static double round_uthread(int n, const uthread_attr_t *attr)
{
	double t0 = now_us();
	for (int i = 0; i < n; i++) {
		uthread_t t;
		void *r;
		int e = uthread_create(&t, attr, nothing, (void *)(long)i);
		if (e || (e = uthread_join(t, &r)) || r != (void *)(long)i) {
			fprintf(stderr, "uthread create/join failed: %s\n", strerror(e));
			exit(1);
		}
	}
	return (now_us() - t0) / n;
}

static double round_pthread(int n, const pthread_attr_t *attr)
{
	double t0 = now_us();
	for (int i = 0; i < n; i++) {
		pthread_t t;
		void *r;
		int e = pthread_create(&t, attr, nothing, (void *)(long)i);
		if (e || (e = pthread_join(t, &r)) || r != (void *)(long)i) {
			fprintf(stderr, "pthread create/join failed: %s\n", strerror(e));
			exit(1);
		}
	}
	return (now_us() - t0) / n;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: create_join [-r ROUNDS] [-n PAIRS] [-s STACK_KIB]\n"
	        "  Times create+join of uthread and of glibc pthread, interleaved.\n"
	        "  -r ROUNDS   rounds per library (default 15)\n"
	        "  -n PAIRS    create+join pairs per round (default 2000)\n"
	        "  -s KIB      stack size for both libraries (default: each one's default)\n"
	        "  -h          this help\n");
}

int main(int argc, char **argv)
{
	int rounds = 15, n = 2000, opt;
	size_t stack_kib = 0;
	uthread_attr_t ua, *uap = NULL;
	pthread_attr_t pa, *pap = NULL;

	while ((opt = getopt(argc, argv, "r:n:s:h")) != -1) {
		switch (opt) {
		case 'r': rounds = atoi(optarg); break;
		case 'n': n = atoi(optarg); break;
		case 's': stack_kib = strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (rounds < 1 || rounds > 1000 || n < 1) {
		usage(stderr);
		return 2;
	}
	if (stack_kib) {
		uthread_attr_init(&ua);
		pthread_attr_init(&pa);
		if (uthread_attr_setstacksize(&ua, stack_kib << 10) ||
		    pthread_attr_setstacksize(&pa, stack_kib << 10)) {
			fprintf(stderr, "bad stack size\n");
			return 2;
		}
		uap = &ua;
		pap = &pa;
	}

	double *u = calloc(rounds, sizeof *u), *p = calloc(rounds, sizeof *p);
	double *ratio = calloc(rounds, sizeof *ratio);
	/* Warm-up: library start-up, stack caches, page faults. */
	round_uthread(n / 10 + 1, uap);
	round_pthread(n / 10 + 1, pap);
	for (int r = 0; r < rounds; r++) {
		u[r] = round_uthread(n, uap);
		p[r] = round_pthread(n, pap);
		ratio[r] = p[r] / u[r];
	}
	double rmed = median(ratio, rounds);
	double umed = median(u, rounds), pmed = median(p, rounds);
	printf("create+join, %d rounds x %d pairs, stack %s\n", rounds, n,
	       stack_kib ? "set" : "default");
	printf("  %-10s median %8.2f us  [%.2f - %.2f]\n", "uthread", umed, u[0],
	       u[rounds - 1]);
	printf("  %-10s median %8.2f us  [%.2f - %.2f]\n", "pthread", pmed, p[0],
	       p[rounds - 1]);
	printf("  ratio pthread/uthread (per round, median) %.2f  [%.2f - %.2f]\n",
	       rmed, ratio[0], ratio[rounds - 1]);
	free(u);
	free(p);
	free(ratio);
	return 0;
}
