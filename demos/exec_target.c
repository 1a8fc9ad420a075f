/* SPDX-License-Identifier: MIT */
/*
 * uthread-exec-target: the program the demos exec.  No C library, no
 * dynamic loader, statically linked: starting it costs the kernel's exec
 * and nothing else, so "fork+exec" times process creation, not ld.so.
 *
 *   uthread-exec-target                    exit 0 at once
 *   uthread-exec-target observe FD DIR US  the sharing experiment of
 *        obs_child.h, reporting into the page mapped from descriptor FD
 *        (exit 0; 3 if the arguments are wrong, 4 if FD cannot be mapped)
 */
#include <sys/mman.h>

#include "obs_child.h"

/* The program's own variable: a different address space from the parent. */
static volatile int64_t target_var;

__attribute__((noreturn)) void target_main(long *sp);

/* The kernel enters here with argc at the stack pointer, then argv, NULL,
 * envp.  Clear the frame pointer (outermost frame), align the stack for a
 * C call, pass the original stack pointer. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start,@function\n"
        "_start:\n\t"
        "xor %ebp, %ebp\n\t"
        "mov %rsp, %rdi\n\t"
        "and $-16, %rsp\n\t"
        "call target_main\n\t"
        "hlt\n"
        ".size _start,.-_start");

static __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		obs_sys(SYS_exit_group, code, 0, 0, 0);
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

static long parse_long(const char *s, int *ok)
{
	long v = 0;
	*ok = *s != '\0';
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			*ok = 0;
			return 0;
		}
		v = v * 10 + (*s - '0');
	}
	return v;
}

void target_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	struct obs_record *r;
	long fd, usec;
	int ok1, ok2;

	if (argc == 1)
		sys_exit(0);
	if (argc != 5 || !streq(argv[1], "observe"))
		sys_exit(3);
	fd = parse_long(argv[2], &ok1);
	usec = parse_long(argv[4], &ok2);
	if (!ok1 || !ok2)
		sys_exit(3);
	r = (struct obs_record *)obs_sys6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
	                                  MAP_SHARED, fd, 0);
	if ((unsigned long)r > -4096UL)
		sys_exit(4);
	r->exec_first = obs_child_begin(r);
	obs_child_act(r, argv[3], usec, &target_var, 1);
	sys_exit(0);
}
