/* SPDX-License-Identifier: MIT */
/*
 * tlslib.h - the helper libraries of test_tls: one __thread variable each,
 * with a nonzero initialiser, reached only through these accessors so the
 * library's own code generation (initial-exec or general-dynamic) is what
 * gets tested.
 */
#ifndef UTHREAD_TLSLIB_H
#define UTHREAD_TLSLIB_H

/* Initial values: distinct, so a thread reading another library's (or an
 * uninitialised) block is caught. */
#define TLSIE_INIT   0x1e1e1e1e
#define TLSGD_INIT   0x6d6d6d6d
#define TLSDL_INIT   0x0d10d10d
#define TLSLATE_INIT 0x1a7e1a7e

/* The text every library's __thread char array starts with. */
#define TLSLIB_TEXT "every thread starts with this text in its own TLS block"

/* libtlsie.so: linked into test_tls, variable in the initial-exec model. */
extern __thread int tlsie_var __attribute__((tls_model("initial-exec")));
int *tlsie_addr(void);
int tlsie_get(void);
void tlsie_set(int v);
int tlsie_text_ok(void);

/* libtlsgd.so: linked into test_tls, general-dynamic (default with -fPIC). */
int *tlsgd_addr(void);
int tlsgd_get(void);
void tlsgd_set(int v);
int tlsgd_text_ok(void);

/*
 * libtlsdl.so and libtlslate.so: one source (tlsdyn.c), dlopen'ed, looked
 * up with dlsym under these names.  TLSDYN_INIT is set per library.
 */
int *tlsdyn_addr(void);
int tlsdyn_get(void);
void tlsdyn_set(int v);
int tlsdyn_text_ok(void);

#endif
