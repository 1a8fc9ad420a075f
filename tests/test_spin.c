/* SPDX-License-Identifier: MIT */
/*
 * test_spin.c - uthread_spin_*: four threads keep a counter exact,
 * trylock and destroy see a held lock, bad input.  Threads never call
 * cmocka: they record what they saw and the main thread asserts.
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

#define NTHREADS 4

struct counting {
	uthread_spinlock_t lock;
	long iters;
	long counter;           /* plain: only the lock protects it */
	int errors;
	int ready, go;
};

static void *count_under_spinlock(void *p)
{
	struct counting *c = p;

	tu_add(&c->ready, 1);
	tu_wait(&c->go, 1, -1);
	for (long i = 0; i < c->iters; i++) {
		if (uthread_spin_lock(&c->lock) != 0) {
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		c->counter++;
		if (uthread_spin_unlock(&c->lock) != 0)
			__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void four_threads_keep_a_spinlocked_counter_exact(void **state)
{
	struct counting c;
	uthread_t t[NTHREADS];

	(void)state;
	memset(&c, 0, sizeof c);
	c.iters = su_iters(100000, 2000);
	assert_int_equal(uthread_spin_init(&c.lock, UTHREAD_PROCESS_PRIVATE), 0);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(uthread_create(&t[i], NULL, count_under_spinlock, &c), 0);
	tu_wait(&c.ready, NTHREADS, -1);
	tu_set(&c.go, 1);
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.counter, NTHREADS * c.iters);
	assert_int_equal(uthread_spin_destroy(&c.lock), 0);
}

static int trylock_in_thread(void *p)
{
	int r = uthread_spin_trylock(p);

	if (r == 0 && uthread_spin_unlock(p) != 0)
		return -1;
	return r;
}

static void trylock_of_a_held_spinlock_is_ebusy(void **state)
{
	uthread_spinlock_t l;

	(void)state;
	assert_int_equal(uthread_spin_init(&l, UTHREAD_PROCESS_PRIVATE), 0);
	assert_int_equal(uthread_spin_trylock(&l), 0);
	assert_int_equal(uthread_spin_trylock(&l), EBUSY);
	assert_int_equal(su_in_thread(trylock_in_thread, &l), EBUSY);
	assert_int_equal(uthread_spin_unlock(&l), 0);
	assert_int_equal(su_in_thread(trylock_in_thread, &l), 0);
	assert_int_equal(uthread_spin_lock(&l), 0);
	assert_int_equal(su_in_thread(trylock_in_thread, &l), EBUSY);
	assert_int_equal(uthread_spin_unlock(&l), 0);
	assert_int_equal(uthread_spin_destroy(&l), 0);
}

static void destroy_of_a_held_spinlock_is_ebusy(void **state)
{
	uthread_spinlock_t l;

	(void)state;
	assert_int_equal(uthread_spin_init(&l, UTHREAD_PROCESS_SHARED), 0);
	assert_int_equal(uthread_spin_lock(&l), 0);
	assert_int_equal(uthread_spin_destroy(&l), EBUSY);
	/* Still held. */
	assert_int_equal(su_in_thread(trylock_in_thread, &l), EBUSY);
	assert_int_equal(uthread_spin_unlock(&l), 0);
	assert_int_equal(uthread_spin_destroy(&l), 0);
}

static void init_with_a_bad_pshared_or_null_is_einval(void **state)
{
	uthread_spinlock_t l;

	(void)state;
	assert_int_equal(uthread_spin_init(&l, 5), EINVAL);
	assert_int_equal(uthread_spin_init(&l, -1), EINVAL);
	assert_int_equal(uthread_spin_init(NULL, UTHREAD_PROCESS_PRIVATE), EINVAL);
	assert_int_equal(uthread_spin_destroy(NULL), EINVAL);
	assert_int_equal(uthread_spin_lock(NULL), EINVAL);
	assert_int_equal(uthread_spin_trylock(NULL), EINVAL);
	assert_int_equal(uthread_spin_unlock(NULL), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(four_threads_keep_a_spinlocked_counter_exact),
		cmocka_unit_test(trylock_of_a_held_spinlock_is_ebusy),
		cmocka_unit_test(destroy_of_a_held_spinlock_is_ebusy),
		cmocka_unit_test(init_with_a_bad_pshared_or_null_is_einval),
	};

	su_watchdog(60);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
