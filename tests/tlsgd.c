/* SPDX-License-Identifier: MIT */
/*
 * libtlsgd.so: __thread variables in the default model of PIC code, which
 * is general-dynamic: every access goes through __tls_get_addr and the
 * thread's dtv.
 */
#include <string.h>

#include "tlslib.h"

__thread int tlsgd_var = TLSGD_INIT;
__thread char tlsgd_text[] = TLSLIB_TEXT;

int *tlsgd_addr(void)
{
	return &tlsgd_var;
}

int tlsgd_get(void)
{
	return tlsgd_var;
}

void tlsgd_set(int v)
{
	tlsgd_var = v;
	tlsgd_text[0] = (char)v;
}

int tlsgd_text_ok(void)
{
	return strcmp(tlsgd_text, TLSLIB_TEXT) == 0;
}
