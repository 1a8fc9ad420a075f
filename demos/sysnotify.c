/* SPDX-License-Identifier: MIT */
/*
 * sysnotify.c - seeing the system calls behind fork(), vfork(),
 * posix_spawn(), pthread_create() and uthread_create() (sysnotify.h).
 *
 * The child installs the filter (it cannot be removed, so it must not be
 * us), passes the listener descriptor to us over a socket, then makes one
 * call per stage.  Each clone-family call blocks in the kernel until we
 * answer; while it waits we read its arguments (for clone3, the struct in
 * the child's memory) and which stage the child is in, then let the call
 * proceed as if no filter were there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloneflags.h"
#include "cost.h"
#include "sysnotify.h"
#include "timing.h"

/* The first fields of the kernel's struct clone_args (linux/sched.h). */
struct clone_args_head {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
};

static const char *const call_names[SN_NCALLS] = {
	"fork()", "vfork()", "posix_spawn()", "pthread_create()", "uthread_create()",
};

const char *sn_name(int nr)
{
	switch (nr) {
	case SYS_clone: return "clone";
	case SYS_clone3: return "clone3";
	case SYS_fork: return "fork";
	case SYS_vfork: return "vfork";
	}
	return "?";
}

char *sn_format(const struct sn_seen *s, char *buf, size_t len)
{
	char fl[200];

	if ((s->nr == SYS_clone || s->nr == SYS_clone3) && !s->known)
		snprintf(buf, len, "%s(flags unreadable)", sn_name(s->nr));
	else if (s->nr == SYS_clone || s->nr == SYS_clone3)
		snprintf(buf, len, "%s(%s)", sn_name(s->nr), cloneflags_format(s->flags, fl, sizeof(fl)));
	else
		snprintf(buf, len, "%s()", sn_name(s->nr));
	return buf;
}

/* ------------------------------------------------------------ the child */

static int install_filter(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_fork, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_vfork, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	/* Unprivileged filters need no_new_privs. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	                    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
}

static void send_fd(int sock, int fd, int err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &err, sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, 0) < 0 && errno == EINTR)
		;
}

/* Each call of enum sn_call, made the way uthread-spawncost times it. */
static const enum cost_method stage_method[SN_NCALLS] = {
	[SN_FORK] = COST_FORK, [SN_VFORK] = COST_VFORK, [SN_SPAWN] = COST_SPAWN,
	[SN_PTHREAD] = COST_PTHREAD, [SN_UTHREAD] = COST_UTHREAD,
};

static __attribute__((noreturn)) void sandbox(int sock, volatile int *stage, int *ok,
                                              const char *target)
{
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = install_filter();
	send_fd(sock, fd, fd < 0 ? errno : 0);
	if (fd < 0)
		_exit(3);
	close(fd);
	close(sock);
	for (int i = 0; i < SN_NCALLS; i++) {
		double us;
		*stage = i;
		ok[i] = (i != SN_SPAWN || target) && cost_once(stage_method[i], target, &us) == 0;
	}
	*stage = -1;
	_exit(0);
}

/* ------------------------------------------------------------ the parent */

static int recv_fd(int sock, int *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { err, sizeof(*err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
	                      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct pollfd p = { sock, POLLIN, 0 };
	struct cmsghdr *c;
	int fd = -1;

	*err = ETIMEDOUT;
	if (poll(&p, 1, 5000) != 1 || recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Answer notifications until every task under the filter is gone. */
static int listen_calls(int nfd, volatile int *stage, struct sn_stage st[SN_NCALLS])
{
	struct seccomp_notif_sizes sz;
	union {
		struct seccomp_notif n;
		char space[512];
	} req;
	union {
		struct seccomp_notif_resp r;
		char space[512];
	} resp;
	double deadline = timing_now_us() + 10e6;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) != 0 ||
	    sz.seccomp_notif > sizeof(req) || sz.seccomp_notif_resp > sizeof(resp))
		return ENOTSUP;
	while (timing_now_us() < deadline) {
		struct pollfd p = { nfd, POLLIN, 0 };
		int s;

		if (poll(&p, 1, 200) < 0 && errno != EINTR)
			return errno;
		if (p.revents & POLLIN) {
			memset(&req, 0, sizeof(req));
			if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req.n) != 0)
				continue; /* ENOENT: the caller died meanwhile */
			s = *stage;
			if (s >= 0 && s < SN_NCALLS && st[s].n < SN_MAX_SEEN) {
				struct sn_seen *seen = &st[s].seen[st[s].n++];
				seen->nr = req.n.data.nr;
				seen->flags = req.n.data.args[0];
				seen->known = 1;
				if (seen->nr == SYS_clone3) {
					/* The caller waits in the kernel: its struct holds still. */
					struct clone_args_head ca = { 0, 0, 0, 0, 0 };
					struct iovec l = { &ca, sizeof(ca) };
					struct iovec rm = { (void *)(uintptr_t)req.n.data.args[0], sizeof(ca) };
					/* Needs ptrace access to our own child (Yama
					 * scope 2 forbids it). */
					seen->known = process_vm_readv((pid_t)req.n.pid, &l, 1,
					                               &rm, 1, 0) == sizeof(ca);
					seen->flags = ca.flags | (ca.exit_signal & 0xff);
				}
			}
			memset(&resp, 0, sizeof(resp));
			resp.r.id = req.n.id;
			resp.r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
			ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp.r);
		}
		if (p.revents & (POLLHUP | POLLERR))
			return 0;
	}
	return ETIMEDOUT;
}

int sysnotify_run(const char *target, struct sn_stage st[SN_NCALLS], char *msg, size_t len)
{
	struct shared {
		int stage;
		int ok[SN_NCALLS];
	} *sh;
	int sv[2], nfd, err = 0, status;
	pid_t pid;

	memset(st, 0, sizeof(*st) * SN_NCALLS);
	for (int i = 0; i < SN_NCALLS; i++)
		st[i].call = call_names[i];
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		snprintf(msg, len, "mmap: %s", strerror(errno));
		return -1;
	}
	sh->stage = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(msg, len, "socketpair: %s", strerror(errno));
		munmap(sh, sizeof(*sh));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		sandbox(sv[1], &sh->stage, sh->ok, target);
	}
	close(sv[1]);
	if (pid < 0) {
		snprintf(msg, len, "fork: %s", strerror(errno));
		close(sv[0]);
		munmap(sh, sizeof(*sh));
		return -1;
	}
	nfd = recv_fd(sv[0], &err);
	close(sv[0]);
	if (nfd < 0)
		snprintf(msg, len, "the kernel refused a seccomp listener: %s", strerror(err));
	else {
		err = listen_calls(nfd, &sh->stage, st);
		close(nfd);
		if (err)
			snprintf(msg, len, "listening for the calls: %s", strerror(err));
	}
	if (err || nfd < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < SN_NCALLS; i++)
		st[i].ok = sh->ok[i];
	munmap(sh, sizeof(*sh));
	if (nfd < 0 || err)
		return -1;
	snprintf(msg, len, "ok");
	return 0;
}
