/* SPDX-License-Identifier: MIT */
/*
 * clone.S - the x86-64 raw clone trampoline.
 *
 * long uthread__clone(flags, stack_top, ptid, ctid, tls, fn, arg)
 *                     %rdi   %rsi       %rdx  %rcx  %r8  %r9 8(%rsp)
 * The kernel's clone takes (flags, newsp, ptid, ctid, tls) in
 * %rdi, %rsi, %rdx, %r10, %r8.  The child wakes up on the new stack with
 * every register as the parent had it, so fn and arg travel on that stack.
 */
	.text
	.globl	uthread__clone
	.hidden	uthread__clone
	.type	uthread__clone, @function
uthread__clone:
	.cfi_startproc
	mov	8(%rsp), %rax		/* rax = arg (7th argument, on our stack) */
	and	$-16, %rsi		/* the child's stack must be 16-byte aligned */
	sub	$16, %rsi		/* room for two words on the child's stack */
	mov	%rax, 8(%rsi)		/* child's stack: [sp+8] = arg */
	mov	%r9, 0(%rsi)		/* child's stack: [sp+0] = fn */
	mov	%rcx, %r10		/* 4th syscall argument lives in r10, not rcx */
	mov	$56, %eax		/* __NR_clone */
	syscall				/* parent: rax = tid or -errno; child: rax = 0 */
	test	%rax, %rax		/* which side are we on? */
	jz	1f			/* zero: we are the new thread */
	ret				/* parent: return the tid (or -errno) */
1:
	/* The child: the outermost frame, so debuggers stop unwinding here. */
	.cfi_undefined	%rip
	xor	%ebp, %ebp		/* no caller frame above us */
	pop	%rax			/* rax = fn; sp now points at arg */
	pop	%rdi			/* first argument = arg; sp is 16-aligned */
	call	*%rax			/* fn(arg): pushes a return address, as the ABI expects */
	hlt				/* fn never returns; crash loudly if it does */
	.cfi_endproc
	.size	uthread__clone, .-uthread__clone

	.section .note.GNU-stack,"",@progbits
