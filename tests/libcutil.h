/* SPDX-License-Identifier: MIT */
/*
 * libcutil.h - helpers of the libc-in-a-uthread tests (test_stdio,
 * test_malloc, test_tls, test_misc, test_cxx), on top of testutil.h:
 * scaling loop counts down under valgrind, and a spin-wait on a counter.
 */
#ifndef UTHREAD_LIBCUTIL_H
#define UTHREAD_LIBCUTIL_H

#include <sched.h>

#include "testutil.h"

/* Loops run a tenth as long under valgrind. */
static inline int lu_scaled(int n)
{
	return tu_on_valgrind() ? n / 10 : n;
}

/* Wait until *counter reaches n (acquire: what was done before each
 * increment is visible afterwards).  Calls only sched_yield: it touches
 * neither errno nor any lock. */
static inline void lu_spin_until(unsigned *counter, unsigned n)
{
	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < n)
		sched_yield();
}

#endif
