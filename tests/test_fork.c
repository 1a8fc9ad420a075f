/* SPDX-License-Identifier: MIT */
/*
 * test_fork.c - fork() in a process with uthreads: the child, forked from
 * a uthread or from main, quiet or while other threads hammer malloc, can
 * malloc, printf, create and join threads of its own, and knows who it is.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "forkhook.h"

#define TIMEOUT_MS 10000
#define PRISTINE_ARG "--pristine-fork"

/*
 * Wait for child pid at most TIMEOUT_MS; a child that hangs (a lock held
 * by a thread that does not exist in it) is killed and reported as -1.
 */
static int wait_child(pid_t pid)
{
	long long end = tu_deadline_ms(TIMEOUT_MS);
	int st;
	pid_t r;

	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && tu_now_ms() < end)
		tu_sleep_ms(2);
	if (r == pid)
		return st;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* Read fd to EOF into buf (NUL-terminated), for at most TIMEOUT_MS: a hung
 * child keeps the pipe open, and wait_child is what reports it. */
static void read_all(int fd, char *buf, size_t len)
{
	long long end = tu_deadline_ms(TIMEOUT_MS);
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && tu_now_ms() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 100) == 0)
			continue;
		r = read(fd, buf + n, len - 1 - n);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)r;
	}
	buf[n] = '\0';
}

/* ------------------------------------------------------------ child work */

static void *child_thread(void *arg)
{
	long v = (long)arg;
	char *p = malloc(2000);

	if (!p)
		return NULL;
	snprintf(p, 2000, "child thread %ld", v);
	printf("%s\n", p);
	free(p);
	return (void *)(v + 1);
}

/*
 * What a forked child does: malloc, printf to stdout (the pipe), create
 * and join a uthread, check its own identity.  Exit code 0 when all is
 * well, else the number of the failed step.
 */
static int child_body(int out_fd, uthread_t self_before)
{
	uthread_t t, me = uthread_self();
	void *ret = NULL;
	pid_t tid = 0;
	char *p;

	if (dup2(out_fd, STDOUT_FILENO) < 0)
		return 2;
	p = malloc(100000);
	if (!p)
		return 3;
	memset(p, 1, 100000);
	free(p);
	printf("child %s\n", "malloc ok");
	if (!uthread_equal(me, self_before))
		return 4;
	if (gettid() != getpid())
		return 5;
	if (uthread_gettid(me, &tid) || tid != getpid())
		return 6;
	if (uthread_create(&t, NULL, child_thread, (void *)41))
		return 7;
	if (uthread_join(t, &ret) || ret != (void *)42)
		return 8;
	printf("child joined %ld\n", (long)ret);
	if (fflush(stdout))
		return 9;
	return 0;
}

static const char child_text[] =
	"child malloc ok\nchild thread 41\nchild joined 42\n";

struct forker {
	int out_fd;
	pid_t pid;
};

/* Fork; the child runs child_body and exits, the parent records the pid. */
static unsigned errors_at_fork; /* valgrind's error count when we forked */

/*
 * End a fork child with status rc.  Under valgrind, not through the tool's
 * exit: its leak check would count as lost the blocks that the parent's
 * other threads (absent here) held only in their registers, as a busy
 * malloc thread does (seen under memcheck).  The child's own errors still
 * count: any found since the fork turn rc into 20.  Then exec a shell to
 * exit with rc, leaving this image without a leak check.
 */
static void child_exit(int rc)
{
	fflush(NULL);
#ifdef TU_HAVE_VALGRIND
	if (tu_on_valgrind()) {
		char cmd[32];
		if ((unsigned)VALGRIND_COUNT_ERRORS > errors_at_fork)
			rc = 20;
		snprintf(cmd, sizeof cmd, "exit %d", rc);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	}
#endif
	_exit(rc);
}

static void fork_child(struct forker *f)
{
	uthread_t self = uthread_self();

	fflush(NULL);
#ifdef TU_HAVE_VALGRIND
	errors_at_fork = (unsigned)VALGRIND_COUNT_ERRORS;
#endif
	f->pid = fork();
	if (f->pid == 0)
		child_exit(child_body(f->out_fd, self));
}

static void *fork_from_a_thread(void *arg)
{
	fork_child(arg);
	return NULL;
}

