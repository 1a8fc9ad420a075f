/* SPDX-License-Identifier: MIT */
/*
 * gdb_target - the program tests/test_gdb_helper.sh runs under gdb.  Three
 * named uthreads in three different states (two joinable, one detached,
 * all alive and waiting) and a fourth that has returned but is not joined
 * yet; then main stops in gdb_target_stop(), where the test's breakpoint
 * is.  Before that it prints one "expect NAME TID STATE" line per thread,
 * so the test knows what `info uthreads` must show.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <uthread.h>

static uthread_mutex_t m = UTHREAD_MUTEX_INITIALIZER;
static uthread_cond_t cv = UTHREAD_COND_INITIALIZER;
static int ready, go;

/* The test's breakpoint: not inlined, so gdb can stop in it. */
__attribute__((__noinline__, __used__)) void gdb_target_stop(void);
void gdb_target_stop(void)
{
	__asm__ volatile("" ::: "memory");
}

static void *waiter(void *arg)
{
	(void)arg;
	uthread_mutex_lock(&m);
	ready++;
	uthread_cond_broadcast(&cv);
	while (!go)
		uthread_cond_wait(&cv, &m);
	uthread_mutex_unlock(&m);
	return NULL;
}

static pid_t quitter_tid;

static void *quitter(void *arg)
{
	uthread_gettid(uthread_self(), &quitter_tid);
	return arg;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "gdb_target: %s: %s\n", what, strerror(err));
	exit(99);
}

int main(int argc, char **argv)
{
	static const char *const names[3] = { "ut-alpha", "ut-beta", "ut-gamma" };
	uthread_t t[4];
	uthread_attr_t detached;
	FILE *out = stdout;
	pid_t tid;
	int r;

	uthread_attr_init(&detached);
	uthread_attr_setdetachstate(&detached, UTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 3; i++) {
		r = uthread_create(&t[i], i == 2 ? &detached : NULL, waiter, NULL);
		if (r)
			die("uthread_create", r);
		if ((r = uthread_setname_np(t[i], names[i])) != 0)
			die("uthread_setname_np", r);
	}
	r = uthread_create(&t[3], NULL, quitter, NULL);
	if (r)
		die("uthread_create", r);

	/* Wait until the three are asleep in the condition variable... */
	uthread_mutex_lock(&m);
	while (ready < 3)
		uthread_cond_wait(&cv, &m);
	uthread_mutex_unlock(&m);
	/* ...and the fourth has ended: its task is gone once the kernel no
	 * longer finds it, and by then it has left the state EXITED. */
	while (__atomic_load_n(&quitter_tid, __ATOMIC_ACQUIRE) == 0 ||
	       syscall(SYS_tgkill, getpid(), quitter_tid, 0) == 0)
		uthread_yield();

	if (argc > 1 && !(out = fopen(argv[1], "w")))
		die(argv[1], errno);
	for (int i = 0; i < 3; i++) {
		if ((r = uthread_gettid(t[i], &tid)) != 0)
			die("uthread_gettid", r);
		fprintf(out, "expect %s %d %s %#lx\n", names[i], (int)tid,
		        i == 2 ? "DETACHED" : "JOINABLE", (unsigned long)t[i]);
	}
	fprintf(out, "expect - 0 EXITED %#lx\n", (unsigned long)t[3]);
	if (out != stdout ? fclose(out) != 0 : fflush(out) != 0)
		die("writing the expect lines", errno);

	gdb_target_stop();

	uthread_mutex_lock(&m);
	go = 1;
	uthread_cond_broadcast(&cv);
	uthread_mutex_unlock(&m);
	for (int i = 0; i < 2; i++)
		if ((r = uthread_join(t[i], NULL)) != 0)
			die("uthread_join", r);
	if ((r = uthread_join(t[3], NULL)) != 0)
		die("uthread_join", r);
	uthread_attr_destroy(&detached);
	/* The detached one may still be on its way out: main's exit waits. */
	uthread_exit(NULL);
}
