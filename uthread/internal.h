/* SPDX-License-Identifier: MIT */
/*
 * internal.h - struct uthread (the descriptor a handle names), the thread
 * block that holds a thread's stack and libc thread block, their state
 * machine and invariants.  Everything declared here is hidden: only the
 * functions in include/uthread.h leave the library.
 */
#ifndef UTHREAD_INTERNAL_H
#define UTHREAD_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uthread.h"
#include "arch.h"

#define UTHREAD__HIDDEN __attribute__((__visibility__("hidden")))

/*
 * Descriptor states.  The state shares one 64-bit word with the slot's
 * generation (word = gen << 8 | state), so a compare-and-swap made through a
 * stale handle fails instead of acting on the slot's next thread.
 *
 *   create --> JOINABLE --exit--> EXITED --join--> (FREE, gen+1)
 *                 |  \--join--> JOINING --exit--> (joiner frees it)
 *                 \--detach--> DETACHED --exit--> (the thread frees itself)
 *   detach on EXITED: the detacher reclaims it as a join would.
 *   foreign: FOREIGN --its key destructor--> ENDING --gone--> (FREE, gen+1)
 */
enum uthread__state {
	UTHREAD__FREE = 0,
	UTHREAD__JOINABLE,   /* running; a join or detach may come */
	UTHREAD__DETACHED,   /* running; frees itself at exit */
	UTHREAD__EXITED,     /* has decided to leave its remains to a joiner */
	UTHREAD__JOINING,    /* a joiner (or late detacher) owns the reclaim */
	UTHREAD__MAIN,       /* the process's initial thread */
	UTHREAD__FOREIGN,    /* a thread uthread did not create */
	UTHREAD__ENDING,     /* a foreign thread past uthread's key destructor */
};

#define UTHREAD__WORD(gen, state) (((uint64_t)(gen) << 8) | (uint64_t)(state))
#define UTHREAD__WORD_GEN(w)      ((uint32_t)((w) >> 8))
#define UTHREAD__WORD_STATE(w)    ((int)((w) & 0xff))

/* Words of libc's TLS block that malloc fills on first use (its arena and
 * tcache), at most this many. */
#define UTHREAD__MALLOC_WORDS 4

struct uthread__block;

struct uthread {
	uint64_t word;                /* gen << 8 | state; atomic */
	uint32_t slot;                /* index in the registry; fixed */
	/*
	 * Kernel tid, 0 once the thread is ending.  For a uthread: negative
	 * (uthread__tid_unknown(gen)) until its creator, once clone returns,
	 * or the thread itself, in start(), stores it; the thread clears it
	 * on its way out.  Lives here, not in the thread block, so
	 * uthread_gettid never reads memory that may be unmapped.
	 */
	pid_t tid;
	/*
	 * Held by uthread_kill from its look at tid to its signal, and by the
	 * thread ending, around its clearing of tid: a thread cannot end (and
	 * its tid go to a newer thread) between a kill's look and its signal.
	 * A uthread__lock_t (lock.h).
	 */
	uint32_t exit_lock;
	uint32_t announced;           /* 1 once start() named it to helgrind and DRD */
	struct uthread__block *blk;   /* stack + thread block; NULL if none */
	void *vg_id;                  /* its pthread_self(): helgrind/DRD's name */
	void *pd;                     /* its pthread_self(), glibc's struct pthread */
	void *(*start)(void *);
	void *arg;
	void *result;
	uint64_t sigmask;             /* the mask start() installs (setup), or valgrind's */
	/*
	 * What start() must do before the start routine (create.c): 0 on the
	 * common path; UTHREAD__SETUP_MASK: install sigmask;
	 * UTHREAD__SETUP_WAIT: wait until go is nonzero (the creator applies
	 * scheduling and affinity), and end at once if it is UTHREAD__GO_FAIL.
	 * UTHREAD__SETUP_EXPLICIT: created with UTHREAD_EXPLICIT_SCHED (for
	 * uthread_getattr_np).  Written before the clone, fixed after.
	 */
	uint32_t setup;
	uint32_t go;                  /* futex word, see setup */
	/*
	 * malloc's per-thread state (arena, tcache) of a thread that ended,
	 * carried by the free slot until the next thread takes the slot.  glibc
	 * 2.36 has no public way to release a thread's tcache, so instead of
	 * leaking one per thread we hand it on: there are never more tcaches
	 * than the peak number of threads alive at once.
	 */
	uintptr_t malloc_state[UTHREAD__MALLOC_WORDS];
	/* Likewise the vDSO getrandom state glibc 2.41 and later give a
	 * thread on its first getrandom (0: none): glibc takes it back only
	 * from its own threads' exit, so a slot carries it on. */
	uintptr_t getrandom_state;
	struct uthread *next_free;    /* registry free list */
};

