/* SPDX-License-Identifier: MIT */
/*
 * fork.c - keeping the library usable in the child of a fork() made while
 * other threads held its internal locks or were mid-exit.
 */
#include <pthread.h>

#include "internal.h"

static void child(void)
{
	uthread__glibc_atfork_child();
	uthread__registry_atfork_child();
	uthread__stack_atfork_child();
	uthread__execstack_atfork_child();
	uthread__live_atfork_child();
}

/*
 * Installed when the library is loaded, not at the first create: a process
 * that only called uthread_self() before fork() needs its cached tids
 * refreshed in the child too.
 */
__attribute__((__constructor__)) static void install(void)
{
	/* Fails only with ENOMEM; then a forked child may find a lock held. */
	(void)pthread_atfork(NULL, NULL, child);
}