/* Fork once (from a new uthread or from main) and check the child. */
static void fork_and_check(int from_thread)
{
	struct forker f;
	int fds[2], st;
	char buf[512];

	assert_int_equal(pipe(fds), 0);
	f.out_fd = fds[1];
	f.pid = -1;
	if (from_thread) {
		uthread_t t;
		assert_int_equal(uthread_create(&t, NULL, fork_from_a_thread, &f), 0);
		assert_int_equal(uthread_join(t, NULL), 0);
	} else {
		fork_child(&f);
	}
	assert_true(f.pid > 0);
	close(fds[1]);
	read_all(fds[0], buf, sizeof buf);
	close(fds[0]);
	st = wait_child(f.pid);
	assert_int_not_equal(st, -1); /* it did not hang */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(buf, child_text);
}

static void fork_in_a_thread_gives_a_child_that_can_malloc_printf_and_create_threads(void **state)
{
	(void)state;
	fork_and_check(1);
}

static void fork_in_main_gives_a_child_that_can_malloc_printf_and_create_threads(void **state)
{
	(void)state;
	fork_and_check(0);
}

/* ------------------------------------------------------------ busy */

#define NBUSY 4

static int busy_stop;

static void *busy_malloc(void *arg)
{
	uintptr_t seed = (uintptr_t)arg;
	unsigned long n = 0;

	while (!tu_peek(&busy_stop)) {
		size_t sz = 16 + (seed * 2654435761u + n * 40503u) % 20000;
		char *p = malloc(sz);
		if (p) {
			p[0] = p[sz - 1] = (char)n;
			free(p);
		}
		n++;
	}
	return (void *)n;
}

static void fork_while_other_threads_are_busy_in_malloc_gives_a_working_child(void **state)
{
	const int forks = tu_on_valgrind() ? 4 : 20;
	uthread_t busy[NBUSY];

	(void)state;
	tu_set(&busy_stop, 0);
	for (uintptr_t i = 0; i < NBUSY; i++)
		assert_int_equal(uthread_create(&busy[i], NULL, busy_malloc,
		                                (void *)i), 0);
	for (int i = 0; i < forks; i++)
		fork_and_check(i & 1);
	tu_set(&busy_stop, 1);
	for (int i = 0; i < NBUSY; i++) {
		void *n = NULL;
		assert_int_equal(uthread_join(busy[i], &n), 0);
		assert_true(n != NULL); /* each really ran */
	}
}

/* ------------------------------------------------------------ fork vs dl_iterate_phdr */

/*
 * This program's dl_iterate_phdr comes before libc's, so it is the one
 * uthread calls.  It passes every call through, except one that a test
 * arms: that call lingers HOLD_MS inside libc's, holding libc's lock, so a
 * fork is sure to land there.
 */
/* Well inside a fork's patience (1 s, fork.c): a loaded machine (or
 * valgrind) may resume the holder late, and the fork must still find the
 * call over.  A fork that comes after the hold ends tests less, but
 * still passes. */
#define HOLD_MS 200

typedef int (*phdr_cb)(struct dl_phdr_info *, size_t, void *);

static int hold_armed, holding;
static void (*inside_hook)(void); /* if set, what the armed call does inside */

struct held {
	phdr_cb cb;
	void *data;
	int first;
};

static int hold_then_call(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct held *h = arg;

	if (h->first && inside_hook) {
		h->first = 0;
		inside_hook();
	} else if (h->first) {
		h->first = 0;
		tu_set(&holding, 1);
		tu_sleep_ms(HOLD_MS);
		tu_set(&holding, 0);
	}
	return h->cb(info, size, h->data);
}

int dl_iterate_phdr(phdr_cb cb, void *data)
{
	int (*next)(phdr_cb, void *) =
		(int (*)(phdr_cb, void *))dlsym(RTLD_NEXT, "dl_iterate_phdr");
	struct held h = { cb, data, 1 };

	/* Atomic: the armed call is taken by exactly one thread. */
	if (!__atomic_exchange_n(&hold_armed, 0, __ATOMIC_ACQ_REL))
		return next(cb, data);
	return next(hold_then_call, &h);
}

static void *give_back(void *arg)
{
	return arg;
}

