/* SPDX-License-Identifier: MIT */
/*
 * uthread-tour: fork, vfork, posix_spawn, exec, clone, uthread and pthread,
 * each made to create a child on this machine: what the child shares with
 * its parent, what each costs, which system call each makes, and the
 * popular claims about them checked against those measurements.  Every
 * cell and verdict printed comes from what this run saw.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uthread.h>

#include "cloneflags.h"
#include "cost.h"
#include "demo.h"
#include "observe.h"
#include "sysnotify.h"

#define SLEEP_US 2000

static const char usage[] =
	"Usage: uthread-tour [--quick] [--json] [--out DIR] [--trials N]\n"
	"\n"
	"Creates children with fork, vfork, posix_spawn, fork+exec, clone (a process),\n"
	"uthread_create and pthread_create, and shows what each child shares with its\n"
	"parent (observed, not asserted), what each costs and which system call each\n"
	"makes, and checks popular claims about them against those measurements.\n"
	"\n"
	"  --quick      fewer trials and sizes (1, 16, 64 MiB): a few seconds\n"
	"  --json       JSON lines on stdout (one object per line, key \"kind\"),\n"
	"               instead of the text\n"
	"  --out DIR    where the cost CSV and plot go (default ./uthread-tour-out)\n"
	"  --trials N   trials per sharing experiment (default 20, quick 5)\n"
	"  -h, --help   this text\n"
	"\n"
	"Files written in DIR: spawncost.csv, spawncost.gp and, when gnuplot is\n"
	"installed, spawncost.png and spawncost.svg.  uthread-spawncost measures sizes\n"
	"up to 2 GiB.  Under valgrind, clone flag sets valgrind cannot run are skipped.\n"
	"\n"
	"Exit status: 0 every experiment ran; 1 one failed (the message says which;\n"
	"the rest is still reported); 2 bad usage.  Where uthread is unavailable (the\n"
	"library's start-up check of glibc failed), its column and rows say so and\n"
	"name the check, and the exit status is that of the other experiments.\n";

/* The columns of the sharing table, then two rows the claims need. */
enum { C_FORK, C_VFORK, C_SPAWN, C_FORK_EXEC, C_CLONE, C_UTHREAD, C_PTHREAD,
       C_VFORK_EXEC, C_CLONE_VFORK, C_N, C_TABLE = C_VFORK_EXEC };

static const struct {
	enum obs_method m;
	unsigned long flags;
	const char *key, *head1, *head2;
} cols[C_N] = {
	[C_FORK] = { OBS_FORK, 0, "fork", "fork", "" },
	[C_VFORK] = { OBS_VFORK, 0, "vfork", "vfork", "" },
	[C_SPAWN] = { OBS_SPAWN, 0, "posix_spawn", "posix_", "spawn" },
	[C_FORK_EXEC] = { OBS_FORK_EXEC, 0, "fork+exec", "fork+", "exec" },
	[C_CLONE] = { OBS_CLONE, 0, "clone process", "clone", "process" },
	[C_UTHREAD] = { OBS_UTHREAD, 0, "uthread", "uthread", "" },
	[C_PTHREAD] = { OBS_PTHREAD, 0, "pthread", "pthread", "" },
	[C_VFORK_EXEC] = { OBS_VFORK_EXEC, 0, "vfork+exec", "", "" },
	[C_CLONE_VFORK] = { OBS_CLONE, CLONE_VM | CLONE_VFORK, "clone(VM|VFORK)", "", "" },
};

struct claim {
	const char *shortc;   /* fits the table: 33 columns */
	const char *text;     /* as people write it */
	char measured[40];    /* fits the table: 25 columns */
	char detail[700];
	char verdict[40];
};

static struct {
	int quick, json, trials, valgrind, failed;
	const char *out;
	struct demo_machine mach;
	struct obs_result obs[C_N];
	struct cost_config cc;
	struct cost_result cr;
	double copy_ms_per_gib;
	char fitmsg[200];
	struct sn_stage sn[SN_NCALLS];
	int sn_ok;
	char sn_msg[200];
	struct claim claims[7];
	char csv[4200], png[4200], svg[4200], plotmsg[4400];
	int plot;
	/* uthread_check_np's answer: 0, or why uthreads cannot be created here
	 * (ut_na, "unavailable: <the check that failed>"); then every uthread
	 * figure says so and the rest of the tour runs as ever. */
	int ut_err;
	char ut_why_buf[240], ut_na[300];
} T;

static void heading(const char *title)
{
	if (!T.json)
		printf("\n%s\n%.*s\n", title, (int)strlen(title),
		       "================================================================================");
}

/* ------------------------------------------------- 1. sharing */

