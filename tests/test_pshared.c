/* SPDX-License-Identifier: MIT */
/*
 * test_pshared.c - process-shared objects: mutexes (every type, priority
 * inheritance, robust), condition variables, rwlocks, barriers and
 * semaphores made with UTHREAD_PROCESS_SHARED work in MAP_SHARED memory
 * between threads of a parent and its fork child, with exact counts; also
 * when the child maps the same memory at another address; a process that
 * dies holding a robust mutex hands EOWNERDEAD to the other process; the
 * attribute setters and getters check their input.
 *
 * Forked children never call cmocka: they check with SU_CHECK and exit
 * non-zero, and the parent asserts on the exit status.  valgrind follows
 * the child silently (--child-silent-after-fork), so the tools check the
 * parent's side; they see the other process's writes to the shared page
 * as nothing at all (no race, no happens-before), which is right: each
 * side's own threads are ordered by the same locks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

#define THREADS 2 /* per process */

/* Everything the two processes share: one page, MAP_SHARED. */
struct shm {
	uthread_mutex_t m;
	uthread_cond_t c;
	uthread_rwlock_t rw;
	uthread_barrier_t b;
	uthread_sem_t s1, s2;
	long iters;
	int type, recursive;
	long counter;        /* under m */
	long ra, rb;         /* under rw: always equal to a reader */
	int turn;            /* under m: whose move in the ping-pong */
	int arrivals;        /* atomic: barrier arrivals */
	int serials;         /* atomic: barrier serial answers */
	int woken;           /* under m: broadcast waiters out */
	int go;              /* under m: broadcast's predicate */
};

static struct shm *shm_map(void)
{
	void *p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	memset(p, 0, sizeof(struct shm));
	return p;
}

static void shm_unmap(struct shm *s)
{
	assert_int_equal(munmap(s, sizeof *s), 0);
}

/* A memfd holding a struct shm, mapped once: the child maps it again at
 * another address (see alias_map). */
static struct shm *memfd_map(int *fd)
{
	void *p;

	*fd = memfd_create("uthread-pshared", 0);
	assert_true(*fd >= 0);
	assert_int_equal(ftruncate(*fd, sizeof(struct shm)), 0);
	p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* In the child: the same memory at a second address, which differs. */
static struct shm *alias_map(int fd, const struct shm *first)
{
	void *p = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	SU_CHECK(p != MAP_FAILED && p != (const void *)first);
	return p;
}

static void init_mutex(uthread_mutex_t *m, int type, int protocol, int robust)
{
	uthread_mutexattr_t a;

	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_settype(&a, type), 0);
	assert_int_equal(uthread_mutexattr_setprotocol(&a, protocol), 0);
	assert_int_equal(uthread_mutexattr_setrobust(&a, robust), 0);
	assert_int_equal(uthread_mutexattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_mutex_init(m, &a), 0);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
}

static void init_cond(uthread_cond_t *c)
{
	uthread_condattr_t a;

	assert_int_equal(uthread_condattr_init(&a), 0);
	assert_int_equal(uthread_condattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_cond_init(c, &a), 0);
	assert_int_equal(uthread_condattr_destroy(&a), 0);
}

/* ------------------------------------------------------------------ */
/* Running the same work in both processes                              */
/* ------------------------------------------------------------------ */

/* Run THREADS uthreads of fn(s) in this process; 0 if all returned 0. */
static int run_threads(void *(*fn)(void *), struct shm *s)
{
	uthread_t t[THREADS];
	int bad = 0;

	for (int i = 0; i < THREADS; i++)
		if (uthread_create(&t[i], NULL, fn, s) != 0)
			return 1;
	for (int i = 0; i < THREADS; i++) {
		void *r = (void *)1;
		if (uthread_join(t[i], &r) != 0 || r != NULL)
			bad = 1;
	}
	return bad;
}

/* Fork a child running THREADS threads of fn on child_view (NULL: s);
 * run as many here on s; 0 if both sides succeeded. */
static int both_sides(void *(*fn)(void *), struct shm *s, int alias_fd)
{
	int here, st = -1;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(tu_on_valgrind() ? 300 : 30);
		_exit(run_threads(fn, alias_fd >= 0 ? alias_map(alias_fd, s) : s));
	}
	here = run_threads(fn, s);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "child status %#x\n", st);
		return 1;
	}
	return here;
}

/* ------------------------------------------------------------------ */
/* Mutexes                                                              */
/* ------------------------------------------------------------------ */

