/* SPDX-License-Identifier: MIT */
/*
 * registry.c - descriptor slots and the handles that name them.  Slots live
 * in mmap'ed chunks that are never freed, so a stale handle always points at
 * readable memory and is caught by its generation instead of crashing.
 * Also: the calling thread's descriptor (uthread_self).
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "lock.h"
#include "annotate.h"

#define CHUNK_SLOTS 256
#define MAX_CHUNKS  4096 /* 1M slots: far beyond pid_max threads */

/* Slot 0 is never handed out (handle 0 names nothing); slot 1 is main. */
static struct uthread chunk0[CHUNK_SLOTS] = {
	[1] = { .word = UTHREAD__WORD(0, UTHREAD__MAIN), .slot = 1 },
};
static struct uthread *chunks[MAX_CHUNKS] = { chunk0 };
static uint32_t nslots = 2;          /* slots ever handed out; atomic */
static struct uthread *free_list;
static uthread__lock_t lock = UTHREAD__LOCK_INIT;

__thread struct uthread *uthread__self_desc __attribute__((__tls_model__("initial-exec")));
__thread pid_t uthread__tid_cache __attribute__((__tls_model__("initial-exec")));

pid_t uthread__tid_slow(void)
{
	return uthread__tid_cache = (pid_t)syscall(SYS_gettid);
}

static pthread_once_t foreign_once = PTHREAD_ONCE_INIT;
static pthread_key_t foreign_key;
/* Descriptors of foreign threads whose key destructor has run but which
 * may still be running (more destructors): under lock, linked by
 * next_free, each freed once the kernel no longer knows its tid.  How
 * many there are is read without the lock, as a hint (atomic). */
static struct uthread *foreign_ending;
static uint32_t n_ending;

static void foreign_reap(void);

struct uthread *uthread__desc_alloc(void)
{
	struct uthread *t;

	/* Relaxed: a hint; a descriptor missed now is reaped next time. */
	UTHREAD__IGNORE(&n_ending, sizeof n_ending);
	if (__atomic_load_n(&n_ending, __ATOMIC_RELAXED))
		foreign_reap();
	uthread__lock(&lock);
	t = free_list;
	if (t) {
		free_list = t->next_free;
	} else {
		uint32_t n = nslots;
		if (n / CHUNK_SLOTS >= MAX_CHUNKS) {
			uthread__unlock(&lock);
			return NULL;
		}
		if (!chunks[n / CHUNK_SLOTS]) {
			void *m = mmap(NULL, CHUNK_SLOTS * sizeof(struct uthread),
			               PROT_READ | PROT_WRITE,
			               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED) {
				uthread__unlock(&lock);
				return NULL;
			}
			/* Release: a lookup that sees the new nslots sees the chunk. */
			__atomic_store_n(&chunks[n / CHUNK_SLOTS], m, __ATOMIC_RELEASE);
		}
		t = &chunks[n / CHUNK_SLOTS][n % CHUNK_SLOTS];
		t->slot = n;
		/* The state word and the tid are read without the lock
		 * (lookups, gettid), always atomically; so is announced
		 * (uthread_cancel under valgrind). */
		UTHREAD__IGNORE(&t->word, sizeof t->word);
		UTHREAD__IGNORE(&t->tid, sizeof t->tid);
		UTHREAD__IGNORE(&t->announced, sizeof t->announced);
		__atomic_store_n(&nslots, n + 1, __ATOMIC_RELEASE);
	}
	uthread__unlock(&lock);
	return t;
}

/* Make t's handles stale and put it on the free list; lock held. */
static void desc_free_locked(struct uthread *t)
{
	uint32_t gen = UTHREAD__WORD_GEN(t->word);

	t->blk = NULL;
	/*
	 * Release: a new generation makes every outstanding handle stale.  A
	 * joiner or detacher racing with us fails its compare-and-swap on the
	 * generation and answers EINVAL.
	 */
	__atomic_store_n(&t->word, UTHREAD__WORD(gen + 1, UTHREAD__FREE),
	                 __ATOMIC_RELEASE);
	t->next_free = free_list;
	free_list = t;
}

void uthread__desc_free(struct uthread *t)
{
	uthread__lock(&lock);
	desc_free_locked(t);
	uthread__unlock(&lock);
}

