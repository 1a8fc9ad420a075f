/* SPDX-License-Identifier: MIT */
/*
 * test_execstack_dlopen: a program with a non-executable stack loads, with
 * dlopen, a module whose PT_GNU_STACK asks for an executable one.  Before
 * that, uthread stacks are rw-; after it, every new uthread's stack is rwx,
 * both a fresh one and one that comes back from the stack cache (mapped
 * rw- before the module came).  Exits 77 (skipped) if glibc refuses to load
 * such a module (2.41 and later do) or does not make the main stack
 * executable when it is loaded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

/* Set when the test skips: then the program exits 77 (automake's SKIP),
 * not 0 (PASS), since nothing was tested. */
static int skipped;

struct where {
	int rc;
	char perms[5];
};

static void *find_own_stack(void *arg)
{
	struct where *w = arg;
	volatile int local = 0;
	uintptr_t lo, hi;

	w->rc = tu_find_map((const void *)&local, &lo, &hi, w->perms);
	return NULL;
}

/* The permissions of the stack of a new uthread with the given size
 * (0: the default). */
static void stack_perms(size_t size, char perms[5])
{
	struct where w = { -1, "" };
	uthread_attr_t a;
	uthread_t t;

	assert_int_equal(uthread_attr_init(&a), 0);
	if (size)
		assert_int_equal(uthread_attr_setstacksize(&a, size), 0);
	assert_int_equal(uthread_create(&t, &a, find_own_stack, &w), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(w.rc, 0);
	memcpy(perms, w.perms, 5);
}

static void stacks_turn_executable_when_a_module_that_asks_is_loaded(void **state)
{
	char perms[5], main_perms[5];
	volatile int local = 0;
	uintptr_t lo, hi;
	void *h;

	(void)state;
	/* Before: not executable; this block goes to the stack cache. */
	stack_perms(0, perms);
	print_message("before dlopen: %s\n", perms);
	assert_string_equal(perms, "rw-p");

	h = dlopen(EXECSTACK_MOD_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		/* glibc 2.41 and later (0ca8785a28) refuse to make stacks
		 * executable for a dlopen'ed module. */
		print_message("SKIP: dlopen refused the module: %s\n", dlerror());
		skipped = 1;
		skip();
	}
	assert_int_equal(tu_find_map((const void *)&local, &lo, &hi, main_perms), 0);
	if (strcmp(main_perms, "rwxp") != 0) {
		print_message("SKIP: glibc left the main stack %s\n", main_perms);
		dlclose(h);
		skipped = 1;
		skip();
	}

	/* The cached block, made executable on its way out of the cache. */
	stack_perms(0, perms);
	print_message("after dlopen, from the cache: %s\n", perms);
	assert_string_equal(perms, "rwxp");
	/* A freshly mapped block. */
	stack_perms(256 * 1024, perms);
	print_message("after dlopen, fresh: %s\n", perms);
	assert_string_equal(perms, "rwxp");
	dlclose(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stacks_turn_executable_when_a_module_that_asks_is_loaded),
	};

	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed ? failed : skipped ? 77 : 0;
}
