/* SPDX-License-Identifier: MIT */
/*
 * stack.c - thread blocks (guard + stack + static TLS + TCB in one mapping)
 * and the bounded cache that lets create+join run without mmap/munmap in
 * steady state.  A cached block is handed out only once the kernel has
 * cleared its tid word: until then its last thread may still be on it.
 * Past the first CACHE_HOT blocks, a block's stack pages go back to the
 * kernel as it is parked, so a burst of threads leaves no resident stacks.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"
#include "lock.h"
#include "annotate.h"

#define CACHE_MAX 64            /* blocks kept for reuse */
#define CACHE_HOT 8             /* of those, kept with their pages resident */
#define TRIM_MARGIN (16u << 10) /* stack an ending thread keeps for itself */
#define DEFAULT_STACK (8u << 20)

static struct uthread__block *cache;
static unsigned cache_len;
static uthread__lock_t cache_lock = UTHREAD__LOCK_INIT;

/* cache_len is read without the lock (a hint, see block_trim): helgrind
 * and DRD must not call that a race. */
static void cache_len_is_atomic(void)
{
	UTHREAD__IGNORE(&cache_len, sizeof cache_len);
}

/*
 * The page size, read once before main() (and so before any thread: the
 * threads' reads need no atomics).  A caller that runs even earlier, from
 * another library's constructor, asks sysconf itself.  Regression: a lazy
 * first store from an ending thread raced with a creator's read.
 */
static size_t ps;

__attribute__((constructor)) static void page_size_init(void)
{
	ps = (size_t)sysconf(_SC_PAGESIZE);
}

static size_t page_size(void)
{
	return ps ? ps : (size_t)sysconf(_SC_PAGESIZE);
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) & ~(to - 1);
}

/* RLIMIT_STACK at first use if it is a sensible size, else 8 MiB; read
 * once, as glibc does, not on every create. */
size_t uthread__default_stacksize(void)
{
	static size_t dflt; /* 0 until computed; racing computers agree */
	size_t d = __atomic_load_n(&dflt, __ATOMIC_RELAXED);
	struct rlimit rl;

	if (d)
		return d;
	d = DEFAULT_STACK;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur >= UTHREAD_STACK_MIN && rl.rlim_cur <= (1ul << 30))
		d = round_up(rl.rlim_cur, page_size());
	/* Relaxed: a plain value, the same whoever computes it. */
	__atomic_store_n(&dflt, d, __ATOMIC_RELAXED);
	return d;
}

/*
 * Lay out a block in [base, base + size): the header at the very top, the
 * TCB below it at an aligned thread pointer, static TLS below that, and the
 * stack growing down from below the TLS.  Returns NULL if it does not fit
 * with at least min_stack bytes of stack above base + guard.
 */
static struct uthread__block *layout(char *base, size_t size, size_t guard,
                                     size_t min_stack)
{
	uintptr_t top = (uintptr_t)base + size;
	uintptr_t hdr = (top - sizeof(struct uthread__block)) & ~(uintptr_t)63;
	uintptr_t tp = (hdr - uthread__tcb_span_above()) &
	               ~(uintptr_t)(uthread__tcb_align() - 1);
	uintptr_t stack_top = (tp - uthread__tcb_span_below()) & ~(uintptr_t)63;
	struct uthread__block *b = (struct uthread__block *)hdr;

	if (stack_top < (uintptr_t)base + guard + min_stack || stack_top > hdr)
		return NULL;
	b->map_base = base;
	b->tp = (char *)tp;
	b->stack_top = (char *)stack_top;
	b->next = NULL;
	return b;
}

static int block_map(size_t stack, size_t guard, int prot,
                     struct uthread__block **out)
{
	size_t meta = round_up(sizeof(struct uthread__block) + 64 +
	                       uthread__tcb_span_above() + uthread__tcb_span_below() +
	                       uthread__tcb_align(), page_size());
	size_t size = guard + stack + meta;
	char *base;

