/* SPDX-License-Identifier: MIT */
/*
 * uthread-onethread: create and join one uthread, then one pthread, so the
 * two can be compared under strace (docs/internals.md shows the output).
 * Before each phase it writes a marker line with one write(2), which marks
 * the phase in an strace that includes write.  --layout instead shows, from
 * inside each kind of thread, where its stack, TLS and thread pointer are,
 * with the /proc/self/maps lines of its mapping and guard page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uthread.h>

static const char usage[] =
	"Usage: uthread-onethread [--rounds N] [--only uthread|pthread] [--layout]\n"
	"\n"
	"Creates and joins one uthread, then one pthread (N times each with\n"
	"--rounds; all uthreads first).  A marker line, written with a single\n"
	"write(2), starts each round (each phase beyond 10 rounds), for reading\n"
	"the program under strace:\n"
	"\n"
	"  strace -f -e trace=clone,clone3,futex,rt_sigprocmask,set_robust_list,\\\n"
	"      rseq,mmap,munmap,mprotect,madvise,exit,write ./uthread-onethread\n"
	"\n"
	"  --rounds N     create+join N threads of each kind (default 1)\n"
	"  --only KIND    only uthreads or only pthreads (for strace -c counts)\n"
	"  --layout       print each thread's memory layout, seen from inside it,\n"
	"                 with the /proc/self/maps lines of its stack mapping\n"
	"  -h, --help     this text\n"
	"\n"
	"Exit status: 0 done, 1 a create or join failed, 2 bad usage.  Where uthread\n"
	"is unavailable (the library's start-up check of glibc failed), it says why\n"
	"and runs the pthread half; with --only uthread it exits 1.\n";

static void marker(const char *text)
{
	/* One write(2) per marker: a single line in strace. */
	if (write(STDOUT_FILENO, text, strlen(text)) < 0)
		exit(1);
}

static void round_marker(const char *what, long i, long rounds)
{
	char buf[96];

	if (rounds == 1)
		snprintf(buf, sizeof buf, "== %s\n", what);
	else if (rounds <= 10)
		snprintf(buf, sizeof buf, "== %s, round %ld of %ld\n", what, i + 1, rounds);
	else
		snprintf(buf, sizeof buf, "== %s, %ld rounds\n", what, rounds);
	marker(buf);
}

static void *nothing(void *arg)
{
	return arg;
}

/* The /proc/self/maps line holding addr, and the one ending at its start
 * (the guard page, if there is one), into out. */
static void maps_lines(uintptr_t addr, char *line, size_t len, char *below, size_t blen)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char buf[512], prev[512] = "";

	line[0] = below[0] = '\0';
	if (!f)
		return;
	while (fgets(buf, sizeof buf, f)) {
		unsigned long lo, hi;
		if (sscanf(buf, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi) {
			snprintf(line, len, "%s", buf);
			unsigned long plo, phi;
			if (sscanf(prev, "%lx-%lx", &plo, &phi) == 2 && phi == lo)
				snprintf(below, blen, "%s", prev);
			break;
		}
		snprintf(prev, sizeof prev, "%s", buf);
	}
	fclose(f);
}

/*
 * Bytes of guard region at the bottom of [lo, hi): glibc 2.42 and later, on
 * Linux 6.13 and later, guard a pthread's stack with madvise(MADV_GUARD_
 * INSTALL) inside its one mapping instead of with a PROT_NONE mapping of
 * its own; /proc/self/pagemap marks such pages with bit 58 (Linux 6.15).
 */
static unsigned long guard_pages_at(unsigned long lo, unsigned long hi)
{
	long ps = sysconf(_SC_PAGESIZE);
	unsigned long n = 0;
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	for (unsigned long a = lo; a < hi; a += (unsigned long)ps, n += (unsigned long)ps) {
		if (pread(fd, &e, sizeof e, (off_t)(a / (unsigned long)ps * sizeof e)) != sizeof e ||
		    !(e >> 58 & 1))
			break;
	}
	close(fd);
	return n;
}

