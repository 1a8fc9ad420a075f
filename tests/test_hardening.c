/* SPDX-License-Identifier: MIT */
/*
 * test_hardening: the protections of a hardened program hold in every
 * uthread.  Its stack is never executable (this program's PT_GNU_STACK does
 * not ask for it); a PROT_NONE guard of the asked size lies below every
 * stack the library maps, and none with guard size 0 or a caller's stack;
 * the stack-protector canary and the pointer guard are the process's.
 *
 * Each thread records what it sees of itself (its mappings in
 * /proc/self/maps, its stack as glibc's pthread_getattr_np reports it from
 * the fields uthread fills, its TCB words); the main thread asserts, since
 * cmocka's asserts must not run on a uthread's stack.
 */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define TCB_STACK_GUARD   0x28 /* %fs:0x28, what -fstack-protector checks */
#define TCB_POINTER_GUARD 0x30 /* %fs:0x30, PTR_MANGLE's key (setjmp, atexit) */

struct seen {
	uintptr_t local;           /* address of a local variable: 0 if never ran */
	uintptr_t canary, ptr_guard;
	int local_rc;              /* the mapping holding the local */
	uintptr_t lo, hi;
	char perms[5];
	int tp_rc;                 /* the mapping holding the TCB (%fs:0) */
	uintptr_t tlo, thi;
	char tperms[5];
	int attr_rc;               /* pthread_getattr_np: the stack's lowest */
	uintptr_t addr;            /* usable byte, size and guard */
	size_t size, guard;
	int base_rc;               /* the mapping holding addr */
	uintptr_t blo, bhi;
	char bperms[5];
	int below_rc;              /* the mapping holding addr - 1 */
	uintptr_t glo, ghi;
	char gperms[5];
	uthread_sem_t *done;       /* posted once filled (detached threads) */
};

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static void *look(void *arg)
{
	struct seen *s = arg;
	volatile int local = 0;
	pthread_attr_t a;
	void *addr = NULL;

	s->local = (uintptr_t)&local;
	s->canary = tu_tcb_word(TCB_STACK_GUARD);
	s->ptr_guard = tu_tcb_word(TCB_POINTER_GUARD);
	s->local_rc = tu_find_map((const void *)s->local, &s->lo, &s->hi, s->perms);
	s->tp_rc = tu_find_map((const void *)tu_tcb_word(0), &s->tlo, &s->thi,
	                       s->tperms);
	s->attr_rc = pthread_getattr_np(pthread_self(), &a);
	if (s->attr_rc == 0) {
		pthread_attr_getstack(&a, &addr, &s->size);
		pthread_attr_getguardsize(&a, &s->guard);
		pthread_attr_destroy(&a);
		s->addr = (uintptr_t)addr;
		s->base_rc = tu_find_map(addr, &s->blo, &s->bhi, s->bperms);
		s->below_rc = tu_find_map((const char *)addr - 1, &s->glo, &s->ghi,
		                          s->gperms);
	}
	if (s->done)
		uthread_sem_post(s->done);
	return NULL;
}

/* look() in a uthread created with attr (NULL: the defaults), joined. */
static void run_look(const uthread_attr_t *attr, struct seen *s)
{
	uthread_t t;

	memset(s, 0, sizeof *s);
	assert_int_equal(uthread_create(&t, attr, look, s), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_not_equal(s->local, 0);
}

/* look() in a uthread created by another uthread. */
static void *nest(void *arg)
{
	uthread_t t;

	if (uthread_create(&t, NULL, look, arg) == 0)
		uthread_join(t, NULL);
	return NULL;
}

/*
 * The same look from threads made every way: defaults, detached, guard
 * size 0, on a caller's stack, created by a uthread, and on a block the
 * stack cache hands out again.
 */
enum { V_DEFAULT, V_DETACHED, V_NOGUARD, V_CALLERS, V_NESTED, V_REUSED, NV };
static const char *const vname[NV] = {
	"default", "detached", "guard size 0", "caller's stack", "nested", "reused block"
};
#define CALLERS_SIZE (256 * 1024)

static void run_every_way(struct seen s[NV], char *callers_mem)
{
	uthread_attr_t a;
	uthread_sem_t done;
	uthread_t t;

	run_look(NULL, &s[V_DEFAULT]);

	memset(&s[V_DETACHED], 0, sizeof s[V_DETACHED]);
	assert_int_equal(uthread_sem_init(&done, 0, 0), 0);
	s[V_DETACHED].done = &done;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_create(&t, &a, look, &s[V_DETACHED]), 0);
	assert_int_equal(uthread_sem_wait(&done), 0);
	/* The detached thread may still be on its way out: wait for it to end
	 * before the semaphore goes. */
	for (int i = 0; i < 5000 && uthread_kill(t, 0) == 0; i++)
		tu_sleep_ms(1);
	uthread_sem_destroy(&done);
	uthread_attr_destroy(&a);
	s[V_DETACHED].done = NULL;

	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, 0), 0);
	run_look(&a, &s[V_NOGUARD]);
	uthread_attr_destroy(&a);

	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstack(&a, callers_mem, CALLERS_SIZE), 0);
	run_look(&a, &s[V_CALLERS]);
	uthread_attr_destroy(&a);

	memset(&s[V_NESTED], 0, sizeof s[V_NESTED]);
	assert_int_equal(uthread_create(&t, NULL, nest, &s[V_NESTED]), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_not_equal(s[V_NESTED].local, 0);

	/* The first default thread's block went to the cache; this one
	 * (same size and guard) gets a cached block back. */
	run_look(NULL, &s[V_REUSED]);
}

