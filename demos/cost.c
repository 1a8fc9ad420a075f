/* SPDX-License-Identifier: MIT */
/*
 * cost.c - creation cost against the parent's resident memory (cost.h).
 * The parent grows a "ballast" mapping to each size, touching every page
 * so it is resident (and has page table entries a fork must copy), then
 * times create-and-wait for each method, the methods interleaved round by
 * round so that drift hits them all alike, each timed run right after an
 * untimed one of the same method.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uthread.h>

#include "cost.h"

extern char **environ;

/* Plot styles: processes solid, exec dotted-dashed, clone dashed, threads
 * dark; one colour each. */
static const char *const plot_style[COST_NMETHODS] = {
	[COST_FORK] = "lc rgb '#d62728' dt 1",
	[COST_VFORK] = "lc rgb '#1f77b4' dt 1",
	[COST_CLONE_VFORK] = "lc rgb '#17becf' dt 2",
	[COST_SPAWN] = "lc rgb '#2ca02c' dt 1",
	[COST_FORK_EXEC] = "lc rgb '#ff7f0e' dt 4",
	[COST_VFORK_EXEC] = "lc rgb '#9467bd' dt 4",
	[COST_CLONE_PROC] = "lc rgb '#8c564b' dt 2",
	[COST_UTHREAD] = "lc rgb '#000000' dt 1",
	[COST_PTHREAD] = "lc rgb '#7f7f7f' dt 1",
};

const struct cost_info cost_info[COST_NMETHODS] = {
	[COST_FORK] = { "fork", "fork+_exit", "fork(); the child calls _exit(0); waitpid()" },
	[COST_VFORK] = { "vfork", "vfork+_exit", "vfork(); the child calls _exit(0); waitpid()" },
	[COST_CLONE_VFORK] = { "clone-vm-vfork", "clone(VM|VFORK)",
	                       "clone(CLONE_VM|CLONE_VFORK|SIGCHLD); the child calls _exit(0); waitpid()" },
	[COST_SPAWN] = { "posix_spawn", "posix_spawn", "posix_spawn() of the static target; waitpid()" },
	[COST_FORK_EXEC] = { "fork-exec", "fork+exec", "fork(); execve() of the static target; waitpid()" },
	[COST_VFORK_EXEC] = { "vfork-exec", "vfork+exec", "vfork(); execve() of the static target; waitpid()" },
	[COST_CLONE_PROC] = { "clone-process", "clone process",
	                      "clone(SIGCHLD) without CLONE_VM; the child calls _exit(0); waitpid()" },
	[COST_UTHREAD] = { "uthread", "uthread", "uthread_create() + uthread_join()" },
	[COST_PTHREAD] = { "pthread", "pthread", "pthread_create() + pthread_join()" },
};

/* ------------------------------------------------------------ ballast */

static char *ballast;
static size_t ballast_len, ballast_touched;

static int ballast_grow(size_t len, size_t max, int thp)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!ballast) {
		ballast = mmap(NULL, max, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (ballast == MAP_FAILED) {
			ballast = NULL;
			return errno;
		}
		ballast_len = max;
		ballast_touched = 0;
		/* Plain 4 KiB pages unless asked: what most programs have. */
		madvise(ballast, max, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	}
	/* A write per page: a read would only map the shared zero page. */
	for (; ballast_touched < len; ballast_touched += (size_t)page)
		ballast[ballast_touched] = 1;
	return 0;
}

static void ballast_free(void)
{
	if (ballast)
		munmap(ballast, ballast_len);
	ballast = NULL;
	ballast_len = ballast_touched = 0;
}

static double rss_mib(void)
{
	long pages = 0, size;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return NAN;
	if (fscanf(f, "%ld %ld", &size, &pages) != 2)
		pages = 0;
	fclose(f);
	return pages * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

/* --------------------------------------------------------- one sample */

static char clone_stack[64 * 1024] __attribute__((aligned(16)));

/* The clone children leave as the fork and vfork children do. */
static int child_exits(void *arg)
{
	(void)arg;
	_exit(0);
}

static void *thread_returns(void *arg)
{
	return arg;
}

/* vfork children in functions of their own: they run on our frame. */
static pid_t vfork_exit(void)
{
	pid_t pid = vfork();
	if (pid == 0)
		_exit(0);
	return pid;
}

static pid_t vfork_exec(char *const *argv)
{
	pid_t pid = vfork();
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return pid;
}

static pid_t fork_exec(char *const *argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, environ);
		_exit(127);
	}
	return pid;
}