	if (size < stack) /* overflow: a stack size near SIZE_MAX */
		return EAGAIN;
	base = mmap(NULL, size, prot,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return EAGAIN;
	if (guard && mprotect(base, guard, PROT_NONE) != 0) {
		munmap(base, size);
		return EAGAIN;
	}
	*out = layout(base, size, guard, stack);
	if (!*out) { /* cannot happen: meta covers the layout's needs */
		munmap(base, size);
		return EAGAIN;
	}
	(*out)->map_size = size;
	(*out)->stack_size = stack;
	(*out)->guard_size = guard;
	(*out)->prot = prot;
	return 0;
}

int uthread__block_acquire(const uthread_attr_t *attr, struct uthread__block **out)
{
	size_t stack = attr && attr->__stacksize ? attr->__stacksize
	                                         : uthread__default_stacksize();
	size_t guard = attr ? attr->__guardsize : page_size();
	struct uthread__block *b, **pp;
	int prot;

	if (attr && attr->__stackaddr) {
		/* The caller's memory: carve the thread block from its top. */
		b = layout(attr->__stackaddr, attr->__stacksize, 0,
		           UTHREAD_STACK_MIN / 2);
		if (!b)
			return EINVAL;
		b->map_size = 0;
		b->stack_size = attr->__stacksize;
		b->guard_size = 0;
		*out = b;
		return 0;
	}
	stack = round_up(stack, page_size());
	guard = round_up(guard, page_size());
	prot = uthread__stack_prot(); /* PT_GNU_STACK: executable or not */

	uthread__lock(&cache_lock);
	for (pp = &cache; (b = *pp) != NULL; pp = &b->next) {
		/*
		 * Acquire: once the kernel's zero is seen, the thread that ran on
		 * this block has finished every access to it.
		 */
		if (b->stack_size == stack && b->guard_size == guard &&
		    __atomic_load_n(uthread__tcb_tid(b->tp), __ATOMIC_ACQUIRE) == 0) {
			*pp = b->next;
			/* Relaxed: the lock orders it; block_trim only peeks. */
			__atomic_store_n(&cache_len, cache_len - 1, __ATOMIC_RELAXED);
			break;
		}
	}
	uthread__unlock(&cache_lock);
	if (b && b->prot != prot) {
		/* Cached before an object asking for an executable stack was
		 * loaded: its stack (not its guard) becomes executable too. */
		if (mprotect((char *)b->map_base + guard, b->map_size - guard, prot) == 0) {
			b->prot = prot;
		} else {
			munmap(b->map_base, b->map_size);
			b = NULL;
		}
	}
	if (b) {
		/* The last thread's stack contents are garbage to the next. */
		UTHREAD__MEM_UNDEFINED((char *)b->map_base + guard,
		                       (size_t)(b->stack_top - (char *)b->map_base) - guard);
		b->next = NULL;
		*out = b;
		return 0;
	}
	return block_map(stack, guard, prot, out);
}

/*
 * Before b is parked: if the cache already holds CACHE_HOT blocks, give
 * the kernel back b's stack pages below limit (MADV_DONTNEED: the next
 * thread on b finds zero pages, faulted in as it touches them), as glibc
 * does for every stack it caches.  The few hottest blocks keep theirs, so
 * a create+join loop makes no extra system call.  b is not in the cache
 * yet, so no other thread can be on it.  The length is only a hint:
 * threads parking at the same moment may all see it short of CACHE_HOT
 * and keep their pages.  Never above stack_top: the static TLS, the TCB
 * and the header live there.
 */
static void block_trim(struct uthread__block *b, const char *limit)
{
	const uintptr_t mask = ~(uintptr_t)(page_size() - 1);
	char *lo = (char *)b->map_base + b->guard_size;
	uintptr_t hi = (uintptr_t)limit & mask;
	unsigned n;

	/* First the one look a create+join loop needs (its cache holds one
	 * block).  Relaxed: a hint only, see above. */
	cache_len_is_atomic();
	n = __atomic_load_n(&cache_len, __ATOMIC_RELAXED);
	if (n < CACHE_HOT || n >= CACHE_MAX)
		return; /* kept hot, or about to be unmapped whole */
	if (b->map_size == 0)
		return; /* the caller's stack: not ours to trim */
	if (hi > ((uintptr_t)b->stack_top & mask))
		hi = (uintptr_t)b->stack_top & mask;
	if (hi > (uintptr_t)lo)
		(void)madvise(lo, hi - (uintptr_t)lo, MADV_DONTNEED);
}

/*
 * The same for the calling thread's own block, as it ends: only below its
 * stack pointer, less a margin for the calls it still makes, and only if
 * it runs on that stack at all.  Regression: a thread ending on another
 * stack (uthread_exit from a handler on a sigaltstack mapped above the
 * block) had everything from its stack up to there zeroed, the TLS, the
 * TCB and other mappings included.
 */
void uthread__block_trim_self(struct uthread__block *b)
{
	const uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	const uintptr_t lo = (uintptr_t)b->map_base + b->guard_size;

	if (sp > lo + TRIM_MARGIN && sp <= (uintptr_t)b->stack_top)
		block_trim(b, (const char *)(sp - TRIM_MARGIN));
}

/*
 * Put b in the cache; returns 0 if the cache is full.  force: park it even
 * then (its thread cannot unmap it; the cache shrinks back to CACHE_MAX as
 * blocks are reused).
 */
int uthread__block_park(struct uthread__block *b, int force)
{
	int parked = 0;

	uthread__lock(&cache_lock);
	if (cache_len < CACHE_MAX || force) {
		b->next = cache;
		cache = b;
		/* Relaxed: the lock orders it; block_trim only peeks. */
		__atomic_store_n(&cache_len, cache_len + 1, __ATOMIC_RELAXED);
		parked = 1;
	}
	uthread__unlock(&cache_lock);
	return parked;
}

/* b's thread has ended (tid word 0): cache it or unmap it. */
void uthread__block_release(struct uthread__block *b)
{
	if (b->map_size == 0)
		return; /* the caller's stack: nothing of ours to free */
	block_trim(b, b->stack_top);
	if (!uthread__block_park(b, 0))
		munmap(b->map_base, b->map_size);
}

/*
 * fork() child: the lock may have been held by a thread that does not exist
 * here.  Blocks parked by threads that were still exiting keep a nonzero
 * tid word forever in the child and are simply never reused.
 */
void uthread__stack_atfork_child(void)
{
	cache_lock = UTHREAD__LOCK_INIT;
}
