/* SPDX-License-Identifier: MIT */
/*
 * probe.c - the start-up probe: finds glibc's private symbols and observes,
 * inside a real pthread whose block glibc built itself, every detail of that
 * block the library will imitate.  If one check fails, thread creation is
 * refused with a message naming it.  It only observes: tcb.c acts.
 */
#include <dlfcn.h>
#include <ctype.h>
#include <errno.h>
#include <link.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "annotate.h"
#include "futex.h"
#include "lock.h"
#include "layout.h"

#define g uthread__glibc
struct uthread__glibc_layout uthread__glibc;

/* A libthread_db field descriptor: {bits, count, offset}. */
struct db_desc {
	uint32_t bits, count, offset;
};

/* Probe thread's stack, chosen odd so its fields are unmistakable. */
#define PROBE_GUARD ((size_t)5 * 4096)
#define PROBE_STACK ((size_t)256 * 1024 + (size_t)3 * 4096)

/* glibc's rseq markers in cpu_id (sysdeps/unix/sysv/linux/rseq-internal.h). */
#define RSEQ_CPU_ID_REGISTRATION_FAILED (-2)
#define RSEQ_AREA_MIN 32            /* the smallest registration the kernel takes */

static int init_error;     /* 0, or ENOTSUP after a failed check */
static uint32_t init_done; /* 0 not yet, 1 done; atomic */
static uthread__lock_t init_lock = UTHREAD__LOCK_INIT;
static const char *failed_check;
static char failed_buf[96];   /* failed_check, when it names a symbol */
static bool failed_transient; /* the failed check lacked a resource */

/* A fact about glibc that does not hold: refuse threads for good. */
#define CHECK(cond, what)                       \
	do {                                    \
		if (!(cond)) {                  \
			failed_check = (what);  \
			return false;           \
		}                               \
	} while (0)

/* A resource the probe needs is short (memory, a free pthread key): the
 * layout is not in question, so a later uthread_create probes again. */
#define CHECK_AGAIN(cond, what)                 \
	do {                                    \
		if (!(cond)) {                  \
			failed_check = (what);  \
			failed_transient = true; \
			return false;           \
		}                               \
	} while (0)

static void *private_sym(const char *name)
{
	return dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE");
}

/* dl_iterate_phdr callback: find the module loaded at *data (libc's base):
 * where its TLS block lies in this thread, and its initial image. */
struct libc_tls {
	ElfW(Addr) base;
	void *tls_data;
	size_t tls_size;
	const void *image;
	size_t image_size;
	int found;
};

static int find_libc_tls(struct dl_phdr_info *info, size_t size, void *data)
{
	struct libc_tls *lt = data;

	(void)size;
	if (info->dlpi_addr != lt->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_TLS) {
			lt->tls_size = info->dlpi_phdr[i].p_memsz;
			lt->tls_data = info->dlpi_tls_data;
			lt->image = (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
			lt->image_size = info->dlpi_phdr[i].p_filesz;
		}
	}
	lt->found = 1;
	return 1;
}

/* The rseq area's span, when it lies inside struct pthread (glibc up to
 * 2.40): set by probe_rseq before any diff. */
static size_t rseq_lo, rseq_hi;

/*
 * The offsets from tp of the words that differ between snap and tp now,
 * at most max of them; how many differ.  Not counting the rseq area: the
 * kernel rewrites its cpu ids whenever the thread moves to another CPU
 * (seen: a getrandom check that a migration failed under load).
 */
static int changed_words(const char *tp, const char *snap, size_t sz,
                         size_t *off, int max)
{
	int n = 0;

	for (size_t o = 0; o + sizeof(uintptr_t) <= sz; o += sizeof(uintptr_t)) {
		if (*(const uintptr_t *)(tp + o) == *(const uintptr_t *)(snap + o) ||
		    (o + sizeof(uintptr_t) > rseq_lo && o < rseq_hi))
			continue;
		if (n < max)
			off[n] = o;
		n++;
	}
	return n;
}

