/* SPDX-License-Identifier: MIT */
/*
 * libcutil.h - helpers of the libc-in-a-uthread tests (test_stdio,
 * test_malloc, test_tls, test_misc, test_cxx), on top of testutil.h:
 * scaling loop counts down under valgrind.
 */
#ifndef UTHREAD_LIBCUTIL_H
#define UTHREAD_LIBCUTIL_H

#include "testutil.h"

/* Loops run a tenth as long under valgrind. */
static inline int lu_scaled(int n)
{
	return tu_on_valgrind() ? n / 10 : n;
}

#endif
