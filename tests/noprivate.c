/* SPDX-License-Identifier: MIT */
/*
 * noprivate.c - libnoprivate.so, for LD_PRELOAD in the tests: a glibc that
 * lacks one GLIBC_PRIVATE symbol uthread relies on (_dl_allocate_tls, or
 * the one named by UTHREAD_TEST_HIDE).  dlvsym answers NULL for it, so the
 * library's start-up check fails as it would on a glibc it does not
 * understand, and the demos can be seen to degrade honestly.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

void *dlvsym(void *handle, const char *name, const char *version)
{
	static void *(*real)(void *, const char *, const char *);
	const char *hide = getenv("UTHREAD_TEST_HIDE");

	if (!real)
		real = (void *(*)(void *, const char *, const char *))dlsym(RTLD_NEXT, "dlvsym");
	if (!real || strcmp(name, hide && *hide ? hide : "_dl_allocate_tls") == 0)
		return NULL;
	return real(handle, name, version);
}