static void *count_under_mutex(void *p)
{
	struct shm *s = p;

	for (long i = 0; i < s->iters; i++) {
		if (uthread_mutex_lock(&s->m) != 0)
			return (void *)1;
		if (s->recursive && uthread_mutex_lock(&s->m) != 0)
			return (void *)1;
		s->counter++;
		if (s->recursive && uthread_mutex_unlock(&s->m) != 0)
			return (void *)1;
		if (uthread_mutex_unlock(&s->m) != 0)
			return (void *)1;
	}
	return NULL;
}

static void mutex_counts(int type, int protocol, int robust, int alias)
{
	int fd = -1;
	struct shm *s = alias ? memfd_map(&fd) : shm_map();

	init_mutex(&s->m, type, protocol, robust);
	s->recursive = type == UTHREAD_MUTEX_RECURSIVE;
	s->iters = su_iters(protocol == UTHREAD_PRIO_INHERIT ? 5000 : 20000, 200);
	assert_int_equal(both_sides(count_under_mutex, s, fd), 0);
	assert_int_equal(s->counter, 2 * THREADS * s->iters);
	assert_int_equal(uthread_mutex_destroy(&s->m), 0);
	shm_unmap(s);
	if (fd >= 0)
		close(fd);
}

static void every_mutex_type_counts_exactly_across_fork(void **state)
{
	(void)state;
	mutex_counts(UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_STALLED, 0);
	mutex_counts(UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_STALLED, 0);
	mutex_counts(UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_STALLED, 0);
	mutex_counts(UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_ROBUST, 0);
	mutex_counts(UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_ROBUST, 0);
}

static void priority_inheritance_mutexes_count_exactly_across_fork(void **state)
{
	(void)state;
	mutex_counts(UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_INHERIT, UTHREAD_MUTEX_STALLED, 0);
	mutex_counts(UTHREAD_MUTEX_RECURSIVE, UTHREAD_PRIO_INHERIT, UTHREAD_MUTEX_STALLED, 0);
}

static void mutexes_work_at_two_addresses_of_the_same_memory(void **state)
{
	(void)state;
	mutex_counts(UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_STALLED, 1);
	mutex_counts(UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_INHERIT, UTHREAD_MUTEX_STALLED, 1);
	mutex_counts(UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_ROBUST, 1);
}

/* ------------------------------------------------------------------ */
/* Robust mutexes: a process dies holding one                           */
/* ------------------------------------------------------------------ */

/*
 * helgrind and DRD report a thread that ends holding a lock ("exiting
 * thread still holds 1 lock"), which is the point here: under them the
 * dying child's report turns into valgrind's error exit status, and the
 * child's end can never be clean.  These tests are skipped under them;
 * memcheck and native runs do them all.
 */
#define SKIP_UNDER_A_THREAD_CHECKER() \
	do { \
		if (tu_on_thread_checker()) \
			skip(); \
	} while (0)

/* The child locks s->m (through its own mapping if fd >= 0), posts s1,
 * waits for s2 if asked, and exits holding it. */
static pid_t child_dies_holding(struct shm *s, int fd, int wait_s2)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct shm *v = fd >= 0 ? alias_map(fd, s) : s;
		alarm(tu_on_valgrind() ? 300 : 30);
		SU_CHECK(uthread_mutex_lock(&v->m) == 0);
		SU_CHECK(uthread_sem_post(&v->s1) == 0);
		if (wait_s2)
			SU_CHECK(uthread_sem_wait(&v->s2) == 0);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	int st = -1;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static struct shm *robust_shm(int *fd)
{
	struct shm *s = fd ? memfd_map(fd) : shm_map();

	init_mutex(&s->m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_ROBUST);
	assert_int_equal(uthread_sem_init(&s->s1, 1, 0), 0);
	assert_int_equal(uthread_sem_init(&s->s2, 1, 0), 0);
	return s;
}

static void a_process_that_dies_holding_a_robust_mutex_hands_over_eownerdead(void **state)
{
	struct shm *s = robust_shm(NULL);

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	reap(child_dies_holding(s, -1, 0));
	assert_int_equal(uthread_mutex_lock(&s->m), EOWNERDEAD);
	assert_int_equal(uthread_mutex_consistent(&s->m), 0);
	assert_int_equal(uthread_mutex_unlock(&s->m), 0);
	assert_int_equal(uthread_mutex_lock(&s->m), 0);
	assert_int_equal(uthread_mutex_unlock(&s->m), 0);
	assert_int_equal(uthread_mutex_destroy(&s->m), 0);
	shm_unmap(s);
}

