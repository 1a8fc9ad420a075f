/* SPDX-License-Identifier: MIT */
/*
 * unmap_and_exit.S - a detached thread frees its own stack and ends.
 *
 * void uthread__unmap_and_exit(void *base, size_t len)   %rdi, %rsi
 * Once munmap returns, the stack we are running on is gone: from there on
 * only registers may be used, so the exit call follows immediately.  The
 * caller has already blocked signals (no handler can run on the dead stack)
 * and dropped the kernel's clear-tid pointer (it pointed into this memory).
 */
	.text
	.globl	uthread__unmap_and_exit
	.hidden	uthread__unmap_and_exit
	.type	uthread__unmap_and_exit, @function
uthread__unmap_and_exit:
	.cfi_startproc
	mov	$11, %eax		/* __NR_munmap(rdi = base, rsi = len) */
	syscall				/* the stack is gone after this */
	xor	%edi, %edi		/* exit status 0 (ignored for a thread) */
	mov	$60, %eax		/* __NR_exit: this thread only, not exit_group */
	syscall				/* does not return */
	hlt				/* unreachable */
	.cfi_endproc
	.size	uthread__unmap_and_exit, .-uthread__unmap_and_exit

	.section .note.GNU-stack,"",@progbits
