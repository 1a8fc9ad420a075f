/* SPDX-License-Identifier: MIT */
/*
 * test_urcu.c - uthreads are liburcu reader threads like pthreads: each has
 * its own reader state, synchronize_rcu waits for uthread readers (and only
 * for those inside a read-side critical section), call_rcu callbacks from
 * uthreads run after the readers leave and rcu_barrier waits for them, and
 * a list whose nodes a writer replaces and frees stays safe for uthread
 * readers.  Compiled once per flavour (tests/urcu.mk: -DURCU_FLAVOUR_MEMB,
 * _MB or _QSBR, each linked with its own library).  Threads never call
 * cmocka: they record what they saw and the main thread asserts.
 *
 * Without _LGPL_SOURCE: rcu_read_lock() and rcu_dereference() are calls
 * into liburcu (LGPL), not code inlined into this MIT-licensed program.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

/*
 * The flavour's header maps the generic names (rcu_read_lock, call_rcu,
 * ...) onto its own prefixed symbols (urcu_memb_read_lock, ...).
 */
#if defined(URCU_FLAVOUR_MEMB)
#include <urcu.h> /* RCU_MEMBARRIER, the default flavour */
#define FLAVOUR "memb"
#elif defined(URCU_FLAVOUR_MB)
#define RCU_MB
#include <urcu.h>
#define FLAVOUR "mb"
#elif defined(URCU_FLAVOUR_QSBR)
#include <urcu-qsbr.h>
#define FLAVOUR "qsbr"
#define QSBR 1
#else
#error "compile with -DURCU_FLAVOUR_MEMB, -DURCU_FLAVOUR_MB or -DURCU_FLAVOUR_QSBR"
#endif
#include <urcu/rculist.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

#if defined(TU_HAVE_VALGRIND) && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif

/*
 * liburcu passes futex's op to syscall() as an int through its varargs,
 * so the upper half of the 64-bit register holds whatever was there (seen:
 * FUTEX_WAKE as 0x100000001).  The kernel reads 32 bits; valgrind 3.27
 * reads all 64 and answers ENOSYS, so a reader's wake-up was lost and
 * synchronize_rcu slept for ever under memcheck on Debian unstable
 * (liburcu 0.15.7; pthread readers alike).  This program's syscall(),
 * which liburcu's calls reach too, hands on what the kernel would read:
 * futex's op truncated to an int.
 */
long syscall(long number, ...)
{
	static long (*real)(long, ...);
	long a[6];
	va_list ap;

	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_futex)
		a[1] = (int)a[1];
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * QSBR has no read-side markers worth the name: a registered thread is
 * inside a critical section whenever it is online, until it reports a
 * quiescent state or goes offline.  In memb and mb, rcu_quiescent_state(),
 * rcu_thread_offline() and rcu_thread_online() are empty, so the bodies
 * below call them where QSBR needs them and read the same in all three.
 */

/* Flags a waiting thread gives up on: a hang becomes a recorded failure. */
#define WAIT_MS 10000

static pid_t main_tid;

static void spin(int n)
{
	for (int i = 0; i < n; i++)
		__asm__ volatile("pause" ::: "memory");
}

/* ------------------------------------------------------------------ */
/* Reader state is per uthread                                          */
/* ------------------------------------------------------------------ */

#define STATE_THREADS 8

struct states {
	int set;        /* threads that took their state */
	int checked;    /* threads that looked at it */
	int wrong;      /* rcu_read_ongoing() disagreed with the thread's state */
};

struct stater {
	struct states *s;
	int id;
};

