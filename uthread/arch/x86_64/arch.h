/* SPDX-License-Identifier: MIT */
/*
 * arch.h - x86-64 details the portable code needs: how to read the thread
 * pointer, how to wait politely in a spin, and the prototypes of the two assembly routines in this folder.
 * Nothing here may depend on glibc's private layout (that is glibc.c's job).
 */
#ifndef UTHREAD_ARCH_X86_64_H
#define UTHREAD_ARCH_X86_64_H

#include <stddef.h>

/* The thread pointer: %fs base, which also holds its own value at %fs:0. */
static inline char *uthread__arch_tp(void)
{
	char *tp;
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

/* One spin-wait step: `pause` tells the core we are spinning (it yields
 * the pipeline to the sibling hyper-thread and avoids a memory-order flush
 * on exit from the loop).  About 18 ns on this machine's Xeon. */
static inline void uthread__arch_pause(void)
{
	__builtin_ia32_pause();
}

/*
 * Raw clone(2): the child starts on stack_top with %fs = tls and calls
 * fn(arg); fn must never return (it ends with the exit system call).
 * Returns the child's tid in the parent, or -errno.
 */
long uthread__clone(unsigned long flags, void *stack_top, int *ptid,
                    int *ctid, void *tls, void (*fn)(void *), void *arg);

/*
 * munmap(base, len) then exit(0), without touching the stack in between:
 * the stack being unmapped is the caller's own.  Never returns.
 */
__attribute__((__noreturn__))
void uthread__unmap_and_exit(void *base, size_t len);

#endif
