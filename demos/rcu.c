/* SPDX-License-Identifier: MIT */
/*
 * uthread-rcu: a read-mostly routing table read by 1, 2, 4 and 8 uthread
 * readers while one writer updates it at a fixed rate, under liburcu
 * (urcu-memb), a uthread_rwlock and a uthread_mutex: reads per second side
 * by side.  Every read checks the entry it got (fields written together,
 * a canary the reclaim path poisons); one bad read makes the exit status 1.
 *
 * Without _LGPL_SOURCE: rcu_read_lock() and rcu_dereference() are calls
 * into liburcu, as uthread_rwlock_rdlock() is a call into libuthread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <urcu.h> /* the memb flavour: readers need no memory barrier */

#include <uthread.h>
#include "demo.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

static const char usage[] =
	"Usage: uthread-rcu [--duration SECONDS] [--rounds N] [--rate N]\n"
	"                   [--csv FILE] [--quick]\n"
	"\n"
	"A 256-entry routing table, read by 1, 2, 4 and 8 uthreads while one\n"
	"writer replaces entries at a fixed rate, under three schemes: RCU\n"
	"(liburcu's memb flavour: readers register like any thread, a new entry\n"
	"is published with rcu_xchg_pointer, the old one freed by call_rcu), a\n"
	"uthread_rwlock and a uthread_mutex (entries updated in place under the\n"
	"lock).  Prints reads per second for each, and RCU/rwlock, RCU/mutex.\n"
	"Every read checks its entry; a torn or freed one fails the run.\n"
	"\n"
	"  --duration SECONDS  length of each measurement (default 0.5)\n"
	"  --rounds N          measurements per cell, the median is shown\n"
	"                      (default 3); the schemes' order rotates\n"
	"  --rate N            writer updates per second (default 1000)\n"
	"  --csv FILE          one line per measurement\n"
	"  --quick             --duration 0.15 --rounds 1 (about 2 s)\n"
	"  -h, --help          this text\n"
	"\n"
	"Exit status: 0 all reads consistent; 1 a read saw a torn or freed entry,\n"
	"or a thread or the CSV failed, or uthreads are unavailable here (the\n"
	"message names the library's start-up check that failed); 2 bad usage.\n";

#define ENTRIES 256
#define BATCH 64            /* reads between looks at the stop flag */
#define NCOUNTS 4
static const int reader_counts[NCOUNTS] = { 1, 2, 4, 8 };
#define MAX_READERS 8
#define MAX_ROUNDS 101

enum scheme { RCU, RWLOCK, MUTEX, NSCHEMES };
static const char *const scheme_name[NSCHEMES] = { "rcu", "rwlock", "mutex" };

#define ROUTE_LIVE 0x524f5554u /* "ROUT" */
#define ROUTE_DEAD 0xdeadbeefu

/* A route: where packets for destination key go next.  gen, hop and
 * check are written together; check ties them to each other and to key. */
struct route {
	unsigned magic;
	unsigned key;
	unsigned long gen;
	unsigned long hop;
	unsigned long check;
	struct rcu_head rcu;
};

static unsigned long route_check(unsigned key, unsigned long gen, unsigned long hop)
{
	unsigned long x = (key + 1) * 0x9e3779b97f4a7c15ul ^ gen * 0xbf58476d1ce4e5b9ul ^ hop;

	return x ^ (x >> 29);
}

static int route_ok(const struct route *r, unsigned key)
{
	return r->magic == ROUTE_LIVE && r->key == key &&
	       r->check == route_check(r->key, r->gen, r->hop);
}

/* The three tables: RCU's holds pointers to entries that never change once
 * published; the locked ones hold the entries themselves. */
static struct route *rcu_table[ENTRIES];
static struct route lock_table[ENTRIES];
static uthread_rwlock_t table_rw = UTHREAD_RWLOCK_INITIALIZER;
static uthread_mutex_t table_mx = UTHREAD_MUTEX_INITIALIZER;

static long freed; /* RCU entries reclaimed, by liburcu's call_rcu thread */