/* tcbhead_t, the tid word, the stack-list node and the robust list. */
static bool probe_header(char *tp, size_t sz)
{
	CHECK(*(char **)(tp + TCB_SELF0) == tp && *(char **)(tp + TCB_SELF) == tp,
	      "the thread pointer points at itself (tcbhead.tcb, .self)");
	CHECK((pthread_t)tp == pthread_self(), "pthread_self() is the thread pointer");
	/* dtv[-1].counter, just before what the TCB points at, is the dtv's
	 * length (the slots allocated, at least one per loaded module). */
	size_t dtv_len = *(size_t *)(*(char **)(tp + TCB_DTV) - DTV_T_SIZE);
	CHECK(dtv_len > 0 && dtv_len < (1u << 20),
	      "tcbhead.dtv points one dtv_t past the dtv's length slot");
	CHECK(*(int *)(tp + TCB_MULTIPLE_THREADS) == 1,
	      "tcbhead.multiple_threads (offset 0x18) is 1 in a new thread");
	CHECK(*(pid_t *)(tp + g.tid_off) == (pid_t)syscall(SYS_gettid),
	      "struct pthread.tid (from _thread_db_pthread_tid) holds gettid()");

	/* list: a node of glibc's list of stacks in use. */
	char **node = (char **)(tp + g.list_off);
	CHECK(node[0] && node[1] && ((char **)node[0])[1] == (char *)node &&
	      ((char **)node[1])[0] == (char *)node,
	      "struct pthread.list (from _thread_db_pthread_list) is a list node");

	/* robust_head: where the kernel was told this thread's list lives. */
	char **head = NULL;
	size_t len = 0;
	CHECK(syscall(SYS_get_robust_list, 0, &head, &len) == 0 &&
	      len == 3 * sizeof(void *) && (char *)head > tp + sizeof(void *) &&
	      (char *)head + len <= tp + sz && head[0] == (char *)head,
	      "the robust-list head registered by glibc lies in struct pthread");
	/* The word before it (robust_prev) is the head's "prev" slot in
	 * glibc's doubly linked list, which robust.c writes too. */
	CHECK(head[-1] == (char *)head,
	      "struct pthread.robust_prev, just before the robust-list head, points at it");
	g.robust_off = (size_t)((char *)head - tp);
	g.robust_futex_offset = (long)head[1];
	return true;
}

/*
 * rseq: the area glibc gave this thread, at __rseq_offset from the thread
 * pointer in every thread.  Up to glibc 2.40 it lies inside struct pthread;
 * from 2.41 (commit 93d0bfbe8f) in an extra block of the static TLS below
 * the thread pointer.  Either way a uthread's block has it.  The kernel
 * tells where glibc registered it: a second registration of the very same
 * area, length and signature is EBUSY.  Where glibc did not register (the
 * glibc.pthread.rseq tunable, a kernel or valgrind without rseq), it wrote
 * RSEQ_CPU_ID_REGISTRATION_FAILED into the area's cpu_id instead.
 */
static bool probe_rseq(char *tp, size_t sz)
{
	ptrdiff_t off = __rseq_offset;
	size_t below = uthread__tcb_span_below();
	unsigned len = __rseq_size > RSEQ_AREA_MIN ? __rseq_size : RSEQ_AREA_MIN;

	CHECK((off >= 0x80 && (size_t)off + RSEQ_AREA_MIN <= sz) ||
	      (off < 0 && (size_t)-off <= below && off + RSEQ_AREA_MIN <= 0),
	      "__rseq_offset names an area inside the thread block "
	      "(struct pthread, or the static TLS below it)");
	int32_t cpu_id = *(volatile int32_t *)(tp + off + 4);
	if (cpu_id != RSEQ_CPU_ID_REGISTRATION_FAILED) {
		CHECK(__rseq_size > 0 &&
		      syscall(SYS_rseq, tp + off, len, 0, RSEQ_SIG) == -1 && errno == EBUSY,
		      "the rseq area at __rseq_offset is the one glibc registered "
		      "with the kernel (a second registration is EBUSY)");
	}
	g.rseq_off = off;
	rseq_lo = rseq_hi = 0;
	if (off >= 0) {
		rseq_lo = (size_t)off;
		rseq_hi = rseq_lo + len;
	}
	return true;
}

/*
 * libc's own TLS block, located through the public dl_iterate_phdr, and
 * malloc's per-thread words in it: those the first malloc in a fresh
 * thread changes (its arena and tcache).  A fresh thread holds there what
 * libc's TLS image says: 0 up to glibc 2.42; from 2.43 (2bf2188fae) the
 * tcache word starts at a read-only dummy.  None change under valgrind,
 * whose malloc replaces glibc's; then there is nothing to hand on.
 */
