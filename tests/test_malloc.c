/* SPDX-License-Identifier: MIT */
/*
 * test_malloc.c - malloc and its relatives keep every block intact when
 * uthreads allocate concurrently, free each other's blocks, realloc blocks
 * another thread allocated, and when short-lived threads inherit the malloc
 * state of the threads before them.
 */
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "uthread.h"
#include "libcutil.h"
#include "testutil.h"

#define NT 8

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* Sizes from tcache-sized to above the mmap threshold, mostly small. */
static size_t pick_size(uint64_t *rng)
{
	uint64_t r = xorshift(rng), c = r % 1000;

	r >>= 10;
	if (c < 700)
		return 1 + r % 256;
	if (c < 970)
		return 257 + r % 4096;
	if (c < 998)
		return 4353 + r % 65536;
	return (128 << 10) + r % (384 << 10);
}

/*
 * A block's contents: its 8-byte stamp (unique per allocation) at both ends
 * when it is at least 16 bytes, and a byte pattern derived from the stamp in
 * between.  Two blocks that overlap, or one block handed out twice, fail
 * verification.
 */
static unsigned char pattern_base(uint64_t stamp)
{
	return (unsigned char)((stamp * 0x9e3779b97f4a7c15ull) >> 56);
}

static unsigned char expected_byte(uint64_t stamp, size_t size, size_t k)
{
	if (size >= 16 && (k < 8 || k >= size - 8))
		return (unsigned char)(stamp >> 8 * (k < 8 ? k : k - (size - 8)));
	return pattern_base(stamp) ^ (unsigned char)(k * 131);
}

static void fill(unsigned char *p, size_t size, uint64_t stamp)
{
	size_t lo = size >= 16 ? 8 : 0, hi = size >= 16 ? size - 8 : size;
	unsigned char base = pattern_base(stamp);

	for (size_t k = lo; k < hi; k++) /* the hot loop: vectorisable */
		p[k] = base ^ (unsigned char)(k * 131);
	for (size_t k = 0; k < lo; k++)
		p[k] = expected_byte(stamp, size, k);
	for (size_t k = hi; k < size; k++)
		p[k] = expected_byte(stamp, size, k);
}

/* Bytes of p[0, upto) that differ from what fill(p, size, stamp) wrote. */
static size_t verify(const unsigned char *p, size_t size, uint64_t stamp, size_t upto)
{
	size_t lo = size >= 16 ? 8 : 0, hi = size >= 16 ? size - 8 : size, bad = 0;
	unsigned char base = pattern_base(stamp);

	if (lo > upto)
		lo = upto;
	for (size_t k = lo; k < (hi < upto ? hi : upto); k++)
		bad += p[k] != (base ^ (unsigned char)(k * 131));
	for (size_t k = 0; k < lo; k++)
		bad += p[k] != expected_byte(stamp, size, k);
	for (size_t k = hi; k < upto; k++)
		bad += p[k] != expected_byte(stamp, size, k);
	return bad;
}

/* ------------------------------------------------------------------ */
/* Eight threads allocating at once                                     */
/* ------------------------------------------------------------------ */

#define SLOTS 256

struct mixer {
	int id, iters;
	/* Every byte written is verified before its block is freed. */
	uint64_t bytes_filled, bytes_checked;
	size_t bad_bytes, null_returns, misaligned, dirty_calloc;
};

static int mix_go;

/* A new block for slot s: malloc, calloc or an aligned allocation. */
static unsigned char *mix_alloc(struct mixer *m, uint64_t *rng, size_t size)
{
	unsigned kind = (unsigned)(xorshift(rng) % 10);
	unsigned char *p;

	if (kind < 6) {
		p = malloc(size);
	} else if (kind < 8) {
		p = calloc(1, size);
		/* Recycled memory must come back zeroed. */
		for (size_t k = 0; p && k < size; k++)
			if (p[k]) {
				m->dirty_calloc++;
				break;
			}
	} else {
		size_t align = (size_t)64 << (xorshift(rng) % 7); /* 64 .. 4096 */
		void *q = NULL;
		if (kind == 8) {
			if (posix_memalign(&q, align, size) != 0)
				q = NULL;
		} else {
			q = aligned_alloc(align, (size + align - 1) / align * align);
		}
		p = q;
		m->misaligned += p && ((uintptr_t)p & (align - 1));
	}
	if (!p)
		m->null_returns++;
	else if ((uintptr_t)p & 15)
		m->misaligned++;
	return p;
}

