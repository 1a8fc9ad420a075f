/* SPDX-License-Identifier: MIT */
/*
 * test_misc.c - the rest of libc inside a uthread: the stack protector,
 * setjmp/longjmp, sched_getcpu, signals sent to the thread, strerror,
 * printf and ctype, exit() from a thread, NSS look-ups, backtraces, glibc
 * mutexes that record their owner, pthread_getattr_np, and the per-thread
 * buffers libc frees when a thread ends.
 *
 * Built with -fstack-protector-all: every function here has a canary.
 */
#define _GNU_SOURCE /* sched_getcpu, gettid, pthread_getattr_np, GNU strerror_r */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <malloc.h>
#include <netdb.h>
#include <pthread.h>
#include <pwd.h>
#include <resolv.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wctype.h>
#include <cmocka.h>

#include "uthread.h"
#include "libcutil.h"
#include "testutil.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define HAVE_MEMCHECK_H 1
#endif
#endif

#define NT 8

/* Run fn(arg) in one uthread and wait for it. */
static void run1(void *(*fn)(void *), void *arg)
{
	uthread_t t;

	assert_int_equal(uthread_create(&t, NULL, fn, arg), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
}

/* Run fn(&args[i]) in n uthreads at once (args: n elements of size sz). */
static void run_n(int n, void *(*fn)(void *), void *args, size_t sz)
{
	uthread_t t[64];

	assert_true(n <= 64);
	for (int i = 0; i < n; i++)
		assert_int_equal(uthread_create(&t[i], NULL, fn, (char *)args + i * sz), 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
}

/* Everything a child wrote to fd until EOF, NUL-terminated (static). */
static const char *read_all(int fd)
{
	static char buf[8192];
	size_t len = 0;
	ssize_t r;

	while (len < sizeof buf - 1 &&
	       ((r = read(fd, buf + len, sizeof buf - 1 - len)) > 0 ||
	        (r < 0 && errno == EINTR)))
		len += r > 0 ? (size_t)r : 0;
	buf[len] = '\0';
	return buf;
}

/*
 * Under valgrind: a process that ends while a thread is alive (a pthread
 * just as well) has that thread's dtv reported "possibly lost", since glibc
 * keeps only a pointer into it (the array start + 16, at %fs:8), and
 * --error-exitcode then replaces the exit status.  A forked child that ends
 * the process from a thread holds its start here.
 */
static void *volatile live_dtv; /* written only: volatile keeps the store */

static void hold_dtv_for_valgrind(void)
{
	uintptr_t dtv;

	if (!tu_on_valgrind())
		return;
	__asm__ volatile("mov %%fs:8, %0" : "=r"(dtv));
	live_dtv = (void *)(dtv - 16);
}

/* ------------------------------------------------------------------ */
/* Stack protector and pointer guard                                    */
/* ------------------------------------------------------------------ */

static uintptr_t stack_guard(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%fs:0x28, %0" : "=r"(v));
	return v;
}

static uintptr_t pointer_guard(void)
{
	uintptr_t v;
	__asm__ volatile("mov %%fs:0x30, %0" : "=r"(v));
	return v;
}

struct guards {
	uintptr_t stack, pointer;
};

static void *read_guards(void *arg)
{
	struct guards *g = arg;

	g->stack = stack_guard();
	g->pointer = pointer_guard();
	return NULL;
}

static void the_stack_canary_in_a_thread_is_the_main_threads_and_not_zero(void **state)
{
	struct guards g[2];

	(void)state;
	assert_int_not_equal(stack_guard(), 0);
	run_n(2, read_guards, g, sizeof g[0]);
	for (int i = 0; i < 2; i++)
		assert_int_equal(g[i].stack, stack_guard());
}

/* PTR_MANGLE'd pointers (atexit, setjmp, NSS) cross threads. */
static void the_pointer_guard_in_a_thread_is_the_main_threads(void **state)
{
	struct guards g[2];

	(void)state;
	run_n(2, read_guards, g, sizeof g[0]);
	for (int i = 0; i < 2; i++)
		assert_int_equal(g[i].pointer, pointer_guard());
}

static volatile size_t smash_len = 64;

/* Writes smash_len bytes into a 16-byte buffer; the canary check at its
 * return must catch it. */
static __attribute__((noinline)) void smash(void)
{
	char buf[16];
	volatile char *p = buf;

	for (size_t i = 0; i < smash_len; i++)
		p[i] = 'X';
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static void *smash_body(void *arg)
{
	(void)arg;
	hold_dtv_for_valgrind();
	smash();
	return NULL;
}

static int smash_child(void *arg)
{
	int *fds = arg;
	uthread_t t;

	close(fds[0]);
	dup2(fds[1], STDERR_FILENO);
	/* glibc's fatal messages go to stderr, not the terminal. */
	setenv("LIBC_FATAL_STDERR_", "1", 1);
	if (uthread_create(&t, NULL, smash_body, NULL) != 0)
		return 10;
	uthread_join(t, NULL);
	return 0; /* the overflow went unnoticed */
}

static void a_smashed_stack_in_a_thread_aborts_with_the_stack_protector_message(void **state)
{
	int fds[2], st;
	const char *err;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	st = tu_in_child(smash_child, fds);
	close(fds[1]);
	err = read_all(fds[0]);
	close(fds[0]);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(err, "stack smashing detected"));
}

/* ------------------------------------------------------------------ */
/* setjmp / longjmp                                                     */
/* ------------------------------------------------------------------ */

static volatile int jumps_enabled = 1;

static __attribute__((noinline)) int jump_from_depth(jmp_buf *jb, int depth, int val)
{
	if (depth == 0) {
		if (jumps_enabled)
			longjmp(*jb, val);
		return 0;
	}
	return jump_from_depth(jb, depth - 1, val) + 1; /* no tail call */
}

static __attribute__((noinline)) void sigjump_blocked(sigjmp_buf *jb)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	siglongjmp(*jb, 1);
}

struct jumps {
	int rounds, landed, wrong_value, lost_local, mask_not_restored;
};

/* One setjmp, then a longjmp from depth nested calls down. */
static void jump_once(struct jumps *j, int val, int depth)
{
	jmp_buf jb;
	volatile int local = val * 3, v = val;
	int r = setjmp(jb);

	if (r == 0) {
		jump_from_depth(&jb, depth, v);
		return; /* the jump did not happen */
	}
	j->landed++;
	j->wrong_value += r != v;
	j->lost_local += local != v * 3;
}

static void sigjump_once(struct jumps *j)
{
	sigjmp_buf sjb;
	sigset_t now;

	if (sigsetjmp(sjb, 1) == 0)
		sigjump_blocked(&sjb);
	/* siglongjmp restored the mask sigsetjmp saved. */
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	j->mask_not_restored += sigismember(&now, SIGUSR2) != 0;
}

static void *jump_body(void *arg)
{
	struct jumps *j = arg;

	for (int i = 1; i <= j->rounds; i++)
		jump_once(j, i, i % 5);
	for (int i = 0; i < j->rounds; i++)
		sigjump_once(j);
	return NULL;
}

static void longjmp_from_nested_calls_lands_at_setjmp_in_threads(void **state)
{
	struct jumps j[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		j[i] = (struct jumps){ .rounds = 1000 };
	run_n(4, jump_body, j, sizeof j[0]);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(j[i].landed, 1000);
		assert_int_equal(j[i].wrong_value, 0);
		assert_int_equal(j[i].lost_local, 0);
		assert_int_equal(j[i].mask_not_restored, 0);
	}
}

/* ------------------------------------------------------------------ */
/* sched_getcpu                                                         */
/* ------------------------------------------------------------------ */

struct pinning {
	int ncpus, checks, wrong, setaffinity_failed;
	int first_wrong_cpu, first_wrong_got;
};

static void *pin_body(void *arg)
{
	struct pinning *p = arg;
	cpu_set_t orig, one;
	int cpus[CPU_SETSIZE], n = 0;

	if (sched_getaffinity(0, sizeof orig, &orig) != 0)
		return (void *)1;
	for (int c = 0; c < CPU_SETSIZE && n < 8; c++)
		if (CPU_ISSET(c, &orig))
			cpus[n++] = c;
	p->ncpus = n;
	/* Forwards, then backwards: every move changes the CPU. */
	for (int round = 0; round < 4; round++) {
		for (int k = 0; k < n; k++) {
			int c = cpus[round % 2 ? n - 1 - k : k], got;
			CPU_ZERO(&one);
			CPU_SET(c, &one);
			if (sched_setaffinity(0, sizeof one, &one) != 0) {
				p->setaffinity_failed++;
				continue;
			}
			got = sched_getcpu();
			p->checks++;
			if (got != c && !p->wrong++) {
				p->first_wrong_cpu = c;
				p->first_wrong_got = got;
			}
		}
	}
	sched_setaffinity(0, sizeof orig, &orig);
	return NULL;
}

static void sched_getcpu_reports_the_cpu_a_thread_is_pinned_to(void **state)
{
	struct pinning p = {0};

	(void)state;
	run1(pin_body, &p);
	assert_true(p.ncpus >= 1);
	assert_int_equal(p.setaffinity_failed, 0);
	assert_int_equal(p.checks, 4 * p.ncpus);
	if (p.wrong)
		print_error("pinned to CPU %d, sched_getcpu() said %d\n",
		            p.first_wrong_cpu, p.first_wrong_got);
	assert_int_equal(p.wrong, 0);
}

/* ------------------------------------------------------------------ */
/* glibc's calls on a thread's own pthread_t                            */
/* ------------------------------------------------------------------ */

struct own_sched {
	int getsched, policy, cpuclock, gettime;
	struct timespec cpu;
};

static void *ask_about_myself(void *arg)
{
	struct own_sched *o = arg;
	struct sched_param sp;
	clockid_t c;

	o->getsched = pthread_getschedparam(pthread_self(), &o->policy, &sp);
	o->cpuclock = pthread_getcpuclockid(pthread_self(), &c);
	o->gettime = o->cpuclock ? -1 : clock_gettime(c, &o->cpu);
	return NULL;
}

/*
 * Regression (glibc 2.43): these answer ESRCH for a thread whose join
 * state word reads "exited", and a zeroed thread block did.
 */
static void pthread_getschedparam_and_getcpuclockid_work_on_a_threads_own_handle(void **state)
{
	struct own_sched o = { -1, -1, -1, -1, { 0, 0 } };

	(void)state;
	run1(ask_about_myself, &o);
	assert_int_equal(o.getsched, 0);
	assert_int_equal(o.policy, SCHED_OTHER);
	assert_int_equal(o.cpuclock, 0);
	assert_int_equal(o.gettime, 0);
}

/* ------------------------------------------------------------------ */
/* getrandom                                                            */
/* ------------------------------------------------------------------ */

static void *draw_random(void *arg)
{
	unsigned char buf[16];

	(void)arg;
	if (getrandom(buf, sizeof buf, 0) != (ssize_t)sizeof buf)
		return (void *)1;
	return NULL;
}

static void *ask_nothing(void *arg)
{
	return arg;
}

static void *draw_random_in_a_uthread(void *arg)
{
	uthread_t t;
	void *r = (void *)1;

	if (uthread_create(&t, NULL, draw_random, arg) == 0)
		uthread_join(t, &r);
	return r;
}

/*
 * Regression (glibc 2.41 and later): getrandom hands each thread a state
 * of the vDSO's from a pool, on pages of its own, and takes it back only
 * at its own threads' end; 200 uthreads one after another took 200 states,
 * a new page every 21.  Runs where getrandom takes such state at all: the
 * process's first getrandom maps pages for it.
 */
static int getrandom_states_child(void *unused)
{
	pthread_t pt;
	void *r;
	int before, first, n = 200;

	(void)unused;
	/* A pthread first, which leaves its stack in glibc's cache for the
	 * next one: then only getrandom's own pages can add mappings. */
	if (pthread_create(&pt, NULL, ask_nothing, NULL) || pthread_join(pt, &r))
		return 10;
	before = tu_count_own_maps();
	if (pthread_create(&pt, NULL, draw_random, NULL) || pthread_join(pt, &r) || r)
		return 10;
	first = tu_count_own_maps();
	if (first == before)
		return 77; /* getrandom keeps no state (glibc < 2.41, no vDSO) */
	/* Create the library's probe thread and the first uthread block. */
	if (draw_random_in_a_uthread(NULL))
		return 11;
	before = tu_count_own_maps();
	for (int i = 0; i < n; i++)
		if (draw_random_in_a_uthread(NULL))
			return 12;
	int grown = tu_count_own_maps() - before;
	if (grown > 0)
		fprintf(stderr, "%d more mappings after %d uthreads each called getrandom\n",
		        grown, n);
	return grown > 0 ? 13 : 0;
}

static void uthreads_that_call_getrandom_one_after_another_share_one_state(void **state)
{
	int st = tu_in_child(getrandom_states_child, NULL);

	(void)state;
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		print_message("  skipped: getrandom keeps no per-thread state here\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ------------------------------------------------------------------ */
/* The resolver state (_res)                                            */
/* ------------------------------------------------------------------ */

#define RES_THREADS 8

struct res_own {
	int id, wrong, init_r;
	void *state;
	int ready, go;
};

static struct res_own res_threads[RES_THREADS];

static void *set_own_retry(void *arg)
{
	struct res_own *r = arg;
	int rounds = lu_scaled(20000);

	r->init_r = res_init();
	r->state = &_res;
	_res.retry = 100 + r->id;
	tu_set(&r->ready, 1);
	tu_wait(&r->go, 1, 5000);
	for (int i = 0; i < rounds; i++) {
		if (_res.retry != 100 + r->id)
			r->wrong++;
		if (i % 64 == 0)
			sched_yield();
	}
	return NULL;
}

/*
 * Regression (issue 12, case 5): glibc gives each of its threads its own
 * resolver state (_res, the RES_* options); every uthread shared the
 * process's, main's, so eight threads setting their own _res.retry read
 * another thread's value thousands of times.
 */
static void each_thread_has_its_own_resolver_state(void **state)
{
	uthread_t t[RES_THREADS];

	(void)state;
	memset(res_threads, 0, sizeof res_threads);
	for (int i = 0; i < RES_THREADS; i++) {
		res_threads[i].id = i;
		assert_int_equal(uthread_create(&t[i], NULL, set_own_retry, &res_threads[i]), 0);
	}
	for (int i = 0; i < RES_THREADS; i++)
		assert_true(tu_wait(&res_threads[i].ready, 1, 5000));
	for (int i = 0; i < RES_THREADS; i++)
		tu_set(&res_threads[i].go, 1);
	for (int i = 0; i < RES_THREADS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	for (int i = 0; i < RES_THREADS; i++) {
		assert_int_equal(res_threads[i].init_r, 0);
		assert_ptr_not_equal(res_threads[i].state, &_res);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(res_threads[i].state, res_threads[j].state);
		if (res_threads[i].wrong)
			print_error("thread %d read another's retry %d times\n", i,
			            res_threads[i].wrong);
		assert_int_equal(res_threads[i].wrong, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Signals                                                              */
/* ------------------------------------------------------------------ */

static volatile pid_t handler_tid;
static int handler_runs; /* tu_add/tu_wait, or read after a join */

static void on_usr1(int sig)
{
	(void)sig;
	handler_tid = gettid();
	tu_add(&handler_runs, 1);
}

static void install_usr1(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	handler_tid = 0;
	handler_runs = 0;
}

struct raised {
	int rc;
	pid_t tid, handler_tid;
	int runs;
};

static void *raise_body(void *arg)
{
	struct raised *r = arg;

	r->tid = gettid();
	r->rc = raise(SIGUSR1);
	/* raise() returns after the handler has run in this thread. */
	r->handler_tid = handler_tid;
	r->runs = handler_runs;
	return NULL;
}

static void raise_in_a_thread_runs_the_handler_on_that_thread(void **state)
{
	struct raised r = {0};

	(void)state;
	install_usr1();
	run1(raise_body, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.runs, 1);
	assert_int_not_equal(r.tid, gettid());
	assert_int_equal(r.handler_tid, r.tid);
}

static struct {
	pthread_t self;     /* the thread's pthread_self() */
	pid_t tid;
	int published;      /* tu_set/tu_wait */
	int equal_to_main;
	int timed_out;
} target;

static pthread_t main_pthread;

static void *target_body(void *arg)
{
	(void)arg;
	target.self = pthread_self();
	target.tid = gettid();
	target.equal_to_main = pthread_equal(target.self, main_pthread);
	tu_set(&target.published, 1);
	target.timed_out = !tu_wait(&handler_runs, 1, 10000);
	return NULL;
}

static void pthread_kill_from_main_runs_the_handler_on_the_target_thread(void **state)
{
	uthread_t t;
	int rc0, rc;

	(void)state;
	install_usr1();
	memset(&target, 0, sizeof target);
	main_pthread = pthread_self();
	assert_int_equal(uthread_create(&t, NULL, target_body, NULL), 0);
	tu_wait(&target.published, 1, -1);
	/* Signal 0: the thread exists (glibc reads its tid). */
	rc0 = pthread_kill(target.self, 0);
	rc = pthread_kill(target.self, SIGUSR1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(rc0, 0);
	assert_int_equal(rc, 0);
	assert_false(target.equal_to_main);
	assert_false(target.timed_out);
	assert_int_equal(handler_runs, 1);
	assert_int_equal(handler_tid, target.tid);
}

/* ------------------------------------------------------------------ */
/* strerror, printf, ctype                                              */
/* ------------------------------------------------------------------ */

struct texts {
	int rounds, wrong;
	char first_wrong[80];
};

static void note_wrong(struct texts *t, const char *got)
{
	if (!t->wrong++)
		snprintf(t->first_wrong, sizeof t->first_wrong, "%s", got ? got : "(null)");
}

static void *strerror_body(void *arg)
{
	static const struct { int e; const char *text; } known[] = {
		{ EINVAL, "Invalid argument" },
		{ ENOENT, "No such file or directory" },
		{ EACCES, "Permission denied" },
		{ EAGAIN, "Resource temporarily unavailable" },
	};
	struct texts *t = arg;
	char buf[64], want[64];

	for (int i = 0; i < t->rounds; i++) {
		int k = i % 4;
		const char *s = strerror(known[k].e);
		if (strcmp(s, known[k].text) != 0)
			note_wrong(t, s);
		s = strerror_r(known[(k + 1) % 4].e, buf, sizeof buf);
		if (strcmp(s, known[(k + 1) % 4].text) != 0)
			note_wrong(t, s);
		/* Unknown numbers are formatted into a per-thread buffer. */
		snprintf(want, sizeof want, "Unknown error %d", 100000 + i);
		s = strerror(100000 + i);
		if (strcmp(s, want) != 0)
			note_wrong(t, s);
	}
	return NULL;
}

static void strerror_and_strerror_r_give_the_right_text_in_threads(void **state)
{
	struct texts t[NT];

	(void)state;
	for (int i = 0; i < NT; i++)
		t[i] = (struct texts){ .rounds = lu_scaled(2000) };
	run_n(NT, strerror_body, t, sizeof t[0]);
	for (int i = 0; i < NT; i++) {
		if (t[i].wrong)
			print_error("thread %d got \"%s\"\n", i, t[i].first_wrong);
		assert_int_equal(t[i].wrong, 0);
	}
}

static void *format_body(void *arg)
{
	struct texts *t = arg;
	char buf[80];

	for (int i = 0; i < t->rounds; i++) {
		snprintf(buf, sizeof buf, "%f|%.3e|%g|%5.1f", 3.25, 12345.678, 0.0001, -2.75);
		if (strcmp(buf, "3.250000|1.235e+04|0.0001| -2.8") != 0)
			note_wrong(t, buf);
		snprintf(buf, sizeof buf, "%d %x %s %c", -42, 0xbeefu, "str", 'z');
		if (strcmp(buf, "-42 beef str z") != 0)
			note_wrong(t, buf);
		if (!isalpha('a') || isalpha('1') || !isdigit('7') || !isspace('\t') ||
		    toupper('q') != 'Q' || tolower('Q') != 'q' || !isxdigit('F') ||
		    towupper(L'a') != L'A' || !iswalpha(L'b'))
			note_wrong(t, "ctype");
		if (strtod("2.5", NULL) != 2.5 || strtol("-0x1f", NULL, 16) != -31 ||
		    atof("1e3") != 1000.0)
			note_wrong(t, "strtod/strtol");
		if (sscanf("7 8.5 word", "%d %lf %79s", &(int){0}, &(double){0}, buf) != 3 ||
		    strcmp(buf, "word") != 0)
			note_wrong(t, "sscanf");
	}
	return NULL;
}

static void printf_of_floats_and_ctype_work_in_threads(void **state)
{
	struct texts t[NT];

	(void)state;
	for (int i = 0; i < NT; i++)
		t[i] = (struct texts){ .rounds = lu_scaled(2000) };
	run_n(NT, format_body, t, sizeof t[0]);
	for (int i = 0; i < NT; i++) {
		if (t[i].wrong)
			print_error("thread %d got \"%s\"\n", i, t[i].first_wrong);
		assert_int_equal(t[i].wrong, 0);
	}
}

/* ------------------------------------------------------------------ */
/* exit() from a thread                                                 */
/* ------------------------------------------------------------------ */

static int exit_fd = -1;

static void atexit_marker(void)
{
	static const char m[] = "atexit handler ran\n";
	if (write(exit_fd, m, sizeof m - 1) < 0)
		_exit(20);
}

static void *exit_body(void *arg)
{
	FILE *f = arg;

	hold_dtv_for_valgrind(); /* the child's status stays exit()'s 7 */
	/* Sits in the stream's buffer until exit() flushes it. */
	fprintf(f, "buffered line from the thread\n");
	exit(7);
}

static int exit_child(void *arg)
{
	int *fds = arg;
	FILE *f;
	uthread_t t;

	close(fds[0]);
	exit_fd = fds[1];
	if (atexit(atexit_marker) != 0)
		return 10;
	f = fdopen(dup(fds[1]), "w");
	if (!f || setvbuf(f, NULL, _IOFBF, 4096) != 0)
		return 11;
	if (uthread_create(&t, NULL, exit_body, f) != 0)
		return 12;
	uthread_join(t, NULL);
	return 13; /* exit() did not end the process */
}

static void exit_in_a_thread_runs_atexit_handlers_flushes_stdio_and_sets_the_status(void **state)
{
	int fds[2], st;
	const char *out;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	st = tu_in_child(exit_child, fds);
	close(fds[1]);
	out = read_all(fds[0]);
	close(fds[0]);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	assert_non_null(strstr(out, "atexit handler ran\n"));
	assert_non_null(strstr(out, "buffered line from the thread\n"));
}

/* ------------------------------------------------------------------ */
/* NSS                                                                  */
/* ------------------------------------------------------------------ */

/* A passwd entry and the addresses of localhost, flattened to text. */
struct lookups {
	int pw_rc, gai_rc;
	char pw[512];
	char gai[512];
};

static void do_lookups(struct lookups *l, uid_t uid)
{
	struct passwd pwd, *res = NULL;
	struct addrinfo hints, *ai = NULL;
	char buf[4096];
	size_t n = 0;

	l->pw_rc = getpwuid_r(uid, &pwd, buf, sizeof buf, &res);
	if (l->pw_rc == 0 && !res)
		l->pw_rc = ENOENT;
	if (l->pw_rc == 0)
		snprintf(l->pw, sizeof l->pw, "%s:%d:%d:%s:%s", pwd.pw_name,
		         (int)pwd.pw_uid, (int)pwd.pw_gid, pwd.pw_dir, pwd.pw_shell);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	l->gai_rc = getaddrinfo("localhost", "80", &hints, &ai);
	l->gai[0] = '\0';
	for (struct addrinfo *p = ai; p && n < sizeof l->gai - 64; p = p->ai_next) {
		n += (size_t)snprintf(l->gai + n, sizeof l->gai - n, "%d/", p->ai_family);
		for (socklen_t k = 0; k < p->ai_addrlen && n < sizeof l->gai - 4; k++)
			n += (size_t)snprintf(l->gai + n, sizeof l->gai - n, "%02x",
			                      ((unsigned char *)p->ai_addr)[k]);
		l->gai[n++] = ';';
		l->gai[n] = '\0';
	}
	if (ai)
		freeaddrinfo(ai);
}

static uid_t lookup_uid;

static void *lookup_body(void *arg)
{
	do_lookups(arg, lookup_uid);
	return NULL;
}

static void passwd_and_host_lookups_in_threads_match_the_main_thread(void **state)
{
	struct lookups main_l, l[4];

	(void)state;
	lookup_uid = getuid();
	do_lookups(&main_l, lookup_uid);
	if (main_l.pw_rc != 0) { /* a uid without an entry: root has one */
		lookup_uid = 0;
		do_lookups(&main_l, lookup_uid);
	}
	assert_int_equal(main_l.pw_rc, 0);
	assert_int_equal(main_l.gai_rc, 0);
	assert_true(strlen(main_l.gai) > 0);
	run_n(4, lookup_body, l, sizeof l[0]);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(l[i].pw_rc, 0);
		assert_string_equal(l[i].pw, main_l.pw);
		assert_int_equal(l[i].gai_rc, 0);
		assert_string_equal(l[i].gai, main_l.gai);
	}
}

/* ------------------------------------------------------------------ */
/* Backtraces                                                           */
/* ------------------------------------------------------------------ */

static __attribute__((noinline)) int trace_at_depth(int depth, void **frames, int max)
{
	int n;

	if (depth == 0)
		return backtrace(frames, max);
	n = trace_at_depth(depth - 1, frames, max);
	__asm__ volatile("" ::: "memory"); /* no tail call: real frames */
	return n;
}

static void *trace_body(void *arg)
{
	static void *frames[64];
	int *n = arg;

	*n = trace_at_depth(3, frames, 64);
	return NULL;
}

/* In a child, in case the unwinder crashes; the frame count goes back
 * through a pipe. */
static int trace_child(void *arg)
{
	int *fds = arg, n = 0;
	uthread_t t;

	close(fds[0]);
	if (uthread_create(&t, NULL, trace_body, &n) != 0 || uthread_join(t, NULL) != 0)
		return 10;
	return write(fds[1], &n, sizeof n) == sizeof n ? 0 : 11;
}

/* The unwinder stops at the thread's first frame instead of running on
 * into whatever lies above the stack (or crashing there). */
static void backtrace_in_a_thread_ends_at_the_threads_first_frame(void **state)
{
	int fds[2], st, n = -1;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	st = tu_in_child(trace_child, fds);
	close(fds[1]);
	assert_int_equal(read(fds[0], &n, sizeof n), sizeof n);
	close(fds[0]);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* backtrace, 4 x trace_at_depth, trace_body, the library's start,
	 * the clone trampoline: a few more are fine, 64 means it ran away. */
	assert_in_range(n, 6, 16);
}

/* ------------------------------------------------------------------ */
/* glibc mutexes that record their owner's tid                          */
/* ------------------------------------------------------------------ */

static pthread_mutex_t ec_mutex, rec_mutex;
static int owner_phase; /* tu_set/tu_wait */

struct owner_results {
	int ec_relock, rec_relock;                   /* owner */
	int ec_try, ec_unlock, rec_try, rec_unlock;  /* other, while held */
	int ec_try_after, rec_try_after;             /* other, once released */
};
static struct owner_results orr;

static void *owner_body(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&ec_mutex);
	orr.ec_relock = pthread_mutex_lock(&ec_mutex);
	pthread_mutex_lock(&rec_mutex);
	orr.rec_relock = pthread_mutex_lock(&rec_mutex);
	tu_set(&owner_phase, 1);
	tu_wait(&owner_phase, 2, -1);
	pthread_mutex_unlock(&ec_mutex);
	pthread_mutex_unlock(&rec_mutex);
	pthread_mutex_unlock(&rec_mutex);
	tu_set(&owner_phase, 3);
	return NULL;
}

static void *other_body(void *arg)
{
	(void)arg;
	tu_wait(&owner_phase, 1, -1);
	orr.ec_try = pthread_mutex_trylock(&ec_mutex);
	orr.ec_unlock = pthread_mutex_unlock(&ec_mutex);
	orr.rec_try = pthread_mutex_trylock(&rec_mutex);
	orr.rec_unlock = pthread_mutex_unlock(&rec_mutex);
	tu_set(&owner_phase, 2);
	tu_wait(&owner_phase, 3, -1);
	orr.ec_try_after = pthread_mutex_trylock(&ec_mutex);
	orr.rec_try_after = pthread_mutex_trylock(&rec_mutex);
	if (orr.ec_try_after == 0)
		pthread_mutex_unlock(&ec_mutex);
	if (orr.rec_try_after == 0)
		pthread_mutex_unlock(&rec_mutex);
	return NULL;
}

static void errorcheck_and_recursive_pthread_mutexes_tell_threads_apart(void **state)
{
	pthread_mutexattr_t a;
	uthread_t t1, t2;

	(void)state;
	assert_int_equal(pthread_mutexattr_init(&a), 0);
	assert_int_equal(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), 0);
	assert_int_equal(pthread_mutex_init(&ec_mutex, &a), 0);
	assert_int_equal(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE), 0);
	assert_int_equal(pthread_mutex_init(&rec_mutex, &a), 0);
	pthread_mutexattr_destroy(&a);
	owner_phase = 0;
	memset(&orr, -1, sizeof orr);
	assert_int_equal(uthread_create(&t1, NULL, owner_body, NULL), 0);
	assert_int_equal(uthread_create(&t2, NULL, other_body, NULL), 0);
	assert_int_equal(uthread_join(t1, NULL), 0);
	assert_int_equal(uthread_join(t2, NULL), 0);
	assert_int_equal(orr.ec_relock, EDEADLK);
	assert_int_equal(orr.rec_relock, 0);
	assert_int_equal(orr.ec_try, EBUSY);
	assert_int_equal(orr.ec_unlock, EPERM);
	assert_int_equal(orr.rec_try, EBUSY);
	assert_int_equal(orr.rec_unlock, EPERM);
	assert_int_equal(orr.ec_try_after, 0);
	assert_int_equal(orr.rec_try_after, 0);
	pthread_mutex_destroy(&ec_mutex);
	pthread_mutex_destroy(&rec_mutex);
}

/* ------------------------------------------------------------------ */
/* Robust mutexes                                                       */
/* ------------------------------------------------------------------ */

static void robust_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	assert_int_equal(pthread_mutexattr_init(&a), 0);
	assert_int_equal(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
	assert_int_equal(pthread_mutex_init(m, &a), 0);
	pthread_mutexattr_destroy(&a);
}

/* Ends holding the mutex.  Through uthread_exit, called from here: so
 * tests/valgrind.supp can name this function in helgrind's report of a
 * thread that ends holding a lock (on purpose, here). */
static void *lock_and_leave(void *arg)
{
	uthread_exit((void *)(intptr_t)pthread_mutex_lock(arg));
}

static void a_robust_mutex_left_locked_by_a_joined_thread_reports_owner_dead(void **state)
{
	pthread_mutex_t m;
	uthread_t t;
	void *r;

	(void)state;
	/* helgrind reports the owner's end with the lock held, and every
	 * call of the thread that takes it over, as errors; since
	 * uthread_exit unwinds, the owner's frames are gone from that report
	 * and no suppression can name this test.  memcheck and DRD (whose
	 * reports name the test) still run it. */
	if (tu_on_thread_checker() && !tu_on_drd())
		skip();
	robust_init(&m);
	assert_int_equal(uthread_create(&t, NULL, lock_and_leave, &m), 0);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_null(r);
	assert_int_equal(pthread_mutex_lock(&m), EOWNERDEAD);
	assert_int_equal(pthread_mutex_consistent(&m), 0);
	assert_int_equal(pthread_mutex_unlock(&m), 0);
	assert_int_equal(pthread_mutex_destroy(&m), 0);
}

#define NDETACHED 100 /* more than the library keeps in its stack cache */

static pthread_mutex_t det_mutex[NDETACHED];
static int det_locked, det_go; /* tu_add, tu_set, tu_wait */

static void *lock_and_leave_detached(void *arg)
{
	pthread_mutex_lock(arg);
	tu_add(&det_locked, 1);
	/* All alive at once, so each ends on its own thread block. */
	tu_wait(&det_go, 1, -1);
	uthread_exit(NULL); /* as lock_and_leave */
}

/*
 * The kernel marks a dead owner's robust mutexes only if the thread still
 * has its robust list registered when it ends.
 */
static void robust_mutexes_left_locked_by_detached_threads_report_owner_dead(void **state)
{
	uthread_attr_t a;
	int tasks0 = tu_count_tasks(), dead = 0, busy = 0;
	long long end;

	(void)state;
	/* helgrind reports the owner's end with the lock held, and every
	 * call of the thread that takes it over, as errors; since
	 * uthread_exit unwinds, the owner's frames are gone from that report
	 * and no suppression can name this test.  memcheck and DRD (whose
	 * reports name the test) still run it. */
	if (tu_on_thread_checker() && !tu_on_drd())
		skip();
	det_locked = det_go = 0;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 64 << 10), 0);
	for (int i = 0; i < NDETACHED; i++) {
		uthread_t t;
		robust_init(&det_mutex[i]);
		assert_int_equal(uthread_create(&t, &a, lock_and_leave_detached,
		                                &det_mutex[i]), 0);
	}
	uthread_attr_destroy(&a);
	tu_wait(&det_locked, NDETACHED, -1);
	tu_set(&det_go, 1);
	/* Gone from /proc: the kernel has finished with their robust lists. */
	end = tu_deadline_ms(20000);
	while (tu_count_tasks() > tasks0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(tu_count_tasks(), tasks0);
	for (int i = 0; i < NDETACHED; i++) {
		int r = pthread_mutex_trylock(&det_mutex[i]);
		dead += r == EOWNERDEAD;
		busy += r == EBUSY; /* still owned by a dead thread: lockers hang */
		if (r == EOWNERDEAD) {
			pthread_mutex_consistent(&det_mutex[i]);
			pthread_mutex_unlock(&det_mutex[i]);
			pthread_mutex_destroy(&det_mutex[i]);
		}
	}
	if (busy)
		print_error("%d of %d robust mutexes still held by dead threads\n",
		            busy, NDETACHED);
	assert_int_equal(dead, NDETACHED);
}

/* ------------------------------------------------------------------ */
/* pthread_getattr_np                                                   */
/* ------------------------------------------------------------------ */

struct stackinfo {
	int rc;
	uintptr_t addr, local;
	size_t size;
};

static void *getattr_body(void *arg)
{
	struct stackinfo *s = arg;
	pthread_attr_t a;
	void *addr = NULL;
	volatile int local = 0;

	s->local = (uintptr_t)&local;
	s->rc = pthread_getattr_np(pthread_self(), &a);
	if (s->rc == 0) {
		pthread_attr_getstack(&a, &addr, &s->size);
		pthread_attr_destroy(&a);
	}
	s->addr = (uintptr_t)addr;
	return NULL;
}

/*
 * Garbage collectors, sanitizers and language runtimes ask libc where the
 * current thread's stack is.
 */
static void pthread_getattr_np_reports_the_stack_of_a_thread(void **state)
{
	struct stackinfo s = {0};
	uthread_attr_t a;
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 1 << 20), 0);
	assert_int_equal(uthread_create(&t, &a, getattr_body, &s), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	uthread_attr_destroy(&a);
	assert_int_equal(s.rc, 0);
	/* The local lies inside, near the top of at least 1 MiB - guard. */
	assert_true(s.local >= s.addr && s.local < s.addr + s.size);
	assert_true(s.local - s.addr >= (1u << 20) - (64u << 10));
}

/* ------------------------------------------------------------------ */
/* libc's per-thread buffers                                            */
/* ------------------------------------------------------------------ */

static void *use_thread_buffers(void *arg)
{
	(void)arg;
	(void)strerror(123456);              /* "Unknown error 123456", malloc'ed */
	(void)strsignal(77);                 /* "Unknown signal 77", malloc'ed */
	if (dlopen("/nonexistent/libnothing.so", RTLD_NOW) == NULL)
		(void)dlerror();             /* the error text, malloc'ed */
	return NULL;
}

/* Bytes held: under memcheck its leak count, else malloc's in-use bytes. */
static size_t held_bytes(void)
{
#ifdef HAVE_MEMCHECK_H
	if (tu_on_valgrind()) {
		unsigned long leaked = 0, dubious = 0, reachable = 0, suppressed = 0;
		VALGRIND_DO_QUICK_LEAK_CHECK;
		VALGRIND_COUNT_LEAKS(leaked, dubious, reachable, suppressed);
		(void)reachable;
		(void)suppressed;
		return leaked + dubious;
	}
#endif
	return mallinfo2().uordblks;
}

/*
 * libc frees these when one of its own threads ends; a uthread must not
 * leak them either, or a server creating a thread per request grows.
 */
static void libc_per_thread_buffers_are_freed_when_threads_end(void **state)
{
	int n = tu_on_valgrind() ? 50 : 500;
	size_t before;

	(void)state;
	for (int i = 0; i < 20; i++) /* warm up: arenas, tcache, dl state */
		run1(use_thread_buffers, NULL);
	before = held_bytes();
	for (int i = 0; i < n; i++)
		run1(use_thread_buffers, NULL);
	/* Each leaking thread would lose well over 100 bytes. */
	size_t grown = held_bytes() - before;
	if (grown >= 16u * (size_t)n)
		print_error("%zu bytes more held after %d threads\n", grown, n);
	assert_true(held_bytes() < before + 16u * (size_t)n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* Forked children first: under valgrind a child inherits, and
		 * reports, whatever the parent leaked before the fork.  This
		 * one before any other getrandom in the process. */
		cmocka_unit_test(uthreads_that_call_getrandom_one_after_another_share_one_state),
		cmocka_unit_test(a_smashed_stack_in_a_thread_aborts_with_the_stack_protector_message),
		cmocka_unit_test(exit_in_a_thread_runs_atexit_handlers_flushes_stdio_and_sets_the_status),
		cmocka_unit_test(backtrace_in_a_thread_ends_at_the_threads_first_frame),
		cmocka_unit_test(the_stack_canary_in_a_thread_is_the_main_threads_and_not_zero),
		cmocka_unit_test(the_pointer_guard_in_a_thread_is_the_main_threads),
		cmocka_unit_test(longjmp_from_nested_calls_lands_at_setjmp_in_threads),
		cmocka_unit_test(sched_getcpu_reports_the_cpu_a_thread_is_pinned_to),
		cmocka_unit_test(pthread_getschedparam_and_getcpuclockid_work_on_a_threads_own_handle),
		cmocka_unit_test(raise_in_a_thread_runs_the_handler_on_that_thread),
		cmocka_unit_test(pthread_kill_from_main_runs_the_handler_on_the_target_thread),
		cmocka_unit_test(strerror_and_strerror_r_give_the_right_text_in_threads),
		cmocka_unit_test(printf_of_floats_and_ctype_work_in_threads),
		cmocka_unit_test(passwd_and_host_lookups_in_threads_match_the_main_thread),
		cmocka_unit_test(each_thread_has_its_own_resolver_state),
		cmocka_unit_test(errorcheck_and_recursive_pthread_mutexes_tell_threads_apart),
		cmocka_unit_test(a_robust_mutex_left_locked_by_a_joined_thread_reports_owner_dead),
		cmocka_unit_test(robust_mutexes_left_locked_by_detached_threads_report_owner_dead),
		cmocka_unit_test(pthread_getattr_np_reports_the_stack_of_a_thread),
		cmocka_unit_test(libc_per_thread_buffers_are_freed_when_threads_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
