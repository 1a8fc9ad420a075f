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
#include <sys/stat.h>
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

/* Kernel memory of the whole machine that threads cost: kernel stacks,
 * page tables and slab (task structs, ...), KiB, from /proc/meminfo. */
static long kernel_kib(void)
{
	static const char *const keys[] = { "KernelStack:", "PageTables:", "Slab:" };
	char line[256];
	long total = 0, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("cannot read /proc/meminfo");
	while (fgets(line, sizeof line, f))
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (!strncmp(line, keys[k], strlen(keys[k])) &&
			    sscanf(line + strlen(keys[k]), "%ld", &v) == 1)
				total += v;
	fclose(f);
	return total;
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
	const char *what;  /* one line for --list and the JSON */
};

static const struct bench benches[] = {
	{ "create_join", "us/pair", create_join_u, create_join_g, { 2000, 0 }, 200,
	  floor_create_join, "create + join one thread, default stack" },
	{ "create_join_small", "us/pair", create_join_small_u, create_join_small_g,
	  { 2000, 0 }, 200, floor_create_join, "create + join one thread, 64 KiB stack" },
	{ "mutex_uncontended", "ns/op", mutex_uncontended_u, mutex_uncontended_g,
	  { 2000000, 0 }, 100000, NULL,
	  "lock + increment + unlock, one thread, a second one alive" },
	{ "mutex_contended_2", "ms", mutex_contended_u, mutex_contended_g,
	  { 1000000, 2 }, 50000, NULL, "2 threads x 1e6 lock/increment/unlock" },
	{ "mutex_contended_4", "ms", mutex_contended_u, mutex_contended_g,
	  { 1000000, 4 }, 50000, NULL, "4 threads x 1e6 lock/increment/unlock" },
	{ "mutex_contended_8", "ms", mutex_contended_u, mutex_contended_g,
	  { 500000, 8 }, 20000, NULL, "8 threads x 5e5 lock/increment/unlock" },
	{ "cond_pingpong", "us/roundtrip", cond_pingpong_u, cond_pingpong_g,
	  { 20000, 0 }, 2000, NULL, "two threads hand a turn back and forth" },
	{ "rwlock_read_mostly", "ms", rwlock_read_mostly_u, rwlock_read_mostly_g,
	  { 500000, 4 }, 20000, NULL, "4 threads x 5e5 operations, 1% writes" },
	{ "sem_handoff", "us/roundtrip", sem_handoff_u, sem_handoff_g,
	  { 20000, 0 }, 2000, NULL, "two threads post and wait on two semaphores" },
	{ "barrier_rounds", "us/round", barrier_rounds_u, barrier_rounds_g,
	  { 20000, 2 }, 2000, NULL, "two threads meet at a barrier" },
	{ "once_fast_path", "ns/call", once_fast_path_u, once_fast_path_g,
	  { 10000000, 0 }, 100000, NULL, "once() after the first call" },
	{ "testcancel", "ns/call", testcancel_u, testcancel_g,
	  { 10000000, 0 }, 100000, NULL, "testcancel(), nothing pending" },
	{ "sem_wait_ready", "ns/pair", sem_wait_ready_u, sem_wait_ready_g,
	  { 5000000, 0 }, 100000, NULL,
	  "post + wait, the token there (a cancellation point that returns at once)" },
	{ "create_cancel_join", "us/thread", create_cancel_join_u, create_cancel_join_g,
	  { 2000, 0 }, 200, NULL, "create a thread that waits for ever, cancel it, join it" },
	{ "threads_10k_time", "ms", threads_10k_ms_u, threads_10k_ms_g,
	  { 0, 10000 }, 0, NULL, "create 10,000 idle threads (64 KiB stacks), join all" },
	{ "threads_10k_rss", "KiB/thread", threads_10k_kib_u, threads_10k_kib_g,
	  { 0, 10000 }, 0, NULL, "resident memory per idle thread" },
	{ "threads_10k_maps", "maps/thread", threads_10k_maps_u, threads_10k_maps_g,
	  { 0, 10000 }, 0, NULL, "mappings per idle thread" },
	{ "threads_10k_kernel", "KiB/thread", threads_10k_kernel_u,
	  threads_10k_kernel_g, { 0, 10000 }, 0, NULL,
	  "kernel memory per idle thread (stacks, page tables, slab)" },
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

/* What one benchmark measured: per-round values, sorted by summarise(). */
struct result {
	const struct bench *bm;
	int rounds;
	double u[MAX_ROUNDS], g[MAX_ROUNDS], ratio[MAX_ROUNDS];
	double fl[MAX_ROUNDS], flr[MAX_ROUNDS]; /* kernel floor, uthread/floor */
	double um, gm, rm, fm, frm;             /* medians */
};

static struct result results[NBENCH];
static size_t nresults;

static void summarise(struct result *r)
{
	r->um = median(r->u, r->rounds);
	r->gm = median(r->g, r->rounds);
	r->rm = median(r->ratio, r->rounds);
	if (r->bm->floor) {
		r->fm = median(r->fl, r->rounds);
		r->frm = median(r->flr, r->rounds);
	}
}

/*
 * The targets of issue 6 (bench/README.md).  kind 'r': the median ratio
 * glibc/uthread at least limit; 'f': uthread/floor at most limit; 'u':
 * uthread's own median at most limit.
 */
static const struct target {
	const char *bench;
	char kind;
	double limit;
} targets[] = {
	{ "create_join", 'r', 1.25 },
	{ "create_join", 'f', 1.15 },
	{ "threads_10k_maps", 'u', 2.0 },
	{ "threads_10k_rss", 'u', 12.0 },
	{ "mutex_uncontended", 'r', 1.0 },
	{ "mutex_contended_2", 'r', 1.15 },
	{ "mutex_contended_4", 'r', 1.15 },
	{ "cond_pingpong", 'r', 1.3 },
	{ "rwlock_read_mostly", 'r', 1.0 },
};

static void print_targets(void)
{
	int header = 0;

	for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
		const struct target *t = &targets[i];
		const struct result *r = NULL;
		double v;
		char what[96];

		for (size_t k = 0; k < nresults; k++)
			if (!strcmp(results[k].bm->name, t->bench))
				r = &results[k];
		if (!r)
			continue;
		if (!header) {
			printf("\ntargets (issue 6), this run:\n");
			header = 1;
		}
		if (t->kind == 'r') {
			v = r->rm;
			snprintf(what, sizeof what, "glibc/uthread >= %.2f", t->limit);
		} else if (t->kind == 'f') {
			v = r->frm;
			snprintf(what, sizeof what, "uthread/floor <= %.2f", t->limit);
		} else {
			v = r->um;
			snprintf(what, sizeof what, "uthread <= %.2f %s", t->limit, r->bm->unit);
		}
		int met = t->kind == 'r' ? v >= t->limit : v <= t->limit;
		printf("  %-18s %-28s %8.2f  %s\n", t->bench, what, v, met ? "met" : "MISSED");
	}
}

