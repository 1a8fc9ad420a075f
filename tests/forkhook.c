/* SPDX-License-Identifier: MIT */
/*
 * forkhook.c - test_fork's helper library: a fork prepare handler that runs
 * once, armed by the test, in the middle of another fork's handlers.
 * Linked after libuthread, it is initialised (and registers its handler)
 * before it, so glibc runs its prepare handler after libuthread's.
 */
#include <pthread.h>

#include "forkhook.h"

static void (*armed)(void);

void forkhook_arm(void (*fn)(void))
{
	armed = fn;
}

static void prepare(void)
{
	void (*fn)(void) = armed;

	armed = 0;
	if (fn)
		fn();
}

__attribute__((__constructor__)) static void install(void)
{
	(void)pthread_atfork(prepare, 0, 0);
}
