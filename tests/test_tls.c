/* SPDX-License-Identifier: MIT */
/*
 * test_tls.c - errno and every flavour of __thread variable are private to
 * each uthread and start at their initial values: the program's own TLS,
 * initial-exec and general-dynamic TLS of linked libraries, and the TLS of
 * libraries dlopen'ed before and while uthreads run.  Also: the destructors
 * of glibc's pthread keys run when a uthread ends.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "uthread.h"
#include "libcutil.h"
#include "tlslib.h"

#define NT 8            /* threads per round */
#define ROUNDS 3        /* later rounds run on cached thread blocks */
#define MAIN_VALUE (-77)

/* ------------------------------------------------------------------ */
/* errno                                                                */
/* ------------------------------------------------------------------ */

static int errno_set;
static struct {
	int *addr;
	int seen;
} errno_res[NT];

static void *errno_body(void *arg)
{
	int i = (int)(intptr_t)arg;

	errno = 1000 + i;
	errno_res[i].addr = &errno;
	/* Every thread (main included) sets its errno before any checks its
	 * own; nothing in between touches errno. */
	tu_add(&errno_set, 1);
	tu_wait(&errno_set, NT + 1, -1);
	errno_res[i].seen = errno;
	return NULL;
}

static void errno_is_private_to_each_thread(void **state)
{
	uthread_t t[NT];
	int main_seen;

	(void)state;
	errno_set = 0;
	for (int i = 0; i < NT; i++)
		assert_int_equal(uthread_create(&t[i], NULL, errno_body, (void *)(intptr_t)i), 0);
	errno = MAIN_VALUE;
	tu_add(&errno_set, 1);
	tu_wait(&errno_set, NT + 1, -1);
	main_seen = errno;
	for (int i = 0; i < NT; i++)
		assert_int_equal(uthread_join(t[i], NULL), 0);
	assert_int_equal(main_seen, MAIN_VALUE);
	for (int i = 0; i < NT; i++) {
		assert_int_equal(errno_res[i].seen, 1000 + i);
		assert_ptr_not_equal(errno_res[i].addr, &errno);
		for (int j = 0; j < i; j++)
			assert_ptr_not_equal(errno_res[i].addr, errno_res[j].addr);
	}
}

/* ------------------------------------------------------------------ */
/* One harness for every __thread flavour                               */
/* ------------------------------------------------------------------ */

struct flavour {
	int *(*addr)(void);
	int (*get)(void);
	void (*set)(int v);
	int (*text_ok)(void); /* the initialised array is intact */
	int init;
};

struct seen {
	int *addr;
	int initial;      /* value before the thread wrote it */
	int text_ok;      /* array initialiser intact before the write */
	int after;        /* own value once every thread has written */
};

static struct {
	const struct flavour *fl; /* set by main before it sets published */
	int published, started, written;
	struct seen s[NT];
} run;

static void *flavour_body(void *arg)
{
	int i = (int)(intptr_t)arg;
	const struct flavour *fl;

	tu_add(&run.started, 1);
	tu_wait(&run.published, 1, -1);
	fl = run.fl;
	run.s[i].addr = fl->addr();
	run.s[i].initial = fl->get();
	run.s[i].text_ok = fl->text_ok();
	fl->set(5000 + i);
	/* Everyone writes before anyone reads back: aliasing shows. */
	tu_add(&run.written, 1);
	tu_wait(&run.written, NT, -1);
	run.s[i].after = fl->get();
	return NULL;
}

/*
 * Run NT threads over fl, ROUNDS times.  If load is given, the threads are
 * started first and load() supplies the flavour only once all of them run
 * (a library dlopen'ed while the threads exist).
 */