/* Arms the lingering dl_iterate_phdr, then creates (which calls it). */
static void *create_while_held(void *arg)
{
	uthread_t t;
	void *r = NULL;

	(void)arg;
	__atomic_store_n(&hold_armed, 1, __ATOMIC_RELEASE);
	if (uthread_create(&t, NULL, give_back, (void *)5) || uthread_join(t, &r))
		return NULL;
	/* Still armed: the library did not call it (it already knows stacks
	 * must be executable, and looks no more).  Say so. */
	if (__atomic_exchange_n(&hold_armed, 0, __ATOMIC_ACQ_REL))
		tu_set(&holding, 2);
	return r;
}

/*
 * Regression: every uthread_create asks dl_iterate_phdr whether stacks
 * must be executable, and glibc does not reset that function's lock in a
 * fork child.  A fork landing while another thread was inside it (seen
 * once in 600 runs of test_fork_init) gave a child whose first
 * uthread_create hung for ever.
 */
static void fork_while_another_thread_creates_gives_a_child_that_can_create(void **state)
{
	uthread_t creator, t;
	void *r = NULL;
	pid_t pid;
	int st;

	(void)state;
	tu_set(&holding, 0);
	assert_int_equal(uthread_create(&creator, NULL, create_while_held, NULL), 0);
	assert_true(tu_wait(&holding, 1, TIMEOUT_MS));
	if (tu_get(&holding) == 2) {
		assert_int_equal(uthread_join(creator, NULL), 0);
		skip();
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		alarm(TIMEOUT_MS / 1000 + 5); /* backstop: wait_child kills sooner */
		_exit(uthread_create(&t, NULL, give_back, (void *)7) ||
		      uthread_join(t, &r) || r != (void *)7 ? 3 : 0);
	}
	assert_true(pid > 0);
	st = wait_child(pid);
	assert_int_not_equal(st, -1); /* it did not hang */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(uthread_join(creator, &r), 0);
	assert_ptr_equal(r, (void *)5);
}

/*
 * A thread inside its own dl_iterate_phdr callback holds glibc's loader
 * lock.  While it does, another thread's uthread_create waits for that
 * lock inside the library's guarded call; the first thread then creates a
 * thread itself, or forks.  Neither may wait for the other thread's call.
 * Each runs in a child process, so a deadlock ends as a timeout.
 */
/*
 * Regression: a fork child looks at every thread slot of the parent's (to
 * make the parent's threads read as ended), and read one that another
 * thread had just filled in for a thread it created.  Nothing orders that
 * thread's writes before the child's reads but the fork itself, which
 * helgrind does not know: it reported a race in the child (seen in CI,
 * when the fork of the test above landed after the held create).  Here
 * the fork is made to land there every time.
 */
static int go_on;

static void *wait_for_go(void *arg)
{
	tu_wait(&go_on, 1, -1);
	return arg;
}

static void *create_and_wait(void *arg)
{
	uthread_t inner;
	void *r = NULL;

	(void)arg;
	if (uthread_create(&inner, NULL, wait_for_go, (void *)3))
		return NULL;
	/* No library call until the fork is over: a lock the fork takes
	 * too would order this thread's create before it. */
	tu_wait(&go_on, 1, -1);
	if (uthread_join(inner, &r))
		return NULL;
	return r;
}

static void fork_after_a_thread_created_another_gives_a_child_without_races(void **state)
{
	uthread_t outer, t;
	void *r = NULL;
	long long end;
	pid_t pid;
	int n0, st;

	(void)state;
	tu_set(&go_on, 0);
	n0 = tu_count_tasks();
	assert_int_equal(uthread_create(&outer, NULL, create_and_wait, NULL), 0);
	/* The kernel's count, not a hand-shake: nothing may order the inner
	 * thread's creation before the fork for the tools. */
	end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_count_tasks() < n0 + 2 && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(tu_count_tasks(), n0 + 2);
	fflush(NULL);
#ifdef TU_HAVE_VALGRIND
	errors_at_fork = (unsigned)VALGRIND_COUNT_ERRORS;
#endif
	pid = fork();
	if (pid == 0) {
		alarm(TIMEOUT_MS / 1000 + 5); /* backstop: wait_child kills sooner */
		child_exit(uthread_create(&t, NULL, give_back, (void *)7) ||
		           uthread_join(t, &r) || r != (void *)7 ? 3 : 0);
	}
	assert_true(pid > 0);
	tu_set(&go_on, 1);
	st = wait_child(pid);
	assert_int_not_equal(st, -1); /* it did not hang */
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* 20: the tool found an error */
	assert_int_equal(uthread_join(outer, &r), 0);
	assert_ptr_equal(r, (void *)3);
}

