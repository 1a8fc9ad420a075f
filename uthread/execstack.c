/* SPDX-License-Identifier: MIT */
/*
 * execstack.c - whether thread stacks must be executable.  The answer is
 * glibc's: yes as soon as any loaded object's PT_GNU_STACK header has PF_X
 * (code with GCC nested-function trampolines, old hand-written assembly,
 * anything linked with -z execstack), or an object has no PT_GNU_STACK at
 * all (the ELF default on x86-64 is an executable stack).  Otherwise stacks
 * are PROT_READ | PROT_WRITE only.
 *
 * Objects come and go with dlopen/dlclose, so the answer is recomputed
 * whenever dl_iterate_phdr's count of loads (dlpi_adds) has moved; in the
 * steady state a create pays for one callback that stops at the first
 * object.  Like glibc, once executable, stacks stay executable.
 */
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "internal.h"
#include "annotate.h"

static unsigned long long scanned_adds; /* dlpi_adds of the last full scan; atomic */
static int exec_needed;                 /* 1 once some object asked; atomic */

struct scan {
	int full;                /* 0: only read dlpi_adds and stop */
	unsigned long long adds;
	uintptr_t vdso;          /* the vDSO's ELF header: not a real object */
	int exec;
};

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan *s = arg;
	int has_gnu_stack = 0;

	(void)size;
	s->adds = info->dlpi_adds;
	if (!s->full)
		return 1; /* the count is all we came for */
	if ((uintptr_t)info->dlpi_phdr >= s->vdso &&
	    (uintptr_t)info->dlpi_phdr < s->vdso + 4096)
		return 0;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_GNU_STACK)
			continue;
		has_gnu_stack = 1;
		if (info->dlpi_phdr[i].p_flags & PF_X)
			s->exec = 1;
	}
	if (!has_gnu_stack)
		s->exec = 1;
	return 0;
}

int uthread__stack_prot(void)
{
	struct scan s = { 0, 0, 0, 0 };

	/* Plain atomics: these words race by design (see below). */
	UTHREAD__IGNORE(&exec_needed, sizeof exec_needed);
	UTHREAD__IGNORE(&scanned_adds, sizeof scanned_adds);
	/* Relaxed: only ever goes from 0 to 1, and a stale 0 costs a scan. */
	if (__atomic_load_n(&exec_needed, __ATOMIC_RELAXED))
		return PROT_READ | PROT_WRITE | PROT_EXEC;
	uthread__iterate_phdr(visit, &s);
	/*
	 * No lock here: a create may come from inside a dl_iterate_phdr
	 * callback, holding glibc's loader lock, and a lock held across our
	 * own dl_iterate_phdr would then deadlock (helgrind reported the
	 * order).  Concurrent scans are harmless: exec_needed only goes up,
	 * and a scan that stores an older count only causes another scan.
	 * Acquire pairs with the release below: seeing a count as scanned,
	 * we see what that scan found.
	 */
	if (s.adds != __atomic_load_n(&scanned_adds, __ATOMIC_ACQUIRE)) {
		s.full = 1;
		s.vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
		uthread__iterate_phdr(visit, &s);
		if (s.exec)
			__atomic_store_n(&exec_needed, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&scanned_adds, s.adds, __ATOMIC_RELEASE);
	}
	return __atomic_load_n(&exec_needed, __ATOMIC_RELAXED)
	               ? PROT_READ | PROT_WRITE | PROT_EXEC
	               : PROT_READ | PROT_WRITE;
}
