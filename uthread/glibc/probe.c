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
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
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

static int init_error;     /* 0, or ENOTSUP after a failed check */
static uint32_t init_done; /* 0 not yet, 1 done; atomic */
static uthread__lock_t init_lock = UTHREAD__LOCK_INIT;
static const char *failed_check;

#define CHECK(cond, what)                       \
	do {                                    \
		if (!(cond)) {                  \
			failed_check = (what);  \
			return NULL;            \
		}                               \
	} while (0)

static void *private_sym(const char *name)
{
	return dlvsym(RTLD_DEFAULT, name, "GLIBC_PRIVATE");
}

/* dl_iterate_phdr callback: find the module loaded at *data (libc's base). */
struct libc_tls {
	ElfW(Addr) base;
	void *tls_data;
	size_t tls_size;
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
		}
	}
	lt->found = 1;
	return 1;
}

/*
 * Runs in a pthread: a thread block glibc built itself, so every field we
 * are about to imitate can be compared with the real thing.
 */
static void *probe(void *unused)
{
	char *tp = uthread__arch_tp();
	size_t sz = g.sizeof_pthread;

	(void)unused;
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

	/* rseq: the area glibc registers, inside struct pthread. */
	g.rseq_off = __rseq_offset;
	CHECK(g.rseq_off > 0 && (size_t)g.rseq_off + 32 <= sz,
	      "__rseq_offset names an area inside struct pthread");

	/* libc's own TLS block, located through the public dl_iterate_phdr. */
	Dl_info di;
	struct libc_tls lt = {0};
	CHECK(dladdr((void *)&uselocale, &di) && di.dli_fbase,
	      "dladdr finds the C library");
	lt.base = (ElfW(Addr))di.dli_fbase;
	uthread__iterate_phdr(find_libc_tls, &lt);
	CHECK(lt.found && lt.tls_data && lt.tls_size > 0 && lt.tls_size <= 1024 &&
	      (char *)lt.tls_data + lt.tls_size <= tp &&
	      (char *)lt.tls_data >= tp - uthread__tcb_span_below(),
	      "libc's TLS block lies in the static TLS below the thread pointer");
	/* tcb_build writes a new thread's descriptor pointer and ctype
	 * pointers at our offsets from the thread pointer. */
	char *lo = tp - uthread__tcb_span_below();
	CHECK((char *)&uthread__self_desc >= lo && (char *)&uthread__self_desc < tp &&
	      (char *)__ctype_b_loc() >= lo && (char *)__ctype_b_loc() < tp &&
	      (char *)__ctype_toupper_loc() >= lo && (char *)__ctype_toupper_loc() < tp &&
	      (char *)__ctype_tolower_loc() >= lo && (char *)__ctype_tolower_loc() < tp,
	      "uthread's and libc's ctype thread variables are in the static TLS");
	g.libc_tls_off = (char *)lt.tls_data - tp;
	g.libc_tls_size = lt.tls_size;

	/*
	 * malloc's per-thread words: the words of libc's TLS block that the
	 * first malloc in a fresh thread turns from 0 into pointers (its arena
	 * and tcache).  None change under valgrind, whose malloc replaces
	 * glibc's; then there is nothing to hand on.
	 */
	uintptr_t before[128], *live = lt.tls_data;
	size_t nwords = lt.tls_size / sizeof(uintptr_t);
	memcpy(before, live, nwords * sizeof(uintptr_t));
	void *volatile p = malloc(48);
	CHECK(p != NULL, "malloc works in the probe thread");
	free(p);
	g.n_malloc_words = 0;
	for (size_t i = 0; i < nwords; i++) {
		if (before[i] == live[i])
			continue;
		CHECK(before[i] == 0 && g.n_malloc_words < UTHREAD__MALLOC_WORDS,
		      "malloc's first use changes only a few zero words of libc's TLS");
		g.malloc_word_off[g.n_malloc_words++] =
			g.libc_tls_off + (ptrdiff_t)(i * sizeof(uintptr_t));
	}

	/*
	 * The stack fields pthread_getattr_np reads: four consecutive words
	 * stackblock, stackblock_size, guardsize, reported_guardsize, found by
	 * the values glibc reports for this (oddly sized) thread.
	 */
	pthread_attr_t a;
	void *addr;
	size_t size, guard;
	CHECK(pthread_getattr_np(pthread_self(), &a) == 0, "pthread_getattr_np works");
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

	/*
	 * libc's per-thread message buffers (struct pthread's tls_internal):
	 * the words that come to hold exactly what strerror and strsignal
	 * return for unknown numbers.  Freed when a uthread's block is
	 * released, as glibc frees them at pthread exit.
	 */
	char *snap = malloc(sz);
	CHECK(snap != NULL, "malloc works in the probe thread");
	memcpy(snap, tp, sz);
	uintptr_t e = (uintptr_t)strerror(-54321), sg = (uintptr_t)strsignal(54321);
	g.strerror_buf_off = g.strsignal_buf_off = 0;
	for (size_t off = 0; off + sizeof(uintptr_t) <= sz; off += sizeof(uintptr_t)) {
		uintptr_t now = *(uintptr_t *)(tp + off), then = *(uintptr_t *)(snap + off);
		if (then == 0 && now == e)
			g.strerror_buf_off = off;
		if (then == 0 && now == sg)
			g.strsignal_buf_off = off;
	}
	free(snap);
	CHECK(g.strerror_buf_off && g.strsignal_buf_off,
	      "struct pthread holds the buffers strerror and strsignal return");

	/* pthread keys: specific[0] points at specific_1stblock just before
	 * the array, and specific_used (just after) is set by setspecific. */
	struct pthread_key_data **spec = (struct pthread_key_data **)(tp + g.specific_off);
	CHECK(spec[0] == (struct pthread_key_data *)(tp + g.specific_off) - KEY_2NDLEVEL,
	      "specific[0] is specific_1stblock, right before specific[]");
	pthread_key_t key;
	CHECK(pthread_key_create(&key, NULL) == 0, "pthread_key_create works");
	bool *used = (bool *)(spec + KEY_1STLEVEL);
	*used = false;
	pthread_setspecific(key, &key);
	CHECK(*used && key < KEY_2NDLEVEL && spec[0][key].data == &key &&
	      spec[0][key].seq == g.pthread_keys[key].seq && (spec[0][key].seq & 1),
	      "pthread_setspecific fills specific_1stblock and sets specific_used");
	pthread_key_delete(key);
	return (void *)1;
}

