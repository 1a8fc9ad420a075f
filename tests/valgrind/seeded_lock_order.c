/* SPDX-License-Identifier: MIT */
/*
 * seeded_lock_order: a deliberate bug for helgrind.  One uthread takes
 * mutex a then b, a second one (started after the first has finished, so
 * the program never actually deadlocks) takes b then a.  Two threads that
 * did this at the same time could deadlock; helgrind must report the
 * inconsistent lock order.  Exit status is 0: the verdict is the tool's.
 */
#include <uthread.h>

static uthread_mutex_t a = UTHREAD_MUTEX_INITIALIZER;
static uthread_mutex_t b = UTHREAD_MUTEX_INITIALIZER;

static void *a_then_b(void *arg)
{
	uthread_mutex_lock(&a);
	uthread_mutex_lock(&b);
	uthread_mutex_unlock(&b);
	uthread_mutex_unlock(&a);
	return arg;
}

static void *b_then_a(void *arg)
{
	uthread_mutex_lock(&b);
	uthread_mutex_lock(&a); /* the inversion */
	uthread_mutex_unlock(&a);
	uthread_mutex_unlock(&b);
	return arg;
}

int main(void)
{
	uthread_t t;

	if (uthread_create(&t, NULL, a_then_b, NULL) || uthread_join(t, NULL) ||
	    uthread_create(&t, NULL, b_then_a, NULL) || uthread_join(t, NULL))
		return 2;
	return 0;
}
