/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - small helpers shared by the cmocka tests: running a body in
 * a forked child and reading its fate, counting mappings, heap size.
 */
#ifndef UTHREAD_TESTUTIL_H
#define UTHREAD_TESTUTIL_H

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Number of lines in /proc/self/maps (one per mapping). */
static inline int tu_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Bytes malloc has taken from the system (main arena + mmapped chunks). */
static inline size_t tu_heap_bytes(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.arena + mi.hblkhd;
}

/*
 * Run fn(arg) in a forked child, which exits with fn's return value.
 * Returns the raw wait status (use WIFEXITED/WTERMSIG on it), or -1.
 * stdout/stderr are flushed first so nothing is printed twice.
 */
static inline int tu_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

#endif