static void check_flavour(const struct flavour *fl,
                          const struct flavour *(*load)(void))
{
	for (int round = 0; round < ROUNDS; round++) {
		uthread_t t[NT];
		int *main_addr = NULL;

		memset(&run, 0, sizeof run);
		if (!load) {
			/* The main thread's copy holds a value no thread should see. */
			fl->set(MAIN_VALUE);
			main_addr = fl->addr();
			run.fl = fl;
			tu_set(&run.published, 1);
		}
		for (int i = 0; i < NT; i++)
			assert_int_equal(uthread_create(&t[i], NULL, flavour_body,
			                                (void *)(intptr_t)i), 0);
		if (load) {
			tu_wait(&run.started, NT, -1);
			fl = load();
			assert_non_null(fl);
			run.fl = fl;
			tu_set(&run.published, 1);
			/*
			 * The main thread's copy, made after the threads' own but
			 * before they are joined: a join frees a thread's dynamic
			 * TLS, whose address the main thread's could then reuse.
			 */
			tu_wait(&run.written, NT, -1);
			assert_int_equal(fl->get(), fl->init);
			assert_true(fl->text_ok());
			fl->set(MAIN_VALUE);
			main_addr = fl->addr();
			load = NULL; /* later rounds: an already loaded library */
		}
		for (int i = 0; i < NT; i++)
			assert_int_equal(uthread_join(t[i], NULL), 0);
		assert_int_equal(fl->get(), MAIN_VALUE);
		for (int i = 0; i < NT; i++) {
			assert_int_equal(run.s[i].initial, fl->init);
			assert_true(run.s[i].text_ok);
			assert_int_equal(run.s[i].after, 5000 + i);
			assert_ptr_not_equal(run.s[i].addr, main_addr);
			for (int j = 0; j < i; j++)
				assert_ptr_not_equal(run.s[i].addr, run.s[j].addr);
		}
	}
}

/* The program's own TLS: one initialised (.tdata), one zeroed (.tbss). */
static __thread int prog_var = 0x2b2b2b2b;
static __thread char prog_text[] = TLSLIB_TEXT;
static __thread int prog_zero;
static __thread char prog_zero_text[sizeof TLSLIB_TEXT];

static int *prog_addr(void) { return &prog_var; }
static int prog_get(void) { return prog_var; }
static void prog_set(int v) { prog_var = v; prog_text[0] = (char)v; }
static int prog_text_ok(void) { return strcmp(prog_text, TLSLIB_TEXT) == 0; }

static int *zero_addr(void) { return &prog_zero; }
static int zero_get(void) { return prog_zero; }
static void zero_set(int v) { prog_zero = v; memset(prog_zero_text, v | 1, 8); }
static int zero_text_ok(void)
{
	for (size_t i = 0; i < sizeof prog_zero_text; i++)
		if (prog_zero_text[i])
			return 0;
	return 1;
}

static void program_tls_starts_at_its_initialiser_in_every_thread(void **state)
{
	static const struct flavour fl = {
		prog_addr, prog_get, prog_set, prog_text_ok, 0x2b2b2b2b,
	};
	(void)state;
	check_flavour(&fl, NULL);
}

static void program_zeroed_tls_starts_at_zero_in_every_thread(void **state)
{
	static const struct flavour fl = {
		zero_addr, zero_get, zero_set, zero_text_ok, 0,
	};
	(void)state;
	check_flavour(&fl, NULL);
}

static void initial_exec_tls_of_a_linked_library_is_private_and_initialised(void **state)
{
	static const struct flavour fl = {
		tlsie_addr, tlsie_get, tlsie_set, tlsie_text_ok, TLSIE_INIT,
	};
	(void)state;
	check_flavour(&fl, NULL);
	/* The program's own initial-exec access reaches the same variable. */
	assert_ptr_equal(&tlsie_var, tlsie_addr());
}

static void general_dynamic_tls_of_a_linked_library_is_private_and_initialised(void **state)
{
	static const struct flavour fl = {
		tlsgd_addr, tlsgd_get, tlsgd_set, tlsgd_text_ok, TLSGD_INIT,
	};
	(void)state;
	check_flavour(&fl, NULL);
}

/* A dlopen'ed library's accessors, looked up with dlsym. */
static int open_flavour(const char *path, int init, struct flavour *fl)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		print_error("dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	fl->addr = (int *(*)(void))dlsym(h, "tlsdyn_addr");
	fl->get = (int (*)(void))dlsym(h, "tlsdyn_get");
	fl->set = (void (*)(int))dlsym(h, "tlsdyn_set");
	fl->text_ok = (int (*)(void))dlsym(h, "tlsdyn_text_ok");
	fl->init = init;
	/* Kept open: the threads of later rounds use it too. */
	return fl->addr && fl->get && fl->set && fl->text_ok ? 0 : -1;
}

static void tls_of_a_dlopened_library_is_private_and_initialised(void **state)
{
	static struct flavour fl;

	(void)state;
	assert_int_equal(open_flavour(TLSDL_PATH, TLSDL_INIT, &fl), 0);
	check_flavour(&fl, NULL);
}

static struct flavour late_fl;

static const struct flavour *load_late(void)
{
	return open_flavour(TLSLATE_PATH, TLSLATE_INIT, &late_fl) ? NULL : &late_fl;
}