static char *map_callers_stack(void)
{
	char *mem = mmap(NULL, CALLERS_SIZE, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(mem != MAP_FAILED);
	return mem;
}

/* ------------------------------------------------------------------ */
/* Stacks are not executable                                            */
/* ------------------------------------------------------------------ */

static void no_uthread_stack_or_thread_block_is_executable(void **state)
{
	char *mem = map_callers_stack();
	struct seen s[NV];

	(void)state;
	/*
	 * The premise: this program (and libuthread.so, whose PT_GNU_STACK
	 * would otherwise make glibc turn every stack executable at load)
	 * does not ask for an executable stack.  Under valgrind the main
	 * stack is valgrind's own mapping, so this is checked without it.
	 */
	if (!tu_on_valgrind()) {
		volatile int local = 0;
		uintptr_t lo, hi;
		char perms[5];

		assert_int_equal(tu_find_map((const void *)&local, &lo, &hi, perms), 0);
		assert_string_equal(perms, "rw-p");
	}
	run_every_way(s, mem);
	for (int i = 0; i < NV; i++) {
		print_message("%-14s stack %s, thread block %s\n", vname[i],
		              s[i].perms, s[i].tperms);
		assert_int_equal(s[i].local_rc, 0);
		assert_string_equal(s[i].perms, "rw-p");
		assert_int_equal(s[i].tp_rc, 0);
		assert_string_equal(s[i].tperms, "rw-p");
	}
	munmap(mem, CALLERS_SIZE);
}

/* ------------------------------------------------------------------ */
/* Guard pages                                                          */
/* ------------------------------------------------------------------ */

/*
 * Below the stack the library mapped: exactly guard bytes of PROT_NONE,
 * private memory.  The kernel's rw-p part of the block begins where glibc
 * (from uthread's record of its mapping) says the usable stack begins, and
 * the mapping right below it is the guard.  Should the kernel have merged
 * the guard with a neighbouring PROT_NONE mapping (old kernels can, with a
 * malloc arena's reserve), that mapping is larger; it never ends elsewhere.
 */
static void assert_guard(const struct seen *s, size_t guard)
{
	assert_int_equal(s->attr_rc, 0);
	assert_int_equal(s->guard, guard);
	assert_true(s->local >= s->addr && s->local < s->addr + s->size);
	assert_int_equal(s->base_rc, 0);
	assert_string_equal(s->bperms, "rw-p");
	assert_int_equal(s->blo, s->addr);
	assert_int_equal(s->below_rc, 0);
	assert_string_equal(s->gperms, "---p");
	assert_int_equal(s->ghi, s->addr);
	assert_true(s->glo <= s->addr - guard);
	if (s->glo != s->addr - guard)
		print_message("note: the guard [%#lx, %#lx) merged with a PROT_NONE "
		              "neighbour into [%#lx, %#lx)\n",
		              (unsigned long)(s->addr - guard), (unsigned long)s->addr,
		              (unsigned long)s->glo, (unsigned long)s->ghi);
}

/* No PROT_NONE page anywhere in the block: from its first byte up past the
 * local variable it is one rw-p mapping. */
static void assert_no_guard(const struct seen *s)
{
	assert_int_equal(s->attr_rc, 0);
	assert_int_equal(s->guard, 0);
	assert_true(s->local >= s->addr && s->local < s->addr + s->size);
	assert_int_equal(s->base_rc, 0);
	assert_string_equal(s->bperms, "rw-p");
	assert_int_equal(s->local_rc, 0);
	assert_int_equal(s->blo, s->lo);
	assert_int_equal(s->bhi, s->hi);
}

static void a_default_stack_has_one_prot_none_guard_page_below_it(void **state)
{
	struct seen s;

	(void)state;
	run_look(NULL, &s);
	assert_guard(&s, page());
}

static void the_guard_below_a_library_stack_is_as_large_as_the_attr_asks(void **state)
{
	/* Asked size, and what the thread gets: rounded up to whole pages. */
	const size_t ask[][2] = {
		{ 3 * page(), 3 * page() },
		{ 16 * page(), 16 * page() },
		{ page() + 1, 2 * page() },
	};
	uthread_attr_t a;
	struct seen s;
	size_t got;

	(void)state;
	for (size_t i = 0; i < sizeof ask / sizeof ask[0]; i++) {
		assert_int_equal(uthread_attr_init(&a), 0);
		assert_int_equal(uthread_attr_setstacksize(&a, 256 * 1024), 0);
		assert_int_equal(uthread_attr_setguardsize(&a, ask[i][0]), 0);
		assert_int_equal(uthread_attr_getguardsize(&a, &got), 0);
		assert_int_equal(got, ask[i][0]);
		run_look(&a, &s);
		assert_guard(&s, ask[i][1]);
		uthread_attr_destroy(&a);
	}
}

static void with_guard_size_0_a_library_stack_has_no_guard(void **state)
{
	uthread_attr_t a;
	struct seen s;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, 0), 0);
	run_look(&a, &s);
	assert_no_guard(&s);
	uthread_attr_destroy(&a);
}

