/* SPDX-License-Identifier: MIT */
/* cancel_nounwind.h - start routines without unwind tables (test_cancel). */
#ifndef CANCEL_NOUNWIND_H
#define CANCEL_NOUNWIND_H
/* Reads one byte from *(int *)arg; returns 1 if the read returns. */
void *nounwind_read(void *arg);
/* uthread_exit(arg). */
void *nounwind_exit(void *arg);
#endif