static void *lock_answer(void *p)
{
	struct shm *s = p;
	int r = uthread_mutex_lock(&s->m);

	if (r == EOWNERDEAD) {
		(void)uthread_mutex_consistent(&s->m);
		(void)uthread_mutex_unlock(&s->m);
	}
	return (void *)(intptr_t)r;
}

/*
 * A thread of this process already sleeps on the mutex when the owning
 * process dies: the kernel's walk of the dead thread's robust list wakes
 * it (a shared wake), through the child's own mapping at another address.
 */
static void a_sleeper_is_woken_with_eownerdead_when_the_other_process_dies(void **state)
{
	int fd;
	struct shm *s = robust_shm(&fd);
	uthread_t t;
	void *r = NULL;

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	pid_t pid = child_dies_holding(s, fd, 1);
	assert_int_equal(uthread_sem_wait(&s->s1), 0);
	assert_int_equal(uthread_create(&t, NULL, lock_answer, s), 0);
	assert_int_equal(su_wait_futex_sleep(su_tid(t), 2000), 1);
	assert_int_equal(uthread_sem_post(&s->s2), 0);
	reap(pid);
	assert_int_equal(uthread_join(t, &r), 0);
	assert_int_equal((intptr_t)r, EOWNERDEAD);
	assert_int_equal(uthread_mutex_trylock(&s->m), 0);
	assert_int_equal(uthread_mutex_unlock(&s->m), 0);
	shm_unmap(s);
	close(fd);
}

/* EOWNERDEAD unlocked without consistent: unusable in the other process. */
static void not_recoverable_is_seen_by_the_other_process(void **state)
{
	struct shm *s = robust_shm(NULL);
	pid_t pid;

	(void)state;
	SKIP_UNDER_A_THREAD_CHECKER();
	reap(child_dies_holding(s, -1, 0));
	assert_int_equal(uthread_mutex_lock(&s->m), EOWNERDEAD);
	assert_int_equal(uthread_mutex_unlock(&s->m), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(uthread_mutex_lock(&s->m) == ENOTRECOVERABLE ? 0 : 1);
	reap(pid);
	assert_int_equal(uthread_mutex_lock(&s->m), ENOTRECOVERABLE);
	shm_unmap(s);
}

/* ------------------------------------------------------------------ */
/* Condition variables                                                  */
/* ------------------------------------------------------------------ */

/* Ping-pong: the parent's side moves on turn 0, the child's on turn 1. */
static int ping_pong(struct shm *s, int me)
{
	for (long i = 0; i < s->iters; i++) {
		if (uthread_mutex_lock(&s->m) != 0)
			return 1;
		while (s->turn != me)
			if (uthread_cond_wait(&s->c, &s->m) != 0)
				return 1;
		s->turn = !me;
		s->counter++;
		if (uthread_cond_signal(&s->c) != 0 || uthread_mutex_unlock(&s->m) != 0)
			return 1;
	}
	return 0;
}

static void cond_ping_pong(int type, int protocol, int alias)
{
	int fd = -1, st = -1;
	struct shm *s = alias ? memfd_map(&fd) : shm_map();
	pid_t pid;

	init_mutex(&s->m, type, protocol, UTHREAD_MUTEX_STALLED);
	init_cond(&s->c);
	s->iters = su_iters(4000, 100);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(tu_on_valgrind() ? 300 : 30);
		_exit(ping_pong(fd >= 0 ? alias_map(fd, s) : s, 1));
	}
	assert_int_equal(ping_pong(s, 0), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(s->counter, 2 * s->iters);
	assert_int_equal(uthread_cond_destroy(&s->c), 0);
	assert_int_equal(uthread_mutex_destroy(&s->m), 0);
	shm_unmap(s);
	if (fd >= 0)
		close(fd);
}

static void cond_ping_pong_across_fork_loses_no_signal(void **state)
{
	(void)state;
	cond_ping_pong(UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 0);
	cond_ping_pong(UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_INHERIT, 0);
	cond_ping_pong(UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, 1);
}

/* Broadcast waiters of both processes: each waits for go, counts itself. */
static void *wait_for_go(void *p)
{
	struct shm *s = p;

	if (uthread_mutex_lock(&s->m) != 0)
		return (void *)1;
	s->woken++; /* first: "I am in" (the waiter count, before go) */
	while (!s->go)
		if (uthread_cond_wait(&s->c, &s->m) != 0)
			return (void *)1;
	s->counter++;
	return uthread_mutex_unlock(&s->m) ? (void *)1 : NULL;
}

static void broadcast_wakes_the_waiters_of_both_processes(void **state)
{
	struct shm *s = shm_map();
	uthread_t t[THREADS];
	int st = -1, in;
	pid_t pid;

	(void)state;
	init_mutex(&s->m, UTHREAD_MUTEX_NORMAL, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_STALLED);
	init_cond(&s->c);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(tu_on_valgrind() ? 300 : 30);
		_exit(run_threads(wait_for_go, s));
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, wait_for_go, s), 0);
	/* Every waiter of both processes is in (it may still be on its way
	 * into the wait: the predicate covers that). */
	do {
		assert_int_equal(uthread_mutex_lock(&s->m), 0);
		in = s->woken;
		if (in == 2 * THREADS) {
			s->go = 1;
			assert_int_equal(uthread_cond_broadcast(&s->c), 0);
		}
		assert_int_equal(uthread_mutex_unlock(&s->m), 0);
		if (in < 2 * THREADS)
			usleep(1000);
	} while (in < 2 * THREADS);
	for (int i = 0; i < THREADS; i++) {
		void *r = (void *)1;
		assert_int_equal(uthread_join(t[i], &r), 0);
		assert_null(r);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(s->counter, 2 * THREADS);
	shm_unmap(s);
}