/* "uthread: unavailable: <the check that failed>", wrapped, after lead. */
static void ut_unavailable_line(const char *lead)
{
	char line[400];

	snprintf(line, sizeof(line), "%suthread: %s", lead, T.ut_na);
	demo_wrap(stdout, "", "  ", line, 79);
}

static void run_observations(const char *target)
{
	struct obs_env env;
	int err = obs_env_init(&env, target, SLEEP_US);

	if (err) {
		fprintf(stderr, "uthread-tour: cannot set up the experiments: %s\n", strerror(err));
		exit(1);
	}
	for (int c = 0; c < C_N; c++) {
		char why[200];
		unsigned long fl = cols[c].m == OBS_CLONE ? cols[c].flags : 0;
		if (cols[c].m == OBS_UTHREAD && T.ut_err) {
			memset(&T.obs[c], 0, sizeof(T.obs[c]));
			snprintf(T.obs[c].errmsg, sizeof(T.obs[c].errmsg), "%s", T.ut_na);
			continue;
		}
		if (cols[c].m == OBS_CLONE && T.valgrind &&
		    cloneflags_valgrind_cannot_run(fl, why, sizeof(why))) {
			memset(&T.obs[c], 0, sizeof(T.obs[c]));
			snprintf(T.obs[c].errmsg, sizeof(T.obs[c].errmsg), "skipped: %.180s", why);
			continue;
		}
		obs_run(&env, cols[c].m, fl, T.trials, &T.obs[c]);
		if (T.obs[c].err)
			T.failed = 1;
	}
	obs_env_fini(&env);
}

static void print_observations(void)
{
	const char *heads[2 * C_TABLE];

	heading("1. What the child shares with its parent, and what is copied");
	printf("Each child first takes a ticket from a counter in shared memory, then writes\n"
	       "a global variable, opens a directory, chdir()s into it, installs a SIGUSR2\n"
	       "handler, notes its pid, tid and ppid, sleeps %d ms and takes a last ticket.\n"
	       "The parent takes a ticket as soon as the creating call returns, waits for\n"
	       "the child's end, then looks at its own variable, descriptors, cwd and\n"
	       "handlers.  In the exec columns the steps are done by uthread-exec-target,\n"
	       "a static program without libc.  %d trials per column.\n\n",
	       SLEEP_US / 1000, T.trials);
	for (int c = 0; c < C_TABLE; c++) {
		heads[2 * c] = cols[c].head1;
		heads[2 * c + 1] = cols[c].head2;
	}
	obs_print_table(stdout, T.obs, heads, C_TABLE);
	if (T.ut_err)
		ut_unavailable_line("n/a: ");
	putchar('\n');
	obs_print_legend(stdout, T.trials);
	printf("\nIn numbers (last trial; parent pid %ld, tid %ld, ppid %ld):\n",
	       T.obs[C_FORK].parent_pid, T.obs[C_FORK].parent_tid, T.obs[C_FORK].parent_ppid);
	for (int c = 0; c < C_N; c++) {
		const struct obs_result *r = &T.obs[c];
		if (r->trials)
			printf("  %-16s pid %-8ld tid %-8ld ppid %-8ld returned %ld\n",
			       cols[c].key, r->child_pid, r->child_tid, r->child_ppid, r->ret);
		else if (r->errmsg[0] && !r->err) {
			char line[600];
			snprintf(line, sizeof(line), "  %-16s %s", cols[c].key, r->errmsg);
			demo_wrap(stdout, "", "                   ", line, 79);
		}
	}
	if (T.valgrind)
		printf("Under valgrind, vfork() runs as a fork (valgrind's choice): its column\n"
		       "shows valgrind's behaviour, not Linux's.\n");
	for (int c = 0; c < C_N; c++)
		if (T.obs[c].err) {
			char line[500];
			snprintf(line, sizeof(line), "FAILED: %s", T.obs[c].errmsg);
			demo_wrap(stdout, "", "  ", line, 79);
		}
}

/* ------------------------------------------------- 2. cost */

