/* SPDX-License-Identifier: MIT */
/*
 * obs_child.h - what every child in the sharing experiments does, and the
 * record it writes its observations into.  Included by observe.c and by
 * uthread-exec-target, so a forked child, a thread and an exec'd program
 * run the very same steps.
 *
 * Only raw system calls and atomics here, never libc: the child may be an
 * exec'd program without a C library, a vfork child borrowing its parent's
 * stack, or a clone that shares its creator's thread pointer (where even
 * errno belongs to another thread).
 */
#ifndef DEMO_OBS_CHILD_H
#define DEMO_OBS_CHILD_H

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

/*
 * The record lives in a memfd page mapped MAP_SHARED by the parent: a fork
 * child inherits the shared mapping, an exec'd child maps the inherited fd.
 * Stamps are values drawn from seq, so their order is the order in which
 * the two sides reached those points.  0 means "not reached".
 */
struct obs_record {
	int64_t seq;
	int64_t child_first;  /* the child's first action */
	int64_t exec_first;   /* the exec'd program's first action */
	int64_t child_last;   /* the child's last action before it ends */
	int64_t parent_back;  /* the parent's first action after the call returned */
	int64_t pid, tid, ppid; /* as the child sees them */
	int64_t fd;           /* the descriptor the child opened */
	int64_t failed;       /* 0, or the OBS_FAIL_* step that failed */
	int64_t err;          /* its -errno */
	int64_t self;         /* uthread_self()/pthread_self() in a thread child */
};

enum { OBS_FAIL_OPEN = 1, OBS_FAIL_CHDIR, OBS_FAIL_SIGACTION, OBS_FAIL_MAP, OBS_FAIL_EXEC };

/* The signal whose handler the child installs. */
#define OBS_SIGNAL SIGUSR2

static inline long obs_sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

static inline long obs_sys(long nr, long a, long b, long c, long d)
{
	return obs_sys6(nr, a, b, c, d, 0, 0);
}

static inline int64_t obs_stamp(struct obs_record *r)
{
	/* seq_cst: a stamp orders everything before it in this task against
	 * everything after a later stamp in the other. */
	return __atomic_add_fetch(&r->seq, 1, __ATOMIC_SEQ_CST);
}

/* The child's first action: take a stamp; claim child_first if nobody has
 * (a fork+exec child took it before exec). */
static inline int64_t obs_child_begin(struct obs_record *r)
{
	int64_t s = obs_stamp(r), unset = 0;
	__atomic_compare_exchange_n(&r->child_first, &unset, s, 0,
	                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return s;
}

/* The handler the child installs; it never runs. */
static inline void obs_child_handler(int sig)
{
	(void)sig;
}

/* The kernel's struct sigaction on x86-64 (libc's differs). */
struct obs_ksigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};
#define OBS_SA_RESTORER 0x04000000UL

/* What returns from a handler: rt_sigreturn.  A local symbol per object. */
__attribute__((visibility("hidden"))) void obs_restore_rt(void);
__asm__(".pushsection .text\n"
        ".type obs_restore_rt,@function\n"
        "obs_restore_rt:\n\t"
        "mov $" "15" ", %eax\n\t" /* SYS_rt_sigreturn */
        "syscall\n\t"
        "hlt\n"
        ".size obs_restore_rt,.-obs_restore_rt\n"
        ".popsection");

static inline void obs_fail(struct obs_record *r, int step, long err)
{
	if (!r->failed) {
		r->err = err;
		r->failed = step;
	}
}

/*
 * The experiment, after obs_child_begin(): write *var, open dir (a
 * directory only this experiment uses), chdir into it, install a handler
 * for OBS_SIGNAL, note pid/tid/ppid, sleep usec, take the last stamp.
 */
static inline void obs_child_act(struct obs_record *r, const char *dir, long usec,
                                 volatile int64_t *var, int64_t value)
{
	struct obs_ksigaction sa = { obs_child_handler, OBS_SA_RESTORER, obs_restore_rt, 0 };
	struct timespec ts = { usec / 1000000, (usec % 1000000) * 1000 };
	long ret;

	*var = value;
	ret = obs_sys(SYS_open, (long)dir, O_RDONLY | O_DIRECTORY, 0, 0);
	if (ret < 0)
		obs_fail(r, OBS_FAIL_OPEN, ret);
	r->fd = ret;
	ret = obs_sys(SYS_chdir, (long)dir, 0, 0, 0);
	if (ret < 0)
		obs_fail(r, OBS_FAIL_CHDIR, ret);
	ret = obs_sys(SYS_rt_sigaction, OBS_SIGNAL, (long)&sa, 0, sizeof(sa.mask));
	if (ret < 0)
		obs_fail(r, OBS_FAIL_SIGACTION, ret);
	r->pid = obs_sys(SYS_getpid, 0, 0, 0, 0);
	r->tid = obs_sys(SYS_gettid, 0, 0, 0, 0);
	r->ppid = obs_sys(SYS_getppid, 0, 0, 0, 0);
	if (usec > 0)
		obs_sys(SYS_nanosleep, (long)&ts, 0, 0, 0);
	r->child_last = obs_stamp(r);
}

#endif
