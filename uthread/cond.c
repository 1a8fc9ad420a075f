/* SPDX-License-Identifier: MIT */
/*
 * cond.c - uthread_cond_*: a sequence-counter condition variable.  Every
 * signal or broadcast bumps __seq; a waiter reads __seq while it still holds
 * the mutex and sleeps only while __seq is unchanged, so a signal that
 * comes after the mutex is released cannot be lost, and one that came
 * before the wait cannot wake it.  Broadcast requeues all but one waiter
 * onto the mutex word instead of waking the whole herd.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "mutex.h"
#include "futex.h"
#include "annotate.h"
#include "backoff.h"

/* How long destroy waits for woken waiters to leave before EBUSY. */
#define DESTROY_PATIENCE_NS 100000000L
/* How long a wait with another mutex waits for them before EINVAL. */
#define BIND_PATIENCE_NS 100000000L

static int bad_time(const struct timespec *ts)
{
	return !ts || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L;
}

static clockid_t clock_of(const uthread_cond_t *c)
{
	return c->__clock ? (clockid_t)(c->__clock - 1) : CLOCK_REALTIME;
}

/*
 * __mutex is the binding: the mutex of the current waiters, which
 * broadcast requeues onto.  Bit 0 set (RELEASED) says a broadcast has
 * since moved every waiter counted before it off __seq: they are no
 * longer blocked on c, even if they have not yet retaken the mutex, so
 * the next wait may bind another one (POSIX).  The pointer stays, for
 * destroy to wake the requeued waiters still asleep on its word.
 */
#define RELEASED ((uintptr_t)1)

static uthread_mutex_t *bound_mutex(void *p)
{
	return (uthread_mutex_t *)((uintptr_t)p & ~RELEASED);
}

/*
 * A wait with mutex m found c bound to another mutex with waiters
 * counted.  A signal may have unblocked them all already (a woken
 * waiter drops __waiters a few instructions after its wake-up, before
 * it retakes its mutex), or a broadcast may be about to mark the binding
 * RELEASED: wait a little for either.  1: the binding has ended, bind m.
 * 0: a waiter is still blocked with the other mutex (EINVAL).  Only this
 * error path pays the wait.
 */
static int binding_ends(uthread_cond_t *c, const uthread_mutex_t *m)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		/* Acquire, as in wait_common; relaxed count, as there. */
		void *now = __atomic_load_n(&c->__mutex, __ATOMIC_ACQUIRE);
		if (!now || ((uintptr_t)now & RELEASED) || now == m ||
		    !__atomic_load_n(&c->__waiters, __ATOMIC_RELAXED))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) >
		    BIND_PATIENCE_NS)
			return 0;
		sched_yield();
	}
}

/* A waiter cancelled while it slept: what it registered, undone. */
struct wait_undo {
	uthread_cond_t *c;
	uthread_mutex_t *m;
	unsigned depth;
};

static void wait_cancelled(void *arg)
{
	struct wait_undo *u = arg;

	/* Relaxed, as after a wake-up: the signal below orders nothing. */
	__atomic_fetch_sub(&u->c->__sleepers, 1, __ATOMIC_RELAXED);
	/* A signal that woke us is not ours to take (POSIX): pass it on to
	 * another waiter.  At worst one wakes for nothing and waits again. */
	(void)uthread_cond_signal(u->c);
	/* Release: as on the normal way out (destroy may follow). */
	UTHREAD__HAPPENS_BEFORE(&u->c->__waiters);
	__atomic_fetch_sub(&u->c->__waiters, 1, __ATOMIC_RELEASE);
	/* The mutex is held again before the caller's handlers run (POSIX). */
	(void)uthread__mutex_relock_after_wait(u->m, u->depth);
}