static void run_costs(const char *target)
{
	static const long quick[] = { 1, 16, 64 }, full[] = { 1, 16, 64, 256 };
	const long *sizes = T.quick ? quick : full;
	int n = T.quick ? 3 : 4;
	char msg[200];

	memset(&T.cc, 0, sizeof(T.cc));
	T.fitmsg[0] = '\0';
	for (int i = 0; i < n; i++)
		T.cc.sizes_mib[i] = sizes[i];
	T.cc.nsizes = n;
	T.cc.reps = T.quick ? 5 : 15;
	T.cc.target = target;
	T.cc.methods = COST_ALL_METHODS;
	if (!target)
		T.cc.methods &= ~((1u << COST_SPAWN) | (1u << COST_FORK_EXEC) |
		                  (1u << COST_VFORK_EXEC));
	if (T.valgrind && cloneflags_valgrind_cannot_run(CLONE_VM | CLONE_VFORK, msg, sizeof(msg)))
		T.cc.methods &= ~(1u << COST_CLONE_VFORK);
	if (T.ut_err)
		T.cc.methods &= ~(1u << COST_UTHREAD);
	cost_fit_sizes(&T.cc, T.fitmsg, sizeof(T.fitmsg));
	if (cost_sweep(&T.cc, &T.cr)) {
		T.failed = 1;
		return;
	}
	T.copy_ms_per_gib = cost_copy_ms_per_gib(T.cc.sizes_mib[T.cc.nsizes - 1] < 64 ?
	                                         T.cc.sizes_mib[T.cc.nsizes - 1] : 64);
}

static void print_costs(void)
{
	char a[32], b[32];

	heading("2. What each one costs to create");
	if (T.cr.err) {
		printf("FAILED: %s\n", T.cr.errmsg);
		return;
	}
	printf("Create the child and wait for its end (a thread: create + join); the child\n"
	       "does nothing (exec: a static program that exits at once).  Parent with %s\n"
	       "of extra resident memory (RSS %s); median of %d runs, interleaved.\n\n",
	       demo_fmt_mib((double)T.cr.size_mib[0], a, sizeof(a)),
	       demo_fmt_mib(T.cr.rss_mib[0], b, sizeof(b)), T.cc.reps);
	cost_print_size(stdout, &T.cc, &T.cr, 0);
	if (T.fitmsg[0])
		demo_wrap(stdout, "  ", "  ", T.fitmsg, 79);
	if (T.valgrind)
		printf("  (under valgrind: clone(VM|VFORK) skipped, every figure is valgrind's)\n");
	if (T.ut_err)
		ut_unavailable_line("  ");
	printf("\nAnd as the parent grows (section 4 uses these; the plot shows them all):\n\n");
	cost_print_summary(stdout, &T.cc, &T.cr);
}

/* ------------------------------------------------- 3. system calls */

static void run_sysnotify(const char *target)
{
	if (T.valgrind) {
		snprintf(T.sn_msg, sizeof(T.sn_msg), "skipped under valgrind, which does not run "
		         "seccomp listeners");
		return;
	}
	T.sn_ok = sysnotify_run(target, T.sn, T.sn_msg, sizeof(T.sn_msg)) == 0;
	if (!T.sn_ok)
		T.failed = 1;
}

static void print_sysnotify(void)
{
	char buf[240];

	heading("3. Which system call each one makes");
	if (!T.sn_ok) {
		printf("Not measured: %s.\n", T.sn_msg);
		return;
	}
	printf("Each call made once in a child under a seccomp filter that reports every\n"
	       "clone, clone3, fork and vfork system call to this program, then lets it\n"
	       "proceed unchanged:\n\n");
	for (int i = 0; i < SN_NCALLS; i++) {
		if (i == SN_UTHREAD && T.ut_err) {
			char line[400];
			snprintf(line, sizeof(line), "  %-17s%s", T.sn[i].call, T.ut_na);
			demo_wrap(stdout, "", "                   ", line, 79);
			continue;
		}
		printf("  %-17s", T.sn[i].call);
		if (!T.sn[i].n)
			printf("no clone-family system call seen");
		for (int k = 0; k < T.sn[i].n; k++) {
			sn_format(&T.sn[i].seen[k], buf, sizeof(buf));
			if (k)
				printf("\n  %-17s", "then");
			/* Break long flag lists at a '|' to stay in 80 columns. */
			for (const char *p = buf; *p;) {
				size_t room = 60, len = strlen(p);
				if (len <= room) {
					fputs(p, stdout);
					break;
				}
				while (room > 0 && p[room - 1] != '|')
					room--;
				if (!room)
					room = 60;
				printf("%.*s\n  %-17s  ", (int)room, p, "");
				p += room;
			}
		}
		if (!T.sn[i].ok)
			printf("  (the call failed)");
		putchar('\n');
	}
}

/* ------------------------------------------------- 4. claims */

static int idx_max(void)
{
	return T.cr.nsizes - 1;
}

static double median(int i, enum cost_method m)
{
	return T.cr.st[i][m].median;
}

