/* SPDX-License-Identifier: MIT */
/*
 * tcb.c - glibc's thread block in a uthread: built before the clone, entered
 * by the new thread, left and taken apart at its end, with what probe.c
 * observed.  It never guesses a layout: every offset comes from probe.c.
 */
#include <dlfcn.h>
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "layout.h"

#define g uthread__glibc

/*
 * The static TLS below the thread pointer.  On x86-64 (TLS_TCB_AT_TP)
 * glibc's static TLS size counts struct pthread too, which sits above the
 * thread pointer (span_above): without subtracting it, every block kept
 * sizeof(struct pthread) bytes (2,368 here) that nothing ever used.
 */
size_t uthread__tcb_span_below(void)
{
	size_t below = g.tls_static_size - g.sizeof_pthread; /* init checked > */

	return (below + g.tls_static_align - 1) & ~(g.tls_static_align - 1);
}

size_t uthread__tcb_span_above(void)
{
	return (g.sizeof_pthread + 63) & ~(size_t)63;
}

size_t uthread__tcb_align(void)
{
	return g.tls_static_align;
}

int *uthread__tcb_tid(char *tp)
{
	return (int *)(tp + g.tid_off);
}

/*
 * Build a complete libc thread block at tp, in the creating thread, before
 * the clone: the child starts with nothing left half-made but its locale
 * pointers (uthread__tcb_enter).  Returns EAGAIN if the dtv cannot be
 * allocated.
 */
int uthread__tcb_build(struct uthread__block *b, struct uthread *t)
{
	char *me = uthread__arch_tp(), *tp = b->tp;

	/* _dl_allocate_tls writes the dtv into the TCB and expects the rest
	 * zeroed; a reused block holds its last thread's values. */
	memset(tp, 0, g.sizeof_pthread);
	if (!g.allocate_tls(tp))
		return EAGAIN;
	b->dtv_block = *(char **)(tp + TCB_DTV) - DTV_T_SIZE;
	*(char **)(tp + TCB_SELF0) = tp;
	*(char **)(tp + TCB_SELF) = tp;
	*(int *)(tp + TCB_MULTIPLE_THREADS) = 1;
	/* The canary and pointer guard are per process: copy ours, or the
	 * stack protector is off and PTR_DEMANGLE (atexit, setjmp) breaks. */
	*(uintptr_t *)(tp + TCB_STACK_GUARD) = *(uintptr_t *)(me + TCB_STACK_GUARD);
	*(uintptr_t *)(tp + TCB_POINTER_GUARD) = *(uintptr_t *)(me + TCB_POINTER_GUARD);
	*(uint32_t *)(tp + TCB_FEATURE_1) = *(uint32_t *)(me + TCB_FEATURE_1);
	/* fork() in the child unlinks the forking thread from glibc's list. */
	char **node = (char **)(tp + g.list_off);
	node[0] = node[1] = (char *)node;
	/* An empty robust list, registered by the child itself. */
	char **head = (char **)(tp + g.robust_off);
	head[-1] = (char *)head; /* robust_prev: the head's "prev" slot */
	head[0] = (char *)head;
	head[1] = (char *)g.robust_futex_offset;
	head[2] = NULL;
	/* pthread keys < 32 live in specific_1stblock, reached via specific[0]. */
	struct pthread_key_data **spec = (struct pthread_key_data **)(tp + g.specific_off);
	spec[0] = (struct pthread_key_data *)spec - KEY_2NDLEVEL;
	/* The stack as pthread_getattr_np reports it (glibc's own layout:
	 * the whole mapping, guard at the bottom). */
	uintptr_t *sb = (uintptr_t *)(tp + g.stackblock_off);
	sb[0] = (uintptr_t)b->map_base;
	sb[1] = b->map_size ? b->map_size : b->stack_size;
	sb[2] = sb[3] = b->guard_size;
	/* rseq is not registered (a system call per thread); cpu_id -1 makes
	 * sched_getcpu() ask the vDSO instead of reading a stale 0.  The
	 * area is in struct pthread or, from glibc 2.41, in the static TLS
	 * below tp, which _dl_allocate_tls does not touch. */
	*(uint32_t *)(tp + g.rseq_off + 4) = (uint32_t)-1;
	/* Hand on the malloc state a previous thread left with this slot.
	 * A slot with none (0) leaves the word as _dl_allocate_tls set it
	 * from libc's TLS image: 0, or glibc 2.43's tcache dummy. */
	for (int i = 0; i < g.n_malloc_words; i++) {
		if (t->malloc_state[i])
			*(uintptr_t *)(tp + g.malloc_word_off[i]) = t->malloc_state[i];
		t->malloc_state[i] = 0;
	}
	if (g.getrandom_off) {
		*(uintptr_t *)(tp + g.getrandom_off) = t->getrandom_state;
		t->getrandom_state = 0;
	}
	/* Its own resolver state (_res), as glibc's start_thread sets. */
	*(char **)(tp + g.resp_off) = tp + g.res_off;
	/* glibc 2.43: a live thread's join state is not EXITED (0), or
	 * pthread_getschedparam and its kin answer ESRCH. */
	if (g.joinstate_off)
		*(uint32_t *)(tp + g.joinstate_off) = JOINSTATE_JOINABLE;
	/*
	 * The child's thread-local state that a signal handler may use before
	 * start() has run (signals are not blocked across the clone, see
	 * create.c): the same static TLS offsets as ours.  Its descriptor
	 * pointer; and the ctype table pointers (isalpha, toupper...), which
	 * glibc's own threads get from __ctype_init at start: ours for the
	 * first instructions, until start() selects the global locale.
	 * __ctype_*_loc are public (the <ctype.h> macros call them).
	 */
	*(struct uthread **)(tp + ((char *)&uthread__self_desc - me)) = t;
	*(const void **)(tp + ((char *)__ctype_b_loc() - me)) = *__ctype_b_loc();
	*(const void **)(tp + ((char *)__ctype_toupper_loc() - me)) = *__ctype_toupper_loc();
	*(const void **)(tp + ((char *)__ctype_tolower_loc() - me)) = *__ctype_tolower_loc();
	return 0;
}