static int wait_common(uthread_cond_t *c, uthread_mutex_t *m, clockid_t clockid,
                       const struct timespec *abstime)
{
	uint32_t seq;
	unsigned depth;
	int r = 0;

	/* A cancellation point: a pending cancel acts here, the mutex held. */
	pthread_testcancel();
	UTHREAD__IGNORE(c, 4 * sizeof(unsigned));
	/*
	 * Acquire: pairs with broadcast's release of RELEASED, so the waiters
	 * it requeued are off __seq before we can sleep there with another
	 * mutex (a requeue onto the wrong word would lose a wake-up).  A
	 * process-shared cond keeps no binding: the pointer would be ours,
	 * not another process's.
	 */
	int private = !c->__pshared;
	void *prev = __atomic_load_n(&c->__mutex, __ATOMIC_ACQUIRE);
	if (private && prev != m) {
		/* Relaxed: counted waiters of a live binding (not RELEASED)
		 * are blocked with another mutex; a stale binding has none. */
		if (prev && !((uintptr_t)prev & RELEASED) &&
		    __atomic_load_n(&c->__waiters, __ATOMIC_RELAXED) &&
		    !binding_ends(c, m))
			return EINVAL; /* others wait with a different mutex */
		/* Relaxed: only steers broadcast's requeue and this check. */
		__atomic_store_n(&c->__mutex, m, __ATOMIC_RELAXED);
	}
	/*
	 * Register, then read the sequence, both while holding m.  seq_cst
	 * pairs with signal's seq_cst bump-then-read-waiters: either the
	 * signaller sees us counted (and wakes), or we see its bump (and do
	 * not sleep on the old value).
	 */
	__atomic_fetch_add(&c->__waiters, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&c->__seq, __ATOMIC_SEQ_CST);
	r = uthread__mutex_unlock_for_wait(m, &depth);
	if (r) {
		__atomic_fetch_sub(&c->__waiters, 1, __ATOMIC_RELEASE);
		return r;
	}
	/* Relaxed peeks: the relock below orders what the signaller wrote. */
	struct uthread__backoff b = uthread__backoff_start(&c->__spin);
	while (uthread__backoff(&b))
		if (__atomic_load_n(&c->__seq, __ATOMIC_RELAXED) != seq) {
			uthread__backoff_won(&b);
			goto woken;
		}
	/*
	 * About to sleep: count ourselves in __sleepers, seq_cst, before the
	 * kernel compares __seq.  Pairs with signal's seq_cst bump-then-read:
	 * either it sees us (and makes the wake call) or the kernel sees its
	 * bump (and we do not sleep).
	 */
	__atomic_fetch_add(&c->__sleepers, 1, __ATOMIC_SEQ_CST);
	struct wait_undo u = { c, m, depth };
	pthread_cleanup_push(wait_cancelled, &u);
	int old = uthread__cancel_async_begin();
	for (;;) {
		r = uthread__futex_wait(&c->__seq, seq, private, clockid, abstime);
		/* A handler ran but no signal came: keep waiting. */
		if (r == EINTR && __atomic_load_n(&c->__seq, __ATOMIC_ACQUIRE) == seq)
			continue;
		break; /* 0 (woken, or requeued and woken), EAGAIN, ETIMEDOUT */
	}
	uthread__cancel_async_end(old);
	pthread_cleanup_pop(0);
	/* Relaxed: only makes a later signal skip or make the wake call. */
	__atomic_fetch_sub(&c->__sleepers, 1, __ATOMIC_RELAXED);
woken:
	/* Release: destroy's acquire load of 0 means we no longer touch c. */
	UTHREAD__HAPPENS_BEFORE(&c->__waiters);
	__atomic_fetch_sub(&c->__waiters, 1, __ATOMIC_RELEASE);
	/* A robust mutex's EOWNERDEAD or ENOTRECOVERABLE outranks a timeout. */
	int relock = uthread__mutex_relock_after_wait(m, depth);
	if (relock)
		return relock;
	return r == ETIMEDOUT ? ETIMEDOUT : 0;
}