static void claim_cow(struct claim *c)
{
	int hi = idx_max();
	char a[32], b[32], s0[32], s1[32];
	double growth;
	size_t k;

	c->shortc = "COW: fork copies nothing up front";
	c->text = "fork copies nothing up front thanks to copy-on-write";
	if (T.cr.err || hi < 1 || !(T.cc.methods & (1u << COST_FORK))) {
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
		snprintf(c->measured, sizeof(c->measured), "-");
		snprintf(c->detail, sizeof(c->detail), "It needs fork costs at two sizes at least.");
		return;
	}
	growth = median(hi, COST_FORK) / median(0, COST_FORK);
	demo_fmt_mib((double)T.cr.size_mib[0], s0, sizeof(s0));
	demo_fmt_mib((double)T.cr.size_mib[hi], s1, sizeof(s1));
	snprintf(c->measured, sizeof(c->measured), "%+.0f ms per GiB resident",
	         T.cr.slope_ms_per_gib);
	k = (size_t)snprintf(c->detail, sizeof(c->detail),
	                     "fork+_exit took %s with %s resident and %s with %s (%.1fx; fit: "
	                     "%+.1f ms per GiB).  ",
	                     demo_fmt_us(median(0, COST_FORK), a, sizeof(a)), s0,
	                     demo_fmt_us(median(hi, COST_FORK), b, sizeof(b)), s1, growth,
	                     T.cr.slope_ms_per_gib);
	if (growth >= 1.5 && T.cr.slope_ms_per_gib < T.copy_ms_per_gib && k < sizeof(c->detail))
		snprintf(c->detail + k, sizeof(c->detail) - k,
		         "Its cost grows with the memory, by less than copying the data would "
		         "(memcpy: %.0f ms per GiB here): what fork copies up front is the page "
		         "tables that map the pages, not the pages.", T.copy_ms_per_gib);
	else if (growth >= 1.5 && k < sizeof(c->detail))
		snprintf(c->detail + k, sizeof(c->detail) - k,
		         "Its cost grows with the memory as fast as copying the data would "
		         "(memcpy: %.0f ms per GiB here).", T.copy_ms_per_gib);
	else if (k < sizeof(c->detail))
		snprintf(c->detail + k, sizeof(c->detail) - k,
		         "Its cost did not grow much with the parent's memory%s.",
		         T.valgrind ? " (under valgrind, whose own costs dominate)" : "");
	if (growth >= 1.5)
		snprintf(c->verdict, sizeof(c->verdict), "does not hold");
	else if (growth <= 1.25)
		snprintf(c->verdict, sizeof(c->verdict), "holds");
	else
		snprintf(c->verdict, sizeof(c->verdict), "unclear");
}

/* "holds" when ratio(i) is in [lo, hi] at every size, "holds only <= X"
 * when at a first run of sizes, "does not hold" at none. */
static void verdict_by_size(struct claim *c, enum cost_method a, enum cost_method b,
                            double lo, double hi)
{
	int in = 0, prefix = 0;
	char s[32];

	for (int i = 0; i < T.cr.nsizes; i++) {
		double r = cost_ratio(&T.cr, i, a, b);
		if (r >= lo && r <= hi) {
			in++;
			if (prefix == i)
				prefix++;
		}
	}
	if (in == T.cr.nsizes)
		snprintf(c->verdict, sizeof(c->verdict), "holds");
	else if (in == 0)
		snprintf(c->verdict, sizeof(c->verdict), "does not hold");
	else if (prefix == in)
		snprintf(c->verdict, sizeof(c->verdict), "holds <= %s",
		         demo_fmt_mib((double)T.cr.size_mib[prefix - 1], s, sizeof(s)));
	else
		snprintf(c->verdict, sizeof(c->verdict), "mixed: %d/%d sizes", in, T.cr.nsizes);
}

/* "3.5x to 21x (1-64 MiB)": ratio a/b at the smallest and largest size. */
static void ratio_span(struct claim *c, enum cost_method a, enum cost_method b)
{
	char r0[32], r1[32];
	int hi = idx_max();

	snprintf(c->measured, sizeof(c->measured), "%s to %s (%ld-%ld MiB)",
	         demo_fmt_ratio(cost_ratio(&T.cr, 0, a, b), r0, sizeof(r0)),
	         demo_fmt_ratio(cost_ratio(&T.cr, hi, a, b), r1, sizeof(r1)),
	         T.cr.size_mib[0], T.cr.size_mib[hi]);
}

