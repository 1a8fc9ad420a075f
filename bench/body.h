/* SPDX-License-Identifier: MIT */
/*
 * body.h - the benchmark bodies, written once and compiled twice: with
 * P(x) = uthread_##x and with P(x) = pthread_##x (the APIs mirror each
 * other name for name).  Each body times its work and checks its result;
 * a wrong result aborts the run instead of printing a figure.
 * Included by uthread-bench.c with P, T (type prefix), I (initializer
 * prefix) and S (function-name suffix) defined.
 */

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
	T(mutex_t) m = I(MUTEX_INITIALIZER);
	volatile long counter = 0;
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
	T(mutex_t) m = I(MUTEX_INITIALIZER);
	long counter = 0;
	struct FN(contended_arg) a = { &m, &counter, pp->n };
	T(t) t[MAX_THREADS];

	double t0 = now_ns();
	for (int i = 0; i < pp->threads; i++)
		if (P(create)(&t[i], NULL, FN(contender), &a))
			die("create failed");
	for (int i = 0; i < pp->threads; i++)
		P(join)(t[i], NULL);
	double dt = now_ns() - t0;
	if (counter != pp->n * pp->threads)
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
	struct FN(pingpong) p = { I(MUTEX_INITIALIZER), I(COND_INITIALIZER), 0, pp->n };
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

#undef FN
