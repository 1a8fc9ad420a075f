/* SPDX-License-Identifier: MIT */
/*
 * test_stdio.c - stdio's stream locks exclude uthreads from one another:
 * many threads writing lines through one FILE lose, duplicate and tear
 * none of them, whether a line is one fprintf, putc calls under flockfile,
 * or printf to a piped stdout.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "uthread.h"
#include "libcutil.h"

#define NT 8
#define PAYLOAD 48
/* "T<t> <seq:5> <payload>\n" */
#define LINE_LEN (1 + 1 + 1 + 5 + 1 + PAYLOAD + 1)

static int lines_per_thread(void)
{
	return tu_on_valgrind() ? 1000 : 10000;
}

/* The payload of line seq of thread t: differs between any two lines. */
static void payload(int t, int seq, char out[PAYLOAD + 1])
{
	for (int k = 0; k < PAYLOAD; k++)
		out[k] = (char)('a' + (t * 7 + seq * 13 + k * 3) % 26);
	out[PAYLOAD] = '\0';
}

/* What a writer thread is told and what it reports. */
struct writer {
	FILE *f;        /* NULL: stdout through printf */
	int t, nlines;
	int by_char;    /* putc per character under flockfile */
	int errors;     /* calls that reported failure */
};

static int go_count;

static void *writer_body(void *arg)
{
	struct writer *w = arg;
	char pl[PAYLOAD + 1], line[128];

	/* Start together, so the lines really interleave. */
	tu_add(&go_count, 1);
	tu_wait(&go_count, NT, -1);
	for (int seq = 0; seq < w->nlines; seq++) {
		payload(w->t, seq, pl);
		if (!w->f) {
			w->errors += printf("T%d %05d %s\n", w->t, seq, pl) != LINE_LEN;
		} else if (!w->by_char) {
			w->errors += fprintf(w->f, "T%d %05d %s\n", w->t, seq, pl) != LINE_LEN;
		} else {
			snprintf(line, sizeof line, "T%d %05d %s\n", w->t, seq, pl);
			/* putc takes the stream lock again inside flockfile's:
			 * the lock must know this thread as its owner. */
			flockfile(w->f);
			for (int k = 0; k < LINE_LEN; k++) {
				w->errors += putc(line[k], w->f) == EOF;
				if (k == LINE_LEN / 2)
					sched_yield(); /* invite a competitor */
			}
			funlockfile(w->f);
		}
	}
	return NULL;
}

/* Run NT writers over f (NULL: stdout); returns the number of failed calls. */
static int write_lines(FILE *f, int by_char, int nlines)
{
	struct writer w[NT];
	uthread_t th[NT];
	int errors = 0;

	go_count = 0;
	for (int t = 0; t < NT; t++) {
		w[t] = (struct writer){ .f = f, .t = t, .nlines = nlines, .by_char = by_char };
		if (uthread_create(&th[t], NULL, writer_body, &w[t]) != 0)
			return -1;
	}
	for (int t = 0; t < NT; t++) {
		if (uthread_join(th[t], NULL) != 0)
			return -1;
		errors += w[t].errors;
	}
	return errors;
}

struct verdict {
	long lines, torn, dup, missing, out_of_order;
};

/* Parse every line of buf: each (thread, seq) once, whole, in order. */
static struct verdict check_lines(const char *buf, size_t len, int nlines)
{
	struct verdict v = {0};
	unsigned char *seen = calloc((size_t)NT * (size_t)nlines, 1);
	int last[NT];
	char pl[PAYLOAD + 1];
	size_t pos = 0;

	for (int t = 0; t < NT; t++)
		last[t] = -1;
	while (pos < len) {
		const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) + 1 : len - pos;
		int t, seq = 0, ok = n == LINE_LEN && l[0] == 'T' &&
		                     l[1] >= '0' && l[1] < '0' + NT &&
		                     l[2] == ' ' && l[8] == ' ';

