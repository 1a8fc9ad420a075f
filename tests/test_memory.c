/* SPDX-License-Identifier: MIT */
/*
 * test_memory.c - what threads cost and what they leave behind: many
 * create/join cycles and detached threads leave the heap and the mappings
 * flat, a stack overflow hits the guard, and running out of address space
 * makes create answer EAGAIN and recover.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define TIMEOUT_MS 10000

/* ------------------------------------------------------------ create/join */

static FILE *devnull;

/* Allocate a few sizes (tcache, small bins, > 1 KiB, large), format, and
 * hand one buffer back for the joiner to free. */
static void *busy_with_libc(void *arg)
{
	static const size_t sizes[] = { 24, 300, 1500, 9000, 70000 };
	uintptr_t i = (uintptr_t)arg;
	char *keep;

	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		char *p = malloc(sizes[k]);
		if (!p)
			return NULL;
		memset(p, (int)k, sizes[k]);
		free(p);
	}
	keep = malloc(96);
	if (!keep)
		return NULL;
	snprintf(keep, 96, "thread %lu of %s", (unsigned long)i, "the memory test");
	fputs(keep, devnull);
	fprintf(devnull, " %d %.3f %s\n", (int)i, (double)i / 7.0, keep);
	return keep;
}

static void a_hundred_thousand_create_join_cycles_leak_neither_heap_nor_mappings(void **state)
{
	const int warm = 200;
	const int cycles = tu_on_valgrind() ? 2000 : 100000;
	size_t heap0 = 0;
	int maps0 = -1;

	(void)state;
	devnull = fopen("/dev/null", "w");
	assert_non_null(devnull);
	for (int i = 0; i < warm + cycles; i++) {
		uthread_t t;
		void *ret = NULL;
		char want[32];

		if (i == warm) {
			heap0 = tu_heap_bytes();
			maps0 = tu_count_own_maps();
		}
		assert_int_equal(uthread_create(&t, NULL, busy_with_libc,
		                                (void *)(uintptr_t)i), 0);
		assert_int_equal(uthread_join(t, &ret), 0);
		assert_non_null(ret);
		snprintf(want, sizeof want, "thread %d of ", i);
		assert_memory_equal(ret, want, strlen(want));
		free(ret);
	}
	assert_int_equal(tu_count_own_maps(), maps0);
	assert_true(tu_heap_bytes() < heap0 + (1u << 20));
	assert_int_equal(fclose(devnull), 0);
}

/* ------------------------------------------------------------ detached */

static int wave_done;
static int wave_gate; /* nonzero: threads run straight through */

static void *detached_work(void *arg)
{
	volatile char buf[512];

	buf[0] = (char)(uintptr_t)arg;
	buf[511] = buf[0];
	tu_wait(&wave_gate, 1, -1);
	tu_add(&wave_done, 1);
	return NULL;
}

