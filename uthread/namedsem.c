/* SPDX-License-Identifier: MIT */
/*
 * namedsem.c - uthread_sem_open/close/unlink: process-shared semaphores
 * kept in files /dev/shm/sem.<name>, named as glibc 2.36 names them, and
 * the table of the files this process has mapped (one mapping per file,
 * counted, so that opening a name twice gives the same semaphore).  The
 * semaphore itself is sem.c's; this file never touches its fields.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"

#define SHMDIR "/dev/shm/"
#define PREFIX SHMDIR "sem."
#define PREFIX_LEN (sizeof PREFIX - 1)
/* glibc's bound: the prefix, a name of at most NAME_MAX bytes, its NUL. */
#define PATH_SIZE (PREFIX_LEN + NAME_MAX + 1)
/* Temporary names tried before giving up with EAGAIN, as glibc. */
#define TMP_TRIES 50

/* One mapped file.  Guarded by table_lock. */
struct mapping {
	struct mapping *next;
	dev_t dev;
	ino_t ino;
	unsigned long refs; /* opens not yet closed */
	uthread_sem_t *sem;
};

static struct mapping *mappings;
static uthread__lock_t table_lock = UTHREAD__LOCK_INIT;

static void table_lock_take(void)
{
	uthread__lock(&table_lock);
}

static void table_lock_drop(void)
{
	uthread__unlock(&table_lock);
}

/*
 * PREFIX + name into path, as glibc's __shm_get_name: leading slashes
 * dropped; what is left must be 1 to NAME_MAX bytes without a '/'.
 * 0 or EINVAL.
 */
static int path_of(char path[PATH_SIZE], const char *name)
{
	size_t len;

	if (!name)
		return EINVAL;
	while (*name == '/')
		name++;
	len = strlen(name);
	if (len == 0 || len > NAME_MAX || memchr(name, '/', len))
		return EINVAL;
	memcpy(path, PREFIX, PREFIX_LEN);
	memcpy(path + PREFIX_LEN, name, len + 1);
	return 0;
}

/*
 * The semaphore of the file open on fd, counted once more.  map: the
 * caller's mapping of it (a file it just created), or NULL to map it
 * here if the table has none.  A mapping the table does not keep is
 * unmapped.  NULL with *err set on failure.
 */
static uthread_sem_t *add_mapping(int fd, uthread_sem_t *map, int *err)
{
	uthread_sem_t *sem = NULL;
	struct mapping *m;
	struct stat st;

	if (fstat(fd, &st) != 0) {
		*err = errno;
		goto out;
	}
	/* A file too short for a semaphore (not one of ours) would fault. */
	if (st.st_size < (off_t)sizeof(uthread_sem_t)) {
		*err = EINVAL;
		goto out;
	}
	table_lock_take();
	for (m = mappings; m; m = m->next)
		if (m->dev == st.st_dev && m->ino == st.st_ino)
			break;
	if (m) {
		m->refs++;
		sem = m->sem;
	} else if (!(m = malloc(sizeof *m))) {
		*err = ENOMEM;
	} else {
		/* Mapped under the lock: two threads opening the file at once
		 * must not both map it. */
		if (!map) {
			void *p = mmap(NULL, sizeof(uthread_sem_t), PROT_READ | PROT_WRITE,
			               MAP_SHARED, fd, 0);
			map = p == MAP_FAILED ? NULL : p;
			if (!map)
				*err = errno;
		}
		if (map) {
			m->dev = st.st_dev;
			m->ino = st.st_ino;
			m->refs = 1;
			m->sem = sem = map;
			m->next = mappings;
			/* Release: a fork child that sees m sees it whole
			 * (see fork_child). */
			__atomic_store_n(&mappings, m, __ATOMIC_RELEASE);
		} else {
			free(m);
		}
	}
	table_lock_drop();
out:
	if (map && map != sem)
		munmap(map, sizeof(uthread_sem_t));
	return sem;
}

/* A fresh temporary name PREFIX + 6 characters into tmp. */
static void tmp_name(char tmp[PREFIX_LEN + 7])
{
	static const char set[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	static uint64_t counter;
	uint64_t r;
	struct timespec now;

	/* The counter and the clock keep names apart when getrandom has no
	 * entropy yet; O_EXCL catches what they do not. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = 0;
	/* Relaxed: only the number's uniqueness matters. */
	r ^= __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED) * 0x9e3779b97f4a7c15ull ^
	     (uint64_t)now.tv_nsec ^ (uint64_t)getpid() << 32;
	memcpy(tmp, PREFIX, PREFIX_LEN);
	for (int i = 0; i < 6; i++, r /= sizeof set - 1)
		tmp[PREFIX_LEN + i] = set[r % (sizeof set - 1)];
	tmp[PREFIX_LEN + 6] = '\0';
}

