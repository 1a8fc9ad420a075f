/* SPDX-License-Identifier: MIT */
/*
 * seeded_use_after_free: a deliberate bug for memcheck.  A uthread frees a
 * block; after joining it, main reads the block.  memcheck must report an
 * invalid read of freed memory (freed by another thread: the library must
 * not hide which thread freed it, or the read itself).  Exit status is 0:
 * the verdict is the tool's.
 */
#include <stdio.h>
#include <stdlib.h>

#include <uthread.h>

static void *free_it(void *p)
{
	free(p);
	return NULL;
}

int main(void)
{
	uthread_t t;
	volatile int *p = malloc(16 * sizeof *p);

	if (!p)
		return 2;
	p[3] = 42;
	if (uthread_create(&t, NULL, free_it, (void *)p) || uthread_join(t, NULL))
		return 2;
	printf("read after free: %d\n", p[3]); /* the bug */
	return 0;
}