static void write_csv_rounds(FILE *f)
{
	fprintf(f, "benchmark,unit,round,uthread,glibc,ratio,floor\n");
	for (size_t k = 0; k < nresults; k++) {
		const struct result *r = &results[k];
		for (int i = 0; i < r->rounds; i++) {
			fprintf(f, "%s,%s,%d,%.4f,%.4f,%.4f,", r->bm->name, r->bm->unit,
			        i, r->u[i], r->g[i], r->ratio[i]);
			if (r->bm->floor)
				fprintf(f, "%.4f", r->fl[i]);
			fputc('\n', f);
		}
	}
}

/* One row per benchmark: the plot's input. */
static void write_csv_summary(FILE *f)
{
	fprintf(f, "benchmark,unit,uthread_median,glibc_median,ratio_median,"
	           "ratio_min,ratio_max\n");
	for (size_t k = 0; k < nresults; k++) {
		const struct result *r = &results[k];
		fprintf(f, "%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f\n", r->bm->name, r->bm->unit,
		        r->um, r->gm, r->rm, r->ratio[0], r->ratio[r->rounds - 1]);
	}
}

static void json_series(FILE *f, const char *name, double med, const double *v,
                        int n, const double *raw)
{
	fprintf(f, "\"%s\": {\"median\": %.4f, \"min\": %.4f, \"max\": %.4f, "
	           "\"rounds\": [", name, med, v[0], v[n - 1]);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s%.4f", i ? ", " : "", raw[i]);
	fprintf(f, "]}");
}

