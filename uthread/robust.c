/* SPDX-License-Identifier: MIT */
/*
 * robust.c - robust mutexes (UTHREAD_MUTEX_ROBUST): what happens to a
 * mutex whose owner ends holding it.  The kernel does the work: the lock
 * word holds the owner's tid, and the mutex sits on its owner's robust
 * list while held; when a thread ends, the kernel walks that list, sets
 * FUTEX_OWNER_DIED in each word still naming it, and wakes a waiter.  The
 * next locker takes the mutex and answers EOWNERDEAD.
 *
 * A thread has one list, and glibc registered it (uthreads too: see
 * glibc.c), so uthread's mutexes join glibc's list in glibc's own format:
 * doubly linked through entries that point at the second word of a
 * { prev, next } pair, next pointers carrying bit 0 for PI mutexes.  That
 * pair is __list here, at the offset glibc's pthread_mutex_t has it, so
 * the kernel's single futex_offset fits both.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stddef.h>

#include "mutex.h"
#include "futex.h"
#include "annotate.h"

/* The entry for m: what list pointers and list_op_pending point at. */
static void **entry(uthread_mutex_t *m)
{
	return &m->__list[1];
}

/* An entry pointer from a list word (bit 0 marks a PI mutex). */
static void **untag(void *p)
{
	return (void **)((uintptr_t)p & ~(uintptr_t)1);
}

/*
 * list_op_pending covers the moment m is locked but not yet on the list
 * (or off it but not yet unlocked): if we die there, the kernel looks at
 * that one mutex too.  The signal fences keep the compiler from moving
 * list stores across it; the kernel reads the list only after this thread
 * has stopped, so no CPU fence is needed.
 */
static void pending(void **head, void *e)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	head[2] = e;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

static void enqueue(void **head, uthread_mutex_t *m)
{
	void **e = entry(m), *first = head[0];

	/* The links are the kernel's view, ordered by the lock word like it;
	 * helgrind and DRD would see them written outside the lock. */
	UTHREAD__IGNORE(m->__list, sizeof m->__list);
	untag(first)[-1] = e;       /* first's prev (the head's is glibc's robust_prev) */
	m->__list[1] = first;       /* our next */
	m->__list[0] = (void *)head; /* our prev: the head, as an entry */
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* complete before it is reachable */
	head[0] = e;
}

static void dequeue(uthread_mutex_t *m)
{
	void *next = m->__list[1], *prev = m->__list[0];

	UTHREAD__IGNORE(m->__list, sizeof m->__list); /* as in enqueue */
	untag(next)[-1] = prev;
	untag(prev)[0] = next;
	__atomic_signal_fence(__ATOMIC_SEQ_CST); /* unreachable before cleared */
	m->__list[0] = m->__list[1] = NULL;
}

/* 0 if this process can have robust mutexes, else why not. */
int uthread__robust_supported(void)
{
	int r = uthread__ensure_init(); /* finds the list head and its offset */

	if (r)
		return r;
	/* The kernel's one futex_offset (glibc's) must fit our layout too. */
	if (uthread__robust_futex_offset() !=
	    (long)offsetof(uthread_mutex_t, __lock) - (long)offsetof(uthread_mutex_t, __list[1]))
		return ENOTSUP;
	return 0;
}

/*
 * Lock: 0, EOWNERDEAD (locked), ENOTRECOVERABLE, EBUSY (try), ETIMEDOUT.
 * The caller has answered a relock by the owner, but for a normal mutex:
 * that one finds its own tid in the word and sleeps until abstime, a
 * deadlock as POSIX says.
 */