/* ------------------------------------------------------------------ */
/* Rwlocks, barriers, semaphores                                        */
/* ------------------------------------------------------------------ */

static void *read_mostly(void *p)
{
	struct shm *s = p;

	for (long i = 0; i < s->iters; i++) {
		if (i % 8 == 0) {
			if (uthread_rwlock_wrlock(&s->rw) != 0)
				return (void *)1;
			s->ra++;
			s->rb++;
		} else {
			if (uthread_rwlock_rdlock(&s->rw) != 0)
				return (void *)1;
			if (s->ra != s->rb) {
				(void)uthread_rwlock_unlock(&s->rw);
				return (void *)2;
			}
		}
		if (uthread_rwlock_unlock(&s->rw) != 0)
			return (void *)1;
	}
	return NULL;
}

static void rwlock_counts(int kind)
{
	struct shm *s = shm_map();
	uthread_rwlockattr_t a;

	assert_int_equal(uthread_rwlockattr_init(&a), 0);
	assert_int_equal(uthread_rwlockattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_rwlockattr_setkind_np(&a, kind), 0);
	assert_int_equal(uthread_rwlock_init(&s->rw, &a), 0);
	assert_int_equal(uthread_rwlockattr_destroy(&a), 0);
	s->iters = su_iters(16000, 160);
	assert_int_equal(both_sides(read_mostly, s, -1), 0);
	assert_int_equal(s->ra, 2 * THREADS * (s->iters / 8));
	assert_int_equal(s->rb, s->ra);
	assert_int_equal(uthread_rwlock_destroy(&s->rw), 0);
	shm_unmap(s);
}

static void rwlock_writes_are_exclusive_across_fork(void **state)
{
	(void)state;
	rwlock_counts(UTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	rwlock_counts(UTHREAD_RWLOCK_PREFER_READER_NP);
}

static void *barrier_rounds(void *p)
{
	struct shm *s = p;

	for (long i = 0; i < s->iters; i++) {
		__atomic_add_fetch(&s->arrivals, 1, __ATOMIC_RELAXED);
		int r = uthread_barrier_wait(&s->b);
		if (r == UTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&s->serials, 1, __ATOMIC_RELAXED);
		else if (r != 0)
			return (void *)1;
		/* All of round i have arrived; nobody is past round i + 1. */
		int n = __atomic_load_n(&s->arrivals, __ATOMIC_RELAXED);
		if (n < 2 * THREADS * (i + 1) || n > 2 * THREADS * (i + 2))
			return (void *)2;
	}
	return NULL;
}

static void barrier_rounds_across_fork_have_one_serial_thread_each(void **state)
{
	struct shm *s = shm_map();
	uthread_barrierattr_t a;

	(void)state;
	assert_int_equal(uthread_barrierattr_init(&a), 0);
	assert_int_equal(uthread_barrierattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_barrier_init(&s->b, &a, 2 * THREADS), 0);
	assert_int_equal(uthread_barrierattr_destroy(&a), 0);
	s->iters = su_iters(2000, 50);
	assert_int_equal(both_sides(barrier_rounds, s, -1), 0);
	assert_int_equal(s->serials, s->iters);
	assert_int_equal(s->arrivals, 2 * THREADS * s->iters);
	assert_int_equal(uthread_barrier_destroy(&s->b), 0);
	shm_unmap(s);
}

/* Semaphore hand-off: s1 parent -> child, s2 back; counts every round. */
static void semaphores_hand_off_across_fork(void **state)
{
	struct shm *s = shm_map();
	pid_t pid;

	(void)state;
	assert_int_equal(uthread_sem_init(&s->s1, 1, 0), 0);
	assert_int_equal(uthread_sem_init(&s->s2, 1, 0), 0);
	s->iters = su_iters(5000, 100);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(tu_on_valgrind() ? 300 : 30);
		for (long i = 0; i < s->iters; i++) {
			SU_CHECK(uthread_sem_wait(&s->s1) == 0);
			s->counter++;
			SU_CHECK(uthread_sem_post(&s->s2) == 0);
		}
		_exit(0);
	}
	for (long i = 0; i < s->iters; i++) {
		assert_int_equal(uthread_sem_post(&s->s1), 0);
		assert_int_equal(uthread_sem_wait(&s->s2), 0);
		assert_int_equal(s->counter, i + 1);
	}
	reap(pid);
	assert_int_equal(uthread_sem_destroy(&s->s1), 0);
	assert_int_equal(uthread_sem_destroy(&s->s2), 0);
	shm_unmap(s);
}