static void claim_forkexec(struct claim *c)
{
	int hi = idx_max();
	char s0[32], s1[32], f0[32], f1[32], v0[32], v1[32];
	unsigned need = (1u << COST_FORK_EXEC) | (1u << COST_VFORK_EXEC);

	c->shortc = "fork+exec as cheap as vfork+exec";
	c->text = "thanks to copy-on-write, fork()+exec() is just as efficient as vfork()+exec()";
	if (T.cr.err || (T.cc.methods & need) != need) {
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
		snprintf(c->measured, sizeof(c->measured), "-");
		snprintf(c->detail, sizeof(c->detail), "It needs the exec target.");
		return;
	}
	ratio_span(c, COST_FORK_EXEC, COST_VFORK_EXEC);
	snprintf(c->detail, sizeof(c->detail),
	         "fork+exec of the static target took %s with %s resident and %s with %s; "
	         "vfork+exec took %s and %s.  \"As efficient\" is taken to mean within 1.25x.",
	         demo_fmt_us(median(0, COST_FORK_EXEC), f0, sizeof(f0)),
	         demo_fmt_mib((double)T.cr.size_mib[0], s0, sizeof(s0)),
	         demo_fmt_us(median(hi, COST_FORK_EXEC), f1, sizeof(f1)),
	         demo_fmt_mib((double)T.cr.size_mib[hi], s1, sizeof(s1)),
	         demo_fmt_us(median(0, COST_VFORK_EXEC), v0, sizeof(v0)),
	         demo_fmt_us(median(hi, COST_VFORK_EXEC), v1, sizeof(v1)));
	verdict_by_size(c, COST_FORK_EXEC, COST_VFORK_EXEC, 0, 1.25);
}

static void claim_vfork_speed(struct claim *c)
{
	char f[32], v[32], s0[32], r[32], sz[32];
	int above = 0, below = 0;
	size_t k;

	c->shortc = "vfork can be 4-5x faster";
	c->text = "vfork can be 4-5 times faster than fork";
	if (T.cr.err) {
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
		snprintf(c->measured, sizeof(c->measured), "-");
		snprintf(c->detail, sizeof(c->detail), "The cost measurement failed.");
		return;
	}
	ratio_span(c, COST_FORK, COST_VFORK);
	k = (size_t)snprintf(c->detail, sizeof(c->detail),
	                     "fork+_exit took %s and vfork+_exit %s with %s resident, both "
	                     "waited for.  fork/vfork:",
	                     demo_fmt_us(median(0, COST_FORK), f, sizeof(f)),
	                     demo_fmt_us(median(0, COST_VFORK), v, sizeof(v)),
	                     demo_fmt_mib((double)T.cr.size_mib[0], s0, sizeof(s0)));
	for (int i = 0; i < T.cr.nsizes && k < sizeof(c->detail); i++)
		k += (size_t)snprintf(c->detail + k, sizeof(c->detail) - k, "%s %s at %s",
		                      i ? "," : "",
		                      demo_fmt_ratio(cost_ratio(&T.cr, i, COST_FORK, COST_VFORK),
		                                     r, sizeof(r)),
		                      demo_fmt_mib((double)T.cr.size_mib[i], sz, sizeof(sz)));
	for (int i = 0; i < T.cr.nsizes; i++) {
		double x = cost_ratio(&T.cr, i, COST_FORK, COST_VFORK);
		above += x > 6;
		below += x < 3.5;
	}
	if (k < sizeof(c->detail))
		snprintf(c->detail + k, sizeof(c->detail) - k, ".  \"4-5x\" is taken as 3.5x to 6x%s.",
		         above == T.cr.nsizes ? "; vfork was faster than that at every size" :
		         below == T.cr.nsizes ? "; vfork gained less than that at every size" : "");
	verdict_by_size(c, COST_FORK, COST_VFORK, 3.5, 6);
}

static void claim_vfork_order(struct claim *c)
{
	const struct obs_result *v = &T.obs[C_VFORK], *ve = &T.obs[C_VFORK_EXEC];
	int n = v->trials, ne = ve->trials, released = ne - ve->parent_after_end;

	c->shortc = "vfork: child first, parent sleeps";
	c->text = "with vfork the child surely runs first, and the parent sleeps until the "
	          "child calls exec or _exit";
	if (!n || !ne) {
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
		snprintf(c->measured, sizeof(c->measured), "-");
		snprintf(c->detail, sizeof(c->detail), "The vfork experiments failed.");
		return;
	}
	snprintf(c->measured, sizeof(c->measured), "first %d/%d, slept %d/%d",
	         v->child_first, n, v->parent_after_end, n);
	snprintf(c->detail, sizeof(c->detail),
	         "vfork+_exit: the child acted first in %d of %d trials and the parent "
	         "resumed after the child's last step in %d of %d (the child slept %d ms "
	         "first).  vfork+exec: the parent resumed while the exec'd program was still "
	         "running in %d of %d trials, so exec, not the end, woke it.%s",
	         v->child_first, n, v->parent_after_end, n, SLEEP_US / 1000, released, ne,
	         T.valgrind ? "  Under valgrind, vfork runs as a fork." : "");
	if (v->child_first == n && v->parent_after_end == n && released == ne)
		snprintf(c->verdict, sizeof(c->verdict), "holds");
	else if (v->child_first == n && v->parent_after_end == n)
		snprintf(c->verdict, sizeof(c->verdict), "holds for _exit");
	else
		snprintf(c->verdict, sizeof(c->verdict), "does not hold");
}