/*
 * A thread block: one mapping [guard | stack ... | static TLS | TCB | this
 * header].  The TCB (glibc's struct pthread) sits at the thread pointer tp;
 * the tid word inside it is the clone PARENT_SETTID/CHILD_CLEARTID word: the
 * kernel writes the tid before the child runs and clears it (with a shared
 * futex wake) once the thread can no longer touch the block.
 */
struct uthread__block {
	void *map_base;               /* start of the mapping / user stack */
	size_t map_size;              /* 0: caller-supplied stack, not ours */
	size_t stack_size;            /* cache key (requested usable size) */
	size_t guard_size;            /* cache key */
	char *tp;                     /* thread pointer = glibc TCB */
	char *stack_top;              /* initial stack pointer of the child */
	/*
	 * Start of the dtv glibc allocated for this block.  The TCB only
	 * holds dtv + 1, an interior pointer; this copy (in mapped memory,
	 * which memcheck scans) keeps the dtv of a thread that is still
	 * running at exit, or absent in a fork child, from looking leaked.
	 */
	void *dtv_block;
	struct uthread__block *next;  /* stack cache list */
	int prot;                     /* the stack's protection (execstack.c) */
};

/* glibc/: the only code that knows glibc's private layout. */
#include "glibc/glibc.h"

/* registry.c: slots, handles, the calling thread's descriptor. */
extern __thread struct uthread *uthread__self_desc
	__attribute__((__tls_model__("initial-exec"))) UTHREAD__HIDDEN;
struct uthread *uthread__desc_alloc(void) UTHREAD__HIDDEN;
void uthread__desc_free(struct uthread *t) UTHREAD__HIDDEN;
struct uthread *uthread__desc_lookup(uthread_t h, uint32_t *gen) UTHREAD__HIDDEN;
uthread_t uthread__handle(const struct uthread *t) UTHREAD__HIDDEN;
struct uthread *uthread__self(void) UTHREAD__HIDDEN;
pid_t uthread__tid_slow(void) UTHREAD__HIDDEN;
extern __thread pid_t uthread__tid_cache
	__attribute__((__tls_model__("initial-exec"))) UTHREAD__HIDDEN;

/* The calling thread's kernel tid: one TLS load after the first call. */
static inline pid_t uthread__tid(void)
{
	pid_t t = uthread__tid_cache;
	return t ? t : uthread__tid_slow();
}
pid_t uthread__desc_tid(struct uthread *t, uint32_t gen) UTHREAD__HIDDEN;
void uthread__desc_set_tid(struct uthread *t, uint32_t gen, pid_t tid) UTHREAD__HIDDEN;

/* The descriptor's tid before it is known: negative, and different for
 * each generation of the slot, so a creator that stores it late cannot
 * write into the slot's next thread. */
static inline pid_t uthread__tid_unknown(uint32_t gen)
{
	return -1 - (pid_t)(gen & 0x3fffffff);
}
void uthread__registry_atfork_child(void) UTHREAD__HIDDEN;
void uthread__registry_each_other(void (*fn)(struct uthread *t)) UTHREAD__HIDDEN;

/* stack.c: thread blocks and their cache. */
size_t uthread__default_stacksize(void) UTHREAD__HIDDEN;
int uthread__block_acquire(const uthread_attr_t *attr,
                           struct uthread__block **out) UTHREAD__HIDDEN;