/* Run one wave of n detached threads and wait until all are gone. */
static void detached_wave(const uthread_attr_t *a, int n, int tasks0)
{
	int base = tu_get(&wave_done);
	long long end;

	for (int i = 0; i < n; i++) {
		uthread_t t;
		assert_int_equal(uthread_create(&t, a, detached_work,
		                                (void *)(uintptr_t)i), 0);
	}
	tu_set(&wave_gate, 1);
	assert_true(tu_wait(&wave_done, base + n, TIMEOUT_MS));
	assert_int_equal(tu_get(&wave_done), base + n);
	end = tu_deadline_ms(TIMEOUT_MS);
	/* The count says they ran; the task list says they left. */
	while (tu_count_tasks() != tasks0 && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(tu_count_tasks(), tasks0);
}

static void ten_thousand_detached_threads_leave_heap_and_mappings_flat(void **state)
{
	const int wave = 100;
	/*
	 * DRD (valgrind 3.19) never forgets a detached thread (it deletes
	 * only joined ones), and each one it keeps holds back the discarding
	 * of every thread's old segments: the thousandth costs far more than
	 * the first.  Two waves after the warm-up still run stacks through
	 * the cache and back.
	 */
	const int total = tu_on_drd() ? 2 * wave : tu_on_valgrind() ? 1000 : 10000;
	int tasks0 = tu_count_tasks(), maps0;
	size_t heap0;
	uthread_attr_t a;

	(void)state;
	tu_set(&wave_done, 0);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	/* Warm-up: a whole wave alive at once fills the stack cache. */
	tu_set(&wave_gate, 0);
	detached_wave(&a, wave, tasks0);
	maps0 = tu_count_own_maps();
	heap0 = tu_heap_bytes();
	for (int done = 0; done < total; done += wave)
		detached_wave(&a, wave, tasks0);
	assert_int_equal(tu_get(&wave_done), wave + total);
	assert_int_equal(tu_count_own_maps(), maps0);
	assert_true(tu_heap_bytes() < heap0 + (1u << 20));
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

/* ------------------------------------------------------------ overflow */

static volatile int keep_digging = 1;

/* Unbounded recursion: every frame writes its own bytes. */
static __attribute__((__noinline__)) unsigned dig(unsigned depth)
{
	volatile char frame[256];

	frame[0] = (char)depth;
	frame[sizeof frame - 1] = (char)depth;
	if (keep_digging)
		return dig(depth + 1) + (unsigned char)frame[0];
	return (unsigned char)frame[sizeof frame - 1];
}

static void *overflow(void *arg)
{
	(void)arg;
	return (void *)(uintptr_t)dig(0);
}

static int overflow_in_a_thread(void *arg)
{
	size_t stacksize = (size_t)(uintptr_t)arg;
	uthread_attr_t a;
	uthread_t t;

	/* The test harness's own handler must not run: the default action
	 * is the behaviour under test. */
	signal(SIGSEGV, SIG_DFL);
	if (uthread_attr_init(&a))
		return 2;
	if (stacksize && uthread_attr_setstacksize(&a, stacksize))
		return 3;
	if (uthread_create(&t, &a, overflow, NULL))
		return 4;
	uthread_join(t, NULL);
	return 5; /* the overflow went unnoticed */
}

static void a_stack_overflow_in_a_thread_kills_the_process_with_sigsegv(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(overflow_in_a_thread, NULL); /* default stack */
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	st = tu_in_child(overflow_in_a_thread, (void *)(uintptr_t)(64 * 1024));
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
}

/* ------------------------------------------------------------ out of memory */

#define OOM_MAX 1024

static uthread_t oom_threads[OOM_MAX];
static int oom_release;

static void *wait_for_release(void *arg)
{
	tu_wait(&oom_release, 1, -1);
	return arg;
}

/* VmSize of this process in bytes, or 0. */
static size_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return (size_t)kb * 1024;
}

/*
 * In a child: fill the stack cache, cap the address space a few stacks
 * above what is in use, create until create fails.  Exit codes name the
 * step that went wrong.
 */
static int run_out_of_address_space(void *arg)
{
	const int warm = 100;     /* more than the stack cache holds */
	/*
	 * Under valgrind the tool's own memory counts against the same limit,
	 * and grows as threads touch new stack pages; it must not run out
	 * before the library does ("Valgrind cannot continue", seen under
	 * helgrind).  There the threads take 64 MiB stacks and the limit
	 * leaves room for two and a half of them: the third create fails and
	 * half a stack of room stays for the tool.
	 */
	const size_t vg_stack = (size_t)64 << 20;
	const size_t room = tu_on_valgrind() ? 2 * vg_stack + vg_stack / 2 : (size_t)40 << 20;
	uthread_attr_t big, *attr = NULL;
	struct rlimit rl;
	int n = 0, r, maps0;
	uthread_t t;
	void *ret;

	(void)arg;
	if (tu_on_valgrind()) {
		if (uthread_attr_init(&big) || uthread_attr_setstacksize(&big, vg_stack))
			return 23;
		attr = &big;
	}
	tu_set(&oom_release, 0);
	for (int i = 0; i < warm; i++)
		if (uthread_create(&oom_threads[i], NULL, wait_for_release, NULL))
			return 10;
	tu_set(&oom_release, 1);
	for (int i = 0; i < warm; i++)
		if (uthread_join(oom_threads[i], NULL))
			return 11;
	maps0 = tu_count_own_maps();

	tu_set(&oom_release, 0);
	if (getrlimit(RLIMIT_AS, &rl))
		return 12;
	rl.rlim_cur = vm_size() + room;
	if (setrlimit(RLIMIT_AS, &rl))
		return 13;
	while (n < OOM_MAX &&
	       (r = uthread_create(&oom_threads[n], attr, wait_for_release,
	                           (void *)(uintptr_t)n)) == 0)
		n++;
	if (n == OOM_MAX)
		return 14; /* the limit never bit */
	if (r != EAGAIN)
		return 15;
	/* Failing again changes nothing. */
	if (uthread_create(&t, attr, wait_for_release, NULL) != EAGAIN)
		return 16;
	tu_set(&oom_release, 1);
	for (int i = 0; i < n; i++) {
		if (uthread_join(oom_threads[i], &ret))
			return 17;
		if (ret != (void *)(uintptr_t)i)
			return 18;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_AS, &rl))
		return 19;
	if (uthread_create(&t, NULL, wait_for_release, (void *)7) ||
	    uthread_join(t, &ret) || ret != (void *)7)
		return 20;
	if (tu_count_own_maps() != maps0)
		return 21;
	if (attr && uthread_attr_destroy(attr))
		return 24;
	return n > 0 ? 0 : 22; /* the cap left room for some threads */
}

static void create_answers_eagain_when_address_space_runs_out_and_recovers(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(run_out_of_address_space, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_hundred_thousand_create_join_cycles_leak_neither_heap_nor_mappings),
		cmocka_unit_test(ten_thousand_detached_threads_leave_heap_and_mappings_flat),
		cmocka_unit_test(a_stack_overflow_in_a_thread_kills_the_process_with_sigsegv),
		cmocka_unit_test(create_answers_eagain_when_address_space_runs_out_and_recovers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