/* raw: the values in round order (results[] holds them sorted). */
static double raw_u[NBENCH][MAX_ROUNDS], raw_g[NBENCH][MAX_ROUNDS],
	raw_ratio[NBENCH][MAX_ROUNDS], raw_fl[NBENCH][MAX_ROUNDS];

static void write_json(FILE *f, const char *machine, int rounds, int quick,
                       const char *pin)
{
	fprintf(f, "{\n  \"machine\": %s,\n  \"rounds\": %d,\n  \"quick\": %s,\n"
	           "  \"pinned_cpus\": \"%s\",\n  \"benchmarks\": [\n",
	        machine, rounds, quick ? "true" : "false", pin ? pin : "");
	for (size_t k = 0; k < nresults; k++) {
		const struct result *r = &results[k];
		fprintf(f, "    {\"name\": \"%s\", \"unit\": \"%s\", \"what\": \"%s\",\n     ",
		        r->bm->name, r->bm->unit, r->bm->what);
		json_series(f, "uthread", r->um, r->u, r->rounds, raw_u[k]);
		fprintf(f, ",\n     ");
		json_series(f, "glibc", r->gm, r->g, r->rounds, raw_g[k]);
		fprintf(f, ",\n     ");
		json_series(f, "ratio_glibc_over_uthread", r->rm, r->ratio, r->rounds,
		            raw_ratio[k]);
		if (r->bm->floor) {
			fprintf(f, ",\n     ");
			json_series(f, "kernel_floor", r->fm, r->fl, r->rounds, raw_fl[k]);
			fprintf(f, ",\n     \"uthread_over_floor\": %.4f", r->frm);
		}
		fprintf(f, "}%s\n", k + 1 < nresults ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

/* Writes dir/ratios.gp and, if gnuplot runs, dir/ratios.png and .svg. */
static void plot(const char *dir, const char *title)
{
	char path[4096], cmd[4200];
	FILE *f;

	snprintf(path, sizeof path, "%s/ratios.gp", dir);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		return;
	}
	fprintf(f,
	        "# Written by uthread-bench; draw again with: cd %s && gnuplot ratios.gp\n"
	        "set datafile separator ','\n"
	        "set title \"%s\\nmedian per-round ratio glibc/uthread, bars: min-max over rounds\" noenhanced\n"
	        "set style fill solid 0.5\n"
	        "set boxwidth 0.6\n"
	        "set yrange [0:*]\n"
	        "set ylabel 'glibc / uthread (above 1: uthread is faster)'\n"
	        "set xtics rotate by -40 noenhanced\n"
	        "set grid ytics\n"
	        "set key off\n"
	        "set bmargin 9\n"
	        "set rmargin 10\n"
	        "set terminal svg size 1000,560\n"
	        "set output 'ratios.svg'\n"
	        "plot 'summary.csv' every ::1 using 0:5:xtic(1) with boxes, \\\n"
	        "     '' every ::1 using 0:5:6:7 with yerrorbars lc rgb 'black' pt 0, \\\n"
	        "     1 with lines dt 2 lc rgb 'red'\n"
	        "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
	        "  set terminal pngcairo size 1000,560\n"
	        "} else {\n"
	        "  set terminal png size 1000,560\n"
	        "}\n"
	        "set output 'ratios.png'\n"
	        "replot\n", dir, title);
	fclose(f);
	snprintf(cmd, sizeof cmd, "command -v gnuplot >/dev/null 2>&1 && cd '%s' && "
	         "gnuplot ratios.gp >ratios.gnuplot.log 2>&1", dir);
	if (system(cmd) == 0)
		printf("plot: %s/ratios.png and %s/ratios.svg\n", dir, dir);
	else
		printf("plot: gnuplot not found or failed; %s/ratios.gp draws it\n", dir);
}

/* "0", "0,1", "0-1": the CPUs to pin the run (and every thread) to. */
static int pin_to(const char *list)
{
	cpu_set_t set;
	const char *p = list;

	CPU_ZERO(&set);
	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b = a;
		if (end == p || a < 0 || a >= CPU_SETSIZE)
			return -1;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b >= CPU_SETSIZE)
				return -1;
			p = end;
		}
		for (long c = a; c <= b; c++)
			CPU_SET((int)c, &set);
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return sched_setaffinity(0, sizeof set, &set);
}

