/* SPDX-License-Identifier: MIT */
/* libtlsie.so: a __thread variable accessed in the initial-exec model. */
#include <string.h>

#include "tlslib.h"

__thread int tlsie_var __attribute__((tls_model("initial-exec"))) = TLSIE_INIT;
static __thread char tlsie_text[] __attribute__((tls_model("initial-exec"))) =
	TLSLIB_TEXT;

int *tlsie_addr(void)
{
	return &tlsie_var;
}

int tlsie_get(void)
{
	return tlsie_var;
}

void tlsie_set(int v)
{
	tlsie_var = v;
	tlsie_text[0] = (char)v; /* dirty the block for the next thread */
}

int tlsie_text_ok(void)
{
	return strcmp(tlsie_text, TLSLIB_TEXT) == 0;
}
