/* SPDX-License-Identifier: MIT */
/*
 * books.c - glibc's books of its threads: the lists of thread blocks in use
 * in ld.so's _rtld_global (_dl_stack_used for stacks glibc allocated,
 * _dl_stack_user for the others), under _dl_stack_cache_lock.  glibc walks
 * them to wait for threads in a dynamic-linker lookup before dlclose frees
 * a scope (THREAD_GSCOPE_WAIT), to make set*id() reach every thread, to
 * initialise a dlopen'ed module's static TLS in every thread, and, in a
 * fork child, to take back the other threads' stacks.  A uthread is on
 * _dl_stack_user from before its clone until it ends, as a pthread with
 * a stack of its own is.  Only probe.c's findings are used here.
 */
#include <limits.h>

#include "internal.h"
#include "futex.h"
#include "annotate.h"
#include "layout.h"

#define g uthread__glibc

struct list_node {
	struct list_node *next, *prev;
};

/*
 * glibc's lll_lock on _dl_stack_cache_lock: 0 free, 1 held, 2 held with
 * sleepers, private futex (nptl/lowlevellock.c).  Acquire on taking, so
 * what the previous holder (glibc's code or ours) did to the lists is
 * seen; a holder that finds sleepers wakes one on release.
 */
/*
 * helgrind and DRD see glibc take this lock only through its raw atomics
 * and futex calls, so the list words it guards look racy to them: they
 * are told to leave alone every word of glibc's books that we touch (the
 * lock, the in-flight log, list heads and the nodes we link), without
 * being told of a lock, which would order unrelated threads for them.
 */
static void untracked(const void *p, size_t len)
{
	UTHREAD__IGNORE(p, len);
}

void uthread__books_lock(void)
{
	int c = 0;

	untracked(g.stack_lock, sizeof *g.stack_lock);

	if (__atomic_compare_exchange_n(g.stack_lock, &c, 1, 0, __ATOMIC_ACQUIRE,
	                                __ATOMIC_RELAXED))
		return;
	/* Contended: say so (2), then sleep while it stays held. */
	while (__atomic_exchange_n(g.stack_lock, 2, __ATOMIC_ACQUIRE) != 0)
		(void)uthread__futex_wait((uint32_t *)g.stack_lock, 2, 1, CLOCK_MONOTONIC, NULL);
}

void uthread__books_unlock(void)
{
	/* Release: our list changes before the next holder's look. */
	if (__atomic_exchange_n(g.stack_lock, 0, __ATOMIC_RELEASE) == 2)
		uthread__futex_wake((uint32_t *)g.stack_lock, 1, 1);
}

/*
 * List changes are logged in _dl_in_flight_stack, as glibc's own
 * (nptl/nptl-stack.c): a fork that lands in the middle of one leaves a
 * child whose fork handling finishes or drops it.  The compiler barriers
 * keep the log around the change for the child to see (only the forking
 * thread runs there; no other CPU reads these).
 */
static void node_add(struct list_node *n, struct list_node *head)
{
	untracked(g.stack_in_flight, sizeof *g.stack_in_flight);
	untracked(n, sizeof *n);
	untracked(head, sizeof *head);
	untracked(head->next, sizeof *head);
	*g.stack_in_flight = (uintptr_t)n | 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	*g.stack_in_flight = 0;
}

static void node_del(struct list_node *n)
{
	untracked(g.stack_in_flight, sizeof *g.stack_in_flight);
	untracked(n, sizeof *n);
	untracked(n->next, sizeof *n);
	untracked(n->prev, sizeof *n);
	*g.stack_in_flight = (uintptr_t)n;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	n->next->prev = n->prev;
	n->prev->next = n->next;
	/* Self-linked, as tcb_build leaves a new block: a fork from a
	 * signal handler after this finds a node glibc can unlink again. */
	n->next = n->prev = n;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	*g.stack_in_flight = 0;
}

static struct list_node *node_of(char *tp)
{
	return (struct list_node *)(tp + g.list_off);
}

/* A new uthread's block goes on _dl_stack_user; the caller holds the lock
 * (across the clone too: see create.c). */
void uthread__books_add(char *tp)
{
	node_add(node_of(tp), (struct list_node *)g.stack_user);
}

/* Take a block off the books: at the end of its thread, or when its clone
 * failed.  The caller holds the lock. */
void uthread__books_del(char *tp)
{
	node_del(node_of(tp));
}

/*
 * fork() child, in the forking thread, after glibc's own fork handling put
 * its block on _dl_stack_used (what a thread with a stack glibc allocated
 * goes on): a uthread's belongs on _dl_stack_user, where a later fork in
 * this child leaves it alone instead of taking its stack for glibc's
 * cache.  Only this thread runs: no lock.
 */
void uthread__books_atfork_child(char *self_tp)
{
	struct list_node *n = node_of(self_tp);

	node_del(n);
	node_add(n, (struct list_node *)g.stack_user);
}