int uthread_cond_wait(uthread_cond_t *cond, uthread_mutex_t *m)
{
	if (!cond || !m)
		return EINVAL;
	return wait_common(cond, m, CLOCK_REALTIME, NULL);
}

int uthread_cond_clockwait(uthread_cond_t *cond, uthread_mutex_t *m,
                           clockid_t clockid, const struct timespec *abstime)
{
	/* abstime, then the clock, as glibc; both before the wait starts. */
	if (!cond || !m || bad_time(abstime) ||
	    (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC))
		return EINVAL;
	return wait_common(cond, m, clockid, abstime);
}

int uthread_cond_timedwait(uthread_cond_t *cond, uthread_mutex_t *m,
                           const struct timespec *abstime)
{
	if (!cond)
		return EINVAL;
	return uthread_cond_clockwait(cond, m, clock_of(cond), abstime);
}

int uthread_cond_signal(uthread_cond_t *cond)
{
	if (!cond)
		return EINVAL;
	UTHREAD__IGNORE(cond, 4 * sizeof(unsigned));
	/* seq_cst bump, then read the count: see wait_common.  Waiters still
	 * in their backoff see the bump themselves. */
	__atomic_fetch_add(&cond->__seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&cond->__sleepers, __ATOMIC_SEQ_CST))
		uthread__futex_wake(&cond->__seq, 1, !cond->__pshared);
	return 0;
}

/*
 * Every waiter counted before broadcast's bump is now off __seq (woken,
 * requeued, or about to see the bump): end the binding, unless a new wait
 * already made another.  Release: our requeue happens before a wait with
 * another mutex that reads the mark (see wait_common).
 */