/*
 * Take back what tcb_build gave out, once the thread at tp can no longer
 * run (joined) or from the thread itself on its way out (detached): keep its
 * malloc state with the slot t, free its dtv and dynamic TLS blocks.
 */
void uthread__tcb_release(char *tp, struct uthread *t)
{
	free(*(void **)(tp + g.strerror_buf_off));
	free(*(void **)(tp + g.strsignal_buf_off));
	g.deallocate_tls(tp, false);
	/* Last: in a detached thread the frees above run on its own malloc
	 * state, and may be what creates its tcache. */
	for (int i = 0; i < g.n_malloc_words; i++)
		t->malloc_state[i] = *(uintptr_t *)(tp + g.malloc_word_off[i]);
	/* Bit 0 marks the state in use: set if the thread left in the
	 * middle of a getrandom (uthread_exit from a signal handler). */
	if (g.getrandom_off)
		t->getrandom_state = *(uintptr_t *)(tp + g.getrandom_off) & ~(uintptr_t)1;
}

/* Run glibc's pthread key destructors as its thread exit does: rounds
 * while destructors set values again, then free the second-level blocks. */
static void pthread_keys_leave(char *tp)
{
	struct pthread_key_data **spec = (struct pthread_key_data **)(tp + g.specific_off);
	bool *used = (bool *)(spec + KEY_1STLEVEL);

	for (int round = 0; *used && round < PTHREAD_KEY_ROUNDS; round++) {
		*used = false;
		for (int i = 0; i < KEY_1STLEVEL; i++) {
			struct pthread_key_data *l2 = spec[i];
			if (!l2)
				continue;
			for (int j = 0; j < KEY_2NDLEVEL; j++) {
				const struct pthread_key_struct *k = &g.pthread_keys[i * KEY_2NDLEVEL + j];
				void *data = l2[j].data;
				if (!data)
					continue;
				l2[j].data = NULL;
				/* Relaxed: key_create/delete race with exiting
				 * threads in glibc too; a stale seq skips. */
				uintptr_t seq = __atomic_load_n(&k->seq, __ATOMIC_RELAXED);
				void (*destr)(void *) = __atomic_load_n(&k->destr, __ATOMIC_RELAXED);
				if (l2[j].seq == seq && destr)
					destr(data);
			}
		}
	}
	for (int i = 1; i < KEY_1STLEVEL; i++) {
		free(spec[i]);
		spec[i] = NULL;
	}
}

