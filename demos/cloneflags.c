/* SPDX-License-Identifier: MIT */
/*
 * cloneflags.c - names, one-line explanations and presets of the clone(2)
 * flags; the valgrind rule.  Explanations say what the flag does, not
 * what the lab observed: the observations are printed beside them.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cloneflags.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

const struct cloneflag cloneflags[] = {
	{ CLONE_VM, "VM", "share the address space: one's writes are seen by the other", NULL },
	{ CLONE_FS, "FS", "share cwd, root and umask: chdir in one moves both", NULL },
	{ CLONE_FILES, "FILES", "share the descriptor table: an fd one opens is open in both", NULL },
	{ CLONE_SIGHAND, "SIGHAND", "share signal handlers (needs VM): one sigaction sets both", NULL },
	{ CLONE_PIDFD, "PIDFD", "the parent also gets a pidfd for the child (stored at ptid)", NULL },
	{ CLONE_PTRACE, "PTRACE", "if the parent is being traced, trace the child too", NULL },
	{ CLONE_VFORK, "VFORK", "the parent sleeps until the child calls exec or exits", NULL },
	{ CLONE_PARENT, "PARENT", "the child gets our parent as its parent",
	  "the child would be our parent's child, which this lab could not wait for" },
	{ CLONE_THREAD, "THREAD", "a thread of ours: same pid, not waitable (needs SIGHAND)", NULL },
	{ CLONE_NEWNS, "NEWNS", "a copy of the mount namespace (privileged; not with FS)", NULL },
	{ CLONE_SYSVSEM, "SYSVSEM", "share System V semaphore undo lists (not observed here)", NULL },
	{ CLONE_SETTLS, "SETTLS", "give the child its own thread pointer (TLS block)",
	  "it needs a complete thread block; uthread_create builds one (see the tour)" },
	{ CLONE_PARENT_SETTID, "PARENT_SETTID", "the kernel stores the child's tid in the parent's ptid word", NULL },
	{ CLONE_CHILD_CLEARTID, "CHILD_CLEARTID", "at the child's end the kernel zeroes ctid and futex-wakes it", NULL },
	{ CLONE_UNTRACED, "UNTRACED", "a tracer cannot force PTRACE on the child", NULL },
	{ CLONE_CHILD_SETTID, "CHILD_SETTID", "the kernel stores the child's tid in the child's ctid word", NULL },
	{ CLONE_NEWCGROUP, "NEWCGROUP", "a new cgroup namespace (privileged)", NULL },
	{ CLONE_NEWUTS, "NEWUTS", "a copy of the hostname namespace (privileged)", NULL },
	{ CLONE_NEWIPC, "NEWIPC", "a new System V IPC namespace (privileged)", NULL },
	{ CLONE_NEWUSER, "NEWUSER", "a new user namespace: root inside it (not with FS)", NULL },
	{ CLONE_NEWPID, "NEWPID", "a new pid namespace: the child is pid 1 in it (privileged)", NULL },
	{ CLONE_NEWNET, "NEWNET", "a new network namespace (privileged)", NULL },
	{ CLONE_IO, "IO", "share the I/O scheduling context (not observed here)", NULL },
};
const size_t cloneflags_count = sizeof(cloneflags) / sizeof(cloneflags[0]);

const struct clonepreset clonepresets[] = {
	{ "fork", CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID,
	  "the flags glibc's fork() passes to clone (the tour shows them)" },
	{ "process", 0,
	  "the plainest clone: a new process, everything copied" },
	{ "vfork", CLONE_VM | CLONE_VFORK,
	  "what vfork() and posix_spawn() ask for: shared memory, parent asleep" },
	{ "thread", CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
	  CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
	  "uthread_create's set minus SETTLS: a thread on the parent's TLS" },
};
const size_t clonepresets_count = sizeof(clonepresets) / sizeof(clonepresets[0]);

const struct cloneflag *cloneflag_find(unsigned long bit)
{
	for (size_t i = 0; i < cloneflags_count; i++)
		if (cloneflags[i].bit == bit)
			return &cloneflags[i];
	return NULL;
}

static const struct cloneflag *find_name(const char *name, size_t len)
{
	if (len > 6 && strncasecmp(name, "CLONE_", 6) == 0) {
		name += 6;
		len -= 6;
	}
	for (size_t i = 0; i < cloneflags_count; i++)
		if (strlen(cloneflags[i].name) == len &&
		    strncasecmp(cloneflags[i].name, name, len) == 0)
			return &cloneflags[i];
	return NULL;
}

int cloneflags_parse(const char *text, unsigned long *flags, char *err, size_t errlen)
{
	unsigned long f = 0;
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, ",|+ ");
		if (n) {
			const struct cloneflag *cf = find_name(p, n);
			if (!cf) {
				snprintf(err, errlen, "unknown clone flag '%.*s' (--list names them)",
				         (int)n, p);
				return -1;
			}
			if (cf->refused) {
				snprintf(err, errlen, "CLONE_%s is not offered: %s", cf->name, cf->refused);
				return -1;
			}
			f |= cf->bit;
		}
		p += n;
		if (*p)
			p++;
	}
	*flags = f;
	return 0;
}

char *cloneflags_format(unsigned long flags, char *buf, size_t len)
{
	size_t used = 0;
	int sig = (int)(flags & CSIGNAL);

	buf[0] = '\0';
	for (size_t i = 0; i < cloneflags_count; i++)
		if (flags & cloneflags[i].bit)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
			                         used ? "|" : "", cloneflags[i].name);
	if (sig) {
		char name[16];
		if (sig == SIGCHLD)
			strcpy(name, "SIGCHLD");
		else
			snprintf(name, sizeof(name), "signal %d", sig);
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
		                         used ? "|" : "", name);
	}
	if (!used)
		snprintf(buf, len, "0");
	return buf;
}

int cloneflags_valgrind_cannot_run(unsigned long flags, char *why, size_t len)
{
	const unsigned long thread = CLONE_VM | CLONE_FS | CLONE_FILES;

	/* valgrind's sys_clone switches on exactly these four bits. */
	switch (flags & (thread | CLONE_VFORK)) {
	case 0:
		return 0; /* runs as a fork */
	case CLONE_VM | CLONE_FS | CLONE_FILES:
		return 0; /* runs as a thread */
	case CLONE_VM | CLONE_VFORK:
		snprintf(why, len, "valgrind runs VM|VFORK as a plain fork (nothing shared, "
		         "parent not asleep): the table would show valgrind, not Linux");
		return 1;
	default:
		snprintf(why, len, "valgrind runs a clone only as a fork (no VM, FS, FILES, "
		         "VFORK) or a thread (VM|FS|FILES, no VFORK); it aborts on any other set");
		return 1;
	}
}