static const struct sn_seen *first_seen(int call)
{
	return T.sn_ok && T.sn[call].n ? &T.sn[call].seen[0] : NULL;
}

static void claim_fork_is_clone(struct claim *c)
{
	const struct sn_seen *s = first_seen(SN_FORK);
	char buf[200];

	c->shortc = "fork() is the clone system call";
	c->text = "clone() is the system call fork() itself uses";
	if (!s) {
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
		snprintf(c->measured, sizeof(c->measured), "-");
		snprintf(c->detail, sizeof(c->detail), "The system calls were not seen: %s.",
		         T.sn_msg);
		return;
	}
	snprintf(c->measured, sizeof(c->measured), "fork() made %s()", sn_name(s->nr));
	snprintf(c->detail, sizeof(c->detail),
	         "glibc %s's fork() made the system call %s; the kernel's own fork system "
	         "call was %s.", T.mach.glibc, sn_format(s, buf, sizeof(buf)),
	         s->nr == SYS_fork ? "used" : "not used");
	snprintf(c->verdict, sizeof(c->verdict), "%s",
	         s->nr == SYS_clone ? "holds" : s->nr == SYS_clone3 ? "holds (clone3)" :
	         "does not hold");
}

static int thread_flags(unsigned long f)
{
	unsigned long need = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
	return (f & need) == need;
}

static void claim_pthread_is_clone(struct claim *c)
{
	const struct sn_seen *s = first_seen(SN_PTHREAD), *u = first_seen(SN_UTHREAD);
	const struct obs_result *p = &T.obs[C_PTHREAD];
	char buf[200], ubuf[200];
	int shares = p->trials && p->var_seen == p->trials && p->fd_seen == p->trials &&
	             p->cwd_seen == p->trials && p->sig_seen == p->trials;

	c->shortc = "pthread_create is clone + sharing";
	c->text = "pthread_create is clone with sharing flags";
	if (!s) {
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
		snprintf(c->measured, sizeof(c->measured), "-");
		snprintf(c->detail, sizeof(c->detail), "The system calls were not seen: %s.",
		         T.sn_msg);
		return;
	}
	snprintf(c->measured, sizeof(c->measured), "%s(VM|FS|FILES|...)", sn_name(s->nr));
	snprintf(c->detail, sizeof(c->detail),
	         "pthread_create made %s; the thread shared memory, descriptors, cwd and "
	         "handlers in %s trials (section 1).  uthread_create%s%s.",
	         sn_format(s, buf, sizeof(buf)), shares ? "all" : "not all",
	         T.ut_err ? ": " : " made ",
	         T.ut_err ? T.ut_na : u ? sn_format(u, ubuf, sizeof(ubuf)) : "nothing seen");
	if (!s->known)
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
	else if ((s->nr == SYS_clone || s->nr == SYS_clone3) && thread_flags(s->flags) && shares)
		snprintf(c->verdict, sizeof(c->verdict), "%s",
		         s->nr == SYS_clone ? "holds" : "holds (clone3)");
	else
		snprintf(c->verdict, sizeof(c->verdict), "does not hold");
}

/* How much a method's cost grew from the smallest parent to the largest. */
static double growth(enum cost_method m)
{
	return T.cr.err ? NAN : median(idx_max(), m) / median(0, m);
}