/*
 * Create path holding a semaphore of value value, file mode mode (through
 * the umask): written in full under a temporary name, then linked in, so
 * that no process ever opens a half-made one.  0 with *sem set, EEXIST
 * if path exists, or another error number.
 */
static int create(const char *path, mode_t mode, unsigned value, uthread_sem_t **sem)
{
	char tmp[PREFIX_LEN + 7];
	uthread_sem_t init;
	void *map;
	int fd, err = 0;
	ssize_t n;

	if (value > UTHREAD_SEM_VALUE_MAX)
		return EINVAL;
	memset(&init, 0, sizeof init);
	(void)uthread_sem_init(&init, UTHREAD_PROCESS_SHARED, value);
	for (int tries = 0;; tries++) {
		tmp_name(tmp);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0)
			break;
		if (errno != EEXIST)
			return errno;
		if (tries + 1 == TMP_TRIES)
			return EAGAIN;
	}
	do
		n = write(fd, &init, sizeof init);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof init)
		err = n < 0 ? errno : ENOSPC;
	else if ((map = mmap(NULL, sizeof init, PROT_READ | PROT_WRITE, MAP_SHARED,
	                     fd, 0)) == MAP_FAILED)
		err = errno;
	else if (link(tmp, path) != 0) {
		err = errno;
		munmap(map, sizeof init);
	} else if (!(*sem = add_mapping(fd, map, &err)) && !err)
		err = ENOMEM;
	unlink(tmp);
	close(fd);
	return err;
}

uthread_sem_t *uthread_sem_open(const char *name, int oflag, ...)
{
	char path[PATH_SIZE];
	uthread_sem_t *sem = NULL;
	mode_t mode = 0;
	unsigned value = 0;
	int err, state;

	if ((err = path_of(path, name)) != 0) {
		errno = err;
		return UTHREAD_SEM_FAILED;
	}
	if (oflag & O_CREAT) {
		va_list ap;

		va_start(ap, oflag);
		mode = va_arg(ap, mode_t);
		value = va_arg(ap, unsigned);
		va_end(ap);
	}
	/* open() is a cancellation point; sem_open is not, in glibc. */
	(void)pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	for (;;) {
		if (!(oflag & O_CREAT) || !(oflag & O_EXCL)) {
			/* Read-write whatever the access mode asked, as glibc. */
			int fd = open(path, (oflag & ~(O_CREAT | O_ACCMODE)) | O_RDWR |
			                            O_NOFOLLOW | O_CLOEXEC);

			if (fd >= 0) {
				sem = add_mapping(fd, NULL, &err);
				close(fd);
				break;
			}
			err = errno;
			if (!(oflag & O_CREAT) || err != ENOENT)
				break;
		}
		err = create(path, mode, value, &sem);
		/* Another process linked it in first: open theirs. */
		if (err != EEXIST || (oflag & O_EXCL))
			break;
	}
	(void)pthread_setcancelstate(state, NULL);
	if (!sem) {
		errno = err;
		return UTHREAD_SEM_FAILED;
	}
	return sem;
}

int uthread_sem_close(uthread_sem_t *sem)
{
	struct mapping **pp, *m;
	int last = 0;

	if (!sem)
		return EINVAL;
	table_lock_take();
	for (pp = &mappings; (m = *pp) != NULL; pp = &m->next)
		if (m->sem == sem)
			break;
	if (m && --m->refs == 0) {
		*pp = m->next;
		last = 1;
	}
	table_lock_drop();
	if (!m)
		return EINVAL;
	if (last) {
		/* Off the table: an open from now on maps the file afresh. */
		munmap(sem, sizeof *sem);
		free(m);
	}
	return 0;
}

int uthread_sem_unlink(const char *name)
{
	char path[PATH_SIZE];

	/* A name sem_open would refuse names no file: ENOENT, as glibc. */
	if (path_of(path, name) != 0)
		return ENOENT;
	if (unlink(path) == 0)
		return 0;
	/* EPERM: the sticky /dev/shm and someone else's file (POSIX:
	 * EACCES). */
	return errno == EPERM ? EACCES : errno;
}

/*
 * A fork landing while another thread holds the table lock must not leave
 * it held in the child, where that thread does not exist: the child
 * starts it afresh.  The table itself is whole at any instant (an entry
 * goes in, or out, with one store), as glibc's own list of semaphore
 * mappings, which no fork handler guards either.  No prepare handler:
 * one holding the lock across the fork would have to tell a fork nested
 * in a fork handler, or made by a signal handler that interrupted an
 * open, from the others.
 */
static void fork_child(void)
{
	/* Relaxed: the child has one thread, this one. */
	__atomic_store_n(&table_lock, UTHREAD__LOCK_INIT, __ATOMIC_RELAXED);
}

__attribute__((__constructor__)) static void install(void)
{
	/* Fails only with ENOMEM; then a fork in the middle of an open may
	 * leave the child's opens waiting. */
	(void)pthread_atfork(NULL, NULL, fork_child);
}