/* In the new thread, before its signals are unblocked. */
void uthread__tcb_enter(void)
{
	/* Points this thread's ctype tables at the global locale (printf %f,
	 * isalpha, NSS read them), through public API. */
	uselocale(LC_GLOBAL_LOCALE);
	syscall(SYS_set_robust_list, uthread__arch_tp() + g.robust_off,
	        3 * sizeof(void *));
}

/*
 * In the ending thread, what glibc's own thread exit does: C++ thread_local
 * and __cxa_thread_atexit destructors, then pthread key destructors; and
 * libc's dlerror state, released through dlerror() itself (the first call
 * hands out a pending message, the second frees it), and its resolver
 * state.
 */
void uthread__tcb_leave(void)
{
	g.call_tls_dtors();
	pthread_keys_leave(uthread__arch_tp());
	(void)dlerror();
	(void)dlerror();
	uthread__res_close(uthread__arch_tp() + g.res_off);
}

/*
 * The calling thread's robust-list head, glibc's own in struct pthread
 * (every thread has one: main, pthreads, uthreads), as the kernel reads
 * it: { list, futex_offset, list_op_pending }.  Init must have run.
 */
void **uthread__robust_head(void)
{
	return (void **)(uthread__arch_tp() + g.robust_off);
}

/* Where, from a list entry, the kernel finds the futex word. */
long uthread__robust_futex_offset(void)
{
	return g.robust_futex_offset;
}

/* A robust mutex may still be on this thread's list (or half-way on):
 * the kernel must see the list at exit to mark those mutexes owner-dead. */
int uthread__tcb_holds_robust(char *tp)
{
	char **head = (char **)(tp + g.robust_off);
	return head[0] != (char *)head || head[2] != NULL;
}

/*
 * A thread about to unmap its own block: the kernel must not write the tid
 * word or walk the robust list in memory that is gone.
 */
void uthread__tcb_forget_kernel_links(void)
{
	syscall(SYS_set_tid_address, NULL);
	syscall(SYS_set_robust_list, NULL, 3 * sizeof(void *));
}

/*
 * glibc's count of the process's threads, which counts uthreads too (from
 * their creation to their end), so that, as for glibc's own threads, the
 * last thread to end, whichever kind, ends the process with exit(0):
 * atexit handlers run and stdio is flushed.  seq_cst, as glibc's own
 * increment and decrement-and-test: whoever takes the count to 0 must see
 * every other thread's decrement.
 */
void uthread__tcb_count_thread(void)
{
	__atomic_fetch_add(g.nthreads, 1, __ATOMIC_SEQ_CST);
}

/* 1 if the calling thread, ending, was the process's last. */
int uthread__tcb_uncount_thread(void)
{
	return __atomic_sub_fetch(g.nthreads, 1, __ATOMIC_SEQ_CST) == 0;
}

/*
 * glibc's pthread_exit in a uthread: it unwinds the stack to the jump
 * buffer the thread's cleanup_jmp_buf names, running cleanup handlers and
 * C++ destructors on the way, as for its own threads.  The calling thread
 * names buf (a __pthread_unwind_buf_t its start frame set up); once
 * unwound there, the value pthread_exit was given is tcb_exit_value().
 */
void uthread__tcb_set_unwind_buf(void *buf)
{
	*(void **)(uthread__arch_tp() + g.cleanup_jmp_buf_off) = buf;
}

void *uthread__tcb_exit_value(void)
{
	return *(void **)(uthread__arch_tp() + g.result_off);
}