static bool probe_libc_tls(const char *tp)
{
	Dl_info di;
	struct libc_tls lt = {0};

	CHECK(dladdr((void *)&uselocale, &di) && di.dli_fbase,
	      "dladdr finds the C library");
	lt.base = (ElfW(Addr))di.dli_fbase;
	uthread__iterate_phdr(find_libc_tls, &lt);
	CHECK(lt.found && lt.tls_data && lt.tls_size > 0 && lt.tls_size <= 1024 &&
	      lt.image_size <= lt.tls_size &&
	      (char *)lt.tls_data + lt.tls_size <= tp &&
	      (char *)lt.tls_data >= tp - uthread__tcb_span_below(),
	      "libc's TLS block lies in the static TLS below the thread pointer");
	/* tcb_build writes a new thread's descriptor pointer and ctype
	 * pointers at our offsets from the thread pointer. */
	const char *lo = tp - uthread__tcb_span_below();
	CHECK((char *)&uthread__self_desc >= lo && (char *)&uthread__self_desc < tp &&
	      (char *)__ctype_b_loc() >= lo && (char *)__ctype_b_loc() < tp &&
	      (char *)__ctype_toupper_loc() >= lo && (char *)__ctype_toupper_loc() < tp &&
	      (char *)__ctype_tolower_loc() >= lo && (char *)__ctype_tolower_loc() < tp,
	      "uthread's and libc's ctype thread variables are in the static TLS");
	g.libc_tls_off = (char *)lt.tls_data - tp;
	g.libc_tls_size = lt.tls_size;

	uintptr_t before[128], fresh[128], *live = lt.tls_data;
	size_t nwords = lt.tls_size / sizeof(uintptr_t);
	memcpy(before, live, nwords * sizeof(uintptr_t));
	memset(fresh, 0, sizeof fresh);
	memcpy(fresh, lt.image, lt.image_size);
	void *volatile p = malloc(48);
	CHECK_AGAIN(p != NULL, "malloc works in the probe thread");
	free(p);
	g.n_malloc_words = 0;
	for (size_t i = 0; i < nwords; i++) {
		if (before[i] == live[i])
			continue;
		CHECK(before[i] == fresh[i] && g.n_malloc_words < UTHREAD__MALLOC_WORDS,
		      "malloc's first use changes only a few words of libc's TLS, "
		      "each from its initial value");
		g.malloc_word_off[g.n_malloc_words++] =
			g.libc_tls_off + (ptrdiff_t)(i * sizeof(uintptr_t));
	}
	return true;
}

/*
 * The stack fields pthread_getattr_np reads: four consecutive words
 * stackblock, stackblock_size, guardsize, reported_guardsize, found by the
 * values glibc reports for this (oddly sized) thread.
 */
static bool probe_stackblock(char *tp, size_t sz)
{
	pthread_attr_t a;
	void *addr;
	size_t size, guard;

	CHECK_AGAIN(pthread_getattr_np(pthread_self(), &a) == 0, "pthread_getattr_np works");
	pthread_attr_getstack(&a, &addr, &size);
	pthread_attr_getguardsize(&a, &guard);
	pthread_attr_destroy(&a);
	g.stackblock_off = 0;
	for (size_t off = 0; off + 4 * sizeof(uintptr_t) <= sz; off += sizeof(uintptr_t)) {
		uintptr_t *w = (uintptr_t *)(tp + off);
		if (guard == PROBE_GUARD && w[3] == guard && w[2] >= guard &&
		    w[0] + w[1] == (uintptr_t)addr + size && w[1] - w[2] == size) {
			g.stackblock_off = off;
			break;
		}
	}
	CHECK(g.stackblock_off, "struct pthread holds stackblock, stackblock_size, "
	                        "guardsize, reported_guardsize as pthread_getattr_np reports");
	return true;
}

/*
 * Per-thread state libc hangs on struct pthread when first asked, seen by
 * what a call changes there: the buffers strerror and strsignal return for
 * unknown numbers (freed when a uthread's block is released, as glibc
 * frees them at pthread exit), and from glibc 2.41 (461cab1de7) the state
 * of the vDSO's getrandom, taken from a process-wide pool on a thread's
 * first getrandom and handed back at its exit.  No word changes where
 * getrandom is a plain system call (before 2.41, no vDSO getrandom, under
 * valgrind).
 */
