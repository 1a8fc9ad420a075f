/* SPDX-License-Identifier: MIT */
/* forkhook.h - see forkhook.c. */
#ifndef UTHREAD_TEST_FORKHOOK_H
#define UTHREAD_TEST_FORKHOOK_H

/* Run fn once, from the prepare handler of the next fork(). */
void forkhook_arm(void (*fn)(void));

#endif