/* cost_once with the target's argv made. */
static int sample(enum cost_method m, char *const *argv, double *us)
{
	double t0 = timing_now_us();
	pid_t pid = -1;
	int r = 0, st;
	uthread_t ut;
	pthread_t pt;

	switch (m) {
	case COST_FORK:
		pid = fork();
		if (pid == 0)
			_exit(0);
		break;
	case COST_VFORK:
		pid = vfork_exit();
		break;
	case COST_CLONE_VFORK:
		pid = clone(child_exits, clone_stack + sizeof(clone_stack),
		            CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
		break;
	case COST_SPAWN:
		r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
		if (r)
			return r;
		break;
	case COST_FORK_EXEC:
		pid = fork_exec(argv);
		break;
	case COST_VFORK_EXEC:
		pid = vfork_exec(argv);
		break;
	case COST_CLONE_PROC:
		pid = clone(child_exits, clone_stack + sizeof(clone_stack), SIGCHLD, NULL);
		break;
	case COST_UTHREAD:
		r = uthread_create(&ut, NULL, thread_returns, NULL);
		if (!r)
			r = uthread_join(ut, NULL);
		*us = timing_now_us() - t0;
		return r;
	case COST_PTHREAD:
		r = pthread_create(&pt, NULL, thread_returns, NULL);
		if (!r)
			r = pthread_join(pt, NULL);
		*us = timing_now_us() - t0;
		return r;
	case COST_NMETHODS:
		return EINVAL;
	}
	if (pid < 0)
		return errno;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return errno;
	*us = timing_now_us() - t0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : ECHILD;
}

int cost_once(enum cost_method m, const char *target, double *us)
{
	char *argv[] = { (char *)target, NULL };
	return sample(m, argv, us);
}

/* ------------------------------------------------------------- sweep */

static long cgroup_room_mib(void)
{
	char line[512], path[640], v[64];
	long long max = -1, cur = -1;
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return -1;
	path[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", line + 3);
		}
	fclose(f);
	if (!path[0] || !(f = fopen(path, "r")))
		return -1;
	if (fgets(v, sizeof(v), f) && strncmp(v, "max", 3) != 0)
		max = atoll(v);
	fclose(f);
	if (max < 0)
		return -1;
	strcpy(strrchr(path, '/'), "/memory.current");
	if ((f = fopen(path, "r"))) {
		if (fgets(v, sizeof(v), f))
			cur = atoll(v);
		fclose(f);
	}
	return (long)((max - (cur > 0 ? cur : 0)) / (1024 * 1024));
}

int cost_fit_sizes(struct cost_config *c, char *msg, size_t len)
{
	long avail = demo_meminfo_mib("MemAvailable"), room = cgroup_room_mib(), limit;
	int kept = 0, dropped = 0;
	const char *why = "MemAvailable";

	msg[0] = '\0';
	if (avail < 0)
		return 0;
	limit = avail / 2;
	if (room >= 0 && room / 2 < limit) {
		limit = room / 2;
		why = "the cgroup's memory.max";
	}
	for (int i = 0; i < c->nsizes; i++) {
		if (c->sizes_mib[i] <= limit || (i == 0 && kept == 0))
			c->sizes_mib[kept++] = c->sizes_mib[i];
		else
			dropped++;
	}
	c->nsizes = kept;
	if (dropped)
		snprintf(msg, len, "%d size%s above %ld MiB left out: half of what %s allows "
		         "(%ld MiB).", dropped, dropped > 1 ? "s" : "", limit, why, limit * 2);
	return dropped;
}

int cost_sweep(const struct cost_config *c, struct cost_result *r)
{
	char *argv[] = { (char *)c->target, NULL };
	int nm = 0, methods[COST_NMETHODS], err = 0;
	long maxmib = 0;
	double *samples;

	memset(r, 0, sizeof(*r));
	for (int m = 0; m < COST_NMETHODS; m++)
		if (c->methods & (1u << m))
			methods[nm++] = m;
	for (int i = 0; i < c->nsizes; i++)
		if (c->sizes_mib[i] > maxmib)
			maxmib = c->sizes_mib[i];
	samples = calloc((size_t)(nm * (c->reps > 0 ? c->reps : 1)), sizeof(double));
	if (!samples || c->nsizes <= 0 || c->reps <= 0) {
		free(samples);
		r->err = samples ? EINVAL : ENOMEM;
		snprintf(r->errmsg, sizeof(r->errmsg), "nothing to measure");
		return -1;
	}
	for (int i = 0; i < c->nsizes && !err; i++) {
		char sz[32];
		r->size_mib[i] = c->sizes_mib[i];
		r->nsizes = i + 1;
		if (c->progress) {
			fprintf(c->progress, "  measuring with %s resident ...\n",
			        demo_fmt_mib((double)c->sizes_mib[i], sz, sizeof(sz)));
			fflush(c->progress);
		}
		err = ballast_grow((size_t)c->sizes_mib[i] << 20, (size_t)maxmib << 20, c->thp);
		if (err) {
			snprintf(r->errmsg, sizeof(r->errmsg), "mapping %ld MiB: %s",
			         maxmib, strerror(err));
			break;
		}
		r->rss_mib[i] = rss_mib();
		fflush(NULL);
		for (int rep = 0; rep < c->reps && !err; rep++)
			for (int k = 0; k < nm && !err; k++) {
				/* Rotate who goes first in each round. */
				int j = (k + rep) % nm;
				double warm;
				/*
				 * Each timed run follows an untimed run of the same
				 * method: what the previous method left behind is paid
				 * before the clock starts.  (After a fork the parent's
				 * pages are write-protected, and its next writes fault:
				 * a cost of fork, not of whatever comes next.)
				 */
				err = sample((enum cost_method)methods[j], argv, &warm);
				if (!err)
					err = sample((enum cost_method)methods[j], argv,
					             &samples[j * c->reps + rep]);
				if (err)
					snprintf(r->errmsg, sizeof(r->errmsg), "%s at %ld MiB: %s",
					         cost_info[methods[j]].label, c->sizes_mib[i],
					         err == ECHILD ? "the child did not exit with 0"
					                       : strerror(err));
			}
		for (int k = 0; k < nm && !err; k++)
			timing_stats(&samples[k * c->reps], c->reps, &r->st[i][methods[k]]);
	}
	ballast_free();
	free(samples);
	if (err) {
		r->err = err;
		return -1;
	}
	if (c->methods & (1u << COST_FORK)) {
		double x[COST_MAX_SIZES], y[COST_MAX_SIZES];
		for (int i = 0; i < r->nsizes; i++) {
			x[i] = r->rss_mib[i] / 1024;
			y[i] = r->st[i][COST_FORK].median / 1000;
		}
		r->have_slope = timing_linfit(x, y, r->nsizes, &r->slope_ms_per_gib, &r->icept_ms) == 0;
	}
	return 0;
}

double cost_copy_ms_per_gib(long mib)
{
	size_t len = (size_t)mib << 20;
	char *a = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double best = NAN;

	if (a == MAP_FAILED)
		return NAN;
	memset(a, 1, 2 * len); /* both halves resident: time the copy only */
	for (int i = 0; i < 3; i++) {
		double t0 = timing_now_us(), t;
		memcpy(a + len, a, len);
		t = timing_now_us() - t0;
		__asm__ volatile("" : : "r"(a) : "memory"); /* keep the copy */
		if (!(t >= best))
			best = t;
	}
	munmap(a, 2 * len);
	return best / 1000 * 1024 / (double)mib;
}

double cost_ratio(const struct cost_result *r, int i, enum cost_method a, enum cost_method b)
{
	if (r->st[i][a].n == 0 || r->st[i][b].n == 0 || !(r->st[i][b].median > 0))
		return NAN;
	return r->st[i][a].median / r->st[i][b].median;
}

/* ------------------------------------------------------------ output */

void cost_print_size(FILE *f, const struct cost_config *c, const struct cost_result *r, int i)
{
	double fastest = INFINITY;
	char a[32], b[32], d[32], e[72];

	for (int m = 0; m < COST_NMETHODS; m++)
		if ((c->methods & (1u << m)) && r->st[i][m].median < fastest)
			fastest = r->st[i][m].median;
	fprintf(f, "  %-16s %10s   %-23s %s\n", "", "median", "range (min - max)", "vs fastest");
	for (int m = 0; m < COST_NMETHODS; m++) {
		const struct tstats *s = &r->st[i][m];
		if (!(c->methods & (1u << m)))
			continue;
		demo_fmt_us(s->min, b, sizeof(b));
		demo_fmt_us(s->max, d, sizeof(d));
		snprintf(e, sizeof(e), "%s - %s", b, d);
		fprintf(f, "  %-16s %10s   %-23s %s\n", cost_info[m].label,
		        demo_fmt_us(s->median, a, sizeof(a)), e,
		        demo_fmt_ratio(s->median / fastest, b, sizeof(b)));
	}
}

void cost_print_summary(FILE *f, const struct cost_config *c, const struct cost_result *r)
{
	char a[32], b[32], d[32], e[32], g[32], h[32];
	unsigned need = (1u << COST_FORK) | (1u << COST_VFORK);

	if ((c->methods & need) != need)
		return;
	fprintf(f, "  %-9s %-9s %-10s %-10s %-12s %s\n", "resident", "RSS", "fork", "vfork",
	        "fork/vfork", "fork+exec/vfork+exec");
	for (int i = 0; i < r->nsizes; i++) {
		fprintf(f, "  %-9s %-9s %-10s %-10s %-12s %s\n",
		        demo_fmt_mib((double)r->size_mib[i], a, sizeof(a)),
		        demo_fmt_mib(r->rss_mib[i], g, sizeof(g)),
		        demo_fmt_us(r->st[i][COST_FORK].median, b, sizeof(b)),
		        demo_fmt_us(r->st[i][COST_VFORK].median, d, sizeof(d)),
		        demo_fmt_ratio(cost_ratio(r, i, COST_FORK, COST_VFORK), e, sizeof(e)),
		        demo_fmt_ratio(cost_ratio(r, i, COST_FORK_EXEC, COST_VFORK_EXEC), h, sizeof(h)));
	}
	if (r->have_slope)
		fprintf(f, "  fork+_exit grows by %.1f ms per GiB of resident memory\n"
		        "  (least-squares fit over the %d sizes).\n", r->slope_ms_per_gib, r->nsizes);
}

void cost_json(FILE *f, const struct cost_config *c, const struct cost_result *r)
{
	struct jl j;

	for (int i = 0; i < r->nsizes; i++) {
		for (int m = 0; m < COST_NMETHODS; m++) {
			const struct tstats *s = &r->st[i][m];
			if (!(c->methods & (1u << m)))
				continue;
			jl_begin(&j, f, "cost");
			jl_int(&j, "size_mib", r->size_mib[i]);
			jl_num(&j, "rss_mib", r->rss_mib[i]);
			jl_str(&j, "method", cost_info[m].key);
			jl_int(&j, "samples", s->n);
			jl_num(&j, "median_us", s->median);
			jl_num(&j, "min_us", s->min);
			jl_num(&j, "max_us", s->max);
			jl_end(&j);
		}
		jl_begin(&j, f, "cost_size");
		jl_int(&j, "size_mib", r->size_mib[i]);
		jl_num(&j, "rss_mib", r->rss_mib[i]);
		jl_num(&j, "fork_vfork_ratio", cost_ratio(r, i, COST_FORK, COST_VFORK));
		jl_num(&j, "forkexec_vforkexec_ratio", cost_ratio(r, i, COST_FORK_EXEC, COST_VFORK_EXEC));
		jl_num(&j, "forkexec_spawn_ratio", cost_ratio(r, i, COST_FORK_EXEC, COST_SPAWN));
		jl_end(&j);
	}
	if (r->have_slope) {
		jl_begin(&j, f, "fork_slope");
		jl_num(&j, "ms_per_gib", r->slope_ms_per_gib);
		jl_num(&j, "intercept_ms", r->icept_ms);
		jl_end(&j);
	}
}

int cost_write_csv(const struct cost_config *c, const struct cost_result *r, const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return errno;
	fprintf(f, "size_mib,rss_mib,method,label,samples,median_us,min_us,max_us\n");
	for (int i = 0; i < r->nsizes; i++)
		for (int m = 0; m < COST_NMETHODS; m++) {
			const struct tstats *s = &r->st[i][m];
			if (c->methods & (1u << m))
				fprintf(f, "%ld,%.1f,%s,%s,%d,%.1f,%.1f,%.1f\n", r->size_mib[i],
				        r->rss_mib[i], cost_info[m].key, cost_info[m].label, s->n,
				        s->median, s->min, s->max);
		}
	if (fclose(f) != 0)
		return errno;
	return 0;
}

/* ------------------------------------------------------------- plot */

static int find_in_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096], *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s", path && *path ? path : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/%s", *d ? d : ".", name);
		if (access(buf, X_OK) == 0)
			return 1;
	}
	return 0;
}

