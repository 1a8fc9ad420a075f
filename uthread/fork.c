/* SPDX-License-Identifier: MIT */
/*
 * fork.c - keeping the library usable in the child of a fork() made while
 * other threads held its internal locks, were mid-exit, or were inside
 * dl_iterate_phdr on the library's behalf.
 */
#include <link.h>
#include <pthread.h>

#include "internal.h"
#include "lock.h"

/*
 * glibc's dl_iterate_phdr holds a loader lock that its fork() does not
 * reset in the child (glibc 2.36 and still upstream): a fork landing while
 * another thread is inside leaves the child's next dl_iterate_phdr, and so
 * its next uthread_create, waiting for ever.  The library's own calls go
 * through here, under phdr_lock, and fork's prepare handler takes that
 * lock, so a fork waits until no such call is running.
 */
static uthread__lock_t phdr_lock = UTHREAD__LOCK_INIT;
static pid_t phdr_owner;   /* tid inside, 0 if none; atomic */
/* Per thread: two threads may fork at once (newer glibc runs their
 * handlers interleaved), and each releases only what it took. */
static __thread int prepare_locked __attribute__((__tls_model__("initial-exec")));

int uthread__iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *),
                          void *data)
{
	int r;

	uthread__lock(&phdr_lock);
	/* Relaxed: what matters is only whether a fork's prepare() in this
	 * same thread (a signal handler's) finds its own tid here; other
	 * threads' reads of it race by design, hence the annotation. */
	UTHREAD__IGNORE(&phdr_owner, sizeof phdr_owner);
	__atomic_store_n(&phdr_owner, uthread__tid(), __ATOMIC_RELAXED);
	r = dl_iterate_phdr(cb, data);
	__atomic_store_n(&phdr_owner, 0, __ATOMIC_RELAXED);
	uthread__unlock(&phdr_lock);
	return r;
}

static void prepare(void)
{
	/* A fork from a signal handler that interrupted this thread's own
	 * iteration goes ahead: this thread holds glibc's lock, and it is
	 * the one that lives on in the child. */
	UTHREAD__IGNORE(&phdr_owner, sizeof phdr_owner);
	prepare_locked = __atomic_load_n(&phdr_owner, __ATOMIC_RELAXED) != uthread__tid();
	if (prepare_locked)
		uthread__lock(&phdr_lock);
}

static void parent(void)
{
	if (prepare_locked)
		uthread__unlock(&phdr_lock);
}

static void child(void)
{
	/* The forking thread took phdr_lock itself: release it as its
	 * holder, before registry_atfork_child forgets our cached tid. */
	if (prepare_locked)
		uthread__unlock(&phdr_lock);
	uthread__glibc_atfork_child();
	uthread__registry_atfork_child();
	uthread__stack_atfork_child();
	uthread__execstack_atfork_child();
	uthread__live_atfork_child();
}

/*
 * Installed when the library is loaded, not at the first create: a process
 * that only called uthread_self() before fork() needs its cached tids
 * refreshed in the child too.
 */
__attribute__((__constructor__)) static void install(void)
{
	/* Fails only with ENOMEM; then a forked child may find a lock held. */
	(void)pthread_atfork(prepare, parent, child);
}
