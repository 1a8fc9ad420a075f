/* SPDX-License-Identifier: MIT */
/*
 * test_create.c - create and join: exit values, handles, thread ids, names,
 * attributes, caller-supplied stacks, stack and guard sizes, detached
 * threads.  Threads never call cmocka: they record what they saw and the
 * main thread asserts after the join.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"

#define TIMEOUT_MS 5000

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Read /proc/self/task/TID/comm without its newline. */
static void read_comm(pid_t tid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* ------------------------------------------------------------ values */

static void *return_arg_plus_one(void *arg)
{
	return (char *)arg + 1;
}

static void join_returns_the_value_returned_by_the_start_routine(void **state)
{
	uthread_t t;
	void *ret = NULL;
	char base[2];

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, return_arg_plus_one, base), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, base + 1);
}

static int exit_not_reached;

static __attribute__((__noinline__)) void leave(void *value)
{
	uthread_exit(value);
}

static __attribute__((__noinline__)) void leave_from_nested(void *value)
{
	leave(value);
	__atomic_store_n(&exit_not_reached, 1, __ATOMIC_RELAXED);
}

static void *exits_from_a_nested_function(void *arg)
{
	leave_from_nested(arg);
	__atomic_store_n(&exit_not_reached, 1, __ATOMIC_RELAXED);
	return NULL;
}

static void join_returns_the_value_passed_to_exit(void **state)
{
	uthread_t t;
	void *ret = NULL;

	(void)state;
	exit_not_reached = 0;
	assert_int_equal(uthread_create(&t, NULL, exits_from_a_nested_function,
	                                (void *)0x5eed), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, (void *)0x5eed);
	assert_int_equal(exit_not_reached, 0);
}

