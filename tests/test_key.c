/* SPDX-License-Identifier: MIT */
/*
 * test_key.c - thread-specific data: destructors at thread exit (several
 * keys, extra rounds, the round limit, uthread_exit from deep inside),
 * per-thread values, delete and re-create, the key limit.  Every test
 * deletes the keys it created, so the limit test sees an empty table.
 * Threads never call cmocka: they record what they saw and the main thread
 * asserts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <uthread.h>
#include "testutil.h"
#include "syncutil.h"

/* ------------------------------------------------------------------ */
/* Destructors at thread exit                                           */
/* ------------------------------------------------------------------ */

#define NKEYS 3
#define NTHREADS 4

/* What each thread stores under each key; the destructor marks it. */
struct value {
	int thread, key;
	int calls;              /* destructor calls with this value (atomic) */
	int was_null;           /* the key read NULL inside the destructor */
};

static uthread_key_t keys[NKEYS + 1]; /* the last one is never set */
static struct value values[NTHREADS][NKEYS];
static int unset_calls;

static void record(uthread_key_t key, void *p)
{
	struct value *v = p;

	if (uthread_getspecific(key) == NULL)
		__atomic_fetch_add(&v->was_null, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&v->calls, 1, __ATOMIC_RELAXED);
}

static void dtor0(void *p) { record(keys[0], p); }
static void dtor1(void *p) { record(keys[1], p); }
static void dtor2(void *p) { record(keys[2], p); }
static void dtor_unset(void *p)
{
	(void)p;
	__atomic_fetch_add(&unset_calls, 1, __ATOMIC_RELAXED);
}

static void *set_values(void *p)
{
	int t = (int)(intptr_t)p;

	for (int k = 0; k < NKEYS; k++)
		if (uthread_setspecific(keys[k], &values[t][k]) != 0)
			return (void *)1;
	for (int k = 0; k < NKEYS; k++)
		if (uthread_getspecific(keys[k]) != &values[t][k])
			return (void *)2;
	return NULL;
}

static void destructors_run_at_thread_exit_with_each_threads_values(void **state)
{
	void (*dtors[NKEYS + 1])(void *) = { dtor0, dtor1, dtor2, dtor_unset };
	uthread_t t[NTHREADS];
	int main_value;

	(void)state;
	memset(values, 0, sizeof values);
	unset_calls = 0;
	for (int k = 0; k <= NKEYS; k++)
		assert_int_equal(uthread_key_create(&keys[k], dtors[k]), 0);
	/* The main thread's own values are not the threads' business. */
	for (int k = 0; k <= NKEYS; k++)
		assert_int_equal(uthread_setspecific(keys[k], &main_value), 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, set_values,
		                                (void *)(intptr_t)i), 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		assert_int_equal(uthread_join(t[i], &ret), 0);
		assert_null(ret);
	}
	for (int i = 0; i < NTHREADS; i++)
		for (int k = 0; k < NKEYS; k++) {
			assert_int_equal(values[i][k].calls, 1);
			assert_int_equal(values[i][k].was_null, 1);
		}
	/* A key the threads never set: no call with NULL. */
	assert_int_equal(unset_calls, 0);
	for (int k = 0; k <= NKEYS; k++) {
		assert_ptr_equal(uthread_getspecific(keys[k]), &main_value);
		assert_int_equal(uthread_key_delete(keys[k]), 0);
	}
}

/* ------------------------------------------------------------------ */
/* Rounds                                                               */
/* ------------------------------------------------------------------ */

static uthread_key_t round_key, other_key;
static int round_calls;
static void *round_seen[2 * UTHREAD_DESTRUCTOR_ITERATIONS];
static int first_marker, second_marker;

static void set_again_once(void *p)
{
	int n = __atomic_fetch_add(&round_calls, 1, __ATOMIC_RELAXED);

	if (n < (int)(sizeof round_seen / sizeof round_seen[0]))
		round_seen[n] = p;
	if (p == &first_marker)
		uthread_setspecific(round_key, &second_marker);
}

static void *set_first_marker(void *p)
{
	(void)p;
	uthread_setspecific(round_key, &first_marker);
	return NULL;
}