struct foreign {
	int fork_instead;       /* 0: create a thread in the callback; 1: fork */
	uthread_t waiter;
	int result;             /* 0 when all went well */
	long long fork_ms;      /* how long the fork took */
};

static void *create_one(void *arg)
{
	uthread_t t;
	void *r = NULL;

	(void)arg;
	if (uthread_create(&t, NULL, give_back, (void *)5) || uthread_join(t, &r))
		return (void *)1;
	return r == (void *)5 ? NULL : (void *)2;
}

static int inside_foreign_callback(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct foreign *f = arg;
	long long end = tu_deadline_ms(TIMEOUT_MS);
	pid_t tid = -1;

	(void)info;
	(void)size;
	/* This create's own call nests in ours: glibc's lock is recursive. */
	if (uthread_create(&f->waiter, NULL, create_one, NULL) ||
	    uthread_gettid(f->waiter, &tid)) {
		f->result = 10;
		return 1;
	}
	/*
	 * The waiter's create now waits for the loader lock we hold: in a
	 * futex wait that lasts.  Under valgrind a thread waiting for the
	 * tool's own lock is in a futex wait too, so there we also sleep a
	 * while (handing the tool's lock over) and look again.
	 */
	for (;;) {
		while (tu_task_syscall(tid) != SYS_futex && tu_now_ms() < end)
			tu_sleep_ms(1);
		if (tu_task_syscall(tid) != SYS_futex) {
			f->result = 11;
			return 1;
		}
		if (!tu_on_valgrind())
			break;
		tu_sleep_ms(300);
		if (tu_task_syscall(tid) == SYS_futex)
			break;
	}
	if (f->fork_instead) {
		long long t0 = tu_now_ms();
		pid_t pid = fork();
		if (pid == 0)
			_exit(0); /* this child keeps a held loader lock: glibc's limit */
		f->fork_ms = tu_now_ms() - t0;
		int st = pid > 0 ? wait_child(pid) : -1;
		/* Under valgrind that child's _exit counts an error of its own:
		 * helgrind sees it end holding the loader lock. */
		if (st == -1 || !WIFEXITED(st) || (WEXITSTATUS(st) && !tu_on_valgrind()))
			f->result = 12;
	} else {
		void *r = NULL;
		uthread_t t;
		if (uthread_create(&t, NULL, give_back, (void *)9) ||
		    uthread_join(t, &r) || r != (void *)9)
			f->result = 13;
	}
	return 1; /* stop: release the loader lock */
}

static int in_a_foreign_callback(void *arg)
{
	int fork_instead = (int)(intptr_t)arg;
	struct foreign f = { fork_instead, 0, 0, 0 };
	void *r = (void *)-1;

	alarm(TIMEOUT_MS / 1000 * (tu_on_valgrind() ? 10 : 1) + 5);
	dl_iterate_phdr(inside_foreign_callback, &f);
	if (f.result)
		return f.result;
	if (uthread_join(f.waiter, &r) || r != NULL)
		return 14;
	/* The fork waited for the other thread's call, up to its patience
	 * (1 s), and went ahead; it did not wait for ever. */
	if (fork_instead && f.fork_ms < 500)
		return 15;
	return 0;
}

/* Run body(arg) in a child process (tu_in_child); it must exit 0, not die
 * of the alarm each body sets (a deadlock). */