static void claim_same_routine(struct claim *c)
{
	const struct obs_result *fk = &T.obs[C_FORK], *cp = &T.obs[C_CLONE];
	const struct obs_result *vf = &T.obs[C_VFORK], *cv = &T.obs[C_CLONE_VFORK];
	int t1 = obs_same_table(fk, cp), t2 = cv->trials ? obs_same_table(vf, cv) : -1;
	int hi = idx_max();
	double gf = growth(COST_FORK), gc = growth(COST_CLONE_PROC);
	double gv = growth(COST_VFORK), gcv = growth(COST_CLONE_VFORK);
	/* At the largest parent the kernel's copying dominates: fork() and
	 * clone(SIGCHLD) should cost the same there; microsecond-sized vfork
	 * costs are compared by how they scale (both flat), not by value. */
	double r1 = T.cr.err ? NAN : cost_ratio(&T.cr, hi, COST_FORK, COST_CLONE_PROC);
	int scale = (gf >= 3) == (gc >= 3) && (gv >= 3) == (gcv >= 3) && r1 >= 1 / 1.4 && r1 <= 1.4;
	char a[32], b[32], d[32], e[32], f[32], s0[32], s1[32];

	c->shortc = "fork/vfork/clone: one kernel path";
	c->text = "fork, vfork and clone all end in the same kernel routine with different flags";
	snprintf(c->measured, sizeof(c->measured), "%s",
	         !(t1 && t2 > 0) ? "sharing tables differ" : scale ? "same tables and scaling" :
	         "costs scale differently");
	snprintf(c->detail, sizeof(c->detail),
	         "User space cannot see kernel functions, only behaviour.  fork's sharing "
	         "table %s clone(SIGCHLD)'s and vfork's %s clone(VM|VFORK)'s.  From %s to %s "
	         "resident, fork's cost grew %s and clone(SIGCHLD)'s %s (at %s they differ by "
	         "%s; within 1.4x counts as equal); vfork's grew %s and clone(VM|VFORK)'s %s "
	         "(3x or more counts as growing).",
	         t1 ? "equals" : "differs from",
	         t2 < 0 ? "was not compared with" : t2 ? "equals" : "differs from",
	         T.cr.err ? "?" : demo_fmt_mib((double)T.cr.size_mib[0], s0, sizeof(s0)),
	         T.cr.err ? "?" : demo_fmt_mib((double)T.cr.size_mib[hi], s1, sizeof(s1)),
	         demo_fmt_ratio(gf, a, sizeof(a)), demo_fmt_ratio(gc, b, sizeof(b)), s1,
	         demo_fmt_ratio(r1, d, sizeof(d)), demo_fmt_ratio(gv, e, sizeof(e)),
	         demo_fmt_ratio(gcv, f, sizeof(f)));
	if (t2 < 0 || !isfinite(r1) || !isfinite(gcv))
		snprintf(c->verdict, sizeof(c->verdict), "not measured");
	else if (t1 && t2 && scale)
		snprintf(c->verdict, sizeof(c->verdict), "holds (behaviour)");
	else
		snprintf(c->verdict, sizeof(c->verdict), "does not hold");
}

static void judge(void)
{
	claim_cow(&T.claims[0]);
	claim_forkexec(&T.claims[1]);
	claim_vfork_speed(&T.claims[2]);
	claim_vfork_order(&T.claims[3]);
	claim_fork_is_clone(&T.claims[4]);
	claim_pthread_is_clone(&T.claims[5]);
	claim_same_routine(&T.claims[6]);
}

static void print_claims(void)
{
	heading("4. The popular claims, against what was measured here");
	printf("  %-33s %-25s %s\n", "claim", "measured here", "verdict");
	for (int i = 0; i < 7; i++)
		printf("%d %-33s %-25s %s\n", i + 1, T.claims[i].shortc, T.claims[i].measured,
		       T.claims[i].verdict);
	putchar('\n');
	for (int i = 0; i < 7; i++) {
		char line[900];
		int k = snprintf(line, sizeof(line), "%d. \"%s\": %s.  ", i + 1,
		                 T.claims[i].text, T.claims[i].verdict);
		snprintf(line + k, sizeof(line) - (size_t)k, "%s", T.claims[i].detail);
		demo_wrap(stdout, "", "", line, 79);
		if (i < 6)
			putchar('\n');
	}
}

/* ------------------------------------------------- 5. files */

static void write_files(void)
{
	char dir[4096];
	int err;

	if (T.cr.err)
		return;
	demo_abspath(T.out, dir, sizeof(dir));
	err = demo_mkdir_p(dir);
	if (err) {
		snprintf(T.plotmsg, sizeof(T.plotmsg), "cannot create %s: %s", dir, strerror(err));
		T.plot = -1;
		T.failed = 1;
		return;
	}
	snprintf(T.csv, sizeof(T.csv), "%s/spawncost.csv", dir);
	err = cost_write_csv(&T.cc, &T.cr, T.csv);
	if (err) {
		snprintf(T.plotmsg, sizeof(T.plotmsg), "cannot write %s: %s", T.csv, strerror(err));
		T.csv[0] = '\0';
		T.plot = -1;
		T.failed = 1;
		return;
	}
	T.plot = cost_plot(&T.cc, &T.cr, &T.mach, dir, "spawncost", T.plotmsg, sizeof(T.plotmsg));
	if (T.plot == 0) {
		snprintf(T.png, sizeof(T.png), "%s/spawncost.png", dir);
		snprintf(T.svg, sizeof(T.svg), "%s/spawncost.svg", dir);
	}
}

