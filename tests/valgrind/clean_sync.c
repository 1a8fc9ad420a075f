/* SPDX-License-Identifier: MIT */
/*
 * clean_sync: a correct program using the library's primitives, on which
 * helgrind and DRD must report nothing: a counter under a mutex, a
 * producer/consumer hand-off through a condition variable, a semaphore, a
 * rwlock, a barrier, once, and results passed back through join; and a
 * uthread that starts and joins a pthread which writes into it (DRD used
 * to abort there: the thread had two names, its handle and pthread_self);
 * and semaphores destroyed as soon as their wait returns, while the
 * detached poster may still be inside uthread_sem_post, as POSIX allows.
 */
#include <pthread.h>
#include <stdio.h>

#include <uthread.h>

#define N 4
#define ITER 200

static uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
static uthread_cond_t c = UTHREAD_COND_INITIALIZER;
static uthread_rwlock_t rw = UTHREAD_RWLOCK_INITIALIZER;
static uthread_once_t once = UTHREAD_ONCE_INIT;
static uthread_barrier_t bar;
static uthread_sem_t sem;
static long counter, table[2], slot, produced, consumed;
static int ready;

static void init_table(void)
{
	table[0] = table[1] = 7;
}

static void *worker(void *arg)
{
	long id = (long)arg, sum = 0;

	uthread_once(&once, init_table);
	for (int i = 0; i < ITER; i++) {
		uthread_mutex_lock(&m);
		counter++;
		uthread_mutex_unlock(&m);
		if (i % 10 == 0) {
			uthread_rwlock_wrlock(&rw);
			table[0]++;
			table[1]++;
			uthread_rwlock_unlock(&rw);
		} else {
			uthread_rwlock_rdlock(&rw);
			sum += table[0] - table[1];
			uthread_rwlock_unlock(&rw);
		}
	}
	uthread_barrier_wait(&bar);
	uthread_sem_post(&sem);
	return (void *)(sum + id);
}

static void *consumer(void *arg)
{
	for (int i = 0; i < ITER; i++) {
		uthread_mutex_lock(&m);
		while (!ready)
			uthread_cond_wait(&c, &m);
		consumed += slot;
		ready = 0;
		uthread_cond_broadcast(&c);
		uthread_mutex_unlock(&m);
	}
	return arg;
}

static long from_pthread;

static void *pthread_body(void *arg)
{
	from_pthread = (long)arg;
	return NULL;
}

static void *starts_a_pthread(void *arg)
{
	pthread_t p;

	if (pthread_create(&p, NULL, pthread_body, arg) || pthread_join(p, NULL))
		return (void *)1;
	return from_pthread == (long)arg ? NULL : (void *)2;
}

/* Regression: post read the semaphore before telling the tools it
 * posted, so that read raced with the destroy (helgrind, make stress). */
static uthread_sem_t handoff;

static void *poster(void *arg)
{
	uthread_sem_post(&handoff);
	return arg;
}

static int destroy_after_wait(void)
{
	for (int i = 0; i < 20; i++) {
		uthread_t p;

		if (uthread_sem_init(&handoff, 0, 0) ||
		    uthread_create(&p, NULL, poster, NULL) || uthread_detach(p) ||
		    uthread_sem_wait(&handoff) || uthread_sem_destroy(&handoff))
			return 1;
	}
	return 0;
}

int main(void)
{
	uthread_t t[N], cons;
	long ret_sum = 0;

	uthread_barrier_init(&bar, NULL, N);
	uthread_sem_init(&sem, 0, 0);
	if (uthread_create(&cons, NULL, consumer, NULL))
		return 2;
	for (long i = 0; i < N; i++)
		if (uthread_create(&t[i], NULL, worker, (void *)i))
			return 2;
	for (int i = 1; i <= ITER; i++) {
		uthread_mutex_lock(&m);
		while (ready)
			uthread_cond_wait(&c, &m);
		slot = i;
		produced += i;
		ready = 1;
		uthread_cond_signal(&c);
		uthread_mutex_unlock(&m);
	}
	for (int i = 0; i < N; i++) {
		void *r;
		uthread_sem_wait(&sem);
		uthread_join(t[i], &r);
		ret_sum += (long)r;
	}
	uthread_join(cons, NULL);
	uthread_t mixed;
	void *mixed_r = (void *)3;
	if (uthread_create(&mixed, NULL, starts_a_pthread, (void *)42L) == 0)
		uthread_join(mixed, &mixed_r);
	if (destroy_after_wait())
		return 1;
	printf("counter %ld, consumed %ld of %ld, returns %ld\n", counter,
	       consumed, produced, ret_sum);
	return mixed_r == NULL && counter == N * ITER && consumed == produced &&
	       ret_sum == N * (N - 1) / 2 && table[0] == table[1] ? 0 : 1;
}
