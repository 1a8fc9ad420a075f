/* SPDX-License-Identifier: MIT */
/*
 * gscopelazy.c - libgscopelazy.so, which uthread-stress's dlclose-lookup
 * scenario dlopens (RTLD_LAZY) in uthreads: its function's first call of
 * getpid goes through the PLT, a lazy binding, a lookup of the dynamic
 * linker's in the global scope that another thread's dlclose must wait
 * for.
 */
#include <unistd.h>

int gscope_lazy(void);

int gscope_lazy(void)
{
	return getpid() > 0 ? 42 : 0;
}