void uthread__block_release(struct uthread__block *b) UTHREAD__HIDDEN;
int uthread__block_park(struct uthread__block *b, int force) UTHREAD__HIDDEN;
void uthread__block_trim_self(struct uthread__block *b) UTHREAD__HIDDEN;
void uthread__stack_atfork_child(void) UTHREAD__HIDDEN;

/* execstack.c: PROT_READ | PROT_WRITE, plus PROT_EXEC if PT_GNU_STACK asks. */
int uthread__stack_prot(void) UTHREAD__HIDDEN;

/* fork.c: dl_iterate_phdr, but never split by a fork (see fork.c). */
struct dl_phdr_info;
int uthread__iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *),
                          void *data) UTHREAD__HIDDEN;

/* fork.c: how many forks led to this process (once.c). */
uint32_t uthread__fork_generation(void) UTHREAD__HIDDEN;

/* once.c: the ending thread gives up the inits it is running. */
void uthread__once_abandon_all(void) UTHREAD__HIDDEN;
/* The asynchronous cancellation type around one blocking wait of a
 * cancellation point of ours; end takes what begin returned (cancel.c). */
int uthread__cancel_async_begin(void) UTHREAD__HIDDEN;
void uthread__cancel_async_end(int old) UTHREAD__HIDDEN;
/* The end of a uthread of ours, its stack unwound (exit.c). */
void uthread__end(void *retval) UTHREAD__HIDDEN __attribute__((__noreturn__));

/* join.c: wait for a thread and free what it left (join and late detach). */
void uthread__reclaim(struct uthread *t, void **retval) UTHREAD__HIDDEN;

/* mainjoin.c: the main thread's join state.  join and detach of main,
 * and main's uthread_exit, which publishes its value first. */
int uthread__main_join(void **retval, int block, clockid_t clockid,
                       const struct timespec *abstime) UTHREAD__HIDDEN;
int uthread__main_detach(void) UTHREAD__HIDDEN;
void uthread__main_exited(void *retval) UTHREAD__HIDDEN;

/* exit.c: the live-thread count that uthread_exit() in main waits on. */
void uthread__live_inc(void) UTHREAD__HIDDEN;
void uthread__live_dec(void) UTHREAD__HIDDEN;
void uthread__live_atfork_child(void) UTHREAD__HIDDEN;

/* key.c: thread-specific data destructors, at thread exit. */
void uthread__keys_run_destructors(void) UTHREAD__HIDDEN;

/* attr.c */
#define UTHREAD__ATTR_MAGIC 0x75746872u /* "uthr" */
int uthread__attr_valid(const uthread_attr_t *a) UTHREAD__HIDDEN;
/* struct uthread's setup bits (create.c, getattr.c). */
#define UTHREAD__SETUP_MASK     1u
#define UTHREAD__SETUP_WAIT     2u
#define UTHREAD__SETUP_EXPLICIT 4u

/* attr->__flags: what was set explicitly (attrsched.c, attrnp.c). */
#define UTHREAD__ATTR_POLICY_SET  1
#define UTHREAD__ATTR_PARAM_SET   2
#define UTHREAD__ATTR_SIGMASK_SET 4

/* attrnp.c: nonzero once uthread_setattr_default_np was called; then
 * uthread__attr_default makes a copy of the defaults (destroy it) for a
 * NULL attr given to uthread_create. */
extern uint32_t uthread__attr_default_set UTHREAD__HIDDEN;
int uthread__attr_default(uthread_attr_t *copy) UTHREAD__HIDDEN;
void uthread__attr_atfork_child(void) UTHREAD__HIDDEN;

/* sched.c: call fn(tid, arg) with thread's tid, the thread held from
 * ending (and its tid from going to a newer thread) until fn returns.
 * ESRCH if the thread has ended, is stale or was never valid. */
int uthread__with_tid(uthread_t thread, int (*fn)(pid_t tid, void *arg),
                      void *arg) UTHREAD__HIDDEN;

#endif
