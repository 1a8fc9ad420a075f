/* SPDX-License-Identifier: MIT */
/*
 * name.c - uthread_setname_np() / uthread_getname_np(): the kernel's comm
 * name of a thread, through prctl for the caller and /proc for the others.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"

#define NAME_MAX_LEN 16 /* including the NUL, as the kernel's TASK_COMM_LEN */

/* The tid behind a handle, or an error number. */
static int target(uthread_t thread, pid_t *tid, int *is_self)
{
	int r = uthread_gettid(thread, tid);

	if (r == 0)
		*is_self = *tid == (pid_t)gettid();
	return r;
}

static int comm_path(char *buf, size_t len, pid_t tid)
{
	/* At most 33 bytes with the NUL: every caller's 64-byte buffer holds it. */
	(void)snprintf(buf, len, "/proc/self/task/%d/comm", (int)tid);
	return 0;
}

int uthread_setname_np(uthread_t thread, const char *name)
{
	char path[64];
	pid_t tid;
	int self, fd, r;
	size_t len;
	ssize_t n;

	if (!name)
		return EINVAL;
	len = strlen(name);
	if (len >= NAME_MAX_LEN)
		return ERANGE;
	r = target(thread, &tid, &self);
	if (r)
		return r;
	if (self)
		return prctl(PR_SET_NAME, name) == 0 ? 0 : errno;
	comm_path(path, sizeof path, tid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ESRCH : errno;
	n = write(fd, name, len);
	/* A short write sets no errno: EIO, as pthread_setname_np. */
	r = n < 0 ? errno : n != (ssize_t)len ? EIO : 0;
	close(fd);
	return r;
}

int uthread_getname_np(uthread_t thread, char *buf, size_t len)
{
	char path[64];
	pid_t tid;
	int self, fd, r;
	ssize_t n;

	if (!buf)
		return EINVAL;
	if (len < NAME_MAX_LEN)
		return ERANGE;
	r = target(thread, &tid, &self);
	if (r)
		return r;
	if (self)
		return prctl(PR_GET_NAME, buf) == 0 ? 0 : errno;
	comm_path(path, sizeof path, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? ESRCH : errno;
	n = read(fd, buf, len - 1);
	r = n < 0 ? errno : 0;
	close(fd);
	if (r)
		return r;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}
