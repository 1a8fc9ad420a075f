/* SPDX-License-Identifier: MIT */
/*
 * uthread-hello: a few uthreads that printf, malloc and return a value to
 * uthread_join().  The smallest complete program using the library.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uthread.h>

#define NTHREADS 4

static void *worker(void *arg)
{
	long id = (long)arg;
	pid_t tid;
	char *msg = malloc(64);

	uthread_gettid(uthread_self(), &tid);
	snprintf(msg, 64, "worker %ld squared is %ld", id, id * id);
	printf("  [tid %d] %s\n", (int)tid, msg);
	free(msg);
	return (void *)(id * id);
}

int main(void)
{
	uthread_t t[NTHREADS];
	long sum = 0;

	char why[240];
	int err = uthread_check_np(why, sizeof why);
	if (err) {
		fprintf(stderr, "uthread-hello: uthreads unavailable (%s): %s\n",
		        strerror(err), why);
		return 1;
	}
	printf("uthread-hello: pid %d starts %d threads with raw clone(2)\n",
	       (int)getpid(), NTHREADS);
	for (long i = 0; i < NTHREADS; i++) {
		int r = uthread_create(&t[i], NULL, worker, (void *)(i + 1));
		if (r) {
			fprintf(stderr, "uthread_create: %s\n", strerror(r));
			return 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		int r = uthread_join(t[i], &ret);
		if (r) {
			fprintf(stderr, "uthread_join: %s\n", strerror(r));
			return 1;
		}
		sum += (long)ret;
	}
	printf("uthread-hello: joined %d threads, sum of returned values = %ld\n",
	       NTHREADS, sum);
	return sum == 30 ? 0 : 1;
}
