/* SPDX-License-Identifier: MIT */
/*
 * test_execstack: a program whose PT_GNU_STACK asks for an executable stack
 * (linked with -z execstack, as code with GCC nested-function trampolines
 * or old assembly is).  glibc then maps every pthread stack PROT_EXEC, so
 * such code works in its threads; uthread must do the same for its stacks
 * (uthread/execstack.c).  Exits 77 (skipped) where the kernel or glibc does
 * not honour the request in the first place.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

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

static void a_uthreads_stack_is_executable_when_pt_gnu_stack_asks_for_it(void **state)
{
	struct where w = { -1, "" };
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, find_own_stack, &w), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(w.rc, 0);
	print_message("uthread stack: %s (pthread stacks here: rwxp)\n", w.perms);
	assert_string_equal(w.perms, "rwxp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_uthreads_stack_is_executable_when_pt_gnu_stack_asks_for_it),
	};
	struct where w = { -1, "" };
	volatile int local = 0;
	uintptr_t lo, hi;
	pthread_t pt;

	/* The premise: the main stack and glibc's thread stacks are rwx. */
	if (tu_find_map((const void *)&local, &lo, &hi, w.perms) != 0 ||
	    strcmp(w.perms, "rwxp") != 0) {
		printf("SKIP: the main stack is %s, not rwxp\n", w.perms);
		return 77;
	}
	if (pthread_create(&pt, NULL, find_own_stack, &w) != 0 ||
	    pthread_join(pt, NULL) != 0 || w.rc != 0 ||
	    strcmp(w.perms, "rwxp") != 0) {
		printf("SKIP: glibc's thread stacks are %s, not rwxp\n", w.perms);
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
