/* SPDX-License-Identifier: MIT */
/*
 * demo.h - what the three demos share besides the experiments: finding the
 * exec target, valgrind detection, facts about the machine, JSON lines,
 * durations for humans, directories.  Nothing here starts a process.
 */
#ifndef DEMO_H
#define DEMO_H

#include <stddef.h>
#include <stdio.h>

/* Nonzero when the program runs under valgrind. */
int demo_on_valgrind(void);

/*
 * The path of uthread-exec-target, the tiny static program the demos exec:
 * $UTHREAD_EXEC_TARGET, else next to the running program (or one directory
 * up, for libtool's .libs/), else the directory it is installed in.  NULL
 * if none is executable.
 */
const char *demo_exec_target(void);

struct demo_machine {
	char kernel[96];     /* "Linux 6.1.0-18-amd64 x86_64" */
	char glibc[32];
	char cpu[96];        /* model name from /proc/cpuinfo */
	char date[32];       /* "2024-05-01 12:00 UTC" */
	char thp[16];        /* transparent huge pages mode: always/madvise/never */
	int cpus;            /* online */
	long mem_total_mib, mem_avail_mib;
};
void demo_machine(struct demo_machine *m);

/* A /proc/meminfo value in MiB ("MemAvailable"), or -1. */
long demo_meminfo_mib(const char *key);

/* mkdir -p; 0 or an errno. */
int demo_mkdir_p(const char *path);

/* path made absolute (against the current directory), in buf. */
char *demo_abspath(const char *path, char *buf, size_t len);

/*
 * JSON lines: one object per line, so a test can grep a key without a
 * parser.  jl_begin writes {"kind":KIND; the others add members; jl_end
 * closes the line.
 */
struct jl {
	FILE *f;
};
void jl_begin(struct jl *j, FILE *f, const char *kind);
void jl_str(struct jl *j, const char *key, const char *val);
void jl_int(struct jl *j, const char *key, long long val);
void jl_num(struct jl *j, const char *key, double val);
void jl_end(struct jl *j);

/* A duration for people: "28 us", "1.88 ms", "36.3 ms", "1.20 s". */
char *demo_fmt_us(double us, char *buf, size_t len);

/* A ratio for people: "1.4x", "66x", "1068x". */
char *demo_fmt_ratio(double r, char *buf, size_t len);

/* "12 MiB", "1 GiB" */
char *demo_fmt_mib(double mib, char *buf, size_t len);

/* Write text wrapped at width: the first line after first, the others
 * after rest (both count towards width). */
void demo_wrap(FILE *f, const char *first, const char *rest, const char *text, int width);

#endif
