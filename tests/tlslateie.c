/* SPDX-License-Identifier: MIT */
/*
 * tlslateie.c - libtlslateie.so, dlopen'ed by test_tls while a uthread
 * runs: a library with initial-exec TLS takes a place in the static TLS
 * of every thread, which glibc initialises, at dlopen, in the threads on
 * its books.
 */
int late_ie_get(void);
void late_ie_set(int v);

static __thread int late_ie_var __attribute__((__tls_model__("initial-exec"))) = 42;

int late_ie_get(void)
{
	return late_ie_var;
}

void late_ie_set(int v)
{
	late_ie_var = v;
}
