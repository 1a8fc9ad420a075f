/* SPDX-License-Identifier: MIT */
/*
 * cost.h - what it costs to create a process or a thread, against the
 * parent's resident memory: the measurements of uthread-spawncost (and of
 * the tour's second table), their CSV, their plot.
 */
#ifndef DEMO_COST_H
#define DEMO_COST_H

#include <stdio.h>

#include "demo.h"
#include "timing.h"

enum cost_method {
	COST_FORK,        /* fork, the child _exit(0)s, waitpid */
	COST_VFORK,       /* vfork, _exit, waitpid */
	COST_CLONE_VFORK, /* clone(VM|VFORK|SIGCHLD), the child _exit(0)s, waitpid */
	COST_SPAWN,       /* posix_spawn of the exec target, waitpid */
	COST_FORK_EXEC,   /* fork, execve of the exec target, waitpid */
	COST_VFORK_EXEC,  /* vfork, execve of the exec target, waitpid */
	COST_CLONE_PROC,  /* clone(SIGCHLD), the child _exit(0)s, waitpid */
	COST_UTHREAD,     /* uthread_create + uthread_join */
	COST_PTHREAD,     /* pthread_create + pthread_join */
	COST_NMETHODS
};

struct cost_info {
	const char *key;    /* for options, CSV and JSON: "fork-exec" */
	const char *label;  /* for tables and the plot: "fork+exec" */
	const char *what;   /* one line */
};
extern const struct cost_info cost_info[COST_NMETHODS];

/* The methods the issue asks uthread-spawncost for (no clone process). */
#define COST_DEFAULT_METHODS (((1u << COST_NMETHODS) - 1) & ~(1u << COST_CLONE_PROC))
#define COST_ALL_METHODS ((1u << COST_NMETHODS) - 1)

#define COST_MAX_SIZES 16

struct cost_config {
	long sizes_mib[COST_MAX_SIZES]; /* extra resident memory in the parent */
	int nsizes;
	unsigned methods;   /* bit 1 << enum cost_method */
	int reps;           /* timed samples per size and method */
	int thp;            /* ballast with MADV_HUGEPAGE instead of NOHUGEPAGE */
	const char *target; /* the exec target (needed by the exec methods) */
	FILE *progress;     /* one line per size, or NULL */
};

struct cost_result {
	int nsizes;
	long size_mib[COST_MAX_SIZES];
	double rss_mib[COST_MAX_SIZES];  /* the parent's RSS while measuring */
	struct tstats st[COST_MAX_SIZES][COST_NMETHODS];
	int err;
	char errmsg[200];
	int have_slope;
	double slope_ms_per_gib;         /* fork+_exit median against RSS */
	double icept_ms;
};

/*
 * Drop the sizes that do not fit: above half of MemAvailable (and of what
 * the cgroup still allows).  Returns the number dropped, with a sentence
 * in msg; the smallest size is always kept.
 */
int cost_fit_sizes(struct cost_config *c, char *msg, size_t len);

/* Measure.  0, or -1 with r->err and r->errmsg set. */
int cost_sweep(const struct cost_config *c, struct cost_result *r);

/*
 * Create a child with method m and wait for it (threads: join); *us the
 * time both took.  target: the exec target.  0, or an errno (ECHILD: the
 * child did not exit with status 0).
 */
int cost_once(enum cost_method m, const char *target, double *us);

/* memcpy speed here, ms per GiB, measured on mib MiB; NAN on failure. */
double cost_copy_ms_per_gib(long mib);

/* The size index whose fork/vfork etc. ratio: st[i][a].median / st[i][b].median. */
double cost_ratio(const struct cost_result *r, int i, enum cost_method a, enum cost_method b);

/* One block per size: method, median, range, relative to the fastest. */
void cost_print_size(FILE *f, const struct cost_config *c, const struct cost_result *r, int i);
/* fork/vfork etc. at each size, and the fork slope. */
void cost_print_summary(FILE *f, const struct cost_config *c, const struct cost_result *r);

/* JSON lines of kind "cost" (per size and method), "cost_size", "fork_slope". */
void cost_json(FILE *f, const struct cost_config *c, const struct cost_result *r);

/* The CSV: one line per size and method.  0 or an errno. */
int cost_write_csv(const struct cost_config *c, const struct cost_result *r, const char *path);

/*
 * Write base.gp into dir and run gnuplot on it for base.png and base.svg.
 * Returns 0 when both were drawn, 1 if gnuplot is not installed, -1 if it
 * failed; msg says which in a sentence.
 */
int cost_plot(const struct cost_config *c, const struct cost_result *r,
              const struct demo_machine *m, const char *dir, const char *base,
              char *msg, size_t len);

#endif