int uthread__robust_lock(uthread_mutex_t *m, pid_t tid, clockid_t clockid,
                         const struct timespec *abstime, int try)
{
	void **head = uthread__robust_head();
	uint32_t v, waiters = 0;
	int r = 0, dead = 0;

	/* Relaxed: a stale state only delays the answer to the check below. */
	if (__atomic_load_n(&m->__owner, __ATOMIC_RELAXED) == UTHREAD__MUTEX_NOTRECOVERABLE)
		return ENOTRECOVERABLE;
	pending(head, entry(m));
	v = __atomic_load_n(&m->__lock, __ATOMIC_RELAXED);
	for (;;) {
		if (v == 0 || (v & FUTEX_OWNER_DIED)) {
			/*
			 * Free, or its owner died (the kernel left OWNER_DIED and
			 * kept WAITERS).  Take it, keeping FUTEX_WAITERS when others
			 * may sleep: those the kernel or an unlock did not wake, and
			 * after our own sleep, any that queued behind us.  Acquire:
			 * the previous owner's writes are ours.
			 */
			uint32_t n = (uint32_t)tid | (v & FUTEX_WAITERS) | waiters;
			if (__atomic_compare_exchange_n(&m->__lock, &v, n, 0,
			                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
				dead = (v & FUTEX_OWNER_DIED) != 0;
				break;
			}
			continue;
		}
		if (try) {
			r = EBUSY;
			break;
		}
		/* Held: say someone sleeps (the unlock then wakes), and sleep.
		 * Relaxed: the kernel compares the word again. */
		if (!(v & FUTEX_WAITERS) &&
		    !__atomic_compare_exchange_n(&m->__lock, &v, v | FUTEX_WAITERS, 0,
		                                 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;
		/* Shared (not private): the kernel's wake at an owner's death
		 * is a shared one, and would miss a private sleeper. */
		r = uthread__futex_wait(&m->__lock, v | FUTEX_WAITERS, 0, clockid,
		                        abstime);
		if (r == ETIMEDOUT)
			break;
		r = 0; /* woken, EAGAIN or EINTR: look again */
		waiters = FUTEX_WAITERS;
		v = __atomic_load_n(&m->__lock, __ATOMIC_RELAXED);
	}
	if (r) {
		pending(head, NULL);
		return r;
	}
	enqueue(head, m);
	pending(head, NULL);
	/* Relaxed: the acquire above ordered the unlocker's store of it. */
	int state = __atomic_load_n(&m->__owner, __ATOMIC_RELAXED);
	if (state == UTHREAD__MUTEX_NOTRECOVERABLE) {
		/* Made unusable while we waited: pass it on, answer that. */
		uthread__robust_unlock(m);
		return ENOTRECOVERABLE;
	}
	if (dead || state == UTHREAD__MUTEX_INCONSISTENT) {
		/* Also when the EOWNERDEAD owner died in its turn. */
		__atomic_store_n(&m->__owner, UTHREAD__MUTEX_INCONSISTENT, __ATOMIC_RELAXED);
		return EOWNERDEAD;
	}
	return 0;
}

/* Unlock (the caller checked we own it).  Unlocking it still inconsistent
 * makes it not recoverable, and wakes every waiter to be told so. */
void uthread__robust_unlock(uthread_mutex_t *m)
{
	void **head = uthread__robust_head();
	int all = 0;
	uint32_t v;

	if (__atomic_load_n(&m->__owner, __ATOMIC_RELAXED) == UTHREAD__MUTEX_INCONSISTENT) {
		/* Relaxed: published by the release exchange below. */
		__atomic_store_n(&m->__owner, UTHREAD__MUTEX_NOTRECOVERABLE, __ATOMIC_RELAXED);
		all = 1;
	}
	pending(head, entry(m));
	dequeue(m);
	/* Release: our writes reach the next owner.  After this only the
	 * word's address is used (the wake), as m may be freed. */
	v = __atomic_exchange_n(&m->__lock, 0, __ATOMIC_RELEASE);
	if (all || (v & FUTEX_WAITERS))
		uthread__futex_wake(&m->__lock, all ? INT_MAX : 1, 0); /* shared, as the wait */
	/* Only now: dying before the wake, with m pending and its word 0,
	 * the kernel wakes a waiter for us. */
	pending(head, NULL);
}

int uthread_mutex_consistent(uthread_mutex_t *m)
{
	if (!m || !uthread__mutex_kind_valid(m->__kind) ||
	    !(m->__kind & UTHREAD__MUTEX_ROBUST) ||
	    (pid_t)(__atomic_load_n(&m->__lock, __ATOMIC_RELAXED) & FUTEX_TID_MASK) !=
	            uthread__tid() ||
	    __atomic_load_n(&m->__owner, __ATOMIC_RELAXED) != UTHREAD__MUTEX_INCONSISTENT)
		return EINVAL;
	/* Relaxed: only the owner reads it before its release, and the
	 * owner is us. */
	__atomic_store_n(&m->__owner, 0, __ATOMIC_RELAXED);
	return 0;
}
