/* SPDX-License-Identifier: MIT */
/*
 * observe.h - the sharing experiment: make a child one way (fork, vfork,
 * posix_spawn, exec, clone with any flags, uthread, pthread), let it do
 * the steps of obs_child.h, then look from the parent at what changed.
 * Every cell the demos print comes from a struct obs_result.
 */
#ifndef DEMO_OBSERVE_H
#define DEMO_OBSERVE_H

#include <stdio.h>
#include <sys/stat.h>

#include "obs_child.h"

enum obs_method {
	OBS_FORK,        /* fork(); the child does the steps, _exit(0) */
	OBS_VFORK,       /* vfork(); the same, on the parent's memory */
	OBS_SPAWN,       /* posix_spawn() of the exec target */
	OBS_FORK_EXEC,   /* fork(), then execve() of the exec target */
	OBS_VFORK_EXEC,  /* vfork(), then execve() of the exec target */
	OBS_CLONE,       /* glibc's clone() with the given flags */
	OBS_UTHREAD,     /* uthread_create() + uthread_join() */
	OBS_PTHREAD,     /* pthread_create() + pthread_join() */
};

/* What every experiment needs; set up once by obs_env_init. */
struct obs_env {
	const char *target;       /* the exec target, or NULL */
	char dir[64];             /* the directory children open and chdir to */
	struct stat dir_st;
	int memfd;                /* the page holding the record */
	struct obs_record *rec;
	long sleep_us;            /* the child sleeps this long before its end */
	int home_fd;              /* our cwd, to come back to */
	char *stack;              /* for clone children */
	size_t stack_size;
};

struct obs_result {
	enum obs_method method;
	unsigned long flags;      /* OBS_CLONE: the flags passed, exit signal included */
	char name[200];           /* "fork", "clone(VM|VFORK|SIGCHLD)" */
	int trials;               /* trials that ran to the end */
	int err;                  /* nonzero: the experiment failed, see errmsg */
	char errmsg[400];
	/* Counts over the trials: */
	int var_seen, fd_seen, cwd_seen, sig_seen; /* the parent saw the change */
	int pid_same;             /* the child's pid was the parent's */
	int tid_is_pid;           /* the child's tid was its own pid */
	int ppid_parent;          /* the child's parent was the parent */
	int ppid_grandparent;     /* ... was the parent's own parent */
	int child_first;          /* the child acted before the parent resumed */
	int parent_after_end;     /* the parent resumed after the child's end */
	int ret_same;             /* trials whose ret_kind matched the first's */
	char ret_kind[16];        /* "pid", "tid", "pid (ns)", "0 +pid", "0 +handle", "other" */
	/* The last trial, for the details: */
	long parent_pid, parent_tid, parent_ppid;
	long child_pid, child_tid, child_ppid, child_fd;
	long ret, out;
	int ptid_word, ctid_word; /* OBS_CLONE: as the parent saw them after the end */
};

/* 0 or an errno; target may be NULL (the exec methods then fail). */
int obs_env_init(struct obs_env *e, const char *target, long sleep_us);
void obs_env_fini(struct obs_env *e);

/*
 * Run trials trials of method m (flags: OBS_CLONE only, without the exit
 * signal; a clone that is not a thread gets SIGCHLD, as fork's child does).
 * Every child has ended and been waited for when this returns.
 */
void obs_run(struct obs_env *e, enum obs_method m, unsigned long flags, int trials,
             struct obs_result *res);

/* "YES" / "no" / "3/5" and friends: the cell texts of the tables. */
const char *obs_cell(const struct obs_result *r, int row, char *buf, size_t len);

/* The rows every table has, in order. */
enum {
	OBS_ROW_VAR, OBS_ROW_FD, OBS_ROW_CWD, OBS_ROW_SIG, OBS_ROW_PID, OBS_ROW_TID,
	OBS_ROW_PPID, OBS_ROW_FIRST, OBS_ROW_WAITS, OBS_ROW_RETURNS, OBS_NROWS
};
extern const char *const obs_row_label[OBS_NROWS];

/* The table: one column per result (at most 7 fit in 80 columns).  A
 * result with no trials reads "skipped", or "n/a" if its errmsg begins
 * with "unavailable". */
void obs_print_table(FILE *f, const struct obs_result *res, const char *const *heads,
                     int n);

/* The legend printed under a table. */
void obs_print_legend(FILE *f, int trials);

/* One result, a row per line with what was seen (uthread-clonelab). */
void obs_print_detail(FILE *f, const struct obs_result *r);

/* One JSON line of kind "observation". */
void obs_json(FILE *f, const struct obs_result *r, const char *label);

/* Nonzero if two results have the same sharing table (rows VAR..WAITS,
 * leaving out who runs first, which is a race in most rows). */
int obs_same_table(const struct obs_result *a, const struct obs_result *b);

#endif