static void join_accepts_a_null_retval_and_still_reaps_the_thread(void **state)
{
	uthread_t t;
	pid_t tid;

	(void)state;
	assert_int_equal(uthread_create(&t, NULL, return_arg_plus_one, NULL), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	/* Reaped: the handle is stale now, and names no thread. */
	assert_int_equal(uthread_gettid(t, &tid), ESRCH);
	assert_int_equal(uthread_join(t, NULL), ESRCH);
}

#define MANY 64

static void *square_plus_seven(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	return (void *)(i * i + 7);
}

static void sixty_four_threads_each_return_their_own_value(void **state)
{
	uthread_t t[MANY];

	(void)state;
	for (uintptr_t i = 0; i < MANY; i++)
		assert_int_equal(uthread_create(&t[i], NULL, square_plus_seven,
		                                (void *)i), 0);
	for (int i = 0; i < MANY; i++)
		for (int j = 0; j < i; j++)
			assert_false(uthread_equal(t[i], t[j]));
	/* Join in an order unrelated to creation. */
	for (uintptr_t k = 0; k < MANY; k++) {
		uintptr_t i = (k * 37) % MANY;
		void *ret = NULL;
		assert_int_equal(uthread_join(t[i], &ret), 0);
		assert_int_equal((uintptr_t)ret, i * i + 7);
	}
}

/* ------------------------------------------------------------ self */

static void *store_self(void *arg)
{
	uthread_t *slot = arg;

	slot[0] = uthread_self();
	slot[1] = uthread_self();
	return NULL;
}

static void self_in_a_thread_equals_the_handle_create_stored(void **state)
{
	uthread_t t[8], seen[8][2];

	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(uthread_create(&t[i], NULL, store_self, seen[i]), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(uthread_join(t[i], NULL), 0);
		assert_true(uthread_equal(seen[i][0], t[i]));
		assert_true(uthread_equal(seen[i][1], t[i]));
		assert_true(seen[i][0] != 0);
	}
}

static void self_in_main_is_stable_and_differs_from_every_uthread(void **state)
{
	uthread_t me = uthread_self(), t, seen[2];

	(void)state;
	assert_true(me != 0);
	assert_true(uthread_equal(me, uthread_self()));
	assert_int_equal(uthread_create(&t, NULL, store_self, seen), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_false(uthread_equal(me, seen[0]));
	assert_false(uthread_equal(me, t));
	assert_true(uthread_equal(me, uthread_self()));
}

struct foreign {
	uthread_t self[2];
	pid_t tid;
	int ready, go;
};

static void *foreign_thread(void *arg)
{
	struct foreign *f = arg;

	f->self[0] = uthread_self();
	f->self[1] = uthread_self();
	f->tid = gettid();
	tu_set(&f->ready, 1);
	tu_wait(&f->go, 1, TIMEOUT_MS);
	return NULL;
}

static void self_in_a_pthread_names_that_thread_and_differs_from_main(void **state)
{
	struct foreign f = {0};
	pthread_t pt;
	pid_t tid = 0;

	(void)state;
	assert_int_equal(pthread_create(&pt, NULL, foreign_thread, &f), 0);
	assert_true(tu_wait(&f.ready, 1, TIMEOUT_MS));
	assert_true(f.self[0] != 0);
	assert_true(uthread_equal(f.self[0], f.self[1]));
	assert_false(uthread_equal(f.self[0], uthread_self()));
	/* The handle names the pthread while it runs. */
	assert_int_equal(uthread_gettid(f.self[0], &tid), 0);
	assert_int_equal(tid, f.tid);
	tu_set(&f.go, 1);
	assert_int_equal(pthread_join(pt, NULL), 0);
	/* Released when the pthread ended: the handle is stale. */
	assert_int_equal(uthread_gettid(f.self[0], &tid), ESRCH);
}

static void equal_is_true_only_for_the_same_handle(void **state)
{
	uthread_t a, b;

	(void)state;
	assert_int_equal(uthread_create(&a, NULL, return_arg_plus_one, NULL), 0);
	assert_int_equal(uthread_create(&b, NULL, return_arg_plus_one, NULL), 0);
	assert_true(uthread_equal(a, a));
	assert_false(uthread_equal(a, b));
	assert_int_equal(uthread_join(a, NULL), 0);
	assert_int_equal(uthread_join(b, NULL), 0);
}

static void yield_returns_zero(void **state)
{
	(void)state;
	assert_int_equal(uthread_yield(), 0);
}

/* ------------------------------------------------------------ tids */

struct tidrec {
	pid_t tid;
	uthread_t main_handle;
	pid_t main_tid;
	int main_r;
	int ready, go;
};

static void *record_tid_and_wait(void *arg)
{
	struct tidrec *r = arg;

	r->tid = gettid();
	r->main_r = uthread_gettid(r->main_handle, &r->main_tid);
	tu_set(&r->ready, 1);
	tu_wait(&r->go, 1, TIMEOUT_MS);
	return NULL;
}

static void gettid_of_a_running_thread_is_what_gettid_returned_inside_it(void **state)
{
	struct tidrec r[4];
	uthread_t t[4];

	(void)state;
	memset(r, 0, sizeof r);
	for (int i = 0; i < 4; i++) {
		r[i].main_handle = uthread_self();
		assert_int_equal(uthread_create(&t[i], NULL, record_tid_and_wait, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pid_t tid = 0;
		assert_true(tu_wait(&r[i].ready, 1, TIMEOUT_MS));
		assert_int_equal(uthread_gettid(t[i], &tid), 0);
		assert_int_equal(tid, r[i].tid);
		assert_true(tid != getpid());
		assert_true(tu_task_exists(tid));
	}
	for (int i = 0; i < 4; i++) {
		tu_set(&r[i].go, 1);
		assert_int_equal(uthread_join(t[i], NULL), 0);
	}
}

static void gettid_of_main_from_a_thread_is_the_process_id(void **state)
{
	struct tidrec r = {0};
	uthread_t t;
	pid_t tid = 0;

	(void)state;
	r.main_handle = uthread_self();
	r.go = 1;
	assert_int_equal(uthread_create(&t, NULL, record_tid_and_wait, &r), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(r.main_r, 0);
	assert_int_equal(r.main_tid, getpid());
	assert_int_equal(uthread_gettid(uthread_self(), &tid), 0);
	assert_int_equal(tid, getpid());
}

/* ------------------------------------------------------------ names */

struct namerec {
	int set_r, get_r;
	char got[32], comm[32], prctl_name[32];
	int ready, go;
};

static void *name_myself(void *arg)
{
	struct namerec *n = arg;

	n->set_r = uthread_setname_np(uthread_self(), "lifecycle-self");
	n->get_r = uthread_getname_np(uthread_self(), n->got, sizeof n->got);
	read_comm(gettid(), n->comm, sizeof n->comm);
	return NULL;
}

static void setname_on_self_is_read_back_by_getname_and_proc_comm(void **state)
{
	struct namerec n;
	uthread_t t;

	(void)state;
	memset(&n, 0, sizeof n);
	assert_int_equal(uthread_create(&t, NULL, name_myself, &n), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(n.set_r, 0);
	assert_int_equal(n.get_r, 0);
	assert_string_equal(n.got, "lifecycle-self");
	assert_string_equal(n.comm, "lifecycle-self");
}

static void *wait_then_read_own_name(void *arg)
{
	struct namerec *n = arg;

	tu_set(&n->ready, 1);
	tu_wait(&n->go, 1, TIMEOUT_MS);
	prctl(PR_GET_NAME, n->prctl_name);
	return NULL;
}

static void setname_on_another_running_thread_is_read_back_and_shown_in_proc(void **state)
{
	struct namerec n;
	uthread_t t;
	pid_t tid;
	char buf[16], comm[32];

	(void)state;
	memset(&n, 0, sizeof n);
	assert_int_equal(uthread_create(&t, NULL, wait_then_read_own_name, &n), 0);
	assert_true(tu_wait(&n.ready, 1, TIMEOUT_MS));
	/* 15 bytes: the longest name there is. */
	assert_int_equal(uthread_setname_np(t, "other-thread-15"), 0);
	assert_int_equal(uthread_getname_np(t, buf, sizeof buf), 0);
	assert_string_equal(buf, "other-thread-15");
	assert_int_equal(uthread_gettid(t, &tid), 0);
	read_comm(tid, comm, sizeof comm);
	assert_string_equal(comm, "other-thread-15");
	/* Renaming another thread did not rename us. */
	read_comm(gettid(), comm, sizeof comm);
	assert_string_not_equal(comm, "other-thread-15");
	tu_set(&n.go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	/* The thread saw its new name too. */
	assert_string_equal(n.prctl_name, "other-thread-15");
}

static void setname_rejects_a_sixteen_byte_name_with_erange(void **state)
{
	struct namerec n;
	uthread_t t;
	char buf[16];

	(void)state;
	memset(&n, 0, sizeof n);
	assert_int_equal(uthread_create(&t, NULL, wait_then_read_own_name, &n), 0);
	assert_true(tu_wait(&n.ready, 1, TIMEOUT_MS));
	assert_int_equal(uthread_setname_np(t, "before"), 0);
	assert_int_equal(uthread_setname_np(t, "sixteen-bytes-16"), ERANGE);
	assert_int_equal(uthread_setname_np(uthread_self(), "sixteen-bytes-16"),
	                 ERANGE);
	/* The failed call left the name alone. */
	assert_int_equal(uthread_getname_np(t, buf, sizeof buf), 0);
	assert_string_equal(buf, "before");
	tu_set(&n.go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
}

static void getname_rejects_a_buffer_shorter_than_sixteen_with_erange(void **state)
{
	struct namerec n;
	uthread_t t;
	char buf[32];

	(void)state;
	memset(&n, 0, sizeof n);
	assert_int_equal(uthread_create(&t, NULL, wait_then_read_own_name, &n), 0);
	assert_true(tu_wait(&n.ready, 1, TIMEOUT_MS));
	memset(buf, 'x', sizeof buf);
	assert_int_equal(uthread_getname_np(t, buf, 15), ERANGE);
	assert_int_equal(uthread_getname_np(uthread_self(), buf, 15), ERANGE);
	assert_int_equal(uthread_getname_np(t, buf, 0), ERANGE);
	assert_int_equal(buf[0], 'x');
	assert_int_equal(uthread_getname_np(t, buf, 16), 0);
	tu_set(&n.go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
}

/* ------------------------------------------------------------ attributes */

static void attr_init_gives_the_documented_defaults(void **state)
{
	uthread_attr_t a;
	int ds = -1;
	size_t ss = 0, gs = 0, ss2 = 0, want = 8u << 20;
	void *addr = (void *)1;
	struct rlimit rl;

	(void)state;
	if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur >= UTHREAD_STACK_MIN && rl.rlim_cur <= (1ul << 30))
		want = (rl.rlim_cur + page() - 1) & ~(page() - 1);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_getdetachstate(&a, &ds), 0);
	assert_int_equal(ds, UTHREAD_CREATE_JOINABLE);
	assert_int_equal(uthread_attr_getstacksize(&a, &ss), 0);
	assert_int_equal(ss, want);
	assert_int_equal(uthread_attr_getguardsize(&a, &gs), 0);
	assert_int_equal(gs, page());
	assert_int_equal(uthread_attr_getstack(&a, &addr, &ss2), 0);
	assert_null(addr);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void attr_getters_return_what_the_setters_stored(void **state)
{
	uthread_attr_t a;
	int ds = -1;
	size_t ss = 0, gs = 0;
	void *addr = NULL;
	static char mem[64 * 1024] __attribute__((__aligned__(64)));

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	assert_int_equal(uthread_attr_getdetachstate(&a, &ds), 0);
	assert_int_equal(ds, UTHREAD_CREATE_DETACHED);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_JOINABLE), 0);
	assert_int_equal(uthread_attr_getdetachstate(&a, &ds), 0);
	assert_int_equal(ds, UTHREAD_CREATE_JOINABLE);
	assert_int_equal(uthread_attr_setstacksize(&a, 1u << 20), 0);
	assert_int_equal(uthread_attr_getstacksize(&a, &ss), 0);
	assert_int_equal(ss, 1u << 20);
	assert_int_equal(uthread_attr_setguardsize(&a, 0), 0);
	assert_int_equal(uthread_attr_getguardsize(&a, &gs), 0);
	assert_int_equal(gs, 0);
	assert_int_equal(uthread_attr_setguardsize(&a, 1ul << 30), 0);
	assert_int_equal(uthread_attr_getguardsize(&a, &gs), 0);
	assert_int_equal(gs, 1ul << 30);
	assert_int_equal(uthread_attr_setstack(&a, mem, sizeof mem), 0);
	assert_int_equal(uthread_attr_getstack(&a, &addr, &ss), 0);
	assert_ptr_equal(addr, mem);
	assert_int_equal(ss, sizeof mem);
	assert_int_equal(uthread_attr_getstacksize(&a, &ss), 0);
	assert_int_equal(ss, sizeof mem);
	/* A new size means a stack the library maps again. */
	assert_int_equal(uthread_attr_setstacksize(&a, 2u << 20), 0);
	assert_int_equal(uthread_attr_getstack(&a, &addr, &ss), 0);
	assert_null(addr);
	assert_int_equal(ss, 2u << 20);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void an_attr_can_be_reused_for_many_creates(void **state)
{
	uthread_attr_t a;
	uthread_t t[4];

	(void)state;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 128 * 1024), 0);
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(uthread_create(&t[i], &a, square_plus_seven,
		                                (void *)i), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
	/* Destroying the attr does not touch the threads made with it. */
	for (uintptr_t i = 0; i < 4; i++) {
		void *ret;
		assert_int_equal(uthread_join(t[i], &ret), 0);
		assert_int_equal((uintptr_t)ret, i * i + 7);
	}
}

/* ------------------------------------------------------------ stacks */

struct stackrec {
	uintptr_t local;      /* address of a local in the start routine */
	uintptr_t deep;       /* lowest byte a deep frame wrote */
	size_t use;           /* bytes of stack to touch below local */
	unsigned sum;
	int ready, go;        /* go = 1 up front: do not wait */
};

/*
 * Recurse in frames of a little over 1 KiB, touching both ends of each, until
 * a frame lies at or below limit: every page in between is written.
 */
static __attribute__((__noinline__)) unsigned dig(uintptr_t limit, uintptr_t *deep)
{
	volatile char buf[1024];
	unsigned sum;

	buf[0] = 1;
	buf[sizeof buf - 1] = 2;
	if ((uintptr_t)buf <= limit) {
		*deep = (uintptr_t)buf;
		return (unsigned)(buf[0] + buf[sizeof buf - 1]);
	}
	sum = dig(limit, deep);
	return sum + (unsigned)buf[0]; /* not a tail call: the frame stays */
}

static void *stack_user(void *arg)
{
	struct stackrec *r = arg;
	volatile int local = 1;

	r->local = (uintptr_t)&local;
	if (r->use)
		r->sum = dig(r->local - r->use, &r->deep);
	tu_set(&r->ready, 1);
	tu_wait(&r->go, 1, TIMEOUT_MS);
	return (void *)(uintptr_t)local;
}

static void a_thread_on_a_caller_supplied_stack_runs_inside_that_memory(void **state)
{
	const size_t size = 256 * 1024;
	char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uthread_attr_t a;
	struct stackrec r;
	uthread_t t;
	void *ret = NULL;

	(void)state;
	assert_true(mem != MAP_FAILED);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstack(&a, mem, size), 0);
	/* Twice on the same memory: it is the caller's again after a join. */
	for (int round = 0; round < 2; round++) {
		memset(&r, 0, sizeof r);
		r.use = 128 * 1024;
		r.go = 1;
		assert_int_equal(uthread_create(&t, &a, stack_user, &r), 0);
		assert_int_equal(uthread_join(t, &ret), 0);
		assert_ptr_equal(ret, (void *)1);
		assert_true(r.local >= (uintptr_t)mem);
		assert_true(r.local < (uintptr_t)mem + size);
		assert_true(r.deep >= (uintptr_t)mem);
	}
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(munmap(mem, size), 0);
}

static void a_thread_gets_at_least_the_stack_size_it_asked_for(void **state)
{
	static const size_t sizes[] = {
		UTHREAD_STACK_MIN, 20000, 256 * 1024, 1u << 20, 8u << 20,
	};

	(void)state;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t want = (sizes[i] + page() - 1) & ~(page() - 1);
		uthread_attr_t a;
		struct stackrec r;
		uthread_t t;
		uintptr_t lo = 0, hi = 0;
		char perms[5] = "";

		memset(&r, 0, sizeof r);
		assert_int_equal(uthread_attr_init(&a), 0);
		assert_int_equal(uthread_attr_setstacksize(&a, sizes[i]), 0);
		assert_int_equal(uthread_create(&t, &a, stack_user, &r), 0);
		assert_true(tu_wait(&r.ready, 1, TIMEOUT_MS));
		/* The writable mapping holding the stack reaches want bytes
		 * below the start routine's frame (less a little for the
		 * frames above it). */
		assert_int_equal(tu_find_map((void *)r.local, &lo, &hi, perms), 0);
		assert_string_equal(perms, "rw-p");
		assert_true(r.local - lo + 2048 >= want);
		tu_set(&r.go, 1);
		assert_int_equal(uthread_join(t, NULL), 0);
		assert_int_equal(uthread_attr_destroy(&a), 0);
	}
}

static void the_guard_region_lies_just_below_the_stack(void **state)
{
	const size_t guard = 3 * page() + 1; /* rounded up to 4 pages */
	uthread_attr_t a;
	struct stackrec r;
	uthread_t t;
	uintptr_t lo = 0, hi = 0, glo = 0, ghi = 0;
	char perms[5] = "", gperms[5] = "";

	(void)state;
	memset(&r, 0, sizeof r);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstacksize(&a, 64 * 1024), 0);
	assert_int_equal(uthread_attr_setguardsize(&a, guard), 0);
	assert_int_equal(uthread_create(&t, &a, stack_user, &r), 0);
	assert_true(tu_wait(&r.ready, 1, TIMEOUT_MS));
	assert_int_equal(tu_find_map((void *)r.local, &lo, &hi, perms), 0);
	assert_int_equal(tu_find_map((void *)(lo - 1), &glo, &ghi, gperms), 0);
	assert_int_equal(ghi, lo);
	assert_string_equal(gperms, "---p");
	assert_true(ghi - glo >= 4 * page());
	tu_set(&r.go, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static int run_without_guard(void *arg)
{
	uthread_attr_t a;
	struct stackrec r;
	uthread_t t;
	void *ret = NULL;

	(void)arg;
	memset(&r, 0, sizeof r);
	r.use = 48 * 1024;
	r.go = 1;
	if (uthread_attr_init(&a) || uthread_attr_setguardsize(&a, 0) ||
	    uthread_attr_setstacksize(&a, 64 * 1024))
		return 2;
	for (int i = 0; i < 8; i++) {
		if (uthread_create(&t, &a, stack_user, &r) || uthread_join(t, &ret))
			return 3;
		if (ret != (void *)1 || r.sum == 0)
			return 4;
	}
	return 0;
}

static void a_thread_with_no_guard_page_runs_and_uses_its_whole_stack(void **state)
{
	int st;

	(void)state;
	/* In a child: should the stack be short, the fault ends only it. */
	st = tu_in_child(run_without_guard, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int run_deep_on_sizes(void *arg)
{
	static const size_t sizes[] = { 20000, 256 * 1024, 1u << 20 };

	(void)arg;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uthread_attr_t a;
		struct stackrec r;
		uthread_t t;

		memset(&r, 0, sizeof r);
		r.use = sizes[i] - 4096; /* all but a page for frames and slack */
		r.go = 1;
		if (uthread_attr_init(&a) || uthread_attr_setstacksize(&a, sizes[i]))
			return 2;
		if (uthread_create(&t, &a, stack_user, &r) || uthread_join(t, NULL))
			return 3;
		if (r.sum == 0)
			return 4;
	}
	return 0;
}

static void a_thread_can_use_almost_all_of_a_custom_stack_size(void **state)
{
	int st;

	(void)state;
	st = tu_in_child(run_deep_on_sizes, NULL);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/*
 * A detached thread on the caller's memory must not hand that memory to
 * the library's stack cache: a later thread asking for a mapped stack of
 * the same size would run on memory the caller owns (and may have freed).
 */
static void a_detached_thread_on_a_caller_stack_leaves_that_stack_to_the_caller(void **state)
{
	const size_t size = 64 * 1024;
	char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
	                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uthread_attr_t a, b;
	struct stackrec r;
	uthread_t t;
	long long end;

	(void)state;
	assert_true(mem != MAP_FAILED);
	memset(&r, 0, sizeof r);
	r.go = 1;
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setstack(&a, mem, size), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	int tasks = tu_count_tasks();
	assert_int_equal(uthread_create(&t, &a, stack_user, &r), 0);
	assert_true(tu_wait(&r.ready, 1, TIMEOUT_MS));
	/* Wait until the kernel has let go of the thread. */
	end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_count_tasks() != tasks && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_int_equal(tu_count_tasks(), tasks);
	assert_true(r.local >= (uintptr_t)mem && r.local < (uintptr_t)mem + size);

	/* Now a thread with a mapped stack of that very size and no guard. */
	assert_int_equal(uthread_attr_init(&b), 0);
	assert_int_equal(uthread_attr_setstacksize(&b, size), 0);
	assert_int_equal(uthread_attr_setguardsize(&b, 0), 0);
	for (int i = 0; i < 4; i++) {
		memset(&r, 0, sizeof r);
		r.go = 1;
		assert_int_equal(uthread_create(&t, &b, stack_user, &r), 0);
		assert_int_equal(uthread_join(t, NULL), 0);
		assert_false(r.local >= (uintptr_t)mem &&
		             r.local < (uintptr_t)mem + size);
	}
	assert_int_equal(uthread_attr_destroy(&a), 0);
	assert_int_equal(uthread_attr_destroy(&b), 0);
	assert_int_equal(munmap(mem, size), 0);
}

/* ------------------------------------------------------------ detached */

#define NDETACHED 32

static int detached_done;

static void *count_and_leave(void *arg)
{
	(void)arg;
	tu_add(&detached_done, 1);
	return NULL;
}

static void threads_created_detached_run_to_completion(void **state)
{
	uthread_attr_t a;
	uthread_t t;

	(void)state;
	tu_set(&detached_done, 0);
	assert_int_equal(uthread_attr_init(&a), 0);
	assert_int_equal(uthread_attr_setdetachstate(&a, UTHREAD_CREATE_DETACHED), 0);
	for (int i = 0; i < NDETACHED; i++)
		assert_int_equal(uthread_create(&t, &a, count_and_leave, NULL), 0);
	assert_true(tu_wait(&detached_done, NDETACHED, TIMEOUT_MS));
	assert_int_equal(tu_get(&detached_done), NDETACHED);
	assert_int_equal(uthread_attr_destroy(&a), 0);
}

static void threads_detached_after_create_run_to_completion(void **state)
{
	uthread_t t[NDETACHED];

	(void)state;
	tu_set(&detached_done, 0);
	for (int i = 0; i < NDETACHED; i++) {
		assert_int_equal(uthread_create(&t[i], NULL, count_and_leave, NULL), 0);
		assert_int_equal(uthread_detach(t[i]), 0);
	}
	assert_true(tu_wait(&detached_done, NDETACHED, TIMEOUT_MS));
	assert_int_equal(tu_get(&detached_done), NDETACHED);
	/* Every one of them is gone, none can be joined: EINVAL while it
	 * is still on its way out (detached), ESRCH once its slot is free. */
	for (int i = 0; i < NDETACHED; i++) {
		int r = uthread_join(t[i], NULL);
		assert_true(r == EINVAL || r == ESRCH);
	}
}

/* ------------------------------------------------------------ more */

static void *create_and_join_a_grandchild(void *arg)
{
	uthread_t t;
	void *ret = NULL;

	if (uthread_create(&t, NULL, square_plus_seven, arg) ||
	    uthread_join(t, &ret))
		return NULL;
	return ret;
}

static void a_thread_can_create_and_join_threads_of_its_own(void **state)
{
	uthread_t t[4];

	(void)state;
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(uthread_create(&t[i], NULL, create_and_join_a_grandchild,
		                                (void *)(i + 3)), 0);
	for (uintptr_t i = 0; i < 4; i++) {
		void *ret = NULL;
		assert_int_equal(uthread_join(t[i], &ret), 0);
		assert_int_equal((uintptr_t)ret, (i + 3) * (i + 3) + 7);
	}
}

struct maskrec {
	int usr1, usr2, rt; /* 1 if blocked in the new thread */
};

static void *read_my_mask(void *arg)
{
	struct maskrec *m = arg;
	sigset_t cur;

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	m->usr1 = sigismember(&cur, SIGUSR1);
	m->usr2 = sigismember(&cur, SIGUSR2);
	m->rt = sigismember(&cur, SIGRTMIN + 3);
	return NULL;
}

static void a_new_thread_starts_with_its_creators_signal_mask(void **state)
{
	sigset_t block, old;
	struct maskrec m = { -1, -1, -1 };
	uthread_t t;

	(void)state;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGRTMIN + 3);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &block, &old), 0);
	assert_int_equal(uthread_create(&t, NULL, read_my_mask, &m), 0);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &old, NULL), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(m.usr1, 1);
	assert_int_equal(m.rt, 1);
	assert_int_equal(m.usr2, 0);
	/* And an unblocked creator makes an unblocked thread. */
	assert_int_equal(uthread_create(&t, NULL, read_my_mask, &m), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(m.usr1, 0);
	assert_int_equal(m.rt, 0);
}

/*
 * Racing claims on one thread: joiners and detachers released together.
 * Exactly one claim wins (0), every other answers EINVAL, a winning join
 * gets the exit value, and no stack or task is left behind.
 */
struct claim {
	uthread_t target;
	int detach;      /* 1: uthread_detach, 0: uthread_join */
	int *gate;
	int r;
	void *ret;
};

static void *claim_target(void *arg)
{
	struct claim *c = arg;

	tu_wait(c->gate, 1, -1);
	c->r = c->detach ? uthread_detach(c->target)
	                 : uthread_join(c->target, &c->ret);
	return NULL;
}

static void race_claims(int njoin, int ndetach)
{
	const int rounds = tu_on_valgrind() ? 100 : 1000;
	int tasks = tu_count_tasks(), maps = -1;

	for (int round = 0; round < rounds; round++) {
		struct claim c[4];
		uthread_t claimer[4], target;
		int gate = 0, wins = 0, n = njoin + ndetach;

		if (round == 20)
			maps = tu_count_own_maps();
		assert_int_equal(uthread_create(&target, NULL, square_plus_seven,
		                                (void *)(uintptr_t)round), 0);
		for (int i = 0; i < n; i++) {
			c[i] = (struct claim){ target, i >= njoin, &gate, -1, NULL };
			assert_int_equal(uthread_create(&claimer[i], NULL, claim_target,
			                                &c[i]), 0);
		}
		tu_set(&gate, 1);
		for (int i = 0; i < n; i++) {
			assert_int_equal(uthread_join(claimer[i], NULL), 0);
			if (c[i].r == 0) {
				wins++;
				if (!c[i].detach)
					assert_int_equal((uintptr_t)c[i].ret,
					                 (uintptr_t)round * round + 7);
			} else {
				/* Claimed by the winner (EINVAL), or already
				 * reclaimed by it (ESRCH). */
				assert_true(c[i].r == EINVAL || c[i].r == ESRCH);
			}
		}
		assert_int_equal(wins, 1);
		/* Whoever won, the handle is spent: a detacher's win may
		 * still be on its way out (EINVAL) or gone (ESRCH). */
		int again = uthread_join(target, NULL);
		assert_true(again == ESRCH || (again == EINVAL && ndetach));
	}
	/* A detached winner's thread may still be on its way out.  Fewer
	 * tasks than at the start is fine: a detached thread of an earlier
	 * test may have been on its way out when we counted. */
	long long end = tu_deadline_ms(TIMEOUT_MS);
	while (tu_count_tasks() > tasks && tu_now_ms() < end)
		tu_sleep_ms(1);
	assert_true(tu_count_tasks() <= tasks);
	/*
	 * No leak: after 1000 rounds the mappings may differ from round 20's
	 * only by what is bounded by design: blocks parked in the stack cache
	 * (64, two mappings each; detached winners park theirs as they end)
	 * and glibc malloc arenas (8 per CPU, two mappings each).  A leak of
	 * one block per round would add ~2000.
	 */
	assert_true(tu_count_own_maps() <= maps + 2 * 64 + 2 * 16);
}

static void racing_joins_exactly_one_succeeds(void **state)
{
	(void)state;
	race_claims(3, 0);
}

static void racing_join_and_detach_exactly_one_succeeds(void **state)
{
	(void)state;
	race_claims(2, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(join_returns_the_value_returned_by_the_start_routine),
		cmocka_unit_test(join_returns_the_value_passed_to_exit),
		cmocka_unit_test(join_accepts_a_null_retval_and_still_reaps_the_thread),
		cmocka_unit_test(sixty_four_threads_each_return_their_own_value),
		cmocka_unit_test(self_in_a_thread_equals_the_handle_create_stored),
		cmocka_unit_test(self_in_main_is_stable_and_differs_from_every_uthread),
		cmocka_unit_test(self_in_a_pthread_names_that_thread_and_differs_from_main),
		cmocka_unit_test(equal_is_true_only_for_the_same_handle),
		cmocka_unit_test(yield_returns_zero),
		cmocka_unit_test(gettid_of_a_running_thread_is_what_gettid_returned_inside_it),
		cmocka_unit_test(gettid_of_main_from_a_thread_is_the_process_id),
		cmocka_unit_test(setname_on_self_is_read_back_by_getname_and_proc_comm),
		cmocka_unit_test(setname_on_another_running_thread_is_read_back_and_shown_in_proc),
		cmocka_unit_test(setname_rejects_a_sixteen_byte_name_with_erange),
		cmocka_unit_test(getname_rejects_a_buffer_shorter_than_sixteen_with_erange),
		cmocka_unit_test(attr_init_gives_the_documented_defaults),
		cmocka_unit_test(attr_getters_return_what_the_setters_stored),
		cmocka_unit_test(an_attr_can_be_reused_for_many_creates),
		cmocka_unit_test(a_thread_on_a_caller_supplied_stack_runs_inside_that_memory),
		cmocka_unit_test(a_thread_gets_at_least_the_stack_size_it_asked_for),
		cmocka_unit_test(the_guard_region_lies_just_below_the_stack),
		cmocka_unit_test(a_thread_with_no_guard_page_runs_and_uses_its_whole_stack),
		cmocka_unit_test(a_thread_can_use_almost_all_of_a_custom_stack_size),
		cmocka_unit_test(a_detached_thread_on_a_caller_stack_leaves_that_stack_to_the_caller),
		cmocka_unit_test(threads_created_detached_run_to_completion),
		cmocka_unit_test(threads_detached_after_create_run_to_completion),
		cmocka_unit_test(a_thread_can_create_and_join_threads_of_its_own),
		cmocka_unit_test(a_new_thread_starts_with_its_creators_signal_mask),
		cmocka_unit_test(racing_joins_exactly_one_succeeds),
		cmocka_unit_test(racing_join_and_detach_exactly_one_succeeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
