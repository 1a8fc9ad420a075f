/* SPDX-License-Identifier: MIT */
/*
 * observe.c - the sharing experiment (observe.h): make a child, wait for
 * it, look at what it changed, put everything back.  The parent never
 * prints while a child lives, and flushes stdio before every creation, so
 * piped output is neither lost nor doubled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uthread.h>

#include "cloneflags.h"
#include "demo.h"
#include "observe.h"

extern char **environ;

/* The variable every child writes.  A global, so a child that shares our
 * memory writes our copy and any other child writes its own. */
static volatile int64_t obs_var;
/* What the current trial's child writes into it (read before creation). */
static int64_t obs_value;
/* The words clone's PARENT_SETTID / CHILD_SETTID / CHILD_CLEARTID point
 * at: private memory, so only a child sharing our memory changes ours. */
static int ptid_word, ctid_word;

#define STACK_SIZE (256 * 1024)

const char *const obs_row_label[OBS_NROWS] = {
	"variable written", "fd it opened", "chdir", "signal handler",
	"child's pid", "child's tid", "child's ppid", "runs first",
	"parent waits for end", "parent gets back",
};

int obs_env_init(struct obs_env *e, const char *target, long sleep_us)
{
	const char *tmp = getenv("TMPDIR");
	int err;

	memset(e, 0, sizeof(*e));
	e->target = target;
	e->sleep_us = sleep_us;
	e->memfd = e->home_fd = -1;
	snprintf(e->dir, sizeof(e->dir), "%s/uthread-observe.XXXXXX",
	         tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
	if (!mkdtemp(e->dir))
		return errno;
	/* Readable by anyone: a child in a new user namespace is "nobody". */
	if (chmod(e->dir, 0755) != 0 || stat(e->dir, &e->dir_st) != 0)
		goto fail;
	e->home_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (e->home_fd < 0)
		goto fail;
	e->memfd = memfd_create("uthread-observe", MFD_CLOEXEC);
	if (e->memfd < 0 || ftruncate(e->memfd, 4096) != 0)
		goto fail;
	e->rec = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, e->memfd, 0);
	if (e->rec == MAP_FAILED)
		goto fail;
	e->stack_size = STACK_SIZE;
	e->stack = mmap(NULL, e->stack_size, PROT_READ | PROT_WRITE,
	                MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (e->stack == MAP_FAILED)
		goto fail;
	return 0;
fail:
	err = errno;
	if (e->rec && e->rec != MAP_FAILED)
		munmap(e->rec, 4096);
	if (e->memfd >= 0)
		close(e->memfd);
	if (e->home_fd >= 0)
		close(e->home_fd);
	rmdir(e->dir);
	return err;
}

void obs_env_fini(struct obs_env *e)
{
	if (e->stack)
		munmap(e->stack, e->stack_size);
	munmap(e->rec, 4096);
	close(e->memfd);
	close(e->home_fd);
	rmdir(e->dir);
}

/* ------------------------------------------------------- the children */

static void child_steps(struct obs_env *e)
{
	obs_child_act(e->rec, e->dir, e->sleep_us, &obs_var, obs_value);
}

static int clone_child(void *arg)
{
	struct obs_env *e = arg;
	obs_child_begin(e->rec);
	child_steps(e);
	return 0;
}

static void *uthread_child(void *arg)
{
	struct obs_env *e = arg;
	obs_child_begin(e->rec);
	e->rec->self = (int64_t)uthread_self();
	child_steps(e);
	return NULL;
}

static void *pthread_child(void *arg)
{
	struct obs_env *e = arg;
	obs_child_begin(e->rec);
	e->rec->self = (int64_t)pthread_self();
	child_steps(e);
	return NULL;
}

/* In a fork or vfork child that is about to exec the target: keep the
 * record's descriptor open across exec, exec, or report why not. */
static __attribute__((noreturn)) void exec_target(struct obs_env *e, char **argv)
{
	long r = obs_sys(SYS_fcntl, e->memfd, F_SETFD, 0, 0);
	if (r == 0)
		r = obs_sys(SYS_execve, (long)argv[0], (long)argv, (long)environ, 0);
	obs_fail(e->rec, OBS_FAIL_EXEC, r);
	_exit(127);
}

/* vfork in a function of its own: the child runs on this frame and must
 * leave through _exit or exec, never by returning. */
static pid_t vfork_child(struct obs_env *e, char **argv)
{
	pid_t pid = vfork();

	if (pid == 0) {
		obs_child_begin(e->rec);
		if (argv)
			exec_target(e, argv);
		child_steps(e);
		_exit(0);
	}
	e->rec->parent_back = obs_stamp(e->rec);
	return pid;
}

static pid_t fork_child(struct obs_env *e, char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		obs_child_begin(e->rec);
		if (argv)
			exec_target(e, argv);
		child_steps(e);
		_exit(0);
	}
	e->rec->parent_back = obs_stamp(e->rec);
	return pid;
}