static void tls_of_a_library_dlopened_while_threads_run_is_private_and_initialised(void **state)
{
	(void)state;
	/* Not loaded yet: this test must be the first to open it. */
	assert_null(dlopen(TLSLATE_PATH, RTLD_NOW | RTLD_NOLOAD));
	check_flavour(NULL, load_late);
}

/*
 * Initial-exec TLS of a library dlopen'ed while a uthread runs: glibc
 * copies the variable's initial value into the static TLS of the threads
 * on its books (_dl_init_static_tls), where uthreads now are.  Regression:
 * the running uthread read 0, not 42 (a README limit until then).
 */
static int late_ready, late_loaded;
static int (*late_get)(void);
static void (*late_set)(int);

static void *read_late_ie(void *arg)
{
	int *seen = arg;

	tu_set(&late_ready, 1);
	tu_wait(&late_loaded, 1, -1);
	seen[0] = late_get();
	late_set(7); /* its own copy */
	seen[1] = late_get();
	return NULL;
}

static void initial_exec_tls_of_a_library_dlopened_while_a_uthread_runs_is_initialised(void **state)
{
	int seen[2] = { -1, -1 };
	uthread_t t;
	void *h;

	(void)state;
	late_ready = late_loaded = 0;
	assert_int_equal(uthread_create(&t, NULL, read_late_ie, seen), 0);
	assert_true(tu_wait(&late_ready, 1, 5000));
	h = dlopen(TLSLATEIE_PATH, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		print_message("dlopen: %s\n", dlerror());
		tu_set(&late_loaded, 1);
		fail();
	}
	late_get = (int (*)(void))dlsym(h, "late_ie_get");
	late_set = (void (*)(int))dlsym(h, "late_ie_set");
	assert_non_null(late_get);
	assert_non_null(late_set);
	tu_set(&late_loaded, 1);
	assert_int_equal(uthread_join(t, NULL), 0);
	assert_int_equal(seen[0], 42);
	assert_int_equal(seen[1], 7);
	assert_int_equal(late_get(), 42); /* main's copy is its own */
}

/* ------------------------------------------------------------------ */
/* pthread keys                                                         */
/* ------------------------------------------------------------------ */

static unsigned key_dtor_runs;
static uintptr_t key_dtor_sum;

static void key_dtor(void *v)
{
	__atomic_fetch_add(&key_dtor_runs, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&key_dtor_sum, (uintptr_t)v, __ATOMIC_ACQ_REL);
}

static pthread_key_t test_key;

static void *key_body(void *arg)
{
	/* A fresh thread has no value for the key. */
	if (pthread_getspecific(test_key) != NULL)
		return (void *)1;
	if (pthread_setspecific(test_key, arg) != 0)
		return (void *)2;
	return pthread_getspecific(test_key) == arg ? NULL : (void *)3;
}

/*
 * Libraries keep per-thread state under pthread keys (glib, OpenSSL, ...)
 * and free it in the key's destructor, which libc runs when a thread ends.
 */
static void pthread_key_destructors_run_when_a_thread_ends(void **state)
{
	uthread_t t[NT];
	uintptr_t sum = 0;

	(void)state;
	assert_int_equal(pthread_key_create(&test_key, key_dtor), 0);
	key_dtor_runs = 0;
	key_dtor_sum = 0;
	for (int i = 0; i < NT; i++)
		assert_int_equal(uthread_create(&t[i], NULL, key_body,
		                                (void *)(uintptr_t)(0x100 + i)), 0);
	for (int i = 0; i < NT; i++) {
		void *r;
		assert_int_equal(uthread_join(t[i], &r), 0);
		assert_null(r);
		sum += 0x100 + i;
	}
	assert_int_equal(key_dtor_runs, NT);
	assert_int_equal(key_dtor_sum, sum);
	assert_int_equal(pthread_key_delete(test_key), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errno_is_private_to_each_thread),
		cmocka_unit_test(program_tls_starts_at_its_initialiser_in_every_thread),
		cmocka_unit_test(program_zeroed_tls_starts_at_zero_in_every_thread),
		cmocka_unit_test(initial_exec_tls_of_a_linked_library_is_private_and_initialised),
		cmocka_unit_test(general_dynamic_tls_of_a_linked_library_is_private_and_initialised),
		cmocka_unit_test(tls_of_a_dlopened_library_is_private_and_initialised),
		cmocka_unit_test(tls_of_a_library_dlopened_while_threads_run_is_private_and_initialised),
		cmocka_unit_test(initial_exec_tls_of_a_library_dlopened_while_a_uthread_runs_is_initialised),
		cmocka_unit_test(pthread_key_destructors_run_when_a_thread_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