static bool probe_lazy_state(char *tp, size_t sz)
{
	char *snap = malloc(sz);
	size_t off[8];
	char rnd[16];

	CHECK_AGAIN(snap != NULL, "malloc works in the probe thread");
	memcpy(snap, tp, sz);
	uintptr_t e = (uintptr_t)strerror(-54321), sg = (uintptr_t)strsignal(54321);
	int n = changed_words(tp, snap, sz, off, 8);
	g.strerror_buf_off = g.strsignal_buf_off = 0;
	for (int i = 0; i < n && i < 8; i++) {
		uintptr_t then = *(uintptr_t *)(snap + off[i]), now = *(uintptr_t *)(tp + off[i]);
		if (then == 0 && now == e)
			g.strerror_buf_off = off[i];
		if (then == 0 && now == sg)
			g.strsignal_buf_off = off[i];
	}
	bool buffers = g.strerror_buf_off && g.strsignal_buf_off;

	memcpy(snap, tp, sz);
	/* Whatever it answers, only its traces in struct pthread matter. */
	ssize_t got = getrandom(rnd, sizeof rnd, GRND_NONBLOCK);
	(void)got;
	n = changed_words(tp, snap, sz, off, 1);
	g.getrandom_off = 0;
	bool getrandom_ok = n == 0 ||
		(n == 1 && *(uintptr_t *)(snap + off[0]) == 0 &&
		 (*(uintptr_t *)(tp + off[0]) & 1) == 0);
	if (n == 1)
		g.getrandom_off = off[0];
	free(snap);
	CHECK(buffers, "struct pthread holds the buffers strerror and strsignal return");
	CHECK(getrandom_ok, "getrandom changes at most one word of struct pthread, "
	                    "from NULL to its per-thread state");
	return true;
}

/*
 * pthread keys: specific[0] points at specific_1stblock just before the
 * array, and setspecific fills the slot of the key (in specific_1stblock
 * for keys below 32, else in a second-level block it allocates) and sets
 * specific_used, just after the array.  Whatever index the key gets: the
 * program may hold any number of keys already.
 */
static bool probe_keys(char *tp)
{
	struct pthread_key_data **spec = (struct pthread_key_data **)(tp + g.specific_off);
	bool *used = (bool *)(spec + KEY_1STLEVEL);
	pthread_key_t key;

	CHECK(spec[0] == (struct pthread_key_data *)(tp + g.specific_off) - KEY_2NDLEVEL,
	      "specific[0] is specific_1stblock, right before specific[]");
	CHECK_AGAIN(pthread_key_create(&key, NULL) == 0,
	            "pthread_key_create works (a pthread key is free)");
	*used = false;
	int r = pthread_setspecific(key, &key);
	const struct pthread_key_data *slot = NULL;
	if (r == 0 && key / KEY_2NDLEVEL < KEY_1STLEVEL && spec[key / KEY_2NDLEVEL])
		slot = &spec[key / KEY_2NDLEVEL][key % KEY_2NDLEVEL];
	bool ok = r == 0 && *used && slot && slot->data == &key &&
	          slot->seq == g.pthread_keys[key].seq && (slot->seq & 1);
	(void)pthread_setspecific(key, NULL);
	(void)pthread_key_delete(key);
	CHECK_AGAIN(r != ENOMEM, "pthread_setspecific works (memory for a key block)");
	CHECK(ok, "pthread_setspecific fills the key's slot under specific[] "
	          "and sets specific_used");
	return true;
}

/*
 * The resolver state: glibc gives each thread its own struct __res_state
 * (struct pthread.res) and points libc's TLS variable __resp
 * (GLIBC_PRIVATE) at it when the thread starts; the public __res_state(),
 * which _res expands to, returns __resp.  A uthread gets the same.
 */
static bool probe_resolver(const char *tp, size_t sz)
{
	const char *res = uthread__res_self();
	char **resp = private_sym("__resp"); /* this thread's instance */

	CHECK(resp != NULL, "glibc exports the GLIBC_PRIVATE symbol __resp");
	CHECK(res > tp && res + uthread__res_size() <= tp + sz,
	      "__res_state() is inside struct pthread in a new pthread");
	CHECK(*resp == res, "glibc's __resp holds what __res_state() returns");
	CHECK((char *)resp < tp && (char *)resp >= tp - uthread__tcb_span_below(),
	      "glibc's __resp is in the static TLS below the thread pointer");
	g.res_off = (size_t)(res - tp);
	g.resp_off = (char *)resp - tp;
	return true;
}

