/* SPDX-License-Identifier: MIT */
/*
 * body.h - the benchmark bodies, written once and compiled twice: with
 * P(x) = uthread_##x and with P(x) = pthread_##x (the APIs mirror each
 * other name for name).  Each body times its work and checks its result;
 * a wrong result aborts the run instead of printing a figure.
 * Included by uthread-bench.c with P, T (type prefix), I (initializer
 * prefix) and S (function-name suffix) defined.
 */

/*
 * LINE: a variable on a cache line of its own.  Each lock (with the data
 * it guards when both libraries' objects have the same size), and the
 * read-only arguments of the workers sit on lines of their own, so neither
 * library gains or loses from what happens to share a line with its lock
 * (uthread's rwlock is 16 bytes, glibc's 56: unaligned, the workers'
 * argument block shared the uthread rwlock's line and every read of it
 * missed, 0.65x; aligned, the same code measured 1.2x).
 */
#ifndef LINE
#define LINE __attribute__((__aligned__(64)))
#endif

#define FN(name) CAT(name, S)
#define CAT(a, b) CAT2(a, b)
#define CAT2(a, b) a##b

static void *FN(nothing)(void *arg)
{
	return arg;
}

/* Microseconds per create+join pair. */
static double FN(create_join)(const struct params *pp)
{
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++) {
		T(t) t;
		void *r;
		if (P(create)(&t, NULL, FN(nothing), (void *)i) || P(join)(t, &r) ||
		    r != (void *)i)
			die("create/join failed");
	}
	return (now_ns() - t0) / 1e3 / pp->n;
}

/* Microseconds per create+join pair, with 64 KiB stacks. */
static double FN(create_join_small)(const struct params *pp)
{
	ATTR_T a;

	ATTR(init)(&a);
	ATTR(setstacksize)(&a, 64 * 1024);
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++) {
		T(t) t;
		void *r;
		if (P(create)(&t, &a, FN(nothing), (void *)i) || P(join)(t, &r) ||
		    r != (void *)i)
			die("create/join failed");
	}
	double dt = now_ns() - t0;
	ATTR(destroy)(&a);
	return dt / 1e3 / pp->n;
}

/* A thread that stays alive (so the process is multi-threaded) until
 * released. */
static T(mutex_t) FN(park_m) = I(MUTEX_INITIALIZER);
static T(cond_t) FN(park_c) = I(COND_INITIALIZER);
static int FN(park_go);

static void *FN(parked)(void *arg)
{
	P(mutex_lock)(&FN(park_m));
	while (!FN(park_go))
		P(cond_wait)(&FN(park_c), &FN(park_m));
	P(mutex_unlock)(&FN(park_m));
	return arg;
}

/* Nanoseconds per uncontended lock + increment + unlock, with a second
 * thread alive. */
static double FN(mutex_uncontended)(const struct params *pp)
{
	T(mutex_t) m LINE = I(MUTEX_INITIALIZER);
	volatile long counter LINE = 0;
	T(t) other;

	FN(park_go) = 0;
	if (P(create)(&other, NULL, FN(parked), NULL))
		die("create failed");
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++) {
		P(mutex_lock)(&m);
		counter++;
		P(mutex_unlock)(&m);
	}
	double dt = now_ns() - t0;
	P(mutex_lock)(&FN(park_m));
	FN(park_go) = 1;
	P(cond_signal)(&FN(park_c));
	P(mutex_unlock)(&FN(park_m));
	P(join)(other, NULL);
	if (counter != pp->n)
		die("uncontended counter is wrong");
	return dt / pp->n;
}

struct FN(contended_arg) {
	T(mutex_t) *m;
	long *counter;
	long n;
};

static void *FN(contender)(void *arg)
{
	struct FN(contended_arg) *a = arg;
	for (long i = 0; i < a->n; i++) {
		P(mutex_lock)(a->m);
		(*a->counter)++;
		P(mutex_unlock)(a->m);
	}
	return NULL;
}

/* Milliseconds for pp->threads threads x pp->n lock/increment/unlock. */
static double FN(mutex_contended)(const struct params *pp)
{
	/* The counter next to its mutex, as in a struct that embeds its lock
	 * (both libraries' mutexes are 40 bytes: the same line for both). */
	struct { T(mutex_t) m; long counter; } g LINE = { I(MUTEX_INITIALIZER), 0 };
	struct FN(contended_arg) a LINE = { &g.m, &g.counter, pp->n };
	T(t) t[MAX_THREADS];

	double t0 = now_ns();
	for (int i = 0; i < pp->threads; i++)
		if (P(create)(&t[i], NULL, FN(contender), &a))
			die("create failed");
	for (int i = 0; i < pp->threads; i++)
		P(join)(t[i], NULL);
	double dt = now_ns() - t0;
	if (g.counter != pp->n * pp->threads)
		die("contended counter is wrong");
	return dt / 1e6;
}

struct FN(pingpong) {
	T(mutex_t) m;
	T(cond_t) c;
	long turn;  /* even: ping's turn, odd: pong's */
	long n;
};