/*
 * Free the ending foreign descriptors whose threads the kernel has let go
 * (tgkill's ESRCH; a tid reused meanwhile only keeps one a little longer).
 * The system calls are made without the lock: a signal handler that forks
 * there leaves no lock held in the child.
 */
static void foreign_reap(void)
{
	struct uthread *list, *alive = NULL, *dead = NULL;
	pid_t pid = getpid();

	uthread__lock(&lock);
	list = foreign_ending;
	foreign_ending = NULL;
	uthread__unlock(&lock);
	while (list) {
		struct uthread *t = list;
		list = t->next_free;
		struct uthread **to =
			syscall(SYS_tgkill, pid, t->tid, 0) == 0 ? &alive : &dead;
		t->next_free = *to;
		*to = t;
	}
	uthread__lock(&lock);
	while (dead) {
		struct uthread *t = dead;
		dead = t->next_free;
		desc_free_locked(t);
		__atomic_fetch_sub(&n_ending, 1, __ATOMIC_RELAXED);
	}
	while (alive) {
		struct uthread *t = alive;
		alive = t->next_free;
		t->next_free = foreign_ending;
		foreign_ending = t;
	}
	uthread__unlock(&lock);
}

uthread_t uthread__handle(const struct uthread *t)
{
	uint64_t w = __atomic_load_n(&t->word, __ATOMIC_RELAXED);
	return ((uthread_t)UTHREAD__WORD_GEN(w) << 32) | t->slot;
}

/* The descriptor a handle points at, or NULL if it never named a slot. */
struct uthread *uthread__desc_lookup(uthread_t h, uint32_t *gen)
{
	uint32_t slot = (uint32_t)h;

	UTHREAD__IGNORE(&nslots, sizeof nslots);
	UTHREAD__IGNORE(&chunks[slot / CHUNK_SLOTS % MAX_CHUNKS], sizeof(void *));
	/* Acquire pairs with the release in desc_alloc: the chunk is there. */
	if (slot == 0 || slot >= __atomic_load_n(&nslots, __ATOMIC_ACQUIRE))
		return NULL;
	*gen = (uint32_t)(h >> 32);
	return &__atomic_load_n(&chunks[slot / CHUNK_SLOTS], __ATOMIC_ACQUIRE)
		[slot % CHUNK_SLOTS];
}

/*
 * A foreign thread's end, as far as its pthread key destructors go.  Not
 * its end yet: key destructors that run after this one (later in the
 * round, or in a later round) may still ask uthread_self(), and must get
 * the same handle, valid for the thread itself.  Other threads see the
 * handle as stale from now on (the thread is ending; pthread_join may
 * return any moment), but its slot waits on foreign_ending, and so names
 * no new thread, until the thread is gone from the kernel.
 */
static void foreign_gone(void *p)
{
	struct uthread *t = p;

	/* Release, as every state change: from now on other threads see it
	 * as ended (desc_tid), the thread itself as alive.  Under the exit
	 * lock: a uthread_kill or uthread_cancel that saw it alive has aimed
	 * at it by now, while its glibc block was still in use. */
	uthread__lock(&t->exit_lock);
	__atomic_store_n(&t->word, UTHREAD__WORD(UTHREAD__WORD_GEN(t->word), UTHREAD__ENDING),
	                 __ATOMIC_RELEASE);
	uthread__unlock(&t->exit_lock);
	uthread__lock(&lock);
	t->next_free = foreign_ending;
	foreign_ending = t;
	__atomic_fetch_add(&n_ending, 1, __ATOMIC_RELAXED);
	uthread__unlock(&lock);
}

static void foreign_key_create(void)
{
	/* If this fails, foreign descriptors simply live until exit. */
	(void)pthread_key_create(&foreign_key, foreign_gone);
}

/* The calling thread's descriptor; made on first use for foreign threads. */
struct uthread *uthread__self(void)
{
	struct uthread *t = uthread__self_desc;
	pid_t tid;