static int do_init(void)
{
	const struct db_desc *tid_d, *list_d, *spec_d, *kseq_d, *kdestr_d, *dseq_d, *ddata_d;
	const uint32_t *sizeof_pthread, *sizeof_key, *sizeof_keydata;

	g.allocate_tls = (void *(*)(void *))private_sym("_dl_allocate_tls");
	g.deallocate_tls = (void (*)(void *, bool))private_sym("_dl_deallocate_tls");
	g.get_tls_static_info =
		(void (*)(size_t *, size_t *))private_sym("_dl_get_tls_static_info");
	g.call_tls_dtors = (void (*)(void))private_sym("__call_tls_dtors");
	tid_d = private_sym("_thread_db_pthread_tid");
	list_d = private_sym("_thread_db_pthread_list");
	sizeof_pthread = private_sym("_thread_db_sizeof_pthread");
	spec_d = private_sym("_thread_db_pthread_specific");
	kseq_d = private_sym("_thread_db_pthread_key_struct_seq");
	kdestr_d = private_sym("_thread_db_pthread_key_struct_destr");
	dseq_d = private_sym("_thread_db_pthread_key_data_seq");
	ddata_d = private_sym("_thread_db_pthread_key_data_data");
	sizeof_key = private_sym("_thread_db_sizeof_pthread_key_struct");
	sizeof_keydata = private_sym("_thread_db_sizeof_pthread_key_data");
	g.pthread_keys = private_sym("__pthread_keys");
	if (!g.allocate_tls || !g.deallocate_tls || !g.get_tls_static_info ||
	    !g.call_tls_dtors || !tid_d || !list_d || !sizeof_pthread || !spec_d ||
	    !kseq_d || !kdestr_d || !dseq_d || !ddata_d || !sizeof_key ||
	    !sizeof_keydata || !g.pthread_keys) {
		failed_check = "the GLIBC_PRIVATE symbols _dl_allocate_tls, "
		               "_dl_deallocate_tls, _dl_get_tls_static_info, "
		               "__call_tls_dtors, __pthread_keys and _thread_db_* "
		               "are present";
		return ENOTSUP;
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
	pthread_attr_t pa;
	void *ok = NULL;
	pthread_attr_init(&pa);
	pthread_attr_setstacksize(&pa, PROBE_STACK);
	pthread_attr_setguardsize(&pa, PROBE_GUARD);
	int cr = pthread_create(&pt, &pa, probe, NULL);
	pthread_attr_destroy(&pa);
	if (cr != 0) {
		failed_check = "one pthread can be created at start-up";
		return EAGAIN; /* out of resources, not a layout problem */
	}
	pthread_join(pt, &ok);
	return ok ? 0 : ENOTSUP;
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