/*
 * The stack cache is keyed by guard size too: a block a guardless thread
 * left behind never serves a thread that asked for a guard, and a cached
 * block keeps the guard it was mapped with.
 */
static void the_stack_cache_never_hands_out_a_block_with_another_guard(void **state)
{
	uthread_attr_t none, two;
	struct seen s;

	(void)state;
	assert_int_equal(uthread_attr_init(&none), 0);
	assert_int_equal(uthread_attr_setstacksize(&none, 128 * 1024), 0);
	assert_int_equal(uthread_attr_setguardsize(&none, 0), 0);
	assert_int_equal(uthread_attr_init(&two), 0);
	assert_int_equal(uthread_attr_setstacksize(&two, 128 * 1024), 0);
	assert_int_equal(uthread_attr_setguardsize(&two, 2 * page()), 0);
	for (int round = 0; round < 3; round++) {
		run_look(&none, &s);
		assert_no_guard(&s);
		run_look(&two, &s);
		assert_guard(&s, 2 * page());
	}
	uthread_attr_destroy(&none);
	uthread_attr_destroy(&two);
}

/* The library adds no guard to a caller's stack, whatever the attr says,
 * and leaves the caller's memory around it as the caller mapped it. */
static void a_callers_stack_gets_no_guard_and_its_memory_is_left_alone(void **state)
{
	const size_t below = 64 * 1024;
	char *mem = map_callers_stack();
	uthread_attr_t a;
	struct seen s;

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, 4 * page()), 0);
	assert_int_equal(uthread_attr_setstack(&a, mem + below, CALLERS_SIZE - below), 0);
	run_look(&a, &s);
	uthread_attr_destroy(&a);
	assert_true(s.local >= (uintptr_t)mem + below &&
	            s.local < (uintptr_t)mem + CALLERS_SIZE);
	assert_int_equal(s.local_rc, 0);
	assert_string_equal(s.perms, "rw-p");
	assert_true(s.lo <= (uintptr_t)mem);
	assert_true(s.hi >= (uintptr_t)mem + CALLERS_SIZE);
	assert_int_equal(s.attr_rc, 0);
	assert_int_equal(s.guard, 0);
	munmap(mem, CALLERS_SIZE);
}

/* A write just below the usable stack (what an overflow does first)
 * faults: the process dies of SIGSEGV instead of the thread scribbling
 * over whatever lies below. */
