/* SPDX-License-Identifier: MIT */
/*
 * cloneflags.h - the clone(2) flags the demos name, parse, print and
 * explain, the presets of uthread-clonelab, and the flag sets valgrind
 * cannot run.  Pure data and string handling: nothing here clones.
 */
#ifndef DEMO_CLONEFLAGS_H
#define DEMO_CLONEFLAGS_H

#include <stddef.h>

struct cloneflag {
	unsigned long bit;
	const char *name;     /* without the CLONE_ prefix */
	const char *explain;  /* one line, what the flag shares or changes */
	const char *refused;  /* non-NULL: why clonelab does not offer it */
};

/* Every flag the lab knows, in the order clone(2) documents them. */
extern const struct cloneflag cloneflags[];
extern const size_t cloneflags_count;

struct clonepreset {
	const char *name;
	unsigned long flags;  /* without the exit signal */
	const char *explain;
};
extern const struct clonepreset clonepresets[];
extern const size_t clonepresets_count;

/* The flag whose bit is bit, or NULL. */
const struct cloneflag *cloneflag_find(unsigned long bit);

/*
 * Parse "VM,FS,FILES" (also '|' or '+' between names, any case, with or
 * without "CLONE_").  On error returns -1 and writes the reason to err.
 */
int cloneflags_parse(const char *text, unsigned long *flags, char *err, size_t errlen);

/*
 * "VM|FS|...|SIGCHLD": the flag names, then the exit signal in the low byte
 * (if any); "0" for no flags at all.  Returns buf.
 */
char *cloneflags_format(unsigned long flags, char *buf, size_t len);

/*
 * Nonzero if valgrind (3.19) aborts the whole run on a clone with these
 * flags ("Valgrind does not support general clone()"): it runs a clone as
 * a thread only with VM|FS|FILES, and as a fork only without VM.  why gets
 * one sentence.  See shared/research/valgrind.md.
 */
int cloneflags_valgrind_cannot_run(unsigned long flags, char *why, size_t len);

#endif