static void run_in_a_child(int (*body)(void *), intptr_t arg)
{
	int st = tu_in_child(body, (void *)arg);

	assert_int_not_equal(st, -1);
	assert_true(WIFEXITED(st)); /* SIGALRM: it deadlocked */
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void create_inside_a_dl_iterate_phdr_callback_while_another_create_waits(void **state)
{
	(void)state;
	run_in_a_child(in_a_foreign_callback, 0);
}

static void fork_inside_a_dl_iterate_phdr_callback_while_a_create_waits(void **state)
{
	(void)state;
	run_in_a_child(in_a_foreign_callback, 1);
}

/* Forks from inside the handlers of another fork (forkhook's prepare
 * handler, which glibc runs after libuthread's). */
static int inner_status = -1;

static long long inner_fork_ms = -1;

/* A fork that waited for its own thread would take the guard's whole
 * patience (1 s) and then go ahead: no deadlock, but wrong.  Natively a
 * fork takes milliseconds; under valgrind only the deadlock is checked. */
#define NO_WAIT_MS 500

static void fork_again(void)
{
	long long t0 = tu_now_ms();
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	inner_fork_ms = tu_now_ms() - t0;
	inner_status = pid > 0 ? wait_child(pid) : -2;
}

static int nested_fork(void *unused)
{
	pid_t pid;

	(void)unused;
	alarm(TIMEOUT_MS / 1000 * (tu_on_valgrind() ? 10 : 1) + 5);
	forkhook_arm(fork_again);
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || wait_child(pid) != 0)
		return 1;
	if (inner_status != 0)
		return 2;
	return tu_on_valgrind() || inner_fork_ms < NO_WAIT_MS ? 0 : 3;
}

/* A fork nested in another fork's handlers must not wait for the outer one
 * (regression: it waited for the outer fork's hold on the guard). */
static void a_fork_nested_in_a_fork_handler_does_not_deadlock(void **state)
{
	(void)state;
	run_in_a_child(nested_fork, 0);
}

static pid_t handler_child;
static int handler_status = -1;

/* Forks, as a signal handler may (fork is async-signal-safe in POSIX
 * 2008); the child only _exits, the rest of it is not ours to test. */
static long long handler_fork_ms = -1;

static void fork_in_handler(int sig)
{
	long long t0 = tu_now_ms();

	(void)sig;
	handler_child = fork();
	if (handler_child == 0)
		_exit(0);
	handler_fork_ms = tu_now_ms() - t0;
	if (handler_child > 0)
		handler_status = wait_child(handler_child);
}

static void raise_usr1(void)
{
	raise(SIGUSR1);
}

/*
 * The fork guard must not make a thread wait for itself: a fork from a
 * signal handler that interrupted this thread's own dl_iterate_phdr (inside
 * uthread_create) goes ahead.
 */
static void fork_in_a_handler_that_interrupted_create_does_not_deadlock(void **state)
{
	struct sigaction sa, old;
	uthread_t t;
	void *r = NULL;

	(void)state;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fork_in_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	inside_hook = raise_usr1;
	__atomic_store_n(&hold_armed, 1, __ATOMIC_RELEASE);
	assert_int_equal(uthread_create(&t, NULL, give_back, (void *)9), 0);
	inside_hook = NULL;
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	assert_int_equal(__atomic_load_n(&hold_armed, __ATOMIC_ACQUIRE), 0);
	assert_true(handler_child > 0);
	if (!tu_on_valgrind())
		assert_true(handler_fork_ms < NO_WAIT_MS); /* it did not wait for itself */
	assert_int_not_equal(handler_status, -1);
	assert_true(WIFEXITED(handler_status));
	/* Under helgrind the child's _exit counts an error of its own: it
	 * ends holding the lock its interrupted uthread_create held. */
	if (!tu_on_valgrind())
		assert_int_equal(WEXITSTATUS(handler_status), 0);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_ptr_equal(r, (void *)9);
}

/* ------------------------------------------------------------ after detached */

struct leaver {
	pid_t tid;
	int ready;
};

static void *record_tid_and_leave(void *arg)
{
	struct leaver *l = arg;

	l->tid = gettid();
	tu_set(&l->ready, 1);
	return NULL;
}

/*
 * Regression: the child's reset of the count of live uthreads was a plain
 * write to a word the parent's threads update with atomics, which helgrind
 * took for a race with the decrement of a detached thread that ended before
 * the fork (no join orders a detached thread's end before anything).
 */
static void fork_after_a_detached_thread_ended_gives_a_working_child(void **state)
{
	struct leaver l = { 0, 0 };
	uthread_attr_t a;
	uthread_t t;
	long long end;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_create(&t, &a, record_tid_and_leave, &l), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_true(tu_wait(&l.ready, 1, TIMEOUT_MS));
	end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_task_exists(l.tid) && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_false(tu_task_exists(l.tid));
	fork_and_check(0);
}

