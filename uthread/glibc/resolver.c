/* SPDX-License-Identifier: MIT */
/*
 * resolver.c - the little of <resolv.h> the glibc layer needs: the calling
 * thread's resolver state and its size, and closing one on a thread's way
 * out.  A file of its own: <resolv.h>'s p_type macro would rename the ELF
 * program header's field that probe.c reads.
 */
#include <resolv.h>

#include "layout.h"

size_t uthread__res_size(void)
{
	return sizeof(struct __res_state);
}

/* __res_state(), which _res expands to: __resp, this thread's state. */
void *uthread__res_self(void)
{
	return __res_state();
}

/* What glibc's thread exit does for the resolver state res, if the thread
 * used it: close its sockets, free its name-server addresses. */
void uthread__res_close(void *res)
{
	struct __res_state *r = res;

	if (r->nscount > 0)
		res_nclose(r);
}