/* The text with double quotes and backslashes taken out: for gnuplot's
 * double-quoted strings. */
static const char *gp_safe(const char *s, char *buf, size_t len)
{
	size_t k = 0;
	for (; *s && k + 1 < len; s++)
		if (*s != '"' && *s != '\\')
			buf[k++] = *s;
	buf[k] = '\0';
	return buf;
}

static int write_script(const struct cost_config *c, const struct cost_result *r,
                        const struct demo_machine *mach, const char *gp,
                        const char *png, const char *svg)
{
	FILE *f = fopen(gp, "w");
	char t1[128], t2[128], t3[128];
	int first = 1;

	if (!f)
		return errno;
	fprintf(f, "# Written by uthread-spawncost; draw again with: gnuplot %s\n", gp);
	fprintf(f, "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
	           "  set terminal pngcairo size 1000,640 font 'sans,10'\n"
	           "} else {\n  set terminal png size 1000,640\n}\n");
	fprintf(f, "set output \"%s\"\n", png);
	fprintf(f, "set title \"Creating a process or a thread, against the parent's resident memory\\n"
	           "%s, %d CPUs, glibc %s, THP %s%s; %s\" noenhanced\n",
	        gp_safe(mach->kernel, t1, sizeof(t1)), mach->cpus,
	        gp_safe(mach->glibc, t2, sizeof(t2)), gp_safe(mach->thp, t3, sizeof(t3)),
	        c->thp ? " (ballast MADV_HUGEPAGE)" : " (ballast NOHUGEPAGE)", mach->date);
	fprintf(f, "set logscale xy\nset grid xtics ytics mxtics mytics lc rgb '#dddddd'\n"
	           "set xlabel \"parent's resident memory (MiB, RSS)\"\n"
	           "set ylabel \"create and wait (microseconds; median, bars: min-max)\"\n"
	           "set key outside right top noenhanced\nset format y '%%.0f'\n"
	           "set bars small\n");
	if (r->have_slope)
		fprintf(f, "set label 1 \"fork: +%.1f ms per GiB\" at graph 0.02, graph 0.95 noenhanced\n",
		        r->slope_ms_per_gib);
	for (int m = 0; m < COST_NMETHODS; m++) {
		if (!(c->methods & (1u << m)))
			continue;
		fprintf(f, "$m%d << EOD\n", m);
		for (int i = 0; i < r->nsizes; i++)
			fprintf(f, "%.2f %.1f %.1f %.1f\n", r->rss_mib[i], r->st[i][m].median,
			        r->st[i][m].min, r->st[i][m].max);
		fprintf(f, "EOD\n");
	}
	fprintf(f, "plot ");
	for (int m = 0; m < COST_NMETHODS; m++) {
		if (!(c->methods & (1u << m)))
			continue;
		fprintf(f, "%s$m%d using 1:2:3:4 with yerrorlines %s lw 2 pt 7 ps 0.6 title \"%s\"",
		        first ? "" : ", \\\n     ", m, plot_style[m], cost_info[m].label);
		first = 0;
	}
	fprintf(f, "\nset terminal svg size 1000,640 dynamic font 'sans,10' background rgb 'white'\n");
	fprintf(f, "set output \"%s\"\nreplot\nset output\n", svg);
	if (fclose(f) != 0)
		return errno;
	return 0;
}