/*
 * How glibc's pthread_exit ends a thread: it stores the value in struct
 * pthread (result), then unwinds the stack to the jump buffer the thread's
 * cleanup_jmp_buf word names, which start_thread set before the start
 * routine (nptl/pthread_exit.c, unwind.c).  cleanup_jmp_buf is the word
 * __pthread_register_cancel (public: pthread_cleanup_push uses it) points
 * at the buffer it is given.  result is the word holding what a pthread
 * of the probe's returned, seen from a thread_local destructor of its,
 * which start_thread runs after storing it.  (Not by calling pthread_exit
 * here: its first unwind dlopens libgcc_s, and a fork landing in that
 * dlopen left a child whose own dlopen failed an assertion of ld.so.)
 */
static char result_magic;
static size_t result_found;

static void find_result(void *arg)
{
	const char *tp = uthread__arch_tp();
	size_t sz = *(const size_t *)arg;

	for (size_t off = 0; off + sizeof(void *) <= sz; off += sizeof(void *))
		if (*(void *const *)(tp + off) == &result_magic)
			result_found = result_found ? (size_t)-1 : off; /* one only */
}

/* Registers find_result as a thread_local destructor (what C++ compilers
 * call for one), for an object of this library. */
static void *return_magic(void *arg)
{
	int (*thread_atexit)(void (*)(void *), void *, void *) =
		(int (*)(void (*)(void *), void *, void *))dlsym(RTLD_DEFAULT,
		                                                 "__cxa_thread_atexit_impl");

	if (!thread_atexit || thread_atexit(find_result, arg, &result_magic))
		return NULL;
	return &result_magic;
}

static bool probe_exit(char *tp, size_t sz)
{
	__pthread_unwind_buf_t buf;
	pthread_t pt;
	void *r = NULL;
	char *snap = malloc(sz);
	size_t off[4];

	CHECK_AGAIN(snap != NULL, "malloc works in the probe thread");
	memcpy(snap, tp, sz);
	__pthread_register_cancel(&buf);
	int n = changed_words(tp, snap, sz, off, 4);
	g.cleanup_jmp_buf_off = 0;
	for (int i = 0; i < n && i < 4; i++)
		if (*(void **)(tp + off[i]) == &buf)
			g.cleanup_jmp_buf_off = off[i];
	__pthread_unregister_cancel(&buf);
	free(snap);
	CHECK(g.cleanup_jmp_buf_off, "__pthread_register_cancel points a word of struct "
	                             "pthread (cleanup_jmp_buf) at its buffer");

	/* The probe's own odd stack size, so that glibc's stack cache does
	 * not hand this stack on to a later default-size pthread (one still
	 * running at exit would make memcheck call its dtv lost). */
	pthread_attr_t pa;
	result_found = 0;
	pthread_attr_init(&pa);
	pthread_attr_setstacksize(&pa, PROBE_STACK);
	pthread_attr_setguardsize(&pa, PROBE_GUARD);
	int cr = pthread_create(&pt, &pa, return_magic, &sz);
	pthread_attr_destroy(&pa);
	CHECK_AGAIN(cr == 0, "the probe can create a pthread");
	pthread_join(pt, &r);
	CHECK_AGAIN(r == &result_magic, "__cxa_thread_atexit_impl works in the probe");
	CHECK(result_found && result_found != (size_t)-1,
	      "a thread's value is in one word of struct pthread (result) when its "
	      "thread_local destructors run");
	g.result_off = result_found;
	return true;
}

/*
 * glibc 2.43 (5da15b15ad, f7648bf443) keeps a thread's join state in a word
 * of its own (joinstate: EXITED 0, EXITING 1, JOINABLE 2, DETACHED 3), and
 * pthread_getschedparam and its kin answer ESRCH for a thread whose word
 * reads EXITED, which a zeroed block does.  Found on a copy of this
 * (joinable) thread's block, which pthread_getschedparam may be given
 * safely (it reads the copy's lock, flags, tid and scheduling fields): the
 * word holding JOINABLE whose 0 makes that call ESRCH.  Before 2.43 no such word
 * exists (the tid alone says whether a thread lives) and none is found.
 */
