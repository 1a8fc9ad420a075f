/* SPDX-License-Identifier: MIT */
/*
 * self.c - uthread_self() and uthread_equal().
 */
#include "internal.h"

uthread_t uthread_self(void)
{
	struct uthread *t = uthread__self();

	/* Only a foreign thread whose descriptor could not be mapped gets 0. */
	return t ? uthread__handle(t) : 0;
}

int uthread_equal(uthread_t t1, uthread_t t2)
{
	return t1 == t2;
}
