/* SPDX-License-Identifier: MIT */
/*
 * fork.c - keeping the library usable in the child of a fork() made while
 * other threads held its internal locks or were mid-exit.
 */
#include <pthread.h>

#include "internal.h"

void uthread__atfork_install(void) UTHREAD__HIDDEN;

static void child(void)
{
	uthread__registry_atfork_child();
	uthread__stack_atfork_child();
	uthread__live_atfork_child();
}

static void install(void)
{
	/* Fails only with ENOMEM; then a forked child may find a lock held. */
	(void)pthread_atfork(NULL, NULL, child);
}

void uthread__atfork_install(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, install);
}
