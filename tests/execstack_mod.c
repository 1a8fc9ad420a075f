/* SPDX-License-Identifier: MIT */
/*
 * execstack_mod: a module linked with -z execstack, as code with nested-
 * function trampolines is.  Loading it with dlopen makes glibc turn every
 * thread stack executable; test_execstack_dlopen checks uthread follows.
 */
int execstack_mod_answer(void);

int execstack_mod_answer(void)
{
	return 42;
}