static void *take_a_state(void *p)
{
	struct stater *me = p;
	struct states *s = me->s;
	int in = me->id % 2 == 0;

	rcu_register_thread();
#ifdef QSBR
	if (!in)
		rcu_thread_offline();
#else
	if (in)
		rcu_read_lock();
#endif
	/* All of them hold their states at once before any looks. */
	tu_add(&s->set, 1);
	if (!tu_wait(&s->set, (STATE_THREADS - 1) + 1, WAIT_MS))
		tu_add(&s->wrong, 1);
	if (!!rcu_read_ongoing() != in)
		tu_add(&s->wrong, 1);
	tu_add(&s->checked, 1);
	if (!tu_wait(&s->checked, (STATE_THREADS - 1) + 1, WAIT_MS))
		tu_add(&s->wrong, 1);
#ifdef QSBR
	if (!in)
		rcu_thread_online();
	if (!rcu_read_ongoing())
		tu_add(&s->wrong, 1);
#else
	if (in)
		rcu_read_unlock();
	/* Nested sections: inside until the outermost unlock. */
	rcu_read_lock();
	rcu_read_lock();
	rcu_read_unlock();
	if (!rcu_read_ongoing())
		tu_add(&s->wrong, 1);
	rcu_read_unlock();
	if (rcu_read_ongoing())
		tu_add(&s->wrong, 1);
#endif
	rcu_unregister_thread();
	return NULL;
}

/*
 * Eight registered uthreads at once, every other one inside a read-side
 * critical section (QSBR: online; the rest offline): each sees its own
 * state, none its neighbour's.  liburcu keeps that state in __thread
 * variables of its shared library, so this is the TLS of a uthread doing
 * its job.
 */