static void usage(FILE *f)
{
	fprintf(f,
	"usage: uthread-bench [-r ROUNDS] [--quick] [--pin CPUS] [--out DIR]\n"
	"                     [--csv FILE] [--json FILE] [--list] [NAME...]\n"
	"  Runs each benchmark (all, or those named) for uthread and for glibc\n"
	"  pthreads in alternating order, ROUNDS times each after a warm-up, and\n"
	"  prints median [min - max] per library and the median per-round ratio\n"
	"  glibc/uthread (above 1: uthread is faster), then the targets of\n"
	"  bench/README.md, met or missed in this run.\n"
	"  -r, --rounds N  rounds per library (default 11, at most %d)\n"
	"  -q, --quick     small sizes and 3 rounds, for a smoke run\n"
	"  -p, --pin CPUS  run on these CPUs only (e.g. 0, or 0-1): every thread\n"
	"                  inherits the set\n"
	"  -o, --out DIR   write DIR/rounds.csv, DIR/summary.csv, DIR/results.json\n"
	"                  and DIR/ratios.gp, drawn as DIR/ratios.png and .svg if\n"
	"                  gnuplot is installed\n"
	"  -c, --csv FILE  also write one CSV row per benchmark and round\n"
	"  -j, --json FILE also write every figure as JSON\n"
	"  -l, --list      list the benchmarks and exit\n"
	"  -h, --help      this help\n", MAX_ROUNDS);
}