static void *mixer_body(void *arg)
{
	struct mixer *m = arg;
	struct { unsigned char *p; size_t size; uint64_t stamp; } slot[SLOTS];
	uint64_t rng = 0x9876543210ull * (uint64_t)(m->id + 1), serial = 0;

	memset(slot, 0, sizeof slot);
	tu_add(&mix_go, 1);
	tu_wait(&mix_go, NT, -1);
	for (int it = 0; it < m->iters; it++) {
		unsigned s = (unsigned)(xorshift(&rng) % SLOTS);
		uint64_t stamp = (uint64_t)m->id << 56 | ++serial;
		size_t size = pick_size(&rng);

		if (!slot[s].p) {
			slot[s].p = mix_alloc(m, &rng, size);
			if (!slot[s].p)
				continue;
		} else if (xorshift(&rng) % 4 == 0) {
			/* realloc: the old contents up to the smaller size stay. */
			size_t keep = size < slot[s].size ? size : slot[s].size;
			unsigned char *q = realloc(slot[s].p, size);
			if (!q) {
				m->null_returns++;
				continue;
			}
			m->bad_bytes += verify(q, slot[s].size, slot[s].stamp, keep);
			m->bytes_checked += keep;
			m->bytes_filled -= slot[s].size - keep; /* dropped by the shrink */
			slot[s].p = q;
		} else {
			m->bad_bytes += verify(slot[s].p, slot[s].size, slot[s].stamp,
			                       slot[s].size);
			m->bytes_checked += slot[s].size;
			free(slot[s].p);
			slot[s].p = NULL;
			continue;
		}
		fill(slot[s].p, size, stamp);
		m->bytes_filled += size;
		slot[s].size = size;
		slot[s].stamp = stamp;
	}
	for (unsigned s = 0; s < SLOTS; s++) {
		if (!slot[s].p)
			continue;
		m->bad_bytes += verify(slot[s].p, slot[s].size, slot[s].stamp, slot[s].size);
		m->bytes_checked += slot[s].size;
		free(slot[s].p);
	}
	return NULL;
}

static void blocks_of_varied_sizes_stay_intact_in_eight_threads_at_once(void **state)
{
	struct mixer m[NT];
	uthread_t t[NT];

	(void)state;
	mix_go = 0;
	for (int i = 0; i < NT; i++) {
		m[i] = (struct mixer){ .id = i + 1, .iters = lu_scaled(40000) };
		assert_int_equal(uthread_create(&t[i], NULL, mixer_body, &m[i]), 0);
	}
	for (int i = 0; i < NT; i++) {
		assert_int_equal(uthread_join(t[i], NULL), 0);
		assert_int_equal(m[i].null_returns, 0);
		assert_int_equal(m[i].misaligned, 0);
		assert_int_equal(m[i].dirty_calloc, 0);
		assert_int_equal(m[i].bad_bytes, 0);
		assert_true(m[i].bytes_filled > 0);
		assert_int_equal(m[i].bytes_checked, m[i].bytes_filled);
	}
}

/* ------------------------------------------------------------------ */
/* Blocks freed and realloc'ed by another thread                        */
/* ------------------------------------------------------------------ */

#define PAIRS (NT / 2)
#define QCAP 64

struct item {
	unsigned char *p;
	size_t size;
	uint64_t stamp;
	long seq;
};

/* A bounded queue under a pthread mutex; callers spin while full/empty. */
struct queue {
	pthread_mutex_t lock;
	struct item it[QCAP];
	unsigned head, len;
};