static bool probe_joinstate(char *tp, size_t sz)
{
	char *copy = malloc(sz);
	struct sched_param sp;
	int policy;

	CHECK_AGAIN(copy != NULL, "malloc works in the probe thread");
	memcpy(copy, tp, sz);
	g.joinstate_off = 0;
	bool ok = pthread_getschedparam((pthread_t)copy, &policy, &sp) == 0;
	for (size_t off = 0; ok && off + 4 <= sz; off += 4) {
		uint32_t *w = (uint32_t *)(copy + off);
		if (*w != JOINSTATE_JOINABLE || off == g.tid_off)
			continue;
		*w = 0;
		int dead = pthread_getschedparam((pthread_t)copy, &policy, &sp);
		*w = JOINSTATE_JOINABLE;
		if (dead != ESRCH)
			continue;
		ok = pthread_getschedparam((pthread_t)copy, &policy, &sp) == 0;
		g.joinstate_off = off;
		break;
	}
	free(copy);
	CHECK(ok, "pthread_getschedparam answers for a copy of a live thread's block");
	return true;
}

/*
 * Runs in a pthread: a thread block glibc built itself, so every field we
 * are about to imitate can be compared with the real thing.
 */
/*
 * glibc's count of the process's threads (__nptl_nthreads): pthread_create
 * counts a new thread before its clone, a thread's end takes it back, and
 * the thread that takes it to 0 ends the process with exit(0) (nptl/
 * pthread_create.c, sysdeps/nptl/libc_start_call_main.h).  Here it counts
 * at least this pthread and its creator, which waits for it.  (Not exactly
 * one more than the creator read before: other threads may come and go
 * meanwhile, as test_fork_init's forker does.)
 */
static bool probe_nthreads(unsigned before)
{
	unsigned now = __atomic_load_n(g.nthreads, __ATOMIC_SEQ_CST);

	CHECK(before >= 1 && now >= 2,
	      "glibc's __nptl_nthreads counts the probe's pthread and its creator");
	return true;
}

/*
 * glibc's books of its threads (books.c): in ld.so's _rtld_global, the
 * list heads _dl_stack_used and _dl_stack_user, whose offsets libthread_db
 * gets from _thread_db_rtld_global__dl_stack_{used,user}; then, in every
 * release from 2.36 to 2.43 (sysdeps/generic/ldsodefs.h), _dl_stack_cache
 * (a list head), _dl_stack_cache_actsize, _dl_in_flight_stack and
 * _dl_stack_cache_lock, which have no descriptor.  Seen here: this
 * pthread's block is on the first list and its creator's on one of the
 * two; user follows used; the cache is a well-formed list holding at most
 * as many bytes as it says; nothing is in flight; the lock reads as one.
 */
/* What the probe's creator hands it. */
struct probe_arg {
	const char *creator_tp;
	const struct db_desc *used_d, *user_d;
	char *rtld;
	unsigned nthreads_before;
};

/* Is node on the list at head (a well-formed list, at most 1M long)? */
static bool on_list(void *head, const void *node)
{
	void **h = head, **n = h[0];

	for (long i = 0; i < (1L << 20) && n && n != (void **)h; i++, n = n[0]) {
		if (((void ***)n[0])[1] != n)
			return false; /* next->prev is not n: not a list */
		if (n == node)
			return true;
	}
	return false;
}

static bool probe_books(char *tp, const struct probe_arg *a)
{
	CHECK(a->rtld && a->used_d && a->user_d && a->used_d->bits == 128 &&
	      a->user_d->bits == 128 && a->user_d->offset == a->used_d->offset + 16,
	      "ld.so's _dl_stack_used and _dl_stack_user are list heads, one after "
	      "the other (from _thread_db_rtld_global__dl_stack_*)");
	char *used = a->rtld + a->used_d->offset;
	void **cache = (void **)(used + 32);
	CHECK(on_list(used, tp + g.list_off),
	      "a new pthread's block is on ld.so's _dl_stack_used");
	CHECK(on_list(used, a->creator_tp + g.list_off) ||
	      on_list(used + 16, a->creator_tp + g.list_off),
	      "the creating thread's block is on _dl_stack_used or _dl_stack_user");
	CHECK(cache[0] && ((void ***)cache[0])[1] == (void **)cache,
	      "_dl_stack_cache, after _dl_stack_user, is a list head");
	uintptr_t in_flight = __atomic_load_n((uintptr_t *)(used + 56), __ATOMIC_RELAXED);
	int lock = __atomic_load_n((int *)(used + 64), __ATOMIC_RELAXED);
	CHECK_AGAIN(in_flight == 0, "_dl_in_flight_stack is 0 (no list change under way)");
	CHECK(lock >= 0 && lock <= 2, "_dl_stack_cache_lock, after _dl_in_flight_stack, "
	                              "holds a lock's value");
	g.stack_used = used;
	g.stack_user = used + 16;
	g.stack_in_flight = (uintptr_t *)(used + 56);
	g.stack_lock = (int *)(used + 64);
	return true;
}

