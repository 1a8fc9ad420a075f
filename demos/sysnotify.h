/* SPDX-License-Identifier: MIT */
/*
 * sysnotify.h - which system call a creation function really makes.  The
 * functions run in a child under a seccomp filter that hands every clone,
 * clone3, fork and vfork to us (SECCOMP_RET_USER_NOTIF); we note the call
 * and its flags and let it go ahead unchanged (USER_NOTIF_FLAG_CONTINUE).
 */
#ifndef DEMO_SYSNOTIFY_H
#define DEMO_SYSNOTIFY_H

#include <stddef.h>

enum sn_call { SN_FORK, SN_VFORK, SN_SPAWN, SN_PTHREAD, SN_UTHREAD, SN_NCALLS };

#define SN_MAX_SEEN 4

struct sn_seen {
	int nr;               /* system call number */
	int known;            /* flags could be read (clone3's are in memory) */
	unsigned long flags;  /* clone/clone3: flags with the exit signal */
};

struct sn_stage {
	const char *call;     /* "fork()" */
	int ok;               /* the call itself succeeded */
	int n;                /* system calls seen, at most SN_MAX_SEEN kept */
	struct sn_seen seen[SN_MAX_SEEN];
};

/*
 * Run every call of enum sn_call once under the filter (posix_spawn execs
 * target).  0, or -1 with a sentence in msg when the kernel or the
 * environment (valgrind, no seccomp) does not allow it.
 */
int sysnotify_run(const char *target, struct sn_stage st[SN_NCALLS], char *msg, size_t len);

/* "clone3(VM|FS|...|SIGCHLD)" or "fork()" for one seen call. */
char *sn_format(const struct sn_seen *s, char *buf, size_t len);

/* "clone", "clone3", "fork", "vfork" */
const char *sn_name(int nr);

#endif
