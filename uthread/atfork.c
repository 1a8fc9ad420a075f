/* SPDX-License-Identifier: MIT */
/*
 * atfork.c - uthread_atfork: the program's fork handlers go on glibc's
 * own list (pthread_atfork), so that fork() runs them in whichever thread
 * forks, a uthread included, and in their place beside the library's own
 * (fork.c, namedsem.c), which were registered when it was loaded.
 */
#include <pthread.h>

#include "internal.h"

/*
 * Registered after the library's own handlers, so glibc runs the
 * program's prepare handlers before the library's (the library still
 * works in them) and its parent and child handlers after the library's
 * (a child handler finds the library reset for the child: it may create
 * threads).
 */
int uthread_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	/* 0 or ENOMEM, already as an error number. */
	return pthread_atfork(prepare, parent, child);
}
