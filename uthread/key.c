/* SPDX-License-Identifier: MIT */
/*
 * key.c - thread-specific data.  A global table gives each key a sequence
 * number (odd while the key is live); each thread keeps its values in
 * static TLS with the sequence they were set under, so a deleted and
 * re-created key never shows an old value.  Destructors run at thread exit.
 */
#include <errno.h>
#include <stddef.h>

#include "internal.h"
#include "lock.h"

static struct {
	unsigned seq;                 /* odd: live; atomic */
	void (*dtor)(void *);
} keys[UTHREAD_KEYS_MAX];
static uthread__lock_t keys_lock = UTHREAD__LOCK_INIT;

static __thread struct {
	void *value;
	unsigned seq;
} specific[UTHREAD_KEYS_MAX] __attribute__((__tls_model__("initial-exec")));

int uthread_key_create(uthread_key_t *key, void (*destructor)(void *))
{
	if (!key)
		return EINVAL;
	uthread__lock(&keys_lock);
	for (unsigned k = 0; k < UTHREAD_KEYS_MAX; k++) {
		if (keys[k].seq & 1)
			continue;
		keys[k].dtor = destructor;
		/* Release: a thread that sees the odd sequence sees the dtor. */
		__atomic_store_n(&keys[k].seq, keys[k].seq + 1, __ATOMIC_RELEASE);
		uthread__unlock(&keys_lock);
		*key = k;
		return 0;
	}
	uthread__unlock(&keys_lock);
	return EAGAIN;
}

int uthread_key_delete(uthread_key_t key)
{
	int r = EINVAL;

	if (key >= UTHREAD_KEYS_MAX)
		return EINVAL;
	uthread__lock(&keys_lock);
	if (keys[key].seq & 1) {
		/* Relaxed: the lock orders writers; readers only compare. */
		__atomic_store_n(&keys[key].seq, keys[key].seq + 1, __ATOMIC_RELAXED);
		r = 0;
	}
	uthread__unlock(&keys_lock);
	return r;
}

void *uthread_getspecific(uthread_key_t key)
{
	if (key >= UTHREAD_KEYS_MAX ||
	    specific[key].seq != __atomic_load_n(&keys[key].seq, __ATOMIC_RELAXED))
		return NULL;
	return specific[key].value;
}

int uthread_setspecific(uthread_key_t key, const void *value)
{
	unsigned seq;

	if (key >= UTHREAD_KEYS_MAX)
		return EINVAL;
	seq = __atomic_load_n(&keys[key].seq, __ATOMIC_ACQUIRE);
	if (!(seq & 1))
		return EINVAL;
	specific[key].value = (void *)value;
	specific[key].seq = seq;
	return 0;
}

/* At thread exit: UTHREAD_DESTRUCTOR_ITERATIONS rounds at most. */
void uthread__keys_run_destructors(void)
{
	for (int round = 0; round < UTHREAD_DESTRUCTOR_ITERATIONS; round++) {
		int ran = 0;
		for (unsigned k = 0; k < UTHREAD_KEYS_MAX; k++) {
			unsigned seq = __atomic_load_n(&keys[k].seq, __ATOMIC_ACQUIRE);
			void *v = specific[k].value;
			void (*dtor)(void *) = keys[k].dtor;
			if (!v || specific[k].seq != seq || !(seq & 1))
				continue;
			specific[k].value = NULL;
			if (dtor) {
				dtor(v);
				ran = 1;
			}
		}
		if (!ran)
			return;
	}
}