static void *FN(ponger)(void *arg)
{
	struct FN(pingpong) *p = arg;
	P(mutex_lock)(&p->m);
	for (long i = 0; i < p->n; i++) {
		while (!(p->turn & 1))
			P(cond_wait)(&p->c, &p->m);
		p->turn++;
		P(cond_signal)(&p->c);
	}
	P(mutex_unlock)(&p->m);
	return NULL;
}

/* Microseconds per condition-variable round trip between two threads. */
static double FN(cond_pingpong)(const struct params *pp)
{
	struct FN(pingpong) p LINE = { I(MUTEX_INITIALIZER), I(COND_INITIALIZER), 0, pp->n };
	T(t) t;

	if (P(create)(&t, NULL, FN(ponger), &p))
		die("create failed");
	double t0 = now_ns();
	P(mutex_lock)(&p.m);
	for (long i = 0; i < pp->n; i++) {
		p.turn++;
		P(cond_signal)(&p.c);
		while (p.turn & 1)
			P(cond_wait)(&p.c, &p.m);
	}
	P(mutex_unlock)(&p.m);
	double dt = now_ns() - t0;
	P(join)(t, NULL);
	if (p.turn != 2 * pp->n)
		die("ping-pong lost a turn");
	return dt / 1e3 / pp->n;
}


struct FN(rw_arg) {
	T(rwlock_t) *rw;
	long *shared;    /* two words written together under the write lock */
	long n;
	long writes;
};

static void *FN(rw_worker)(void *arg)
{
	struct FN(rw_arg) *a = arg;
	for (long i = 0; i < a->n; i++) {
		if (i % 100 == 0) {
			P(rwlock_wrlock)(a->rw);
			a->shared[0]++;
			a->shared[1]++;
			P(rwlock_unlock)(a->rw);
		} else {
			P(rwlock_rdlock)(a->rw);
			if (a->shared[0] != a->shared[1])
				die("rwlock: a reader saw a half-done write");
			P(rwlock_unlock)(a->rw);
		}
	}
	return NULL;
}

/* Milliseconds for 4 threads x n operations, 99% reads. */
static double FN(rwlock_read_mostly)(const struct params *pp)
{
	T(rwlock_t) rw LINE = I(RWLOCK_INITIALIZER);
	long shared[2] LINE = { 0, 0 };
	struct FN(rw_arg) a LINE = { &rw, shared, pp->n, 0 };
	T(t) t[4];

	double t0 = now_ns();
	for (int i = 0; i < 4; i++)
		if (P(create)(&t[i], NULL, FN(rw_worker), &a))
			die("create failed");
	for (int i = 0; i < 4; i++)
		P(join)(t[i], NULL);
	double dt = now_ns() - t0;
	if (shared[0] != 4 * ((pp->n + 99) / 100))
		die("rwlock: write count is wrong");
	return dt / 1e6;
}

struct FN(sem_pair) {
	SEM_T a, b;
	long n;
};

static void *FN(sem_echo)(void *arg)
{
	struct FN(sem_pair) *p = arg;
	for (long i = 0; i < p->n; i++) {
		SEM(wait)(&p->a);
		SEM(post)(&p->b);
	}
	return NULL;
}

/* Microseconds per semaphore round trip (post, the other side waits and
 * posts back). */
static double FN(sem_handoff)(const struct params *pp)
{
	struct FN(sem_pair) p LINE;
	T(t) t;
	int v = -1;

	SEM(init)(&p.a, 0, 0);
	SEM(init)(&p.b, 0, 0);
	p.n = pp->n;
	if (P(create)(&t, NULL, FN(sem_echo), &p))
		die("create failed");
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++) {
		SEM(post)(&p.a);
		SEM(wait)(&p.b);
	}
	double dt = now_ns() - t0;
	P(join)(t, NULL);
	SEM(getvalue)(&p.a, &v);
	if (v != 0)
		die("semaphore: tokens left over");
	SEM(destroy)(&p.a);
	SEM(destroy)(&p.b);
	return dt / 1e3 / pp->n;
}

struct FN(bar_arg) {
	T(barrier_t) b;
	long n;
	long serial;
};