static void value_set_in_a_destructor_causes_another_round(void **state)
{
	uthread_t t;

	(void)state;
	round_calls = 0;
	memset(round_seen, 0, sizeof round_seen);
	assert_int_equal(uthread_key_create(&round_key, set_again_once), 0);
	assert_int_equal(uthread_create(&t, NULL, set_first_marker, NULL), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(round_calls, 2);
	assert_ptr_equal(round_seen[0], &first_marker);
	assert_ptr_equal(round_seen[1], &second_marker);
	assert_int_equal(uthread_key_delete(round_key), 0);
}

static void set_again_always(void *p)
{
	int n = __atomic_fetch_add(&round_calls, 1, __ATOMIC_RELAXED);

	if (n < (int)(sizeof round_seen / sizeof round_seen[0]))
		round_seen[n] = p;
	uthread_setspecific(round_key, p);
}

static void destructor_rounds_stop_after_the_iteration_limit(void **state)
{
	uthread_t t;

	(void)state;
	round_calls = 0;
	assert_int_equal(uthread_key_create(&round_key, set_again_always), 0);
	assert_int_equal(uthread_create(&t, NULL, set_first_marker, NULL), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	/* Every round found the value set again: exactly the limit, and the
	 * thread still ended. */
	assert_int_equal(round_calls, UTHREAD_DESTRUCTOR_ITERATIONS);
	for (int i = 0; i < UTHREAD_DESTRUCTOR_ITERATIONS; i++)
		assert_ptr_equal(round_seen[i], &first_marker);
	assert_int_equal(uthread_key_delete(round_key), 0);
}

/* A destructor that sets another key: that key's destructor runs in a
 * later round. */
static int other_calls;

static void other_dtor(void *p)
{
	(void)p;
	__atomic_fetch_add(&other_calls, 1, __ATOMIC_RELAXED);
}

static void set_other(void *p)
{
	(void)p;
	__atomic_fetch_add(&round_calls, 1, __ATOMIC_RELAXED);
	uthread_setspecific(other_key, &second_marker);
}

static void destructor_setting_another_key_gets_that_destructor_run(void **state)
{
	uthread_t t;

	(void)state;
	round_calls = other_calls = 0;
	/* other_key first: in round one it is still NULL, so only a second
	 * round can call its destructor. */
	assert_int_equal(uthread_key_create(&other_key, other_dtor), 0);
	assert_int_equal(uthread_key_create(&round_key, set_other), 0);
	assert_int_equal(uthread_create(&t, NULL, set_first_marker, NULL), 0);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(round_calls, 1);
	assert_int_equal(other_calls, 1);
	assert_int_equal(uthread_key_delete(round_key), 0);
	assert_int_equal(uthread_key_delete(other_key), 0);
}

/* ------------------------------------------------------------------ */
/* Per-thread values                                                    */
/* ------------------------------------------------------------------ */

static uthread_key_t pt_key;

struct pt {
	void *initial;          /* getspecific at thread start */
	void *after;            /* after setting its own value */
	int set_r;
};

static void *per_thread(void *p)
{
	struct pt *r = p;

	r->initial = uthread_getspecific(pt_key);
	r->set_r = uthread_setspecific(pt_key, r);
	r->after = uthread_getspecific(pt_key);
	return NULL;
}

static void getspecific_is_per_thread_and_null_in_a_new_thread(void **state)
{
	int main_value;

	(void)state;
	/* No destructor: the threads' values stay behind in their blocks,
	 * which later threads reuse. */
	assert_int_equal(uthread_key_create(&pt_key, NULL), 0);
	assert_null(uthread_getspecific(pt_key));
	assert_int_equal(uthread_setspecific(pt_key, &main_value), 0);
	for (int i = 0; i < 8; i++) {
		struct pt r[2];
		uthread_t t[2];

		memset(r, 0, sizeof r);
		for (int j = 0; j < 2; j++)
			assert_int_equal(uthread_create(&t[j], NULL, per_thread, &r[j]), 0);
		for (int j = 0; j < 2; j++) {
			assert_int_equal(uthread_join(t[j], NULL), 0);
			assert_null(r[j].initial);
			assert_int_equal(r[j].set_r, 0);
			assert_ptr_equal(r[j].after, &r[j]);
		}
		assert_ptr_equal(uthread_getspecific(pt_key), &main_value);
	}
	assert_int_equal(uthread_key_delete(pt_key), 0);
}

static void key_delete_makes_getspecific_null_and_setspecific_einval(void **state)
{
	uthread_key_t k;
	int v;

	(void)state;
	assert_int_equal(uthread_key_create(&k, NULL), 0);
	assert_int_equal(uthread_setspecific(k, &v), 0);
	assert_ptr_equal(uthread_getspecific(k), &v);
	assert_int_equal(uthread_key_delete(k), 0);
	assert_null(uthread_getspecific(k));
	assert_int_equal(uthread_setspecific(k, &v), EINVAL);
	assert_null(uthread_getspecific(k));
	assert_int_equal(uthread_key_delete(k), EINVAL);
}

static uthread_key_t deleted_key;
static int deleted_dtor_calls;

static void count_deleted_dtor(void *p)
{
	(void)p;
	__atomic_fetch_add(&deleted_dtor_calls, 1, __ATOMIC_RELAXED);
}

struct handshake {
	int set, deleted;
	void *after_delete;
};

static void *set_then_wait_for_delete(void *p)
{
	struct handshake *h = p;

	uthread_setspecific(deleted_key, h);
	tu_set(&h->set, 1);
	while (!tu_peek(&h->deleted))
		usleep(200);
	(void)tu_get(&h->deleted);
	h->after_delete = uthread_getspecific(deleted_key);
	return NULL;
}

static void key_delete_calls_no_destructor_at_a_later_thread_exit(void **state)
{
	struct handshake h = { 0, 0, &h };
	uthread_t t;

	(void)state;
	deleted_dtor_calls = 0;
	assert_int_equal(uthread_key_create(&deleted_key, count_deleted_dtor), 0);
	assert_int_equal(uthread_create(&t, NULL, set_then_wait_for_delete, &h), 0);
	while (!tu_peek(&h.set))
		usleep(200);
	(void)tu_get(&h.set);
	assert_int_equal(uthread_key_delete(deleted_key), 0);
	assert_int_equal(deleted_dtor_calls, 0);
	tu_set(&h.deleted, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_null(h.after_delete);
	assert_int_equal(deleted_dtor_calls, 0);
}

struct recreate {
	uthread_key_t old_key, new_key;
	int set, recreated;
	void *seen;
};

static void *set_then_read_new_key(void *p)
{
	struct recreate *r = p;

	uthread_setspecific(r->old_key, r);
	tu_set(&r->set, 1);
	while (!tu_peek(&r->recreated))
		usleep(200);
	(void)tu_get(&r->recreated);
	r->seen = uthread_getspecific(r->new_key);
	return NULL;
}

static void deleted_and_recreated_key_does_not_show_the_old_value(void **state)
{
	struct recreate r;
	uthread_t t;
	int v;

	(void)state;
	/* In the main thread, many times over. */
	for (int i = 0; i < 2 * UTHREAD_KEYS_MAX; i++) {
		uthread_key_t k, k2;

		assert_int_equal(uthread_key_create(&k, NULL), 0);
		assert_int_equal(uthread_setspecific(k, &v), 0);
		assert_int_equal(uthread_key_delete(k), 0);
		assert_int_equal(uthread_key_create(&k2, NULL), 0);
		assert_null(uthread_getspecific(k2));
		assert_int_equal(uthread_key_delete(k2), 0);
	}
	/* In a thread that set the old key and is still running when the key
	 * is re-created. */
	memset(&r, 0, sizeof r);
	r.seen = &r;
	assert_int_equal(uthread_key_create(&r.old_key, NULL), 0);
	assert_int_equal(uthread_create(&t, NULL, set_then_read_new_key, &r), 0);
	while (!tu_peek(&r.set))
		usleep(200);
	(void)tu_get(&r.set);
	assert_int_equal(uthread_key_delete(r.old_key), 0);
	assert_int_equal(uthread_key_create(&r.new_key, NULL), 0);
	print_message("old key %u, new key %u\n", r.old_key, r.new_key);
	tu_set(&r.recreated, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_null(r.seen);
	assert_int_equal(uthread_key_delete(r.new_key), 0);
}

static void creating_one_key_more_than_the_maximum_is_eagain(void **state)
{
	static uthread_key_t k[UTHREAD_KEYS_MAX + 1];
	int n = 0, r;

	(void)state;
	while ((r = uthread_key_create(&k[n], NULL)) == 0 && n < UTHREAD_KEYS_MAX)
		n++;
	/* Every other test deleted its keys: all of them were free. */
	assert_int_equal(n, UTHREAD_KEYS_MAX);
	assert_int_equal(r, EAGAIN);
	/* Distinct keys, each usable. */
	for (int i = 0; i < n; i++)
		assert_int_equal(uthread_setspecific(k[i], &k[i]), 0);
	for (int i = 0; i < n; i++)
		assert_ptr_equal(uthread_getspecific(k[i]), &k[i]);
	for (int i = 0; i < n; i++)
		assert_int_equal(uthread_key_delete(k[i]), 0);
	/* Deleting one frees one. */
	assert_int_equal(uthread_key_create(&k[0], NULL), 0);
	assert_int_equal(uthread_key_delete(k[0]), 0);
}

static void bad_keys_and_null_arguments_are_einval(void **state)
{
	int v;

	(void)state;
	assert_int_equal(uthread_key_create(NULL, NULL), EINVAL);
	assert_int_equal(uthread_key_delete(UTHREAD_KEYS_MAX), EINVAL);
	assert_int_equal(uthread_key_delete((uthread_key_t)-1), EINVAL);
	assert_int_equal(uthread_setspecific(UTHREAD_KEYS_MAX, &v), EINVAL);
	assert_int_equal(uthread_setspecific((uthread_key_t)-1, &v), EINVAL);
	assert_null(uthread_getspecific(UTHREAD_KEYS_MAX));
	assert_null(uthread_getspecific((uthread_key_t)-1));
}

/* ------------------------------------------------------------------ */
/* uthread_exit from deep inside                                        */
/* ------------------------------------------------------------------ */

static uthread_key_t exit_key;
static void *exit_dtor_value;
static int exit_dtor_calls;

static void exit_dtor(void *p)
{
	exit_dtor_value = p;
	__atomic_fetch_add(&exit_dtor_calls, 1, __ATOMIC_RELAXED);
}

static __attribute__((noinline)) void leave_from_level1(void)
{
	uthread_exit((void *)(intptr_t)42);
}

static __attribute__((noinline)) void leave_from_level2(void)
{
	leave_from_level1();
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

static __attribute__((noinline)) void leave_from_level3(void)
{
	leave_from_level2();
	__asm__ volatile("" ::: "memory");
}

static void *exit_deep_inside(void *p)
{
	uthread_setspecific(exit_key, p);
	leave_from_level3();
	return NULL; /* not reached */
}

static void uthread_exit_from_a_nested_function_runs_the_destructors(void **state)
{
	static int marker;
	uthread_t t;
	void *ret = NULL;

	(void)state;
	exit_dtor_calls = 0;
	exit_dtor_value = NULL;
	assert_int_equal(uthread_key_create(&exit_key, exit_dtor), 0);
	assert_int_equal(uthread_create(&t, NULL, exit_deep_inside, &marker), 0);
	assert_int_equal(uthread_join(t, &ret), 0);
	assert_ptr_equal(ret, (void *)(intptr_t)42);
	assert_int_equal(exit_dtor_calls, 1);
	assert_ptr_equal(exit_dtor_value, &marker);
	assert_int_equal(uthread_key_delete(exit_key), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(destructors_run_at_thread_exit_with_each_threads_values),
		cmocka_unit_test(value_set_in_a_destructor_causes_another_round),
		cmocka_unit_test(destructor_rounds_stop_after_the_iteration_limit),
		cmocka_unit_test(destructor_setting_another_key_gets_that_destructor_run),
		cmocka_unit_test(getspecific_is_per_thread_and_null_in_a_new_thread),
		cmocka_unit_test(key_delete_makes_getspecific_null_and_setspecific_einval),
		cmocka_unit_test(key_delete_calls_no_destructor_at_a_later_thread_exit),
		cmocka_unit_test(deleted_and_recreated_key_does_not_show_the_old_value),
		cmocka_unit_test(creating_one_key_more_than_the_maximum_is_eagain),
		cmocka_unit_test(bad_keys_and_null_arguments_are_einval),
		cmocka_unit_test(uthread_exit_from_a_nested_function_runs_the_destructors),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