/* 1 once the probe has made its last observation (a futex word). */
static uint32_t probe_done;

static void *probe(void *arg)
{
	const struct probe_arg *pa = arg;
	char *tp = uthread__arch_tp();
	size_t sz = g.sizeof_pthread;
	void *ok = NULL;

	if (probe_header(tp, sz) && probe_rseq(tp, sz) && probe_libc_tls(tp) &&
	    probe_stackblock(tp, sz) && probe_lazy_state(tp, sz) && probe_keys(tp) &&
	    probe_resolver(tp, sz) && probe_exit(tp, sz) &&
	    probe_joinstate(tp, sz) &&
	    probe_nthreads(pa->nthreads_before) && probe_books(tp, pa))
		ok = (void *)1;
	/* Release: our observations are done before the joiner goes on. */
	__atomic_store_n(&probe_done, 1, __ATOMIC_RELEASE);
	uthread__futex_wake(&probe_done, 1, 1);
	return ok;
}

static int do_init(void)
{
	const struct db_desc *tid_d, *list_d, *spec_d, *kseq_d, *kdestr_d, *dseq_d, *ddata_d;
	const uint32_t *sizeof_pthread, *sizeof_key, *sizeof_keydata;

	failed_transient = false;
	/* A futex word, touched only atomically; pthread_join orders the
	 * probe's findings for helgrind and DRD. */
	UTHREAD__IGNORE(&probe_done, sizeof probe_done);
	__atomic_store_n(&probe_done, 0, __ATOMIC_RELAXED);
	const struct {
		const char *name;
		const void **to;
	} syms[] = {
		{ "_dl_allocate_tls", (const void **)&g.allocate_tls },
		{ "_dl_deallocate_tls", (const void **)&g.deallocate_tls },
		{ "_dl_get_tls_static_info", (const void **)&g.get_tls_static_info },
		{ "__call_tls_dtors", (const void **)&g.call_tls_dtors },
		{ "__pthread_keys", (const void **)&g.pthread_keys },
		{ "__nptl_nthreads", (const void **)&g.nthreads },
		{ "_thread_db_pthread_tid", (const void **)&tid_d },
		{ "_thread_db_pthread_list", (const void **)&list_d },
		{ "_thread_db_sizeof_pthread", (const void **)&sizeof_pthread },
		{ "_thread_db_pthread_specific", (const void **)&spec_d },
		{ "_thread_db_pthread_key_struct_seq", (const void **)&kseq_d },
		{ "_thread_db_pthread_key_struct_destr", (const void **)&kdestr_d },
		{ "_thread_db_pthread_key_data_seq", (const void **)&dseq_d },
		{ "_thread_db_pthread_key_data_data", (const void **)&ddata_d },
		{ "_thread_db_sizeof_pthread_key_struct", (const void **)&sizeof_key },
		{ "_thread_db_sizeof_pthread_key_data", (const void **)&sizeof_keydata },
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].to = private_sym(syms[i].name);
		if (!*syms[i].to) {
			(void)snprintf(failed_buf, sizeof failed_buf, "glibc exports the "
			               "GLIBC_PRIVATE symbol %s", syms[i].name);
			failed_check = failed_buf;
			return ENOTSUP;
		}
	}
	g.sizeof_pthread = *sizeof_pthread;
	g.get_tls_static_info(&g.tls_static_size, &g.tls_static_align);
	if (g.sizeof_pthread < 0x100 || g.sizeof_pthread > 65536) {
		failed_check = "_thread_db_sizeof_pthread is plausible";
		return ENOTSUP;
	}
	if (tid_d->bits != 32 || tid_d->count != 1 ||
	    tid_d->offset + 4 > g.sizeof_pthread ||
	    list_d->bits != 8 * sizeof(void *) * 2 || list_d->count != 1 ||
	    list_d->offset + 16 > g.sizeof_pthread) {
		failed_check = "the libthread_db descriptors of tid and list have "
		               "the expected format";
		return ENOTSUP;
	}
	g.tid_off = tid_d->offset;
	g.list_off = list_d->offset;
	if (*sizeof_key != sizeof(struct pthread_key_struct) ||
	    *sizeof_keydata != sizeof(struct pthread_key_data) ||
	    kseq_d->offset != offsetof(struct pthread_key_struct, seq) ||
	    kdestr_d->offset != offsetof(struct pthread_key_struct, destr) ||
	    dseq_d->offset != offsetof(struct pthread_key_data, seq) ||
	    ddata_d->offset != offsetof(struct pthread_key_data, data) ||
	    spec_d->bits != 8 * sizeof(void *) * KEY_1STLEVEL || spec_d->count != 1 ||
	    spec_d->offset < KEY_2NDLEVEL * sizeof(struct pthread_key_data) ||
	    spec_d->offset + KEY_1STLEVEL * sizeof(void *) + 1 > g.sizeof_pthread) {
		failed_check = "glibc's pthread key structures have the layout "
		               "their libthread_db descriptors give";
		return ENOTSUP;
	}
	g.specific_off = spec_d->offset;
	if (g.tls_static_size <= g.sizeof_pthread || g.tls_static_align < 16 ||
	    (g.tls_static_align & (g.tls_static_align - 1)) ||
	    g.tls_static_size > (16u << 20)) {
		failed_check = "the static TLS size exceeds struct pthread and its "
		               "alignment is a power of two";
		return ENOTSUP;
	}

	/*
	 * Create and join one pthread, with public calls only.  Besides the
	 * probe, this is what tells glibc the process is multi-threaded: it
	 * turns on stdio locking and malloc's arena locking, which no raw
	 * clone can do.
	 */
	pthread_t pt;
	pthread_attr_t attr;
	void *ok = NULL;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PROBE_STACK);
	pthread_attr_setguardsize(&attr, PROBE_GUARD);
	struct probe_arg pa = {
		uthread__arch_tp(),
		private_sym("_thread_db_rtld_global__dl_stack_used"),
		private_sym("_thread_db_rtld_global__dl_stack_user"),
		private_sym("_rtld_global"),
		__atomic_load_n(g.nthreads, __ATOMIC_SEQ_CST),
	};
	int cr = pthread_create(&pt, &attr, probe, &pa);
	pthread_attr_destroy(&attr);
	if (cr != 0) {
		failed_check = "one pthread can be created at start-up";
		return EAGAIN; /* out of resources, not a layout problem */
	}
	/*
	 * Join only once the probe has looked: up to glibc 2.42, pthread_join
	 * writes the joiner into the probe's struct pthread (joinid), which
	 * the probe would take for what its own calls changed (seen: the
	 * getrandom check failing in test_fork_init under load).  Acquire
	 * pairs with the probe's release.
	 */
	while (!__atomic_load_n(&probe_done, __ATOMIC_ACQUIRE))
		(void)uthread__futex_wait(&probe_done, 0, 1, CLOCK_MONOTONIC, NULL);
	pthread_join(pt, &ok);
	if (ok)
		return 0;
	return failed_transient ? EAGAIN : ENOTSUP;
}

