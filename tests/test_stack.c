/* SPDX-License-Identifier: MIT */
/*
 * test_stack: the stack cache.  Each test runs in a fresh forked child so
 * it starts from an empty cache, whatever ran before it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define CACHE_MAX 64 /* uthread/stack.c */
#define CACHE_HOT 8  /* uthread/stack.c: cached blocks that stay resident */

static void *where(void *arg)
{
	volatile int local = 0;
	*(volatile uintptr_t *)arg = (uintptr_t)&local;
	return NULL;
}

/* where(), then tell: for a detached thread, which no join orders. */
struct spot {
	uintptr_t local;
	int told;
};

static void *where_then_tell(void *arg)
{
	struct spot *s = arg;
	volatile int local = 0;

	s->local = (uintptr_t)&local;
	tu_set(&s->told, 1);
	return NULL;
}

/*
 * Regression: a detached thread on a caller's stack once parked that memory
 * in the stack cache, and the next thread asking for the same size and
 * guard ran on the caller's memory.
 */
static int callers_stack_child(void *unused)
{
	const size_t size = 64 * 1024;
	char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int base = tu_count_tasks();
	volatile uintptr_t local = 0;
	struct spot spot = { 0, 0 };
	uthread_attr_t a, same;
	uthread_t t;

	(void)unused;
	if (mem == MAP_FAILED || uthread_attr_init(&a) ||
	    uthread_attr_setstack(&a, mem, size) ||
	    uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED) ||
	    uthread_create(&t, &a, where_then_tell, &spot))
		return 10;
	if (!tu_wait(&spot.told, 1, 5000))
		return 15;
	for (int i = 0; i < 5000 && tu_count_tasks() > base; i++)
		tu_sleep_ms(1);
	if (spot.local < (uintptr_t)mem || spot.local >= (uintptr_t)mem + size)
		return 11; /* the detached thread did not run on the caller's stack */
	if (uthread_attr_init(&same) || uthread_attr_setstacksize(&same, size) ||
	    uthread_attr_setguardsize(&same, 0))
		return 12;
	for (int i = 0; i < 4; i++) {
		local = 0;
		if (uthread_create(&t, &same, where, (void *)&local) ||
		    uthread_join(t, NULL))
			return 13;
		if (local >= (uintptr_t)mem && local < (uintptr_t)mem + size)
			return 14; /* ran on the caller's memory */
	}
	return 0;
}

