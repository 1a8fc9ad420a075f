/* SPDX-License-Identifier: MIT */
/*
 * libtlsdl.so / libtlslate.so: a dlopen'ed module with general-dynamic
 * __thread variables; its TLS block is allocated lazily, per thread, by
 * __tls_get_addr.  TLSDYN_INIT comes from the build (one per library).
 */
#include <string.h>

#include "tlslib.h"

#ifndef TLSDYN_INIT
#error "TLSDYN_INIT must be defined"
#endif

__thread int tlsdyn_var = TLSDYN_INIT;
__thread char tlsdyn_text[] = TLSLIB_TEXT;

int *tlsdyn_addr(void)
{
	return &tlsdyn_var;
}

int tlsdyn_get(void)
{
	return tlsdyn_var;
}

void tlsdyn_set(int v)
{
	tlsdyn_var = v;
	tlsdyn_text[0] = (char)v;
}

int tlsdyn_text_ok(void)
{
	return strcmp(tlsdyn_text, TLSLIB_TEXT) == 0;
}