static void *write_below_the_stack(void *arg)
{
	pthread_attr_t a;
	void *addr = NULL;
	size_t size;

	(void)arg;
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		pthread_attr_getstack(&a, &addr, &size);
		pthread_attr_destroy(&a);
		*((volatile char *)addr - 1) = 1;
	}
	return NULL;
}

static int overrun_child(void *unused)
{
	const struct rlimit no_core = { 0, 0 };
	uthread_t t;

	(void)unused;
	setrlimit(RLIMIT_CORE, &no_core);
	signal(SIGSEGV, SIG_DFL); /* not cmocka's handler: die of the fault */
	if (uthread_create(&t, NULL, write_below_the_stack, NULL) ||
	    uthread_join(t, NULL))
		return 10;
	return 0; /* the write went through: no guard */
}

static void a_write_into_the_guard_page_kills_the_process_with_sigsegv(void **state)
{
	int st = tu_in_child(overrun_child, NULL);

	(void)state;
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
}

/* ------------------------------------------------------------------ */
/* Stack-protector canary and pointer guard                             */
/* ------------------------------------------------------------------ */

static void the_stack_canary_in_every_uthread_is_the_main_threads_and_nonzero(void **state)
{
	const uintptr_t canary = tu_tcb_word(TCB_STACK_GUARD);
	char *mem = map_callers_stack();
	struct seen s[NV];

	(void)state;
	assert_int_not_equal(canary, 0);
	run_every_way(s, mem);
	for (int i = 0; i < NV; i++) {
		if (s[i].canary != canary)
			print_error("%s: canary %#lx, main's %#lx\n", vname[i],
			            (unsigned long)s[i].canary, (unsigned long)canary);
		assert_int_equal(s[i].canary, canary);
	}
	munmap(mem, CALLERS_SIZE);
}

static void the_pointer_guard_in_every_uthread_is_the_main_threads_and_nonzero(void **state)
{
	const uintptr_t guard = tu_tcb_word(TCB_POINTER_GUARD);
	char *mem = map_callers_stack();
	struct seen s[NV];

	(void)state;
	assert_int_not_equal(guard, 0);
	run_every_way(s, mem);
	for (int i = 0; i < NV; i++) {
		if (s[i].ptr_guard != guard)
			print_error("%s: pointer guard %#lx, main's %#lx\n", vname[i],
			            (unsigned long)s[i].ptr_guard, (unsigned long)guard);
		assert_int_equal(s[i].ptr_guard, guard);
	}
	munmap(mem, CALLERS_SIZE);
}

/* In a fork child (whose main thread keeps the parent's guards). */
static int guards_after_fork_child(void *unused)
{
	struct seen s = {0};
	uthread_t t;

	(void)unused;
	if (uthread_create(&t, NULL, look, &s) || uthread_join(t, NULL))
		return 10;
	if (s.canary == 0 || s.canary != tu_tcb_word(TCB_STACK_GUARD))
		return 11;
	if (s.ptr_guard == 0 || s.ptr_guard != tu_tcb_word(TCB_POINTER_GUARD))
		return 12;
	return 0;
}

static void the_canary_and_pointer_guard_hold_in_uthreads_of_a_fork_child(void **state)
{
	struct seen warm;
	int st;

	(void)state;
	run_look(NULL, &warm); /* the child starts with a cached block */
	st = tu_in_child(guards_after_fork_child, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* Forked children first: under valgrind a child inherits, and
		 * reports, whatever the parent leaked before the fork. */
		cmocka_unit_test(a_write_into_the_guard_page_kills_the_process_with_sigsegv),
		cmocka_unit_test(the_canary_and_pointer_guard_hold_in_uthreads_of_a_fork_child),
		cmocka_unit_test(no_uthread_stack_or_thread_block_is_executable),
		cmocka_unit_test(a_default_stack_has_one_prot_none_guard_page_below_it),
		cmocka_unit_test(the_guard_below_a_library_stack_is_as_large_as_the_attr_asks),
		cmocka_unit_test(with_guard_size_0_a_library_stack_has_no_guard),
		cmocka_unit_test(the_stack_cache_never_hands_out_a_block_with_another_guard),
		cmocka_unit_test(a_callers_stack_gets_no_guard_and_its_memory_is_left_alone),
		cmocka_unit_test(the_stack_canary_in_every_uthread_is_the_main_threads_and_nonzero),
		cmocka_unit_test(the_pointer_guard_in_every_uthread_is_the_main_threads_and_nonzero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