static void a_detached_thread_never_hands_the_callers_stack_to_later_threads(void **state)
{
	int st = tu_in_child(callers_stack_child, NULL);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Steady-state create+join reuses one block: no new mapping, same stack. */
static int reuse_child(void *unused)
{
	volatile uintptr_t first = 0, now = 0;
	uthread_t t;
	int maps;

	(void)unused;
	if (uthread_create(&t, NULL, where, (void *)&first) || uthread_join(t, NULL))
		return 10;
	maps = tu_count_own_maps();
	for (int i = 0; i < 1000; i++) {
		if (uthread_create(&t, NULL, where, (void *)&now) || uthread_join(t, NULL))
			return 11;
		if (now != first)
			return 12;
	}
	return tu_count_own_maps() == maps ? 0 : 13;
}

static void create_and_join_in_steady_state_reuse_one_cached_block(void **state)
{
	int st = tu_in_child(reuse_child, NULL);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* After many threads end at once, at most CACHE_MAX blocks stay mapped. */
static void *hold(void *arg)
{
	tu_wait(arg, 1, -1);
	return NULL;
}

static int burst(const uthread_attr_t *a, int n)
{
	static uthread_t t[3 * CACHE_MAX];
	int go = 0;

	for (int i = 0; i < n; i++)
		if (uthread_create(&t[i], a, hold, &go))
			return 11;
	tu_set(&go, 1);
	for (int i = 0; i < n; i++)
		if (uthread_join(t[i], NULL))
			return 12;
	return 0;
}

static int bounded_child(void *unused)
{
	const int n = 3 * CACHE_MAX;
	int before, after1, r;
	uthread_attr_t a;

	(void)unused;
	if (uthread_attr_init(&a) || uthread_attr_setstacksize(&a, 64 * 1024))
		return 10;
	/* The start-up check first: its pthread, arena and (glibc 2.41 and
	 * later) getrandom pages are not the cache's to count. */
	if (uthread_check_np(NULL, 0))
		return 15;
	before = tu_count_own_maps();
	if ((r = burst(&a, n)) != 0)
		return r;
	after1 = tu_count_own_maps();
	/*
	 * A block is two mappings (guard + the rest); allow a few others.
	 * Under valgrind, the tool maps state of its own for each thread it
	 * has seen, so only the next check applies there.
	 */
	if (!tu_on_valgrind() && after1 > before + 2 * CACHE_MAX + 4)
		return 13;
	/* A second burst of the same size leaves no more behind. */
	if ((r = burst(&a, n)) != 0)
		return r;
	return tu_count_own_maps() <= after1 ? 0 : 14;
}

static void the_cache_keeps_at_most_its_bound_after_a_burst_of_threads(void **state)
{
	int st = tu_in_child(bounded_child, NULL);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * Regression: a cached block kept every stack page its last thread had
 * touched, so a burst of threads left all their stacks resident until the
 * blocks were reused (glibc gives them back with MADV_DONTNEED).  Now only
 * the first CACHE_HOT blocks in the cache keep theirs.  Each thread below
 * touches TOUCH bytes deep in its stack and says where; once all have
 * ended, mincore() tells which of those pages are still resident.
 */
#define TRIM_THREADS 32
#define TOUCH (128 * 1024)

struct toucher {
	uintptr_t deep;      /* an address in the touched region */
	int *go;
	int *ready;          /* counts the threads that have touched */
};

__attribute__((noinline)) static void touch_deep(struct toucher *t)
{
	volatile char buf[TOUCH];

	for (size_t i = 0; i < sizeof buf; i += 512)
		buf[i] = (char)i;
	t->deep = (uintptr_t)&buf[1024];
}

static void *toucher(void *arg)
{
	struct toucher *t = arg;

	touch_deep(t);
	tu_add(t->ready, 1);
	tu_wait(t->go, 1, -1);
	return NULL;
}

static int page_resident(uintptr_t addr)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	unsigned char v = 0;

	if (mincore((void *)(addr & ~(ps - 1)), ps, &v) != 0)
		return -1; /* unmapped: not resident either, but not expected */
	return v & 1;
}

static int trim_child(void *arg)
{
	const int detached = arg != NULL;
	static struct toucher t[TRIM_THREADS], again[TRIM_THREADS];
	uthread_t h[TRIM_THREADS];
	pid_t tid[TRIM_THREADS];
	uthread_attr_t a;
	static int gos[TRIM_THREADS];
	int go = 0, ready = 0, resident = 0;

	if (uthread_attr_init(&a) || uthread_attr_setstacksize(&a, 2 * TOUCH))
		return 10;
	for (int i = 0; i < TRIM_THREADS; i++) {
		t[i].go = &gos[i];
		t[i].ready = &ready;
		if (uthread_create(&h[i], &a, toucher, &t[i]) ||
		    uthread_gettid(h[i], &tid[i]))
			return 11;
	}
	for (int i = 0; i < TRIM_THREADS; i++)
		if (detached && uthread_detach(h[i]))
			return 12;
	if (!tu_wait(&ready, TRIM_THREADS, 5000))
		return 19;
	/* One at a time, each gone before the next ends: every one of them
	 * sees the cache length its predecessors left. */
	for (int i = 0; i < TRIM_THREADS; i++) {
		long long end = tu_deadline_ms(5000);

		tu_set(&gos[i], 1);
		if (!detached && uthread_join(h[i], NULL))
			return 13;
		while (detached && tu_task_exists(tid[i]))
			if (tu_now_ms() > end)
				return 14;
	}
	for (int i = 0; i < TRIM_THREADS; i++) {
		int r = page_resident(t[i].deep);

		if (r < 0)
			return 15;
		resident += r;
	}
	print_message("%s: %d of %d ended threads' stacks still resident\n",
	              detached ? "detached" : "joined", resident, TRIM_THREADS);
	/* The hot few at most (fewer if the cache held blocks already). */
	if (resident > CACHE_HOT)
		return 16;
	/* The trimmed blocks work as stacks again (zero pages, faulted in).
	 * Fresh records: no join orders the detached threads' last reads of
	 * the first ones before new writes, as helgrind and DRD would say. */
	for (int i = 0; i < TRIM_THREADS; i++) {
		again[i].go = &go;
		again[i].ready = &ready;
		if (uthread_create(&h[i], &a, toucher, &again[i]))
			return 17;
	}
	tu_set(&go, 1);
	for (int i = 0; i < TRIM_THREADS; i++)
		if (uthread_join(h[i], NULL) || !again[i].deep)
			return 18;
	return 0;
}

static void a_burst_of_joined_threads_leaves_only_the_hot_few_stacks_resident(void **state)
{
	int st = tu_in_child(trim_child, NULL);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void a_burst_of_detached_threads_leaves_only_the_hot_few_stacks_resident(void **state)
{
	int st = tu_in_child(trim_child, (void *)1);

	(void)state;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * Regression: a detached thread that ended on another stack (uthread_exit
 * from a handler on a sigaltstack mapped above its block) trimmed from its
 * block's stack all the way up to that stack: the TLS, the TCB, the block
 * header and every mapping in between were zeroed.  The canary mapping is
 * made after the alternate stack and before the blocks, so with the usual
 * top-down placement it lies in between; the creates that follow would
 * also fault on zeroed block headers.
 */
#define ALT_SIZE (256 * 1024)
#define CANARY_SIZE (64 * 1024)

static char *alt_mem;

static void exit_from_handler(int sig)
{
	(void)sig;
	uthread_exit(NULL);
}

static void *end_on_the_altstack(void *arg)
{
	stack_t ss = { .ss_sp = alt_mem, .ss_flags = 0, .ss_size = ALT_SIZE };

	tu_wait(arg, 1, -1); /* until the creator has our tid */
	if (sigaltstack(&ss, NULL) == 0)
		uthread_kill(uthread_self(), SIGUSR1);
	return NULL; /* not reached: the handler ends the thread */
}

static int altstack_child(void *unused)
{
	struct sigaction sa;
	uthread_attr_t a;
	uthread_t t[2 * CACHE_HOT];
	pid_t tid;
	unsigned char *canary;
	int go = 0;

	(void)unused;
	alt_mem = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	canary = mmap(NULL, CANARY_SIZE, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt_mem == MAP_FAILED || canary == MAP_FAILED)
		return 10;
	memset(canary, 0xa5, CANARY_SIZE);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = exit_from_handler;
	sa.sa_flags = SA_ONSTACK;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 11;
	/* More than CACHE_HOT cached blocks, so the ending thread trims. */
	if (uthread_attr_init(&a) || uthread_attr_setstacksize(&a, 64 * 1024))
		return 12;
	for (int i = 0; i < 2 * CACHE_HOT; i++)
		if (uthread_create(&t[i], &a, hold, &go))
			return 13;
	tu_set(&go, 1);
	for (int i = 0; i < 2 * CACHE_HOT; i++)
		if (uthread_join(t[i], NULL))
			return 14;
	tu_set(&go, 0);
	if (uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED) ||
	    uthread_create(&t[0], &a, end_on_the_altstack, &go) ||
	    uthread_gettid(t[0], &tid))
		return 15;
	tu_set(&go, 1);
	for (long long end = tu_deadline_ms(5000); tu_task_exists(tid);)
		if (tu_now_ms() > end)
			return 16;
	for (size_t i = 0; i < CANARY_SIZE; i++)
		if (canary[i] != 0xa5)
			return 17; /* zeroed by the ending thread's trim */
	/* The cached blocks (headers, TLS) are intact: they still run threads. */
	if (uthread_attr_setdetachstate(&a, UTHREAD_CREATE_JOINABLE))
		return 18;
	tu_set(&go, 0);
	for (int i = 0; i < 2 * CACHE_HOT; i++)
		if (uthread_create(&t[i], &a, hold, &go))
			return 19;
	tu_set(&go, 1);
	for (int i = 0; i < 2 * CACHE_HOT; i++)
		if (uthread_join(t[i], NULL))
			return 20;
	return 0;
}

static void a_thread_ending_on_an_alternate_signal_stack_trims_nothing_outside_its_stack(void **state)
{
	int st = tu_in_child(altstack_child, NULL);

	(void)state;
	assert_false(WIFSIGNALED(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* How far below the thread pointer (pthread_self() is the TCB address in
 * a uthread too) the thread's first frame sits. */
static void *depth_below_tp(void *arg)
{
	volatile char local = 0;

	*(long *)arg = (long)((char *)pthread_self() - (const char *)&local);
	return NULL;
}

/*
 * Regression: the block reserved glibc's struct pthread twice, once above
 * the thread pointer and once more inside the static TLS size below it,
 * so every uthread's stack started 2,368 bytes lower than a pthread's (and
 * an idle thread touched a page more).  The same function's frame must sit
 * as far under the thread pointer in both, up to alignment.
 */
static void the_stack_starts_right_under_the_static_tls_as_in_a_pthread(void **state)
{
	long in_pthread = 0, in_uthread = 0;
	pthread_t p;
	uthread_t u;

	(void)state;
	assert_int_equal(pthread_create(&p, NULL, depth_below_tp, &in_pthread), 0);
	assert_int_equal(pthread_join(p, NULL), 0);
	assert_int_equal(uthread_create(&u, NULL, depth_below_tp, &in_uthread), 0);
	assert_int_equal(uthread_join(u, NULL), 0);
	print_message("first frame below the thread pointer: pthread %ld, uthread %ld bytes\n",
	              in_pthread, in_uthread);
	assert_true(in_uthread > 0 && in_pthread > 0);
	assert_true(labs(in_uthread - in_pthread) < 256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_detached_thread_never_hands_the_callers_stack_to_later_threads),
		cmocka_unit_test(create_and_join_in_steady_state_reuse_one_cached_block),
		cmocka_unit_test(the_cache_keeps_at_most_its_bound_after_a_burst_of_threads),
		cmocka_unit_test(the_stack_starts_right_under_the_static_tls_as_in_a_pthread),
		cmocka_unit_test(a_burst_of_joined_threads_leaves_only_the_hot_few_stacks_resident),
		cmocka_unit_test(a_burst_of_detached_threads_leaves_only_the_hot_few_stacks_resident),
		cmocka_unit_test(a_thread_ending_on_an_alternate_signal_stack_trims_nothing_outside_its_stack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