int cost_plot(const struct cost_config *c, const struct cost_result *r,
              const struct demo_machine *m, const char *dir, const char *base,
              char *msg, size_t len)
{
	char gp[4200], png[4200], svg[4200], log[4200], gnuplot[4200];
	char *argv[] = { (char *)"gnuplot", gp, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int err, st;

	snprintf(gp, sizeof(gp), "%s/%s.gp", dir, base);
	snprintf(png, sizeof(png), "%s/%s.png", dir, base);
	snprintf(svg, sizeof(svg), "%s/%s.svg", dir, base);
	snprintf(log, sizeof(log), "%s/%s.gnuplot.log", dir, base);
	err = write_script(c, r, m, gp, png, svg);
	if (err) {
		snprintf(msg, len, "cannot write %s: %s", gp, strerror(err));
		return -1;
	}
	if (!find_in_path("gnuplot", gnuplot, sizeof(gnuplot))) {
		snprintf(msg, len, "gnuplot is not installed (Debian: apt-get install gnuplot-nox); "
		         "the data is in the CSV, and 'gnuplot %s' draws the plot once it is", gp);
		return 1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	fflush(NULL);
	err = posix_spawn(&pid, gnuplot, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		snprintf(msg, len, "cannot run %s: %s", gnuplot, strerror(err));
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(msg, len, "waitpid for gnuplot: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || access(png, R_OK) || access(svg, R_OK)) {
		snprintf(msg, len, "gnuplot failed; its messages are in %s", log);
		return -1;
	}
	unlink(log);
	snprintf(msg, len, "plot drawn by %s", gnuplot);
	return 0;
}