	if (t)
		return t;
	tid = (pid_t)syscall(SYS_gettid);
	if (tid == getpid()) {
		t = &chunk0[1];
		t->tid = tid;
		t->pd = (void *)pthread_self();
	} else {
		pthread_once(&foreign_once, foreign_key_create);
		t = uthread__desc_alloc();
		if (!t)
			return NULL;
		t->tid = tid;
		t->blk = NULL;
		t->setup = 0; /* the slot's last uthread may have had some */
		t->pd = (void *)pthread_self();
		__atomic_store_n(&t->word,
		                 UTHREAD__WORD(UTHREAD__WORD_GEN(t->word),
		                               UTHREAD__FOREIGN),
		                 __ATOMIC_RELEASE);
		(void)pthread_setspecific(foreign_key, t);
	}
	uthread__self_desc = t;
	return t;
}

/*
 * A new thread's tid, stored by its creator once clone returns and by the
 * thread itself in start(), whichever comes first.  Competing parties: the
 * thread's exit, which stores 0 (a creator slower than start() and exit
 * together must not bring the tid back), and, once the thread has ended
 * and its slot was freed, the slot's next thread (whose own "unknown" value
 * differs: the generation is in it).  So only this generation's "unknown"
 * becomes the tid.  Relaxed: readers re-check the generation.
 */
void uthread__desc_set_tid(struct uthread *t, uint32_t gen, pid_t tid)
{
	pid_t unknown = uthread__tid_unknown(gen);

	__atomic_compare_exchange_n(&t->tid, &unknown, tid, 0, __ATOMIC_RELAXED,
	                            __ATOMIC_RELAXED);
}

/* Kernel tid of a live thread, 0 if it has ended, -1 if the handle (gen) is
 * stale.  Reads only the descriptor, which is never unmapped. */
pid_t uthread__desc_tid(struct uthread *t, uint32_t gen)
{
	/* Acquire loads: word, tid, word again.  If the generation is the
	 * same on both sides, the tid belongs to the thread the handle names. */
	uint64_t w = __atomic_load_n(&t->word, __ATOMIC_ACQUIRE);
	pid_t tid = __atomic_load_n(&t->tid, __ATOMIC_ACQUIRE);
	uint64_t w2 = __atomic_load_n(&t->word, __ATOMIC_ACQUIRE);

	if (UTHREAD__WORD_GEN(w) != gen || UTHREAD__WORD_GEN(w2) != gen ||
	    UTHREAD__WORD_STATE(w2) == UTHREAD__FREE)
		return -1;
	/* Our own descriptor: we are running and know our tid, whatever the
	 * descriptor says on the way in (a handler before start(), tid not
	 * yet stored) or out (uthread_exit cleared it, or we are a foreign
	 * thread in its last key destructors). */
	if (t == uthread__self_desc)
		return uthread__tid();
	if (UTHREAD__WORD_STATE(w2) == UTHREAD__ENDING)
		return -1;
	return tid > 0 ? tid : 0;
}

/*
 * fork() child: only the forking thread survives.  Reset the lock (another
 * thread may have held it) and refresh the survivor's cached tid.
 */
void uthread__registry_atfork_child(void)
{
	struct uthread *t = uthread__self_desc;

	lock = UTHREAD__LOCK_INIT;
	/* The parent's ending foreign threads are not in the child (but
	 * this one, if it forked from a key destructor).  Under the lock,
	 * for helgrind, which carries the parent's accesses over. */
	uthread__lock(&lock);
	struct uthread *ending = foreign_ending;
	foreign_ending = NULL;
	__atomic_store_n(&n_ending, 0, __ATOMIC_RELAXED);
	while (ending) {
		struct uthread *f = ending;
		ending = f->next_free;
		if (f == t) {
			f->next_free = foreign_ending;
			foreign_ending = f;
			__atomic_store_n(&n_ending, 1, __ATOMIC_RELAXED);
		} else {
			desc_free_locked(f);
		}
	}
	uthread__unlock(&lock);
	uthread__tid_cache = 0; /* a new tid: fetch it again on demand */
	if (t)
		t->tid = (pid_t)syscall(SYS_gettid);
}

/* fn(t) for every slot ever handed out but main's and the caller's.  For a
 * fork child only: no other thread runs, so nothing needs the lock. */
void uthread__registry_each_other(void (*fn)(struct uthread *t))
{
	uint32_t n = __atomic_load_n(&nslots, __ATOMIC_ACQUIRE);

	for (uint32_t slot = 2; slot < n; slot++) {
		struct uthread *t = &chunks[slot / CHUNK_SLOTS][slot % CHUNK_SLOTS];
		if (t != uthread__self_desc)
			fn(t);
	}
}