int uthread__ensure_init(void)
{
	/* Acquire pairs with the release below: whoever sees 1 sees g filled. */
	if (__atomic_load_n(&init_done, __ATOMIC_ACQUIRE))
		return init_error;
	uthread__lock(&init_lock);
	if (!init_done) {
		int r = do_init();
		if (r == EAGAIN) {
			/* A transient failure: let a later call try again. */
			uthread__unlock(&init_lock);
			return EAGAIN;
		}
		if (r) {
			(void)fprintf(stderr, "uthread: start-up check failed: %s; "
			              "refusing to create threads\n", failed_check);
			init_error = r;
		}
		__atomic_store_n(&init_done, 1, __ATOMIC_RELEASE);
	}
	uthread__unlock(&init_lock);
	return init_error;
}

/*
 * fork() child: a parent thread may have been inside do_init, holding the
 * lock; that thread does not exist here.  Unlock it: if init had not
 * finished (init_done still 0), the child's first create runs it afresh,
 * overwriting whatever half-filled state it inherited.
 */
void uthread__glibc_atfork_child(void)
{
	init_lock = UTHREAD__LOCK_INIT;
}

/* The check that made the last probe fail, for uthread_check_np. */
void uthread__init_failure(char *buf, size_t len)
{
	uthread__lock(&init_lock);
	(void)snprintf(buf, len, "%s", failed_check ? failed_check : "no check failed");
	uthread__unlock(&init_lock);
}