static void print_files(void)
{
	heading("5. Files");
	if (T.cr.err) {
		printf("None: the cost measurement failed.\n");
		return;
	}
	if (T.csv[0])
		printf("The cost figures behind sections 2 and 4, as CSV:\n  %s\n", T.csv);
	if (T.plot == 0) {
		printf("Their log-log plot:\n  %s\n  %s\n", T.png, T.svg);
	} else {
		char line[4500];
		snprintf(line, sizeof(line), "No plot: %s.", T.plotmsg);
		demo_wrap(stdout, "", "  ", line, 79);
	}
	printf("For parents up to 2 GiB: uthread-spawncost --out DIR.\n");
}

/* ------------------------------------------------- JSON */

static void print_json(void)
{
	struct jl j;
	char buf[240];

	jl_begin(&j, stdout, "meta");
	jl_str(&j, "program", "uthread-tour");
	jl_str(&j, "mode", T.quick ? "quick" : "full");
	jl_str(&j, "kernel", T.mach.kernel);
	jl_str(&j, "glibc", T.mach.glibc);
	jl_int(&j, "cpus", T.mach.cpus);
	jl_int(&j, "valgrind", T.valgrind);
	jl_int(&j, "trials", T.trials);
	jl_str(&j, "uthread", T.ut_err ? T.ut_na : "available");
	jl_end(&j);
	for (int c = 0; c < C_N; c++)
		obs_json(stdout, &T.obs[c], cols[c].key);
	if (!T.cr.err)
		cost_json(stdout, &T.cc, &T.cr);
	for (int i = 0; i < SN_NCALLS && T.sn_ok; i++) {
		jl_begin(&j, stdout, "syscalls");
		jl_str(&j, "call", T.sn[i].call);
		jl_str(&j, "first", T.sn[i].n ? sn_name(T.sn[i].seen[0].nr) : "");
		jl_str(&j, "made", T.sn[i].n ? sn_format(&T.sn[i].seen[0], buf, sizeof(buf)) : "");
		jl_int(&j, "count", T.sn[i].n);
		jl_int(&j, "ok", T.sn[i].ok);
		jl_end(&j);
	}
	for (int i = 0; i < 7; i++) {
		jl_begin(&j, stdout, "claim");
		jl_int(&j, "id", i + 1);
		jl_str(&j, "claim", T.claims[i].text);
		jl_str(&j, "measured", T.claims[i].measured);
		jl_str(&j, "detail", T.claims[i].detail);
		jl_str(&j, "verdict", T.claims[i].verdict);
		jl_end(&j);
	}
	jl_begin(&j, stdout, "files");
	jl_str(&j, "csv", T.csv);
	jl_str(&j, "png", T.png);
	jl_str(&j, "svg", T.svg);
	jl_str(&j, "plot", T.plot == 0 ? "drawn" : T.plot == 1 ? "no gnuplot" : "failed");
	jl_str(&j, "message", T.plotmsg);
	jl_end(&j);
	jl_begin(&j, stdout, "end");
	jl_int(&j, "failed", T.failed);
	jl_end(&j);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "out", required_argument, NULL, 'o' },
		{ "trials", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *target;
	int opt;

	T.out = "uthread-tour-out";
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'q': T.quick = 1; break;
		case 'j': T.json = 1; break;
		case 'o': T.out = optarg; break;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000) {
				fprintf(stderr, "uthread-tour: --trials wants 1 to 1000\n");
				return 2;
			}
			T.trials = (int)v;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uthread-tour: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	if (!T.trials)
		T.trials = T.quick ? 5 : 20;
	T.valgrind = demo_on_valgrind();
	demo_machine(&T.mach);
	target = demo_exec_target();
	T.ut_err = uthread_check_np(T.ut_why_buf, sizeof(T.ut_why_buf));
	if (T.ut_err)
		snprintf(T.ut_na, sizeof(T.ut_na), "unavailable: %s", T.ut_why_buf);

	if (!T.json) {
		printf("uthread-tour: fork, vfork, exec, clone and threads, observed on this machine\n"
		       "%s, glibc %s, %d CPUs, %s%s\n", T.mach.kernel, T.mach.glibc,
		       T.mach.cpus, T.quick ? "quick mode" : "full mode",
		       T.valgrind ? ", under valgrind" : "");
		if (!target)
			printf("uthread-exec-target not found (set UTHREAD_EXEC_TARGET): "
			       "the exec rows fail.\n");
		if (T.ut_err)
			ut_unavailable_line("");
		fflush(stdout);
	}
	if (!target)
		T.failed = 1;

	run_observations(target);
	run_costs(target);
	run_sysnotify(target);
	judge();
	write_files();

	if (T.json) {
		print_json();
	} else {
		print_observations();
		print_costs();
		print_sysnotify();
		print_claims();
		print_files();
	}
	return T.failed ? 1 : 0;
}
