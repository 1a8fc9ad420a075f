/* SPDX-License-Identifier: MIT */
/*
 * seeded_leak: a deliberate bug for memcheck.  A uthread allocates a
 * block, drops the only pointer to it and returns.  memcheck must report
 * the block as definitely lost, with the uthread's allocation in its
 * stack trace; the library's own memory must not appear.  Exit status is 0:
 * the verdict is the tool's.
 */
#include <stdlib.h>
#include <string.h>

#include <uthread.h>

static void *leak_in_thread(void *arg)
{
	char *volatile p = malloc(4321);

	if (p)
		memset(p, 1, 4321);
	p = NULL; /* the bug: the only pointer is gone */
	return arg;
}

int main(void)
{
	uthread_t t;

	if (uthread_create(&t, NULL, leak_in_thread, NULL) || uthread_join(t, NULL))
		return 2;
	return 0;
}