static void *FN(bar_worker)(void *arg)
{
	struct FN(bar_arg) *a = arg;
	for (long i = 0; i < a->n; i++)
		if (P(barrier_wait)(&a->b) == I(BARRIER_SERIAL_THREAD))
			__atomic_fetch_add(&a->serial, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Microseconds per barrier round of 2 threads. */
static double FN(barrier_rounds)(const struct params *pp)
{
	struct FN(bar_arg) a LINE = { .n = pp->n };
	T(t) t[2];

	P(barrier_init)(&a.b, NULL, 2);
	double t0 = now_ns();
	for (int i = 0; i < 2; i++)
		if (P(create)(&t[i], NULL, FN(bar_worker), &a))
			die("create failed");
	for (int i = 0; i < 2; i++)
		P(join)(t[i], NULL);
	double dt = now_ns() - t0;
	P(barrier_destroy)(&a.b);
	if (a.serial != pp->n)
		die("barrier: not one serial thread per round");
	return dt / 1e3 / pp->n;
}

static int FN(once_runs);
static void FN(once_init)(void)
{
	FN(once_runs)++;
}

/* Nanoseconds per once call after the first. */
static double FN(once_fast_path)(const struct params *pp)
{
	T(once_t) once = I(ONCE_INIT);

	FN(once_runs) = 0;
	P(once)(&once, FN(once_init));
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++)
		P(once)(&once, FN(once_init));
	double dt = now_ns() - t0;
	if (FN(once_runs) != 1)
		die("once ran more than once");
	return dt / pp->n;
}

static void *FN(idle)(void *arg)
{
	/* Wait for the release without burning CPU. */
	struct FN(pingpong) *p = arg;
	P(mutex_lock)(&p->m);
	while (!p->turn)
		P(cond_wait)(&p->c, &p->m);
	P(mutex_unlock)(&p->m);
	return NULL;
}

/* pp->threads idle threads with 64 KiB stacks: fills *ms (create all +
 * join all), *kib (resident KiB per thread), *maps (mappings per thread)
 * and *kkib (kernel memory per thread: stacks, slab; machine-wide, so
 * other work on the machine shows up in it). */
static void FN(many)(const struct params *pp, double *ms, double *kib, double *maps,
                     double *kkib)
{
	static T(t) t[MAX_MANY];
	struct FN(pingpong) p = { I(MUTEX_INITIALIZER), I(COND_INITIALIZER), 0, 0 };
	ATTR_T a;
	long rss0 = rss_kib(), maps0 = count_maps(), k0 = kernel_kib();

	ATTR(init)(&a);
	ATTR(setstacksize)(&a, 64 * 1024);
	double t0 = now_ns();
	for (int i = 0; i < pp->threads; i++)
		if (P(create)(&t[i], &a, FN(idle), &p))
			die("create of many threads failed");
	double t1 = now_ns();
	*kib = (double)(rss_kib() - rss0) / pp->threads;
	*maps = (double)(count_maps() - maps0) / pp->threads;
	*kkib = (double)(kernel_kib() - k0) / pp->threads;
	P(mutex_lock)(&p.m);
	p.turn = 1;
	P(cond_broadcast)(&p.c);
	P(mutex_unlock)(&p.m);
	double t2 = now_ns();
	for (int i = 0; i < pp->threads; i++)
		P(join)(t[i], NULL);
	*ms = (t1 - t0 + now_ns() - t2) / 1e6;
	ATTR(destroy)(&a);
}

static double FN(threads_10k_ms)(const struct params *pp)
{
	double ms, kib, maps, kkib;
	FN(many)(pp, &ms, &kib, &maps, &kkib);
	return ms;
}

static double FN(threads_10k_kib)(const struct params *pp)
{
	double ms, kib, maps, kkib;
	FN(many)(pp, &ms, &kib, &maps, &kkib);
	return kib;
}

static double FN(threads_10k_maps)(const struct params *pp)
{
	double ms, kib, maps, kkib;
	FN(many)(pp, &ms, &kib, &maps, &kkib);
	return maps;
}

static double FN(threads_10k_kernel)(const struct params *pp)
{
	double ms, kib, maps, kkib;
	FN(many)(pp, &ms, &kib, &maps, &kkib);
	return kkib;
}

/* ------------------------------------------------------------ cancellation */

/* Nanoseconds per testcancel call (nothing pending). */
static double FN(testcancel)(const struct params *pp)
{
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++)
		P(testcancel)();
	return (now_ns() - t0) / pp->n;
}

/* Nanoseconds per post + wait with the token there: a cancellation point
 * that returns at once. */
static double FN(sem_wait_ready)(const struct params *pp)
{
	static SEM_T sem LINE;
	int v = -1;

	SEM(init)(&sem, 0, 0);
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++) {
		SEM(post)(&sem);
		SEM(wait)(&sem);
	}
	double dt = now_ns() - t0;
	SEM(getvalue)(&sem, &v);
	if (v != 0)
		die("semaphore: tokens left over");
	SEM(destroy)(&sem);
	return dt / pp->n;
}

/* Blocks for ever in a semaphore wait: a cancellation point of the
 * library's own in both. */
static SEM_T FN(never) LINE;

static void *FN(wait_for_ever)(void *arg)
{
	SEM(wait)(&FN(never));
	return arg;
}

/* Microseconds per create + cancel (the thread asleep, or about to be)
 * + join. */
static double FN(create_cancel_join)(const struct params *pp)
{
	SEM(init)(&FN(never), 0, 0);
	double t0 = now_ns();
	for (long i = 0; i < pp->n; i++) {
		T(t) t;
		void *r;
		if (P(create)(&t, NULL, FN(wait_for_ever), NULL) || P(cancel)(t) ||
		    P(join)(t, &r) || r != I(CANCELED))
			die("create/cancel/join failed");
	}
	double dt = now_ns() - t0;
	SEM(destroy)(&FN(never));
	return dt / 1e3 / pp->n;
}

#undef FN