/* Runs inside the thread: everything it reports is what the thread sees. */
static void *layout(void *arg)
{
	const char *kind = arg;
	char line[512], below[512];
	volatile char local = 0;
	uintptr_t sp = (uintptr_t)&local, tp = (uintptr_t)pthread_self();
	pthread_attr_t a;
	void *stackaddr = NULL;
	size_t stacksize = 0, guard = 0;
	unsigned long lo = 0, hi = 0;

	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		pthread_attr_getstack(&a, &stackaddr, &stacksize);
		pthread_attr_getguardsize(&a, &guard);
		pthread_attr_destroy(&a);
	}
	unsigned long glo = 0, ghi = 0;
	char perms[8] = "";

	maps_lines(sp, line, sizeof line, below, sizeof below);
	sscanf(line, "%lx-%lx", &lo, &hi);
	if (sscanf(below, "%lx-%lx %7s", &glo, &ghi, perms) != 3 || perms[0] != '-')
		glo = ghi = 0; /* not a guard page */
	printf("%s (tid %d)\n", kind, (int)gettid());
	printf("  /proc/self/maps, its stack's mapping and the one below it:\n");
	printf("    %s", line[0] ? line : "(not found)\n");
	printf("    %s", below[0] ? below : "(none adjacent)\n");
	if (ghi > glo)
		printf("  read-write mapping            %lu bytes, guard below it %lu bytes\n",
		       hi - lo, ghi - glo);
	else
		printf("  read-write mapping            %lu bytes, guard inside it %lu bytes\n",
		       hi - lo, guard_pages_at(lo, hi));
	printf("  pthread_getattr_np: stack     %p-%p (%zu bytes), guard %zu\n",
	       stackaddr, (void *)((char *)stackaddr + stacksize), stacksize, guard);
	printf("  thread pointer (pthread_self) %#lx = mapping end - %lu\n",
	       (unsigned long)tp, hi - (unsigned long)tp);
	printf("  &errno (libc's static TLS)    %p = thread pointer - %lu\n",
	       (void *)&errno, (unsigned long)(tp - (uintptr_t)&errno));
	printf("  a local in the first frame    %#lx = thread pointer - %lu\n",
	       (unsigned long)sp, (unsigned long)(tp - sp));
	return NULL;
}

static int one_uthread(void *(*fn)(void *), void *arg)
{
	uthread_t t;
	int r = uthread_create(&t, NULL, fn, arg);

	if (r == 0)
		r = uthread_join(t, NULL);
	if (r)
		fprintf(stderr, "uthread-onethread: uthread: %s\n", strerror(r));
	return r;
}

static int one_pthread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int r = pthread_create(&t, NULL, fn, arg);

	if (r == 0)
		r = pthread_join(t, NULL);
	if (r)
		fprintf(stderr, "uthread-onethread: pthread: %s\n", strerror(r));
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "only", required_argument, NULL, 'o' },
		{ "layout", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int do_u = 1, do_p = 1, show_layout = 0, opt;
	long rounds = 1;
	char *end;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			errno = 0;
			rounds = strtol(optarg, &end, 10);
			if (errno || *end || rounds < 1 || rounds > 100000000) {
				fprintf(stderr, "uthread-onethread: bad --rounds '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o':
			do_u = strcmp(optarg, "uthread") == 0;
			do_p = strcmp(optarg, "pthread") == 0;
			if (!do_u && !do_p) {
				fprintf(stderr, "uthread-onethread: --only uthread or --only pthread\n");
				return 2;
			}
			break;
		case 'l': show_layout = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return 2;
	}

	/* Without uthreads, the pthread half still runs; only --only uthread
	 * fails. */
	char why[240];
	if (do_u && uthread_check_np(why, sizeof(why))) {
		fprintf(stderr, "uthread-onethread: uthread: unavailable: %s\n", why);
		if (!do_p)
			return 1;
		do_u = 0;
	}
	if (show_layout) {
		fflush(stdout);
		if ((do_u && one_uthread(layout, "uthread")) ||
		    (do_p && one_pthread(layout, "pthread")))
			return 1;
		return 0;
	}
	/* A marker per round up to 10 rounds, else one per phase, so that
	 * strace -c over many rounds counts only a few writes. */
	for (long i = 0; do_u && i < rounds; i++) {
		if (i == 0 || rounds <= 10)
			round_marker("uthread_create + uthread_join", i, rounds);
		if (one_uthread(nothing, NULL))
			return 1;
	}
	for (long i = 0; do_p && i < rounds; i++) {
		if (i == 0 || rounds <= 10)
			round_marker("pthread_create + pthread_join", i, rounds);
		if (one_pthread(nothing, NULL))
			return 1;
	}
	marker("== done\n");
	return 0;
}