static FILE *open_out(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	return f;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "quick", no_argument, NULL, 'q' },
		{ "pin", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "csv", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int rounds = 11, quick = 0, opt;
	const char *csv_path = NULL, *json_path = NULL, *out_dir = NULL, *pin = NULL;
	char machine[1024], model[256] = "unknown", title[512], line[512];
	struct utsname un;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "r:qp:o:c:j:lh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'r':
			rounds = atoi(optarg);
			if (rounds < 1 || rounds > MAX_ROUNDS) {
				fprintf(stderr, "uthread-bench: rounds must be 1..%d\n", MAX_ROUNDS);
				return 2;
			}
			break;
		case 'q': quick = 1; rounds = 3; break;
		case 'p': pin = optarg; break;
		case 'o': out_dir = optarg; break;
		case 'c': csv_path = optarg; break;
		case 'j': json_path = optarg; break;
		case 'l':
			for (size_t i = 0; i < NBENCH; i++)
				printf("%-20s %s\n", benches[i].name, benches[i].what);
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
	if (pin && pin_to(pin) != 0) {
		fprintf(stderr, "uthread-bench: cannot pin to CPUs '%s'\n", pin);
		return 2;
	}
	if (out_dir && mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
		perror(out_dir);
		return 1;
	}
	/* Every benchmark compares uthread with glibc: without uthreads
	 * there is nothing to compare. */
	char why[240];
	int uerr = uthread_check_np(why, sizeof why);
	if (uerr) {
		fprintf(stderr, "uthread-bench: uthreads unavailable (%s): %s\n",
		        strerror(uerr), why);
		return 1;
	}

	uname(&un);
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(model, sizeof model, "%s", strchr(line, ':') + 2);
			model[strcspn(model, "\n\"\\")] = '\0';
			break;
		}
	if (f)
		fclose(f);
	snprintf(machine, sizeof machine,
	         "{\"cpus\": %ld, \"cpu_model\": \"%s\", \"kernel\": \"%s\", "
	         "\"glibc\": \"%s\"}",
	         sysconf(_SC_NPROCESSORS_ONLN), model, un.release, gnu_get_libc_version());
	snprintf(title, sizeof title, "uthread-bench: %ld CPUs (%s), Linux %s, glibc %s, %d rounds%s",
	         sysconf(_SC_NPROCESSORS_ONLN), model, un.release, gnu_get_libc_version(),
	         rounds, quick ? ", quick" : "");
	printf("%s%s%s\n", title, pin ? ", pinned to CPUs " : "", pin ? pin : "");
	printf("%-18s %-13s %22s %22s %18s\n", "benchmark", "unit",
	       "uthread median [range]", "glibc median [range]", "glibc/uthread");
	for (size_t b = 0; b < NBENCH; b++) {
		const struct bench *bm = &benches[b];
		struct params p = bm->p;

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
		struct result *r = &results[nresults];
		size_t k = nresults++;
		r->bm = bm;
		r->rounds = rounds;
		/* Warm-up: start-up costs, caches, page faults. */
		struct params w = p;
		w.n = p.n / 10 + 1;
		if (w.threads > 1000)
			w.threads /= 10;
		bm->u(&w);
		bm->g(&w);
		for (int i = 0; i < rounds; i++) {
			if (bm->floor)
				r->fl[i] = bm->floor(&p);
			/* Alternate who goes first, so drift favours neither. */
			if (i & 1) {
				r->g[i] = bm->g(&p);
				r->u[i] = bm->u(&p);
			} else {
				r->u[i] = bm->u(&p);
				r->g[i] = bm->g(&p);
			}
			r->ratio[i] = r->g[i] / r->u[i];
			if (bm->floor)
				r->flr[i] = r->u[i] / r->fl[i];
			raw_u[k][i] = r->u[i];
			raw_g[k][i] = r->g[i];
			raw_ratio[k][i] = r->ratio[i];
			raw_fl[k][i] = r->fl[i];
		}
		summarise(r);
		char us[64], gs[64], rs[64];
		snprintf(us, sizeof us, "%.2f [%.2f-%.2f]", r->um, r->u[0], r->u[rounds - 1]);
		snprintf(gs, sizeof gs, "%.2f [%.2f-%.2f]", r->gm, r->g[0], r->g[rounds - 1]);
		snprintf(rs, sizeof rs, "%.2f [%.2f-%.2f]", r->rm, r->ratio[0],
		         r->ratio[rounds - 1]);
		printf("%-18s %-13s %22s %22s %18s\n", bm->name, bm->unit, us, gs, rs);
		if (bm->floor)
			printf("  kernel floor (raw clone, reused stack): %.2f [%.2f-%.2f] %s;"
			       " uthread/floor %.2f [%.2f-%.2f]\n", r->fm, r->fl[0],
			       r->fl[rounds - 1], bm->unit, r->frm, r->flr[0],
			       r->flr[rounds - 1]);
		fflush(stdout);
	}
	print_targets();
	if (csv_path) {
		f = open_out(csv_path);
		write_csv_rounds(f);
		fclose(f);
	}
	if (json_path) {
		f = open_out(json_path);
		write_json(f, machine, rounds, quick, pin);
		fclose(f);
	}
	if (out_dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/rounds.csv", out_dir);
		f = open_out(path);
		write_csv_rounds(f);
		fclose(f);
		snprintf(path, sizeof path, "%s/summary.csv", out_dir);
		f = open_out(path);
		write_csv_summary(f);
		fclose(f);
		snprintf(path, sizeof path, "%s/results.json", out_dir);
		f = open_out(path);
		write_json(f, machine, rounds, quick, pin);
		fclose(f);
		printf("\nwrote %s/rounds.csv, summary.csv, results.json\n", out_dir);
		plot(out_dir, title);
	}
	return 0;
}
