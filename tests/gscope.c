/* SPDX-License-Identifier: MIT */
/*
 * gscope.c - libgscope.so, a library test_books dlopens with RTLD_GLOBAL and
 * dlcloses, which makes glibc wait for every thread inside a lookup of
 * the dynamic linker's (THREAD_GSCOPE_WAIT).
 */
int gscope_answer(void);

int gscope_answer(void)
{
	return 42;
}