static void route_reclaim(struct rcu_head *head)
{
	struct route *r = caa_container_of(head, struct route, rcu);

	/* Poison first: a reader still holding r would see it. */
	r->magic = ROUTE_DEAD;
	r->check = 0;
	free(r);
	__atomic_add_fetch(&freed, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------------ */
/* One measurement                                                      */
/* ------------------------------------------------------------------ */

static int stop;
static uthread_barrier_t start_line;

struct reader {
	uint64_t seed;
	long reads;
	long bad;
	unsigned long sum;    /* of the hops read: the reads cannot be optimised away */
	int err;
} __attribute__((aligned(64)));

static inline unsigned next_key(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (unsigned)(*x % ENTRIES);
}

static inline int stopped(void)
{
	return __atomic_load_n(&stop, __ATOMIC_RELAXED);
}

static void *read_rcu(void *p)
{
	struct reader *me = p;
	uint64_t x = me->seed;
	long n = 0, bad = 0;
	unsigned long sum = 0;

	rcu_register_thread();
	uthread_barrier_wait(&start_line);
	while (!stopped()) {
		for (int i = 0; i < BATCH; i++) {
			unsigned k = next_key(&x);
			struct route *r;

			rcu_read_lock();
			r = rcu_dereference(rcu_table[k]);
			bad += !route_ok(r, k);
			sum += r->hop;
			rcu_read_unlock();
		}
		n += BATCH;
	}
	rcu_unregister_thread();
	me->reads = n;
	me->bad = bad;
	me->sum = sum;
	return NULL;
}

static void *read_rwlock(void *p)
{
	struct reader *me = p;
	uint64_t x = me->seed;
	long n = 0, bad = 0;
	unsigned long sum = 0;

	uthread_barrier_wait(&start_line);
	while (!stopped()) {
		for (int i = 0; i < BATCH; i++) {
			unsigned k = next_key(&x);

			if (uthread_rwlock_rdlock(&table_rw)) {
				me->err = 1;
				break;
			}
			bad += !route_ok(&lock_table[k], k);
			sum += lock_table[k].hop;
			uthread_rwlock_unlock(&table_rw);
		}
		n += BATCH;
	}
	me->reads = n;
	me->bad = bad;
	me->sum = sum;
	return NULL;
}

static void *read_mutex(void *p)
{
	struct reader *me = p;
	uint64_t x = me->seed;
	long n = 0, bad = 0;
	unsigned long sum = 0;

	uthread_barrier_wait(&start_line);
	while (!stopped()) {
		for (int i = 0; i < BATCH; i++) {
			unsigned k = next_key(&x);

			if (uthread_mutex_lock(&table_mx)) {
				me->err = 1;
				break;
			}
			bad += !route_ok(&lock_table[k], k);
			sum += lock_table[k].hop;
			uthread_mutex_unlock(&table_mx);
		}
		n += BATCH;
	}
	me->reads = n;
	me->bad = bad;
	me->sum = sum;
	return NULL;
}

struct writer {
	enum scheme scheme;
	long rate;
	long updates;
	int err;
};

/* Give entry key a new next hop. */
static int update(enum scheme s, unsigned key, unsigned long hop)
{
	struct route *r, *old;

	switch (s) {
	case RCU:
		r = malloc(sizeof *r);
		if (!r)
			return ENOMEM;
		r->magic = ROUTE_LIVE;
		r->key = key;
		r->gen = rcu_table[key]->gen + 1; /* the only writer */
		r->hop = hop;
		r->check = route_check(key, r->gen, hop);
		old = rcu_xchg_pointer(&rcu_table[key], r);
		call_rcu(&old->rcu, route_reclaim);
		return 0;
	case RWLOCK:
	case MUTEX:
		if (s == RWLOCK ? uthread_rwlock_wrlock(&table_rw) : uthread_mutex_lock(&table_mx))
			return EINVAL;
		r = &lock_table[key];
		r->gen++;
		r->hop = hop;
		r->check = route_check(key, r->gen, hop);
		if (s == RWLOCK)
			uthread_rwlock_unlock(&table_rw);
		else
			uthread_mutex_unlock(&table_mx);
		return 0;
	default:
		return EINVAL;
	}
}

static long long ts_ns(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* rate updates a second, on a fixed schedule; a late one does not make the
 * next ones come in a burst. */
static void *write_routes(void *p)
{
	struct writer *w = p;
	long period_ns = 1000000000L / w->rate;
	uint64_t x = 88172645463325252ull;
	struct timespec next;
	long n = 0;

	if (w->scheme == RCU)
		rcu_register_thread(); /* call_rcu is for registered threads */
	uthread_barrier_wait(&start_line);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stopped()) {
		struct timespec now;

		if (update(w->scheme, next_key(&x), (unsigned long)x >> 8)) {
			w->err = 1;
			break;
		}
		n++;
		next.tv_nsec += period_ns;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_ns(&now) > ts_ns(&next) + period_ns)
			next = now; /* more than a period late: start afresh */
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	if (w->scheme == RCU)
		rcu_unregister_thread();
	w->updates = n;
	return NULL;
}

struct result {
	double reads_per_s;
	double seconds;
	long updates;
	long bad;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* nreaders readers and the writer under scheme s for seconds.  0, or an
 * error number from creating or joining a thread. */
static int measure(enum scheme s, int nreaders, double seconds, long rate,
                   struct result *res)
{
	static void *(*const read_fn[NSCHEMES])(void *) = { read_rcu, read_rwlock, read_mutex };
	struct reader rd[MAX_READERS];
	struct writer w = { s, rate, 0, 0 };
	uthread_t t[MAX_READERS], wt;
	struct timespec d = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	double t0, t1;
	long reads = 0;
	int err, bad_thread = 0;

	memset(rd, 0, sizeof rd);
	__atomic_store_n(&stop, 0, __ATOMIC_RELAXED);
	err = uthread_barrier_init(&start_line, NULL, (unsigned)nreaders + 2);
	if (err)
		return err;
	for (int i = 0; i < nreaders; i++) {
		rd[i].seed = 0x2545f4914f6cdd1dull * (uint64_t)(i + 1);
		err = uthread_create(&t[i], NULL, read_fn[s], &rd[i]);
		if (err) {
			/* The barrier would wait forever for the missing one. */
			fprintf(stderr, "uthread-rcu: uthread_create: %s\n", strerror(err));
			exit(EXIT_FAILED);
		}
	}
	err = uthread_create(&wt, NULL, write_routes, &w);
	if (err) {
		fprintf(stderr, "uthread-rcu: uthread_create: %s\n", strerror(err));
		exit(EXIT_FAILED);
	}
	uthread_barrier_wait(&start_line);
	t0 = now_s();
	while (nanosleep(&d, &d) == -1 && errno == EINTR)
		;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	t1 = now_s();
	for (int i = 0; i < nreaders; i++) {
		int e = uthread_join(t[i], NULL);
		err = err ? err : e;
		reads += rd[i].reads;
		bad_thread |= rd[i].err;
	}
	{
		int e = uthread_join(wt, NULL);
		err = err ? err : e;
	}
	uthread_barrier_destroy(&start_line);
	if (s == RCU)
		rcu_barrier(); /* the reclaims run now, not in the next measurement */
	res->seconds = t1 - t0;
	res->reads_per_s = (double)reads / res->seconds;
	res->updates = w.updates;
	res->bad = 0;
	for (int i = 0; i < nreaders; i++)
		res->bad += rd[i].bad;
	if (!err && (bad_thread || w.err))
		err = EINVAL;
	return err;
}

/* ------------------------------------------------------------------ */
/* Report                                                               */
/* ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Reads per second for people: "812 k", "52.3 M". */
static char *fmt_rate(double r, char *buf, size_t len)
{
	if (r >= 1e8)
		snprintf(buf, len, "%.0f M", r / 1e6);
	else if (r >= 1e6)
		snprintf(buf, len, "%.1f M", r / 1e6);
	else
		snprintf(buf, len, "%.0f k", r / 1e3);
	return buf;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int setup_tables(void)
{
	for (unsigned k = 0; k < ENTRIES; k++) {
		struct route *r = malloc(sizeof *r);

		if (!r)
			return ENOMEM;
		r->magic = ROUTE_LIVE;
		r->key = k;
		r->gen = 0;
		r->hop = k;
		r->check = route_check(k, 0, k);
		rcu_table[k] = r;
		lock_table[k] = *r;
	}
	return 0;
}

static void free_tables(void)
{
	for (unsigned k = 0; k < ENTRIES; k++) {
		free(rcu_table[k]);
		rcu_table[k] = NULL;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "rate", required_argument, NULL, 'w' },
		{ "csv", required_argument, NULL, 'c' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static double rps[NSCHEMES][NCOUNTS][MAX_ROUNDS];
	static double ups[NSCHEMES][NCOUNTS][MAX_ROUNDS];
	double duration = -1;
	long rounds = -1, rate = 1000, bad = 0, updates[NSCHEMES] = { 0 };
	const char *csv_path = NULL;
	FILE *csv = NULL;
	struct demo_machine mach;
	struct rusage ru;
	double t_start;
	int opt, quick = 0, failed = 0;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (parse_double(optarg, 0.01, 60, &duration)) {
				fprintf(stderr, "uthread-rcu: --duration wants 0.01 to 60 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'r':
			if (parse_long(optarg, 1, MAX_ROUNDS, &rounds)) {
				fprintf(stderr, "uthread-rcu: --rounds wants 1 to %d\n", MAX_ROUNDS);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			if (parse_long(optarg, 1, 1000000, &rate)) {
				fprintf(stderr, "uthread-rcu: --rate wants 1 to 1000000 updates/s\n");
				return EXIT_USAGE;
			}
			break;
		case 'c': csv_path = optarg; break;
		case 'q': quick = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uthread-rcu: unexpected argument '%s'\n%s", argv[optind], usage);
		return EXIT_USAGE;
	}
	if (duration < 0)
		duration = quick ? 0.15 : 0.5;
	if (rounds < 0)
		rounds = quick ? 1 : 3;
	if (csv_path) {
		csv = fopen(csv_path, "w");
		if (!csv) {
			fprintf(stderr, "uthread-rcu: %s: %s\n", csv_path, strerror(errno));
			return EXIT_FAILED;
		}
		fprintf(csv, "readers,scheme,round,seconds,reads_per_s,updates,inconsistent\n");
	}
	/* Every reader is a uthread: without them there is nothing to show. */
	char why[240];
	int uerr = uthread_check_np(why, sizeof(why));
	if (uerr) {
		fprintf(stderr, "uthread-rcu: uthreads unavailable (%s): %s\n", strerror(uerr), why);
		return EXIT_FAILED;
	}
	if (setup_tables()) {
		fprintf(stderr, "uthread-rcu: out of memory\n");
		return EXIT_FAILED;
	}

	demo_machine(&mach);
	t_start = now_s();
	printf("uthread-rcu: a %d-entry routing table, one writer at %ld updates/s,\n"
	       "1 to %d uthread readers; RCU is liburcu's memb flavour.\n"
	       "%d CPUs, %s, glibc %s, %s.\n"
	       "%ld round%s of %.2f s per cell%s; the schemes' order rotates.\n\n",
	       ENTRIES, rate, MAX_READERS, mach.cpus, mach.kernel, mach.glibc, mach.date,
	       rounds, rounds == 1 ? "" : "s", duration, rounds > 1 ? ", median shown" : "");
	fflush(stdout);

	for (long r = 0; r < rounds && !failed; r++)
		for (int c = 0; c < NCOUNTS && !failed; c++)
			for (int j = 0; j < NSCHEMES; j++) {
				enum scheme s = (enum scheme)((j + r + c) % NSCHEMES);
				struct result res;
				int err = measure(s, reader_counts[c], duration, rate, &res);

				if (err) {
					fprintf(stderr, "uthread-rcu: %s with %d readers: %s\n",
					        scheme_name[s], reader_counts[c], strerror(err));
					failed = 1;
					break;
				}
				rps[s][c][r] = res.reads_per_s;
				ups[s][c][r] = (double)res.updates / res.seconds;
				updates[s] += res.updates;
				bad += res.bad;
				if (csv)
					fprintf(csv, "%d,%s,%ld,%.4f,%.0f,%ld,%ld\n", reader_counts[c],
					        scheme_name[s], r + 1, res.seconds, res.reads_per_s,
					        res.updates, res.bad);
			}

	if (!failed) {
		printf("reads per second (k = thousand, M = million)\n");
		printf("%8s %12s %12s %12s %11s %11s\n", "readers", "RCU (memb)",
		       "rwlock", "mutex", "RCU/rwlock", "RCU/mutex");
		for (int c = 0; c < NCOUNTS; c++) {
			double m[NSCHEMES];
			char a[NSCHEMES][24], q1[16], q2[16];

			for (int s = 0; s < NSCHEMES; s++) {
				m[s] = median(rps[s][c], (int)rounds);
				fmt_rate(m[s], a[s], sizeof a[s]);
			}
			printf("%8d %12s %12s %12s %11s %11s\n", reader_counts[c], a[RCU],
			       a[RWLOCK], a[MUTEX], demo_fmt_ratio(m[RCU] / m[RWLOCK], q1, sizeof q1),
			       demo_fmt_ratio(m[RCU] / m[MUTEX], q2, sizeof q2));
		}
		printf("\nupdates per second the writer made (%ld asked)\n", rate);
		printf("%8s %12s %12s %12s\n", "readers", "RCU (memb)", "rwlock", "mutex");
		for (int c = 0; c < NCOUNTS; c++) {
			printf("%8d", reader_counts[c]);
			for (int s = 0; s < NSCHEMES; s++)
				printf(" %12.0f", median(ups[s][c], (int)rounds));
			printf("\n");
		}
		printf("\n");
	}
	/* On a shared machine, the figures mean little if the run did not get
	 * the CPUs: say how many it had on average. */
	if (!failed && getrusage(RUSAGE_SELF, &ru) == 0) {
		double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
		             (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
		printf("the run used %.2f CPUs on average (%d online)\n",
		       cpu / (now_s() - t_start), mach.cpus);
	}
	/* Every reclaim has run (rcu_barrier after each measurement). */
	if (__atomic_load_n(&freed, __ATOMIC_RELAXED) != updates[RCU]) {
		fprintf(stderr, "uthread-rcu: %ld RCU updates but %ld old entries freed\n",
		        updates[RCU], freed);
		failed = 1;
	}
	printf("every read checked its entry: %ld inconsistent\n", bad);
	if (bad) {
		fprintf(stderr, "uthread-rcu: %ld reads saw a torn or freed entry\n", bad);
		failed = 1;
	}
	if (csv && fclose(csv) != 0) {
		fprintf(stderr, "uthread-rcu: %s: %s\n", csv_path, strerror(errno));
		failed = 1;
	}
	free_tables();
	return failed ? EXIT_FAILED : 0;
}