static int q_push(struct queue *q, const struct item *it)
{
	int ok;

	pthread_mutex_lock(&q->lock);
	ok = q->len < QCAP;
	if (ok)
		q->it[(q->head + q->len++) % QCAP] = *it;
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static int q_pop(struct queue *q, struct item *it)
{
	int ok;

	pthread_mutex_lock(&q->lock);
	ok = q->len > 0;
	if (ok) {
		*it = q->it[q->head];
		q->head = (q->head + 1) % QCAP;
		q->len--;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

/*
 * The producer allocates and fills; the consumer verifies each block, frees
 * the even ones and reallocs the odd ones (a block of the producer's arena)
 * before sending them back, where the producer verifies and frees them.
 */
struct pair {
	int id;
	long n;
	struct queue fwd, back;
	/* producer */
	uint64_t sent_bytes, back_bytes_expected, back_bytes;
	long back_received, back_bad_seq;
	size_t back_bad_bytes;
	/* consumer */
	uint64_t recv_bytes;
	long received, bad_seq;
	size_t bad_bytes, null_returns;
};

static struct pair pairs[PAIRS];

static void producer_drain(struct pair *pr)
{
	struct item it;

	while (q_pop(&pr->back, &it)) {
		pr->back_bad_bytes += verify(it.p, it.size, it.stamp, it.size);
		/* Odd sequence numbers only, in order. */
		pr->back_bad_seq += it.seq != 2 * pr->back_received + 1;
		pr->back_received++;
		pr->back_bytes += it.size;
		free(it.p);
	}
}

static void *producer(void *arg)
{
	struct pair *pr = arg;
	uint64_t rng = 0xabcdef12345ull * (uint64_t)(pr->id + 1);

	for (long i = 0; i < pr->n; i++) {
		struct item it = { .size = pick_size(&rng), .seq = i,
		                   .stamp = (uint64_t)pr->id << 48 | (uint64_t)i };
		it.p = malloc(it.size);
		if (!it.p)
			return (void *)1;
		fill(it.p, it.size, it.stamp);
		pr->sent_bytes += it.size;
		while (!q_push(&pr->fwd, &it)) {
			producer_drain(pr); /* keeps the consumer from blocking on us */
			sched_yield();
		}
		producer_drain(pr);
	}
	while (pr->back_received < pr->n / 2) {
		producer_drain(pr);
		sched_yield();
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct pair *pr = arg;
	uint64_t rng = 0x55aa55aa55ull * (uint64_t)(pr->id + 1);
	struct item it;

	while (pr->received < pr->n) {
		if (!q_pop(&pr->fwd, &it)) {
			sched_yield();
			continue;
		}
		pr->bad_bytes += verify(it.p, it.size, it.stamp, it.size);
		pr->bad_seq += it.seq != pr->received;
		pr->received++;
		pr->recv_bytes += it.size;
		if (it.seq % 2 == 0) {
			free(it.p);
			continue;
		}
		/* Grow or shrink another thread's block, then send it back. */
		size_t size = pick_size(&rng);
		unsigned char *q = realloc(it.p, size);
		if (!q) {
			pr->null_returns++;
			free(it.p);
			size = 16;
			q = malloc(size);
			if (!q)
				return (void *)1;
		} else {
			size_t keep = size < it.size ? size : it.size;
			pr->bad_bytes += verify(q, it.size, it.stamp, keep);
		}
		it.p = q;
		it.size = size;
		it.stamp ^= 0xffull << 56;
		fill(it.p, it.size, it.stamp);
		pr->back_bytes_expected += size;
		while (!q_push(&pr->back, &it))
			sched_yield();
	}
	return NULL;
}

static void blocks_freed_or_realloced_by_another_thread_stay_intact(void **state)
{
	uthread_t tp[PAIRS], tc[PAIRS];

	(void)state;
	for (int i = 0; i < PAIRS; i++) {
		memset(&pairs[i], 0, sizeof pairs[i]);
		pairs[i].id = i + 1;
		pairs[i].n = lu_scaled(20000);
		assert_int_equal(pthread_mutex_init(&pairs[i].fwd.lock, NULL), 0);
		assert_int_equal(pthread_mutex_init(&pairs[i].back.lock, NULL), 0);
	}
	for (int i = 0; i < PAIRS; i++) {
		assert_int_equal(uthread_create(&tc[i], NULL, consumer, &pairs[i]), 0);
		assert_int_equal(uthread_create(&tp[i], NULL, producer, &pairs[i]), 0);
	}
	for (int i = 0; i < PAIRS; i++) {
		void *rp, *rc;
		struct pair *pr = &pairs[i];

		assert_int_equal(uthread_join(tp[i], &rp), 0);
		assert_int_equal(uthread_join(tc[i], &rc), 0);
		assert_null(rp);
		assert_null(rc);
		assert_int_equal(pr->received, pr->n);
		assert_int_equal(pr->bad_seq, 0);
		assert_int_equal(pr->bad_bytes, 0);
		assert_int_equal(pr->null_returns, 0);
		assert_int_equal(pr->recv_bytes, pr->sent_bytes);
		assert_int_equal(pr->back_received, pr->n / 2);
		assert_int_equal(pr->back_bad_seq, 0);
		assert_int_equal(pr->back_bad_bytes, 0);
		assert_int_equal(pr->back_bytes, pr->back_bytes_expected);
		pthread_mutex_destroy(&pr->fwd.lock);
		pthread_mutex_destroy(&pr->back.lock);
	}
}

/* ------------------------------------------------------------------ */
/* Short-lived threads, each freeing what the one before allocated      */
/* ------------------------------------------------------------------ */

#define RELAY_BLOCKS 64

/* Two lanes, so two slots (and their handed-on malloc state) alternate. */
static struct relay {
	unsigned char *p[RELAY_BLOCKS];
	size_t size[RELAY_BLOCKS];
	uint64_t stamp[RELAY_BLOCKS];
	uint64_t rng, serial;
	size_t bad_bytes, null_returns;
	uint64_t filled, checked;
} lanes[2];

static void *relay_body(void *arg)
{
	struct relay *r = arg;

	for (int b = 0; b < RELAY_BLOCKS; b++) {
		if (r->p[b]) {
			r->bad_bytes += verify(r->p[b], r->size[b], r->stamp[b], r->size[b]);
			r->checked += r->size[b];
			free(r->p[b]);
		}
		r->size[b] = pick_size(&r->rng);
		r->stamp[b] = ++r->serial;
		r->p[b] = malloc(r->size[b]);
		if (!r->p[b]) {
			r->null_returns++;
			continue;
		}
		fill(r->p[b], r->size[b], r->stamp[b]);
		r->filled += r->size[b];
	}
	return NULL;
}

static void blocks_left_by_an_ended_thread_stay_intact_for_the_next(void **state)
{
	int rounds = lu_scaled(500);

	(void)state;
	memset(lanes, 0, sizeof lanes);
	lanes[0].rng = 0x1111111111ull;
	lanes[1].rng = 0x2222222222ull;
	for (int i = 0; i < rounds; i++) {
		uthread_t t[2];
		for (int l = 0; l < 2; l++)
			assert_int_equal(uthread_create(&t[l], NULL, relay_body, &lanes[l]), 0);
		/* Join in alternating order: the slots change hands. */
		for (int l = 0; l < 2; l++)
			assert_int_equal(uthread_join(t[(l + i) % 2], NULL), 0);
	}
	for (int l = 0; l < 2; l++) {
		struct relay *r = &lanes[l];
		for (int b = 0; b < RELAY_BLOCKS; b++) {
			if (!r->p[b])
				continue;
			r->bad_bytes += verify(r->p[b], r->size[b], r->stamp[b], r->size[b]);
			r->checked += r->size[b];
			free(r->p[b]);
		}
		assert_int_equal(r->null_returns, 0);
		assert_int_equal(r->bad_bytes, 0);
		assert_int_equal(r->checked, r->filled);
	}
}

/* ------------------------------------------------------------------ */
/* Small blocks streamed to another thread at full speed                */
/* ------------------------------------------------------------------ */

/*
 * A lock-free single-producer single-consumer ring and no sched_yield on the
 * fast path: both threads hit malloc's fastbins of one arena at once, the
 * producer popping, the consumer pushing.  Those lists are updated with
 * compare-and-swap instructions that glibc makes atomic only when the
 * thread block says the process is multi-threaded; otherwise the heap is
 * corrupted within a few hundred thousand blocks.
 */
#define RING 256

static struct {
	void *slot[RING];
	int head, tail; /* tu_set/tu_peek/tu_get only; head written by the producer */
	int n;
	long bad, received;
} ring;

/*
 * Wait until the other side's counter *word allows a step: room in the ring
 * (full: fewer than RING items since the consumer's tail) or an item (head
 * past our tail).  The final tu_get orders what the other side did to the
 * slot before it moved *word (a fresh block, or done with a reused slot).
 */
static void ring_wait(int *word, int other, int full)
{
	for (unsigned spins = 0;; spins++) {
		int a = tu_peek(word);
		if (full ? other - a < RING : a != other)
			break;
		if (spins > 64)
			sched_yield(); /* valgrind runs one thread at a time */
	}
	(void)tu_get(word);
}

static size_t stream_size(long i)
{
	return 24 + (size_t)(i % 8) * 12; /* 24 .. 108: fastbin sizes */
}

static void *stream_producer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ring.n; i++) {
		uint64_t *p = malloc(stream_size(i));
		if (!p)
			return (void *)1;
		p[0] = (uint64_t)i;
		p[1] = ~(uint64_t)i;
		/* Wait while full: tail > head - RING. */
		ring_wait(&ring.tail, ring.head, 1);
		ring.slot[ring.head % RING] = p;
		tu_set(&ring.head, ring.head + 1);
	}
	return NULL;
}

static void *stream_consumer(void *arg)
{
	(void)arg;
	for (int i = 0; i < ring.n; i++) {
		uint64_t *p;
		ring_wait(&ring.head, ring.tail, 0);
		p = ring.slot[ring.tail % RING];
		tu_set(&ring.tail, ring.tail + 1);
		ring.bad += p[0] != (uint64_t)i || p[1] != ~(uint64_t)i;
		p[0] = p[1] = 0xdeaddeaddeaddeadull;
		free(p);
		ring.received++;
	}
	return NULL;
}

/* In a forked child: a corrupted heap aborts the child, not the suite. */
static int stream_child(void *arg)
{
	uthread_t p, c;
	void *rp = NULL, *rc = NULL;

	(void)arg;
	memset(&ring, 0, sizeof ring);
	ring.n = tu_on_valgrind() ? 20000 : 1000000;
	if (uthread_create(&c, NULL, stream_consumer, NULL) ||
	    uthread_create(&p, NULL, stream_producer, NULL) ||
	    uthread_join(p, &rp) || uthread_join(c, &rc))
		return 10;
	if (rp || rc)
		return 11;
	if (ring.received != ring.n)
		return 12;
	return ring.bad == 0 ? 0 : 13;
}

static void small_blocks_streamed_to_another_thread_and_freed_there_keep_the_heap_sound(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(stream_child, NULL);
	if (WIFSIGNALED(st))
		print_error("child killed by signal %d\n", WTERMSIG(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_of_varied_sizes_stay_intact_in_eight_threads_at_once),
		cmocka_unit_test(blocks_freed_or_realloced_by_another_thread_stay_intact),
		cmocka_unit_test(blocks_left_by_an_ended_thread_stay_intact_for_the_next),
		cmocka_unit_test(small_blocks_streamed_to_another_thread_and_freed_there_keep_the_heap_sound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