/* ------------------------------------------------------ one trial */

static void failf(struct obs_result *res, int err, const char *fmt, const char *what)
{
	res->err = err ? err : EIO;
	snprintf(res->errmsg, sizeof(res->errmsg), fmt, what, strerror(res->err));
}

/* Wait for a process child; 0 if it ended with status 0. */
static int reap(pid_t pid, struct obs_result *res)
{
	int st;

	while (waitpid(pid, &st, __WALL) < 0) {
		if (errno != EINTR) {
			failf(res, errno, "waitpid for the %s child: %s", res->name);
			return -1;
		}
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	res->err = ECHILD;
	if (WIFEXITED(st))
		snprintf(res->errmsg, sizeof(res->errmsg), "the %s child exited with status %d%s",
		         res->name, WEXITSTATUS(st),
		         WEXITSTATUS(st) == 127 ? " (exec failed)" : "");
	else
		snprintf(res->errmsg, sizeof(res->errmsg), "the %s child was killed by signal %d",
		         res->name, WTERMSIG(st));
	return -1;
}

/* A CLONE_THREAD child cannot be waited for: it is gone when the kernel
 * no longer knows its tid.  Only then is its stack free; if it never goes,
 * the stack is left mapped rather than pulled from under it. */
static int wait_thread_gone(struct obs_env *e, pid_t tid, struct obs_result *res)
{
	for (int i = 0; i < 100000; i++) {
		if (syscall(SYS_tgkill, getpid(), tid, 0) < 0 && errno == ESRCH)
			return 0;
		usleep(100);
	}
	e->stack = NULL;
	failf(res, ETIMEDOUT, "the %s child did not end: %s", res->name);
	return -1;
}

static int make_and_wait(struct obs_env *e, struct obs_result *res, char **argv)
{
	struct obs_record *r = e->rec;
	posix_spawn_file_actions_t fa;
	uthread_t ut;
	pthread_t pt;
	pid_t pid;
	long ret;

	fflush(NULL);
	switch (res->method) {
	case OBS_FORK:
	case OBS_FORK_EXEC:
		pid = fork_child(e, res->method == OBS_FORK_EXEC ? argv : NULL);
		if (pid < 0) {
			failf(res, errno, "%s: %s", "fork");
			return -1;
		}
		res->ret = pid;
		return reap(pid, res);
	case OBS_VFORK:
	case OBS_VFORK_EXEC:
		pid = vfork_child(e, res->method == OBS_VFORK_EXEC ? argv : NULL);
		if (pid < 0) {
			failf(res, errno, "%s: %s", "vfork");
			return -1;
		}
		res->ret = pid;
		return reap(pid, res);
	case OBS_SPAWN:
		posix_spawn_file_actions_init(&fa);
		/* dup2 onto itself clears close-on-exec in the child only. */
		posix_spawn_file_actions_adddup2(&fa, e->memfd, e->memfd);
		ret = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
		r->parent_back = obs_stamp(r);
		posix_spawn_file_actions_destroy(&fa);
		if (ret) {
			failf(res, (int)ret, "%s: %s", "posix_spawn");
			return -1;
		}
		res->ret = ret;
		res->out = pid;
		return reap(pid, res);
	case OBS_CLONE:
		ptid_word = ctid_word = 0;
		ret = clone(clone_child, e->stack + e->stack_size, (int)res->flags, e,
		            &ptid_word, NULL, &ctid_word);
		r->parent_back = obs_stamp(r);
		if (ret < 0) {
			failf(res, errno, "the kernel refused %s: %s", res->name);
			return -1;
		}
		res->ret = ret;
		if (res->flags & CLONE_THREAD) {
			if (wait_thread_gone(e, (pid_t)ret, res))
				return -1;
		} else if (reap((pid_t)ret, res)) {
			return -1;
		}
		res->ptid_word = ptid_word;
		res->ctid_word = ctid_word;
		if (res->flags & CLONE_PIDFD)
			close(ptid_word); /* the kernel stored a pidfd there */
		return 0;
	case OBS_UTHREAD:
		ret = uthread_create(&ut, NULL, uthread_child, e);
		r->parent_back = obs_stamp(r);
		if (ret) {
			failf(res, (int)ret, "%s: %s", "uthread_create");
			return -1;
		}
		res->out = (long)ut;
		ret = uthread_join(ut, NULL);
		if (ret) {
			failf(res, (int)ret, "%s: %s", "uthread_join");
			return -1;
		}
		return 0;
	case OBS_PTHREAD:
		ret = pthread_create(&pt, NULL, pthread_child, e);
		r->parent_back = obs_stamp(r);
		if (ret) {
			failf(res, (int)ret, "%s: %s", "pthread_create");
			return -1;
		}
		res->out = (long)pt;
		ret = pthread_join(pt, NULL);
		if (ret) {
			failf(res, (int)ret, "%s: %s", "pthread_join");
			return -1;
		}
		return 0;
	}
	return -1;
}

static int is_exec(enum obs_method m)
{
	return m == OBS_SPAWN || m == OBS_FORK_EXEC || m == OBS_VFORK_EXEC;
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static const char *ret_kind(const struct obs_result *res, const struct obs_record *r)
{
	if (res->ret > 0 && res->ret == r->pid && r->pid == r->tid)
		return "pid";
	if (res->ret > 0 && res->ret == r->tid)
		return "tid";
	if (res->ret > 0 && (res->flags & CLONE_NEWPID))
		return "pid (ns)"; /* our name for it; the child sees another */
	if (res->ret == 0 && res->out > 0 && res->out == r->pid)
		return "0 +pid";
	if (res->ret == 0 && res->out != 0 && res->out == r->self)
		return "0 +handle";
	return "other";
}

static const char *const fail_step[] = {
	[OBS_FAIL_OPEN] = "open", [OBS_FAIL_CHDIR] = "chdir",
	[OBS_FAIL_SIGACTION] = "rt_sigaction", [OBS_FAIL_MAP] = "mmap",
	[OBS_FAIL_EXEC] = "execve",
};

static int trial(struct obs_env *e, struct obs_result *res, char **argv, int n)
{
	struct obs_record *r = e->rec;
	struct sigaction sa, dfl = { .sa_handler = SIG_DFL };
	struct stat st;
	const char *kind;
	int failed;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	obs_var = 0;
	obs_value = 1000 + n;
	sigaction(OBS_SIGNAL, &dfl, NULL);

	failed = make_and_wait(e, res, argv);
	/* The child's own report says more than its exit status. */
	if (r->failed) {
		res->err = (int)-r->err;
		snprintf(res->errmsg, sizeof(res->errmsg), "the %s child's %s failed: %s",
		         res->name, fail_step[r->failed], strerror(res->err));
		return -1;
	}
	if (failed)
		return -1;
	if (!r->child_last) {
		/* Nothing to look at: e.g. the exec'd program is not our target. */
		res->err = EPROTO;
		snprintf(res->errmsg, sizeof(res->errmsg), "the %s child ended without doing "
		         "its steps%s", res->name,
		         is_exec(res->method) && !r->exec_first ?
		         " (is the exec target uthread-exec-target?)" : "");
		return -1;
	}

	/* Look, then put back what a sharing child changed. */
	if (obs_var == obs_value)
		res->var_seen++;
	if (r->fd >= 0 && fstat((int)r->fd, &st) == 0 && same_file(&st, &e->dir_st)) {
		res->fd_seen++;
		close((int)r->fd);
	}
	if (stat(".", &st) == 0 && same_file(&st, &e->dir_st))
		res->cwd_seen++;
	if (fchdir(e->home_fd) != 0)
		failf(res, errno, "%s: %s", "fchdir back home");
	sigaction(OBS_SIGNAL, &dfl, &sa);
	if (sa.sa_handler != SIG_DFL)
		res->sig_seen++;

	res->pid_same += r->pid == res->parent_pid;
	res->tid_is_pid += r->tid == r->pid;
	res->ppid_parent += r->ppid == res->parent_pid;
	res->ppid_grandparent += r->ppid == res->parent_ppid;
	res->child_first += r->child_first && r->child_first < r->parent_back;
	res->parent_after_end += r->parent_back > r->child_last;
	kind = ret_kind(res, r);
	if (n == 0)
		snprintf(res->ret_kind, sizeof(res->ret_kind), "%s", kind);
	/* The details show the last trial, with what the call returned in it. */
	res->child_pid = r->pid;
	res->child_tid = r->tid;
	res->child_ppid = r->ppid;
	res->child_fd = r->fd;
	res->ret_same += strcmp(kind, res->ret_kind) == 0;
	res->trials++;
	return res->err ? -1 : 0;
}

void obs_run(struct obs_env *e, enum obs_method m, unsigned long flags, int trials,
             struct obs_result *res)
{
	static const char *const names[] = {
		[OBS_FORK] = "fork", [OBS_VFORK] = "vfork", [OBS_SPAWN] = "posix_spawn",
		[OBS_FORK_EXEC] = "fork+exec", [OBS_VFORK_EXEC] = "vfork+exec",
		[OBS_CLONE] = "clone", [OBS_UTHREAD] = "uthread", [OBS_PTHREAD] = "pthread",
	};
	char fdarg[16], usarg[24], fl[190];
	char *argv[] = { (char *)e->target, (char *)"observe", fdarg, e->dir, usarg, NULL };

	memset(res, 0, sizeof(*res));
	res->method = m;
	if (m == OBS_CLONE) {
		if (!(flags & CLONE_THREAD) && !(flags & CSIGNAL))
			flags |= SIGCHLD;
		res->flags = flags;
		snprintf(res->name, sizeof(res->name), "clone(%s)",
		         cloneflags_format(flags, fl, sizeof(fl)));
	} else {
		snprintf(res->name, sizeof(res->name), "%s", names[m]);
	}
	res->parent_pid = getpid();
	res->parent_tid = gettid();
	res->parent_ppid = getppid();
	snprintf(fdarg, sizeof(fdarg), "%d", e->memfd);
	snprintf(usarg, sizeof(usarg), "%ld", e->sleep_us);
	if (is_exec(m) && !e->target) {
		failf(res, ENOENT, "%s needs uthread-exec-target: %s", res->name);
		return;
	}
	for (int i = 0; i < trials; i++)
		if (trial(e, res, argv, i))
			break;
}

/* ------------------------------------------------------ printing */

static const char *count_cell(int k, int n, const char *all, const char *none,
                              char *buf, size_t len)
{
	if (k == n)
		return all;
	if (k == 0)
		return none;
	snprintf(buf, len, "%d/%d", k, n);
	return buf;
}

const char *obs_cell(const struct obs_result *r, int row, char *buf, size_t len)
{
	int n = r->trials;

	if (r->err && !n)
		return "failed";
	switch (row) {
	case OBS_ROW_VAR: return count_cell(r->var_seen, n, "YES", "no", buf, len);
	case OBS_ROW_FD: return count_cell(r->fd_seen, n, "YES", "no", buf, len);
	case OBS_ROW_CWD: return count_cell(r->cwd_seen, n, "YES", "no", buf, len);
	case OBS_ROW_SIG: return count_cell(r->sig_seen, n, "YES", "no", buf, len);
	case OBS_ROW_PID: return count_cell(r->pid_same, n, "same", "new", buf, len);
	case OBS_ROW_TID: return count_cell(r->tid_is_pid, n, "=pid", "own", buf, len);
	case OBS_ROW_PPID:
		if (r->ppid_parent == n)
			return "parent";
		if (r->ppid_grandparent == n)
			return "p.ppid";
		snprintf(buf, len, "%ld", r->child_ppid);
		return buf;
	case OBS_ROW_FIRST:
		if (r->child_first == n)
			return "child";
		if (r->child_first == 0)
			return "parent";
		snprintf(buf, len, "c%d/%d", r->child_first, n);
		return buf;
	case OBS_ROW_WAITS: return count_cell(r->parent_after_end, n, "yes", "no", buf, len);
	case OBS_ROW_RETURNS:
		if (r->ret_same != n)
			return "varies";
		return strcmp(r->ret_kind, "0 +handle") == 0 ? "0 +hdl" : r->ret_kind;
	}
	return "?";
}

/* Print one table line without trailing blanks. */
static void put_line(FILE *f, char *line)
{
	size_t n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(f, "%s\n", line);
}

void obs_print_table(FILE *f, const struct obs_result *res, const char *const *heads, int n)
{
	char line[256], buf[32];
	size_t k;

	for (int h = 0; h < 2; h++) {
		k = (size_t)snprintf(line, sizeof(line), "%-21s", "");
		for (int c = 0; c < n; c++)
			k += (size_t)snprintf(line + k, sizeof(line) - k, "%-8s", heads[2 * c + h]);
		put_line(f, line);
	}
	for (int row = 0; row < OBS_NROWS; row++) {
		k = (size_t)snprintf(line, sizeof(line), "%-21s", obs_row_label[row]);
		for (int c = 0; c < n; c++)
			k += (size_t)snprintf(line + k, sizeof(line) - k, "%-8s",
			                      res[c].trials || res[c].err ?
			                      obs_cell(&res[c], row, buf, sizeof(buf)) :
			                      strncmp(res[c].errmsg, "unavailable", 11) == 0 ?
			                      "n/a" : "skipped");
		put_line(f, line);
	}
}

void obs_print_legend(FILE *f, int trials)
{
	fprintf(f,
	        "YES: the parent saw the child's change (in all %d trials); no: it did not.\n"
	        "K/N: seen in K of N trials.  =pid: the child's tid is its own pid (a new\n"
	        "process); own: a tid of its own in the parent's process (a thread).\n"
	        "p.ppid: the parent's own parent (a thread reports its process's parent).\n"
	        "runs first: whose first action came first (cK/N: the child's, K of N).\n"
	        "parent waits for end: the parent resumed only after the child's last step.\n"
	        "parent gets back: pid/tid: the call returned the child's pid/tid; 0 +pid,\n"
	        "0 +hdl: it returned 0 and stored the pid or a thread handle.\n", trials);
}

void obs_print_detail(FILE *f, const struct obs_result *r)
{
	static const char *const note[OBS_NROWS] = {
		[OBS_ROW_VAR] = "the parent read the child's value",
		[OBS_ROW_FD] = "the child's fd was open in the parent",
		[OBS_ROW_CWD] = "the parent's cwd moved with the child's",
		[OBS_ROW_SIG] = "the parent got the child's SIGUSR2 handler",
		[OBS_ROW_FIRST] = "the child acted before the parent resumed",
		[OBS_ROW_WAITS] = "the parent resumed after the child ended",
	};
	const int count[OBS_NROWS] = {
		[OBS_ROW_VAR] = r->var_seen, [OBS_ROW_FD] = r->fd_seen,
		[OBS_ROW_CWD] = r->cwd_seen, [OBS_ROW_SIG] = r->sig_seen,
		[OBS_ROW_FIRST] = r->child_first, [OBS_ROW_WAITS] = r->parent_after_end,
	};
	char a[48], k[16];

	if (!r->trials)
		return;
	for (int row = 0; row < OBS_NROWS; row++) {
		if (!note[row])
			continue;
		snprintf(k, sizeof(k), "%d/%d", count[row], r->trials);
		fprintf(f, "  %-21s%-7s%-6s%s\n", obs_row_label[row],
		        obs_cell(r, row, a, sizeof(a)), k, note[row]);
	}
	fprintf(f, "  %-21schild %ld/%ld/%ld, parent %ld/%ld/%ld\n", "pid/tid/ppid",
	        r->child_pid, r->child_tid, r->child_ppid, r->parent_pid, r->parent_tid,
	        r->parent_ppid);
	fprintf(f, "  %-21s%-13sthe call returned %ld", obs_row_label[OBS_ROW_RETURNS],
	        obs_cell(r, OBS_ROW_RETURNS, a, sizeof(a)), r->ret);
	if (r->out)
		fprintf(f, ", stored %#lx", (unsigned long)r->out);
	fputc('\n', f);
	if (r->method == OBS_CLONE && (r->flags & (CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
	                                           CLONE_CHILD_CLEARTID | CLONE_PIDFD)))
		fprintf(f, "  %-21sptid %d%s, ctid %d (the parent's copies, at the end)\n",
		        "tid words", r->ptid_word, r->flags & CLONE_PIDFD ? " (a pidfd)" : "",
		        r->ctid_word);
}

static const char *all_none(int k, int n)
{
	return n == 0 ? "n/a" : k == n ? "all" : k == 0 ? "none" : "some";
}

void obs_json(FILE *f, const struct obs_result *r, const char *label)
{
	struct jl j;
	char fl[160], buf[32];
	int n = r->trials;

	jl_begin(&j, f, "observation");
	jl_str(&j, "method", label ? label : r->name);
	jl_str(&j, "call", r->name);
	if (r->method == OBS_CLONE)
		jl_str(&j, "flags", cloneflags_format(r->flags, fl, sizeof(fl)));
	jl_int(&j, "trials", n);
	jl_str(&j, "error", r->err ? r->errmsg : "");
	jl_str(&j, "var_seen", all_none(r->var_seen, n));
	jl_str(&j, "fd_seen", all_none(r->fd_seen, n));
	jl_str(&j, "cwd_seen", all_none(r->cwd_seen, n));
	jl_str(&j, "handler_seen", all_none(r->sig_seen, n));
	jl_str(&j, "pid", obs_cell(r, OBS_ROW_PID, buf, sizeof(buf)));
	jl_str(&j, "tid", obs_cell(r, OBS_ROW_TID, buf, sizeof(buf)));
	jl_str(&j, "ppid", obs_cell(r, OBS_ROW_PPID, buf, sizeof(buf)));
	jl_str(&j, "child_first", all_none(r->child_first, n));
	jl_int(&j, "child_first_n", r->child_first);
	jl_str(&j, "parent_waits_for_end", all_none(r->parent_after_end, n));
	jl_int(&j, "parent_waits_for_end_n", r->parent_after_end);
	jl_str(&j, "returns", obs_cell(r, OBS_ROW_RETURNS, buf, sizeof(buf)));
	jl_int(&j, "parent_pid", r->parent_pid);
	jl_int(&j, "child_pid", r->child_pid);
	jl_int(&j, "child_tid", r->child_tid);
	jl_int(&j, "child_ppid", r->child_ppid);
	jl_int(&j, "returned", r->ret);
	jl_end(&j);
}

static int cat(int k, int n)
{
	return k == n ? 2 : k == 0 ? 0 : 1;
}

int obs_same_table(const struct obs_result *a, const struct obs_result *b)
{
	int na = a->trials, nb = b->trials;

	return na && nb &&
	       cat(a->var_seen, na) == cat(b->var_seen, nb) &&
	       cat(a->fd_seen, na) == cat(b->fd_seen, nb) &&
	       cat(a->cwd_seen, na) == cat(b->cwd_seen, nb) &&
	       cat(a->sig_seen, na) == cat(b->sig_seen, nb) &&
	       cat(a->pid_same, na) == cat(b->pid_same, nb) &&
	       cat(a->tid_is_pid, na) == cat(b->tid_is_pid, nb) &&
	       cat(a->ppid_parent, na) == cat(b->ppid_parent, nb) &&
	       cat(a->parent_after_end, na) == cat(b->parent_after_end, nb);
}
