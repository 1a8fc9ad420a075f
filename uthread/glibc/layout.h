/* SPDX-License-Identifier: MIT */
/*
 * layout.h - private to uthread/glibc/: the facts about glibc's thread
 * machinery that probe.c observes at start-up and tcb.c uses to build and
 * take apart a thread block.  Nothing outside this folder includes it.
 */
#ifndef UTHREAD_GLIBC_LAYOUT_H
#define UTHREAD_GLIBC_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* tcbhead_t, the head of struct pthread on x86-64 (sysdeps/x86_64/nptl/tls.h). */
#define TCB_SELF0            0x00 /* tcb: points to itself */
#define TCB_DTV              0x08 /* dtv: one dtv_t past the dtv's start */
#define DTV_T_SIZE           16   /* sizeof(dtv_t): a {val, to_free} pair */
#define TCB_SELF             0x10 /* self: points to itself */
#define TCB_MULTIPLE_THREADS 0x18 /* int: malloc drops lock prefixes if 0 */
#define TCB_STACK_GUARD      0x28 /* stack-protector canary */
#define TCB_POINTER_GUARD    0x30 /* PTR_MANGLE key (atexit, setjmp) */
#define TCB_FEATURE_1        0x48 /* CET feature bits */

/* glibc 2.43's THREAD_STATE_JOINABLE (nptl/descr.h), the value probe.c
 * finds in a joinable thread's joinstate word. */
#define JOINSTATE_JOINABLE   2

/* glibc's pthread key bookkeeping (layout checked against the libthread_db
 * descriptors in probe.c). */
struct pthread_key_struct {
	uintptr_t seq;              /* odd: key in use */
	void (*destr)(void *);
};
struct pthread_key_data {
	uintptr_t seq;              /* the key's seq when data was set */
	void *data;
};
#define KEY_2NDLEVEL 32             /* PTHREAD_KEY_2NDLEVEL_SIZE */
#define KEY_1STLEVEL 32             /* PTHREAD_KEY_1STLEVEL_SIZE */
#define PTHREAD_KEY_ROUNDS 4        /* PTHREAD_DESTRUCTOR_ITERATIONS */

/* What probe.c found; read-only once uthread__ensure_init has returned 0. */
struct uthread__glibc_layout {
	void *(*allocate_tls)(void *mem);
	void (*deallocate_tls)(void *tcb, bool dealloc_tcb);
	void (*get_tls_static_info)(size_t *size, size_t *align);
	void (*call_tls_dtors)(void);
	size_t sizeof_pthread;
	size_t tid_off, list_off, robust_off;
	long robust_futex_offset;
	ptrdiff_t rseq_off;
	size_t tls_static_size, tls_static_align;
	ptrdiff_t libc_tls_off;         /* libc's TLS block, from tp */
	size_t libc_tls_size;
	int n_malloc_words;
	ptrdiff_t malloc_word_off[UTHREAD__MALLOC_WORDS]; /* from tp */
	size_t stackblock_off;          /* stackblock, _size, guardsize, reported */
	size_t strerror_buf_off, strsignal_buf_off; /* libc's per-thread buffers */
	size_t specific_off;            /* pthread key data: specific[32] */
	size_t getrandom_off;           /* vDSO getrandom state (2.41+), or 0 */
	size_t joinstate_off;           /* joinstate (2.43+), or 0 */
	size_t res_off;                 /* the thread's resolver state */
	size_t cleanup_jmp_buf_off;     /* where pthread_exit unwinds to */
	size_t result_off;              /* what pthread_exit stores */
	ptrdiff_t resp_off;             /* libc's __resp, in static TLS */
	const struct pthread_key_struct *pthread_keys; /* __pthread_keys[1024] */
	unsigned *nthreads;             /* __nptl_nthreads */
	void *stack_used, *stack_user;  /* ld.so's lists of thread blocks */
	int *stack_lock;                /* _dl_stack_cache_lock */
	uintptr_t *stack_in_flight;     /* _dl_in_flight_stack */
};
extern struct uthread__glibc_layout uthread__glibc UTHREAD__HIDDEN;

/* resolver.c: the calling thread's resolver state, its size, and closing
 * one (sockets, name-server addresses) if it was used. */
size_t uthread__res_size(void) UTHREAD__HIDDEN;
void *uthread__res_self(void) UTHREAD__HIDDEN;
void uthread__res_close(void *res) UTHREAD__HIDDEN;

#endif