/* ------------------------------------------------------------ identity */

struct ident {
	uthread_t self_before;
	int out_fd;
	pid_t pid;
};

/* In the child of a fork from a uthread: who am I? */
static int identity_in_child(uthread_t before)
{
	uthread_t me = uthread_self();
	pid_t tid = 0;
	char name[16];

	if (!uthread_equal(me, before))
		return 2;
	if (uthread_gettid(me, &tid) || tid != getpid() || gettid() != getpid())
		return 3;
	if (uthread_setname_np(me, "forked-child"))
		return 4;
	if (uthread_getname_np(me, name, sizeof name) ||
	    strcmp(name, "forked-child") != 0)
		return 5;
	/* Joining ourselves is still a deadlock, not a hang. */
	if (uthread_join(me, NULL) != EDEADLK)
		return 6;
	return 0;
}

static void *fork_and_ask_who(void *arg)
{
	struct ident *id = arg;

	id->self_before = uthread_self();
	fflush(NULL);
	id->pid = fork();
	if (id->pid == 0)
		_exit(identity_in_child(id->self_before));
	return NULL;
}

static void in_a_child_forked_by_a_thread_self_and_gettid_name_the_child(void **state)
{
	struct ident id = {0};
	uthread_t t;
	int st;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, fork_and_ask_who, &id), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_true(id.pid > 0);
	st = wait_child(id.pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void in_a_child_forked_by_main_self_and_gettid_name_the_child(void **state)
{
	struct ident id = {0};
	int st;

	(void)state;
	fork_and_ask_who(&id);
	assert_true(id.pid > 0);
	st = wait_child(id.pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * Run in a freshly exec'ed copy of this program: main learns its handle
 * (uthread_self) before any uthread_create, then forks.  The child's main
 * thread must still name itself, with the child's pid as its tid.
 */
static int pristine_fork(void)
{
	uthread_t me = uthread_self();
	pid_t tid = 0, pid;
	int st;

	if (uthread_gettid(me, &tid) || tid != getpid())
		return 2;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0)
		_exit(identity_in_child(me));
	st = wait_child(pid);
	if (st == -1 || !WIFEXITED(st))
		return 4;
	return WEXITSTATUS(st) ? 10 + WEXITSTATUS(st) : 0;
}

static int exec_pristine(void *arg)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	(void)arg;
	if (n <= 0)
		return 90;
	self[n] = '\0';
	execl(self, self, PRISTINE_ARG, (char *)NULL);
	return 91;
}

static void in_a_child_forked_by_main_before_any_create_self_and_gettid_name_the_child(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(exec_pristine, NULL);
	assert_true(WIFEXITED(st));
	/* 12, 13 or 14: identity_in_child step 2, 3 or 4 failed. */
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fork_in_a_thread_gives_a_child_that_can_malloc_printf_and_create_threads),
		cmocka_unit_test(fork_in_main_gives_a_child_that_can_malloc_printf_and_create_threads),
		cmocka_unit_test(fork_while_other_threads_are_busy_in_malloc_gives_a_working_child),
		cmocka_unit_test(fork_while_another_thread_creates_gives_a_child_that_can_create),
		cmocka_unit_test(fork_after_a_thread_created_another_gives_a_child_without_races),
		cmocka_unit_test(fork_in_a_handler_that_interrupted_create_does_not_deadlock),
		cmocka_unit_test(create_inside_a_dl_iterate_phdr_callback_while_another_create_waits),
		cmocka_unit_test(fork_inside_a_dl_iterate_phdr_callback_while_a_create_waits),
		cmocka_unit_test(a_fork_nested_in_a_fork_handler_does_not_deadlock),
		cmocka_unit_test(fork_after_a_detached_thread_ended_gives_a_working_child),
		cmocka_unit_test(in_a_child_forked_by_a_thread_self_and_gettid_name_the_child),
		cmocka_unit_test(in_a_child_forked_by_main_self_and_gettid_name_the_child),
		cmocka_unit_test(in_a_child_forked_by_main_before_any_create_self_and_gettid_name_the_child),
	};

	if (argc == 2 && strcmp(argv[1], PRISTINE_ARG) == 0)
		return pristine_fork();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