static void each_uthread_has_its_own_reader_state(void **state)
{
	struct states s = { 0 };
	struct stater me[STATE_THREADS];
	uthread_t t[STATE_THREADS];

	(void)state;
	for (int i = 0; i < STATE_THREADS; i++) {
		me[i] = (struct stater){ &s, i };
		assert_int_equal(uthread_create(&t[i], NULL, take_a_state, &me[i]), 0);
	}
	for (int i = 0; i < STATE_THREADS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(s.checked, STATE_THREADS);
	assert_int_equal(s.wrong, 0);
}

/* ------------------------------------------------------------------ */
/* Registration as uthreads come and go                                 */
/* ------------------------------------------------------------------ */

#define CHURN_THREADS 4

static void *register_read_leave(void *p)
{
	int *done = p;

	rcu_register_thread();
	rcu_read_lock();
	spin(16);
	rcu_read_unlock();
	rcu_quiescent_state();
	rcu_unregister_thread();
	tu_add(done, 1);
	return NULL;
}

/*
 * Round after round, uthreads register, read, unregister and end, and a
 * grace period follows each round.  liburcu's registry links every
 * reader's __thread record; one left behind by an ended uthread would be
 * read by the next grace period, in memory that is no longer the thread's.
 */
static void grace_periods_pass_as_uthread_readers_come_and_go(void **state)
{
	long rounds = su_iters(100, 10);
	int done = 0;

	(void)state;
	for (long r = 0; r < rounds; r++) {
		uthread_t t[CHURN_THREADS];
		for (int i = 0; i < CHURN_THREADS; i++)
			assert_int_equal(uthread_create(&t[i], NULL, register_read_leave, &done), 0);
		for (int i = 0; i < CHURN_THREADS; i++)
			assert_int_equal(uthread_join(t[i], NULL), 0);
		synchronize_rcu();
	}
	assert_int_equal(tu_get(&done), rounds * CHURN_THREADS);
}

/* ------------------------------------------------------------------ */
/* synchronize_rcu waits for uthread readers                            */
/* ------------------------------------------------------------------ */

enum hold_kind {
	HOLD_PLAIN,        /* one read-side critical section */
	HOLD_NESTED,       /* memb, mb: an inner section opened and closed first */
	HOLD_BACK_ONLINE,  /* qsbr: offline, then online again, first */
};

struct hold {
	enum hold_kind kind;
	int inside;        /* the reader is in its critical section */
	int release;       /* it may leave */
	int leaving;       /* set by the reader just before it leaves */
	int timed_out;     /* the reader gave up waiting for release */
	pid_t waiter;      /* the thread that calls synchronize_rcu */
};

/* Enter a critical section, say so, stay until released. */
static void *holding_reader(void *p)
{
	struct hold *h = p;

	rcu_register_thread();
	if (h->kind == HOLD_BACK_ONLINE) {
		rcu_thread_offline();
		rcu_thread_online();
	}
	rcu_read_lock();
	if (h->kind == HOLD_NESTED) {
		rcu_read_lock();
		rcu_read_unlock(); /* still inside the outer section */
	}
	tu_set(&h->inside, 1);
	if (!tu_wait(&h->release, (0) + 1, WAIT_MS))
		tu_set(&h->timed_out, 1);
	tu_set(&h->leaving, 1);
	rcu_read_unlock();
	rcu_quiescent_state(); /* QSBR: here the section really ends */
	rcu_unregister_thread();
	return NULL;
}

/*
 * Release the reader once the waiter sleeps (in synchronize_rcu: liburcu
 * waits for readers on a futex), and a little later.  If the waiter never
 * sleeps, release it after the timeout: the test then still checks the
 * order, with less certainty that the waiter was already waiting.
 */
static void *releaser(void *p)
{
	struct hold *h = p;

	(void)su_wait_futex_sleep(h->waiter, 2000);
	tu_sleep_ms(20);
	tu_set(&h->release, 1);
	return NULL;
}

static void synchronize_waits_for(enum hold_kind kind)
{
	struct hold h = { .kind = kind, .waiter = main_tid };
	uthread_t reader, rel;
	int leaving;

	assert_int_equal(uthread_create(&reader, NULL, holding_reader, &h), 0);
	assert_true(tu_wait(&h.inside, (0) + 1, WAIT_MS));
	assert_int_equal(uthread_create(&rel, NULL, releaser, &h), 0);
	synchronize_rcu();
	/* The reader set leaving inside its section: a grace period that
	 * really waited for it has to see the store. */
	leaving = tu_get(&h.leaving);
	assert_int_equal(uthread_join(rel, NULL), 0);
	assert_int_equal(uthread_join(reader, NULL), 0);
	assert_int_equal(h.timed_out, 0);
	assert_int_equal(leaving, 1);
}

/* The main thread's synchronize_rcu returns only after a uthread reader
 * that was inside its critical section has left it. */
static void synchronize_rcu_waits_for_a_uthread_reader_in_a_critical_section(void **state)
{
	(void)state;
	synchronize_waits_for(HOLD_PLAIN);
}

#ifdef QSBR
/* A uthread that went offline and came back online holds up grace
 * periods again, until its next quiescent state. */
static void synchronize_rcu_waits_for_a_uthread_back_online(void **state)
{
	(void)state;
	synchronize_waits_for(HOLD_BACK_ONLINE);
}
#else
/* Nested sections: the reader is inside until its outermost unlock. */
static void synchronize_rcu_waits_for_the_outer_one_of_nested_sections(void **state)
{
	(void)state;
	synchronize_waits_for(HOLD_NESTED);
}
#endif

#define CROWD 8

struct crowd {
	int inside;      /* readers in their sections */
	int release;     /* reader i may leave once release > i */
	int left;        /* readers that left, counted inside the section */
	int timed_out;
	pid_t waiter;
};

struct member {
	struct crowd *c;
	int id;
};

static void *crowd_reader(void *p)
{
	struct member *me = p;
	struct crowd *c = me->c;

	rcu_register_thread();
	rcu_read_lock();
	tu_add(&c->inside, 1);
	if (!tu_wait(&c->release, (me->id) + 1, WAIT_MS))
		tu_add(&c->timed_out, 1);
	tu_add(&c->left, 1);
	rcu_read_unlock();
	rcu_quiescent_state();
	rcu_unregister_thread();
	return NULL;
}

/* Once the waiter sleeps, let the readers leave one by one, 2 ms apart. */
static void *crowd_releaser(void *p)
{
	struct crowd *c = p;

	(void)su_wait_futex_sleep(c->waiter, 2000);
	for (int i = 1; i <= CROWD; i++) {
		tu_sleep_ms(2);
		tu_set(&c->release, i);
	}
	return NULL;
}

/* Eight uthread readers in their sections: synchronize_rcu returns after
 * the last of them has left, not after the first. */
static void synchronize_rcu_waits_for_every_one_of_eight_uthread_readers(void **state)
{
	struct crowd c = { .waiter = main_tid };
	struct member me[CROWD];
	uthread_t t[CROWD], rel;
	int left;

	(void)state;
	for (int i = 0; i < CROWD; i++) {
		me[i] = (struct member){ &c, i };
		assert_int_equal(uthread_create(&t[i], NULL, crowd_reader, &me[i]), 0);
	}
	assert_true(tu_wait(&c.inside, (CROWD - 1) + 1, WAIT_MS));
	assert_int_equal(uthread_create(&rel, NULL, crowd_releaser, &c), 0);
	synchronize_rcu();
	left = tu_get(&c.left);
	assert_int_equal(uthread_join(rel, NULL), 0);
	for (int i = 0; i < CROWD; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(c.timed_out, 0);
	assert_int_equal(left, CROWD);
}

struct idle {
	int idle;        /* the reader is registered and between sections */
	int synced;      /* the main thread's synchronize_rcu returned */
	int timed_out;   /* ... or the reader stopped waiting for that */
};

static void *idle_reader(void *p)
{
	struct idle *d = p;

	rcu_register_thread();
	rcu_read_lock();
	rcu_read_unlock();
	rcu_quiescent_state();
	rcu_thread_offline(); /* QSBR: a thread about to wait says so */
	tu_set(&d->idle, 1);
	if (!tu_wait(&d->synced, (0) + 1, WAIT_MS))
		tu_set(&d->timed_out, 1);
	rcu_thread_online();
	rcu_unregister_thread();
	return NULL;
}

/*
 * A registered uthread between critical sections (QSBR: offline) does
 * not hold up a grace period: synchronize_rcu returns while the reader
 * still waits for it to return.  Were the reader waited for, the two
 * would wait for each other until the reader's timeout.
 */
static void synchronize_rcu_does_not_wait_for_an_idle_uthread_reader(void **state)
{
	struct idle d = { 0 };
	uthread_t t;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, idle_reader, &d), 0);
	assert_true(tu_wait(&d.idle, (0) + 1, WAIT_MS));
	synchronize_rcu();
	tu_set(&d.synced, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(d.timed_out, 0);
}

/* ------------------------------------------------------------------ */
/* call_rcu and rcu_barrier                                             */
/* ------------------------------------------------------------------ */

#define OBJ_LIVE 0x4f424a31u
#define OBJ_DEAD 0xdeadbeefu

struct obj {
	struct rcu_head head;
	unsigned magic;
};

/* What the callbacks did; they run in liburcu's call_rcu worker thread (a
 * pthread).  Reset by each test once no callback is pending. */
static int cb_ran, cb_bad;

static void obj_reclaim(struct rcu_head *head)
{
	struct obj *o = caa_container_of(head, struct obj, head);

	if (o->magic != OBJ_LIVE)
		tu_add(&cb_bad, 1);
	o->magic = OBJ_DEAD;
	free(o);
	tu_add(&cb_ran, 1);
}

static struct obj *obj_new(void)
{
	struct obj *o = malloc(sizeof *o);

	if (o)
		o->magic = OBJ_LIVE;
	return o;
}

#define CALLERS 4

struct callers {
	long per_thread;
	int queued;
	int no_memory;
};

static void *queue_callbacks(void *p)
{
	struct callers *c = p;

	rcu_register_thread(); /* call_rcu is for registered (QSBR: online) threads */
	for (long i = 0; i < c->per_thread; i++) {
		struct obj *o = obj_new();
		if (!o) {
			tu_add(&c->no_memory, 1);
			break;
		}
		call_rcu(&o->head, obj_reclaim);
		tu_add(&c->queued, 1);
		if (i % 64 == 0)
			rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

/* Four uthreads queue callbacks and end; rcu_barrier in the main thread
 * returns once every one of them has run, each exactly once. */
static void rcu_barrier_runs_every_callback_four_uthreads_queued(void **state)
{
	struct callers c = { .per_thread = su_iters(2000, 100) };
	uthread_t t[CALLERS];

	(void)state;
	rcu_barrier();
	tu_set(&cb_ran, 0);
	tu_set(&cb_bad, 0);
	for (int i = 0; i < CALLERS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, queue_callbacks, &c), 0);
	for (int i = 0; i < CALLERS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	rcu_barrier();
	assert_int_equal(c.no_memory, 0);
	assert_int_equal(c.queued, CALLERS * c.per_thread);
	assert_int_equal(tu_get(&cb_ran), CALLERS * c.per_thread);
	assert_int_equal(tu_get(&cb_bad), 0);
}

static void *queue_one_callback(void *p)
{
	struct obj *o = p;

	rcu_register_thread();
	call_rcu(&o->head, obj_reclaim);
	rcu_unregister_thread();
	return NULL;
}

/*
 * A callback queued (by another uthread) while a uthread reader is inside
 * its critical section does not run until that reader has left: 100 ms
 * later it has still not run (liburcu's worker looks every 10 ms at most);
 * after the reader leaves, rcu_barrier sees it run.
 */
static void call_rcu_waits_for_a_uthread_reader_in_a_critical_section(void **state)
{
	struct hold h = { .kind = HOLD_PLAIN };
	struct obj *o = obj_new();
	uthread_t reader, caller;
	int early;

	(void)state;
	assert_non_null(o);
	rcu_barrier();
	tu_set(&cb_ran, 0);
	tu_set(&cb_bad, 0);
	assert_int_equal(uthread_create(&reader, NULL, holding_reader, &h), 0);
	assert_true(tu_wait(&h.inside, (0) + 1, WAIT_MS));
	assert_int_equal(uthread_create(&caller, NULL, queue_one_callback, o), 0);
	assert_int_equal(uthread_join(caller, NULL), 0);
	tu_sleep_ms(100);
	early = tu_get(&cb_ran);
	tu_set(&h.release, 1);
	assert_int_equal(uthread_join(reader, NULL), 0);
	rcu_barrier();
	assert_int_equal(early, 0);
	assert_int_equal(h.timed_out, 0);
	assert_int_equal(tu_get(&cb_ran), 1);
	assert_int_equal(tu_get(&cb_bad), 0);
}

/* ------------------------------------------------------------------ */
/* A list: readers traverse while a writer replaces and frees nodes     */
/* ------------------------------------------------------------------ */

#define LIST_NODES 64
#define LIST_READERS 3
#define NODE_LIVE 0x4c495645u
#define NODE_DEAD 0xdeaddeadu

struct node {
	struct cds_list_head link;
	struct rcu_head head;
	unsigned magic;     /* NODE_LIVE until reclaimed; then poisoned */
	int key;            /* its position in the list */
	long value, check;  /* check == ~value, both written before publication */
};

struct list {
	struct cds_list_head head;
	struct node *slot[LIST_NODES]; /* the writer's view: the live node per key */
	long max_replacements;
	long replacements;             /* made by the writer */
	int ready;                     /* readers that have traversed once */
	int stop;
	int by_callback;               /* nodes the writer handed to call_rcu */
	int reclaimed;                 /* nodes freed, either way */
	int bad_node;                  /* a reader saw a poisoned or torn node */
	int bad_length;                /* a traversal did not see LIST_NODES nodes */
	long traversals[LIST_READERS];
};

static struct list *the_list;

static int node_ok(const struct node *n, int key)
{
	return n->magic == NODE_LIVE && n->key == key && n->check == ~n->value;
}

/* Poison, then free: a reader still holding the node sees NODE_DEAD even
 * when no tool is watching; under memcheck, its read is an error. */
static void node_reclaim(struct node *n)
{
	n->magic = NODE_DEAD;
	n->value = 0;
	n->check = 0;
	free(n);
	tu_add(&the_list->reclaimed, 1);
}

static void node_reclaim_cb(struct rcu_head *head)
{
	node_reclaim(caa_container_of(head, struct node, head));
}

static struct node *node_new(int key, long value)
{
	struct node *n = malloc(sizeof *n);

	if (n) {
		n->magic = NODE_LIVE;
		n->key = key;
		n->value = value;
		n->check = ~value;
	}
	return n;
}

struct list_reader_arg {
	struct list *l;
	int id;
};

static void *list_reader(void *p)
{
	struct list_reader_arg *a = p;
	struct list *l = a->l;
	long done = 0;

	rcu_register_thread();
	while (!tu_peek(&l->stop)) {
		struct node *n;
		int seen = 0;

		rcu_read_lock();
		cds_list_for_each_entry_rcu(n, &l->head, link) {
			if (!node_ok(n, seen))
				tu_add(&l->bad_node, 1);
			/* Linger on one node in sixteen, then look again: a
			 * node freed under the reader shows it here. */
			if ((seen & 15) == (done & 15)) {
				spin(64);
				if (!node_ok(n, seen))
					tu_add(&l->bad_node, 1);
			}
			seen++;
		}
		rcu_read_unlock();
		rcu_quiescent_state();
		if (seen != LIST_NODES)
			tu_add(&l->bad_length, 1);
		if (done++ == 0)
			tu_add(&l->ready, 1);
	}
	rcu_unregister_thread();
	l->traversals[a->id] = done;
	return NULL;
}

/*
 * Replace a random node each time; reclaim the old one after
 * synchronize_rcu (even turns) or through call_rcu (odd turns).  Stop
 * after max_replacements, or after LIST_MIN_REPLACEMENTS once the time
 * budget is spent: with more threads than CPUs, a QSBR grace period waits
 * for every online reader the scheduler has set aside to run again (about
 * 10 ms a grace period here, with pthreads just the same).
 */
#define LIST_MIN_REPLACEMENTS 100

static void *list_writer(void *p)
{
	struct list *l = p;
	uint32_t rnd = 2463534242u;
	long long end = tu_now_ms() + (tu_on_valgrind() ? 8000 : 1500);
	long w;

	rcu_register_thread();
	for (w = 0; w < l->max_replacements; w++) {
		int key;
		struct node *old, *n;

		if (w >= LIST_MIN_REPLACEMENTS && tu_now_ms() > end)
			break;

		rnd ^= rnd << 13;
		rnd ^= rnd >> 17;
		rnd ^= rnd << 5;
		key = (int)(rnd % LIST_NODES);
		old = l->slot[key];
		n = node_new(key, old->value + 1);
		if (!n)
			break;
		cds_list_replace_rcu(&old->link, &n->link);
		l->slot[key] = n;
		/* Leave the readers time to be on the old node, so that
		 * reclaiming it too early would show. */
		spin(256);
		if (w % 2 == 0) {
			synchronize_rcu();
			node_reclaim(old);
		} else {
			tu_add(&l->by_callback, 1);
			call_rcu(&old->head, node_reclaim_cb);
		}
	}
	rcu_unregister_thread();
	l->replacements = w;
	return NULL;
}

/*
 * Three uthread readers traverse a 64-node list while a uthread writer
 * replaces nodes and frees each old one once no reader can hold it.  No
 * reader ever sees a poisoned node, a torn one or a list of the wrong
 * length; every old node is freed exactly once; the list ends with the
 * writer's last version of every node.
 */
static void list_readers_never_see_a_node_the_writer_freed(void **state)
{
	struct list *l = calloc(1, sizeof *l);
	struct list_reader_arg args[LIST_READERS];
	uthread_t readers[LIST_READERS], writer;
	struct node *n, *next;
	int i = 0;

	(void)state;
	assert_non_null(l);
	rcu_barrier();
	the_list = l;
	l->max_replacements = su_iters(6000, 300);
	CDS_INIT_LIST_HEAD(&l->head);
	for (int k = 0; k < LIST_NODES; k++) {
		l->slot[k] = node_new(k, 1000L * k);
		assert_non_null(l->slot[k]);
		cds_list_add_tail(&l->slot[k]->link, &l->head);
	}
	for (int r = 0; r < LIST_READERS; r++) {
		args[r] = (struct list_reader_arg){ l, r };
		assert_int_equal(uthread_create(&readers[r], NULL, list_reader, &args[r]), 0);
	}
	assert_true(tu_wait(&l->ready, (LIST_READERS - 1) + 1, WAIT_MS));
	assert_int_equal(uthread_create(&writer, NULL, list_writer, l), 0);
	assert_int_equal(uthread_join(writer, NULL), 0);
	tu_set(&l->stop, 1);
	for (int r = 0; r < LIST_READERS; r++)
		assert_int_equal(uthread_join(readers[r], NULL), 0);
	rcu_barrier();

	assert_int_equal(tu_get(&l->bad_node), 0);
	assert_int_equal(tu_get(&l->bad_length), 0);
	assert_true(l->replacements >= LIST_MIN_REPLACEMENTS);
	assert_int_equal(tu_get(&l->reclaimed), l->replacements);
	assert_int_equal(tu_get(&l->by_callback), l->replacements / 2);
	for (int r = 0; r < LIST_READERS; r++)
		assert_true(l->traversals[r] > 0);
	cds_list_for_each_entry_safe(n, next, &l->head, link) {
		assert_ptr_equal(n, l->slot[i]);
		assert_true(node_ok(n, i));
		i++;
		free(n);
	}
	assert_int_equal(i, LIST_NODES);
	the_list = NULL;
	free(l);
}

/*
 * Under valgrind, these programs are for memcheck only.  helgrind and DRD
 * cannot see liburcu's grace periods (its own atomics and futex waits,
 * with no client requests), so every RCU-protected access is a race to
 * them: about 100,000 reports a run, with pthreads as with uthreads.
 * Nonzero (and a note) when some other tool runs the program.
 */
static int on_a_thread_checker(void)
{
	if (tu_on_thread_checker()) {
		printf("SKIP: helgrind and DRD cannot follow liburcu's grace "
		       "periods; run under memcheck or natively\n");
		return 1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_uthread_has_its_own_reader_state),
		cmocka_unit_test(grace_periods_pass_as_uthread_readers_come_and_go),
		cmocka_unit_test(synchronize_rcu_waits_for_a_uthread_reader_in_a_critical_section),
#ifdef QSBR
		cmocka_unit_test(synchronize_rcu_waits_for_a_uthread_back_online),
#else
		cmocka_unit_test(synchronize_rcu_waits_for_the_outer_one_of_nested_sections),
#endif
		cmocka_unit_test(synchronize_rcu_waits_for_every_one_of_eight_uthread_readers),
		cmocka_unit_test(synchronize_rcu_does_not_wait_for_an_idle_uthread_reader),
		cmocka_unit_test(rcu_barrier_runs_every_callback_four_uthreads_queued),
		cmocka_unit_test(call_rcu_waits_for_a_uthread_reader_in_a_critical_section),
		cmocka_unit_test(list_readers_never_see_a_node_the_writer_freed),
	};

	if (on_a_thread_checker())
		return 77; /* automake: skipped */
	main_tid = (pid_t)syscall(SYS_gettid);
	su_watchdog(60);
	return cmocka_run_group_tests_name("urcu-" FLAVOUR, tests, NULL, NULL);
}