		pos += n;
		v.lines++;
		t = ok ? l[1] - '0' : 0;
		for (int k = 3; ok && k < 8; k++) {
			ok = l[k] >= '0' && l[k] <= '9';
			seq = seq * 10 + (l[k] - '0');
		}
		if (ok && seq < nlines) {
			payload(t, seq, pl);
			ok = memcmp(l + 9, pl, PAYLOAD) == 0;
		} else {
			ok = 0;
		}
		if (!ok) {
			v.torn++;
			continue;
		}
		if (seen[t * nlines + seq]++)
			v.dup++;
		if (seq <= last[t])
			v.out_of_order++;
		last[t] = seq;
	}
	for (long i = 0; i < (long)NT * nlines; i++)
		v.missing += !seen[i];
	free(seen);
	return v;
}

static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap);

	rewind(f);
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	*len = n;
	return buf;
}

static void check_file(FILE *f, int nlines)
{
	size_t len;
	char *buf = slurp(f, &len);
	struct verdict v;

	assert_non_null(buf);
	v = check_lines(buf, len, nlines);
	free(buf);
	assert_int_equal(len, (size_t)NT * nlines * LINE_LEN);
	assert_int_equal(v.lines, (long)NT * nlines);
	assert_int_equal(v.torn, 0);
	assert_int_equal(v.dup, 0);
	assert_int_equal(v.missing, 0);
	assert_int_equal(v.out_of_order, 0);
}

static void lines_fprintf_by_eight_threads_to_one_file_arrive_whole_and_once(void **state)
{
	int nlines = lines_per_thread();
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	/* A small full buffer: many flushes, each under the stream lock. */
	assert_int_equal(setvbuf(f, NULL, _IOFBF, 4096), 0);
	assert_int_equal(write_lines(f, 0, nlines), 0);
	assert_int_equal(fflush(f), 0);
	check_file(f, nlines);
	fclose(f);
}

static void lines_putc_under_flockfile_by_eight_threads_stay_whole(void **state)
{
	int nlines = lines_per_thread() / 5;
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	assert_int_equal(setvbuf(f, NULL, _IOFBF, 4096), 0);
	assert_int_equal(write_lines(f, 1, nlines), 0);
	assert_int_equal(fflush(f), 0);
	check_file(f, nlines);
	fclose(f);
}

/* In a forked child with stdout on a pipe: threads printf, then exit(0). */
static int printf_child(void *arg)
{
	int *fds = arg, nlines = lines_per_thread() / 2, errors;

	close(fds[0]);
	if (dup2(fds[1], STDOUT_FILENO) < 0)
		return 90;
	close(fds[1]);
	errors = write_lines(NULL, 0, nlines);
	if (fflush(stdout) != 0)
		return 91;
	return errors == 0 ? 0 : 92;
}

static void printf_to_a_piped_stdout_by_eight_threads_loses_no_line(void **state)
{
	int nlines = lines_per_thread() / 2, fds[2], status;
	size_t cap = 2 * (size_t)NT * nlines * LINE_LEN, len = 0, extra = 0;
	char *buf, junk[4096];
	pid_t pid;
	ssize_t r;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(printf_child(fds));
	close(fds[1]);
	/* Only now: under valgrind the child must not inherit it as a leak. */
	buf = malloc(cap);
	assert_non_null(buf);
	/* Read while the child writes (the pipe holds far less than this);
	 * anything beyond twice the expected size is drained and counted. */
	for (;;) {
		if (len < cap)
			r = read(fds[0], buf + len, cap - len);
		else
			r = read(fds[0], junk, sizeof junk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (len < cap)
			len += (size_t)r;
		else
			extra += (size_t)r;
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	struct verdict v = check_lines(buf, len, nlines);
	free(buf);
	assert_int_equal(extra, 0);
	assert_int_equal(len, (size_t)NT * nlines * LINE_LEN);
	assert_int_equal(v.lines, (long)NT * nlines);
	assert_int_equal(v.torn, 0);
	assert_int_equal(v.dup, 0);
	assert_int_equal(v.missing, 0);
	assert_int_equal(v.out_of_order, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lines_fprintf_by_eight_threads_to_one_file_arrive_whole_and_once),
		cmocka_unit_test(lines_putc_under_flockfile_by_eight_threads_stay_whole),
		cmocka_unit_test(printf_to_a_piped_stdout_by_eight_threads_loses_no_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