/* ------------------------------------------------------------------ */
/* Attributes and bad input                                             */
/* ------------------------------------------------------------------ */

static void mutexattr_pshared_is_set_read_and_checked(void **state)
{
	uthread_mutexattr_t a, dead;
	int v = -1;

	(void)state;
	memset(&dead, 0, sizeof dead);
	assert_int_equal(uthread_mutexattr_init(&a), 0);
	assert_int_equal(uthread_mutexattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_PRIVATE);
	assert_int_equal(uthread_mutexattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_mutexattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_SHARED);
	assert_int_equal(uthread_mutexattr_setpshared(&a, 2), EINVAL);
	assert_int_equal(uthread_mutexattr_setpshared(&a, -1), EINVAL);
	assert_int_equal(uthread_mutexattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_SHARED); /* unchanged by a refusal */
	assert_int_equal(uthread_mutexattr_setpshared(NULL, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_mutexattr_getpshared(NULL, &v), EINVAL);
	assert_int_equal(uthread_mutexattr_getpshared(&a, NULL), EINVAL);
	assert_int_equal(uthread_mutexattr_setpshared(&dead, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_mutexattr_getpshared(&dead, &v), EINVAL);
	assert_int_equal(uthread_mutexattr_destroy(&a), 0);
	assert_int_equal(uthread_mutexattr_setpshared(&a, UTHREAD_PROCESS_SHARED), EINVAL);
}

static void condattr_pshared_is_set_read_and_checked(void **state)
{
	uthread_condattr_t a, dead;
	int v = -1;

	(void)state;
	memset(&dead, 0, sizeof dead);
	assert_int_equal(uthread_condattr_init(&a), 0);
	assert_int_equal(uthread_condattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_PRIVATE);
	assert_int_equal(uthread_condattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_condattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_SHARED);
	assert_int_equal(uthread_condattr_setpshared(&a, 2), EINVAL);
	assert_int_equal(uthread_condattr_setpshared(&a, -1), EINVAL);
	assert_int_equal(uthread_condattr_setpshared(NULL, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_condattr_getpshared(NULL, &v), EINVAL);
	assert_int_equal(uthread_condattr_getpshared(&a, NULL), EINVAL);
	assert_int_equal(uthread_condattr_setpshared(&dead, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_condattr_getpshared(&dead, &v), EINVAL);
	assert_int_equal(uthread_condattr_destroy(&a), 0);
	assert_int_equal(uthread_condattr_getpshared(&a, &v), EINVAL);
}

static void rwlockattr_pshared_is_set_read_and_checked(void **state)
{
	uthread_rwlockattr_t a, dead;
	int v = -1;

	(void)state;
	memset(&dead, 0, sizeof dead);
	assert_int_equal(uthread_rwlockattr_init(&a), 0);
	assert_int_equal(uthread_rwlockattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_PRIVATE);
	assert_int_equal(uthread_rwlockattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_rwlockattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_SHARED);
	assert_int_equal(uthread_rwlockattr_setpshared(&a, 2), EINVAL);
	assert_int_equal(uthread_rwlockattr_setpshared(&a, -1), EINVAL);
	assert_int_equal(uthread_rwlockattr_setpshared(NULL, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_rwlockattr_getpshared(NULL, &v), EINVAL);
	assert_int_equal(uthread_rwlockattr_getpshared(&a, NULL), EINVAL);
	assert_int_equal(uthread_rwlockattr_setpshared(&dead, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_rwlockattr_getpshared(&dead, &v), EINVAL);
	assert_int_equal(uthread_rwlockattr_destroy(&a), 0);
	assert_int_equal(uthread_rwlockattr_getpshared(&a, &v), EINVAL);
}

static void barrierattr_pshared_is_set_read_and_checked(void **state)
{
	uthread_barrierattr_t a, dead;
	int v = -1;

	(void)state;
	memset(&dead, 0, sizeof dead);
	assert_int_equal(uthread_barrierattr_init(&a), 0);
	assert_int_equal(uthread_barrierattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_PRIVATE);
	assert_int_equal(uthread_barrierattr_setpshared(&a, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_barrierattr_getpshared(&a, &v), 0);
	assert_int_equal(v, UTHREAD_PROCESS_SHARED);
	assert_int_equal(uthread_barrierattr_setpshared(&a, 2), EINVAL);
	assert_int_equal(uthread_barrierattr_setpshared(&a, -1), EINVAL);
	assert_int_equal(uthread_barrierattr_setpshared(NULL, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_barrierattr_getpshared(NULL, &v), EINVAL);
	assert_int_equal(uthread_barrierattr_getpshared(&a, NULL), EINVAL);
	assert_int_equal(uthread_barrierattr_setpshared(&dead, UTHREAD_PROCESS_SHARED), EINVAL);
	assert_int_equal(uthread_barrierattr_getpshared(&dead, &v), EINVAL);
	assert_int_equal(uthread_barrierattr_destroy(&a), 0);
	assert_int_equal(uthread_barrierattr_getpshared(&a, &v), EINVAL);
}

/* A process-shared mutex is still a mutex in one process: the checks of
 * its type hold, and a private one still works after a shared one. */
static void a_shared_errorcheck_mutex_keeps_its_checks(void **state)
{
	struct shm *s = shm_map();

	(void)state;
	init_mutex(&s->m, UTHREAD_MUTEX_ERRORCHECK, UTHREAD_PRIO_NONE, UTHREAD_MUTEX_STALLED);
	assert_int_equal(uthread_mutex_unlock(&s->m), EPERM);
	assert_int_equal(uthread_mutex_lock(&s->m), 0);
	assert_int_equal(uthread_mutex_lock(&s->m), EDEADLK);
	assert_int_equal(uthread_mutex_trylock(&s->m), EBUSY);
	assert_int_equal(uthread_mutex_destroy(&s->m), EBUSY);
	assert_int_equal(uthread_mutex_unlock(&s->m), 0);
	assert_int_equal(uthread_mutex_destroy(&s->m), 0);
	assert_int_equal(uthread_mutex_lock(&s->m), EINVAL);
	shm_unmap(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mutexattr_pshared_is_set_read_and_checked),
		cmocka_unit_test(condattr_pshared_is_set_read_and_checked),
		cmocka_unit_test(rwlockattr_pshared_is_set_read_and_checked),
		cmocka_unit_test(barrierattr_pshared_is_set_read_and_checked),
		cmocka_unit_test(a_shared_errorcheck_mutex_keeps_its_checks),
		cmocka_unit_test(every_mutex_type_counts_exactly_across_fork),
		cmocka_unit_test(priority_inheritance_mutexes_count_exactly_across_fork),
		cmocka_unit_test(mutexes_work_at_two_addresses_of_the_same_memory),
		cmocka_unit_test(a_process_that_dies_holding_a_robust_mutex_hands_over_eownerdead),
		cmocka_unit_test(a_sleeper_is_woken_with_eownerdead_when_the_other_process_dies),
		cmocka_unit_test(not_recoverable_is_seen_by_the_other_process),
		cmocka_unit_test(cond_ping_pong_across_fork_loses_no_signal),
		cmocka_unit_test(broadcast_wakes_the_waiters_of_both_processes),
		cmocka_unit_test(rwlock_writes_are_exclusive_across_fork),
		cmocka_unit_test(barrier_rounds_across_fork_have_one_serial_thread_each),
		cmocka_unit_test(semaphores_hand_off_across_fork),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
