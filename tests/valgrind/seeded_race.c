/* SPDX-License-Identifier: MIT */
/*
 * seeded_race: a deliberate bug for helgrind and DRD to find.  Two uthreads
 * increment one counter with no lock.  If the tools stay silent here, the
 * library's annotations have blinded them.  Exit status is 0 whatever the
 * count: the verdict belongs to the tool.
 */
#include <stdio.h>

#include <uthread.h>

static long counter; /* the race: nothing protects it */

static void *bump(void *arg)
{
	for (int i = 0; i < 1000; i++)
		counter++;
	return arg;
}

int main(void)
{
	uthread_t a, b;

	if (uthread_create(&a, NULL, bump, NULL) || uthread_create(&b, NULL, bump, NULL) ||
	    uthread_join(a, NULL) || uthread_join(b, NULL))
		return 2;
	printf("counter %ld (2000 if no increment was lost)\n", counter);
	return 0;
}