static void release_binding(uthread_cond_t *cond, void *bound)
{
	if (bound && !((uintptr_t)bound & RELEASED))
		(void)__atomic_compare_exchange_n(&cond->__mutex, &bound,
		                                  (void *)((uintptr_t)bound | RELEASED), 0,
		                                  __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

int uthread_cond_broadcast(uthread_cond_t *cond)
{
	uthread_mutex_t *m;
	void *bound;
	uint32_t seq;

	if (!cond)
		return EINVAL;
	UTHREAD__IGNORE(cond, 4 * sizeof(unsigned));
	/* seq_cst bump, then read the count: see wait_common. */
	seq = __atomic_add_fetch(&cond->__seq, 1, __ATOMIC_SEQ_CST);
	/*
	 * Relaxed loads of the binding, after the count: a sleeper that
	 * bound anew did so before its seq_cst __sleepers++, which our
	 * seq_cst load of the count synchronises with; so we requeue onto
	 * the mutex of the waiters we may move, never an older one.
	 */
	if (!__atomic_load_n(&cond->__sleepers, __ATOMIC_SEQ_CST)) {
		release_binding(cond, __atomic_load_n(&cond->__mutex, __ATOMIC_RELAXED));
		return 0;
	}
	bound = __atomic_load_n(&cond->__mutex, __ATOMIC_RELAXED);
	m = bound_mutex(bound);
	/*
	 * Wake one, move the rest onto the mutex word, where each is woken by
	 * the unlock of the one before (relock leaves the word at 2).  Not for
	 * priority-inheritance or robust mutexes, whose word holds a tid: wake
	 * them all.  Nor for a process-shared mutex: a requeue moves waiters
	 * between two futexes of one kind, and this cond's are private (a
	 * process-shared cond keeps no __mutex, m is NULL).
	 * EAGAIN: a signal bumped __seq meanwhile; its waiters must still
	 * wake, so fall back to waking everyone.
	 */
	if (m && uthread__mutex_kind_valid(m->__kind) &&
	    !(m->__kind & (UTHREAD__MUTEX_PI | UTHREAD__MUTEX_ROBUST |
	                   UTHREAD__MUTEX_PSHARED)) &&
	    uthread__futex_requeue(&cond->__seq, 1, &m->__lock, seq, 1) == 0) {
		/* Relaxed: for destroy, which the program orders after us.
		 * The next wait may bind another mutex; the waiters moved
		 * here stay counted until they wake on m's word. */
		__atomic_store_n(&cond->__requeued, m, __ATOMIC_RELAXED);
		release_binding(cond, bound);
		return 0;
	}
	uthread__futex_wake(&cond->__seq, INT_MAX, !cond->__pshared);
	release_binding(cond, bound);
	return 0;
}

int uthread_cond_init(uthread_cond_t *cond, const uthread_condattr_t *attr)
{
	if (!cond || (attr && attr->__magic != UTHREAD__ATTR_MAGIC))
		return EINVAL;
	*cond = (uthread_cond_t)UTHREAD_COND_INITIALIZER;
	if (attr) {
		cond->__clock = attr->__clock;
		cond->__pshared = attr->__pshared;
	}
	UTHREAD__IGNORE(cond, 4 * sizeof(unsigned));
	return 0;
}

int uthread_cond_destroy(uthread_cond_t *cond)
{
	struct timespec t0, t;

	if (!cond)
		return EINVAL;
	/*
	 * Threads already woken may still be on their way out of wait (a few
	 * instructions from dropping __waiters): wait for them, as
	 * pthread_cond_destroy does, so the memory can be freed right after.
	 * Those a broadcast requeued sleep on the mutex word, which the caller
	 * may hold: wake them, they drop __waiters and go back to sleep in
	 * relock.  Threads still blocked are the caller's bug: EBUSY, not a
	 * hang.
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (__atomic_load_n(&cond->__waiters, __ATOMIC_ACQUIRE)) {
		uthread_mutex_t *m = bound_mutex(__atomic_load_n(&cond->__mutex,
		                                                 __ATOMIC_RELAXED));
		/* Relaxed: see broadcast.  Private wakes: a requeue only ever
		 * moves a private cond's waiters onto a private mutex. */
		uthread_mutex_t *q = __atomic_load_n(&cond->__requeued, __ATOMIC_RELAXED);
		if (m)
			uthread__futex_wake(&m->__lock, INT_MAX, 1);
		if (q && q != m)
			uthread__futex_wake(&q->__lock, INT_MAX, 1);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) >
		    DESTROY_PATIENCE_NS)
			return EBUSY;
		sched_yield();
	}
	UTHREAD__HAPPENS_AFTER(&cond->__waiters);
	return 0;
}

int uthread_condattr_init(uthread_condattr_t *attr)
{
	if (!attr)
		return EINVAL;
	attr->__magic = UTHREAD__ATTR_MAGIC;
	attr->__clock = 0;
	attr->__pshared = UTHREAD_PROCESS_PRIVATE;
	return 0;
}

int uthread_condattr_destroy(uthread_condattr_t *attr)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC)
		return EINVAL;
	attr->__magic = 0;
	return 0;
}

int uthread_condattr_setclock(uthread_condattr_t *attr, clockid_t clock)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC ||
	    (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC))
		return EINVAL;
	attr->__clock = clock == CLOCK_REALTIME ? 0 : (int)clock + 1;
	return 0;
}

int uthread_condattr_getclock(const uthread_condattr_t *attr, clockid_t *clock)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC || !clock)
		return EINVAL;
	*clock = attr->__clock ? (clockid_t)(attr->__clock - 1) : CLOCK_REALTIME;
	return 0;
}

int uthread_condattr_setpshared(uthread_condattr_t *attr, int pshared)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC ||
	    (pshared != UTHREAD_PROCESS_PRIVATE && pshared != UTHREAD_PROCESS_SHARED))
		return EINVAL;
	attr->__pshared = pshared;
	return 0;
}

int uthread_condattr_getpshared(const uthread_condattr_t *attr, int *pshared)
{
	if (!attr || attr->__magic != UTHREAD__ATTR_MAGIC || !pshared)
		return EINVAL;
	*pshared = attr->__pshared;
	return 0;
}
