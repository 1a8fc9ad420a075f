/* SPDX-License-Identifier: MIT */
/*
 * demo.c - small helpers the demos share (see demo.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <gnu/libc-version.h>

#include "config.h"
#include "demo.h"

#if HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/valgrind.h>
#endif

#ifndef UTHREAD_PKGLIBEXECDIR
#define UTHREAD_PKGLIBEXECDIR "/usr/local/libexec/uthread"
#endif

#define TARGET_NAME "uthread-exec-target"

int demo_on_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return 1;
#endif
	/* Built without valgrind's headers: valgrind preloads its core. */
	const char *pre = getenv("LD_PRELOAD");
	return pre && strstr(pre, "vgpreload") != NULL;
}

static int try_target(char *buf, size_t len, const char *dir, const char *rel)
{
	snprintf(buf, len, "%s/%s%s", dir, rel, TARGET_NAME);
	return access(buf, X_OK) == 0;
}

const char *demo_exec_target(void)
{
	static char path[PATH_MAX + 64];
	char self[PATH_MAX];
	const char *env = getenv("UTHREAD_EXEC_TARGET");
	ssize_t n;

	if (env && *env) {
		snprintf(path, sizeof(path), "%s", env);
		return access(path, X_OK) == 0 ? path : NULL;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			/* In the build tree the real program sits in demos/.libs/. */
			if (try_target(path, sizeof(path), self, "") ||
			    try_target(path, sizeof(path), self, "../"))
				return path;
		}
	}
	if (try_target(path, sizeof(path), UTHREAD_PKGLIBEXECDIR, ""))
		return path;
	return NULL;
}

static void read_line_value(const char *file, const char *key, char *out, size_t len)
{
	FILE *f = fopen(file, "r");
	char line[512];
	size_t klen = strlen(key);

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0) {
			char *v = strchr(line, ':');
			if (!v)
				continue;
			v++;
			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
			break;
		}
	}
	fclose(f);
}

long demo_meminfo_mib(const char *key)
{
	char v[64] = "";
	read_line_value("/proc/meminfo", key, v, sizeof(v));
	if (!v[0])
		return -1;
	return strtol(v, NULL, 10) / 1024; /* the file counts kB */
}

void demo_machine(struct demo_machine *m)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;

	memset(m, 0, sizeof(*m));
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%.20s %.50s %.20s", u.sysname, u.release, u.machine);
	snprintf(m->glibc, sizeof(m->glibc), "%s", gnu_get_libc_version());
	read_line_value("/proc/cpuinfo", "model name", m->cpu, sizeof(m->cpu));
	gmtime_r(&now, &tm);
	strftime(m->date, sizeof(m->date), "%Y-%m-%d %H:%M UTC", &tm);
	m->cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
	m->mem_total_mib = demo_meminfo_mib("MemTotal");
	m->mem_avail_mib = demo_meminfo_mib("MemAvailable");
	snprintf(m->thp, sizeof(m->thp), "unknown");
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		char line[128], *a, *b;
		if (fgets(line, sizeof(line), f) && (a = strchr(line, '[')) && (b = strchr(a, ']'))) {
			*b = '\0';
			snprintf(m->thp, sizeof(m->thp), "%s", a + 1);
		}
		fclose(f);
	}
}

int demo_mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return EINVAL;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0777) != 0 && errno != EEXIST)
				return errno;
			*p = c;
			if (!c)
				break;
		}
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return errno;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

char *demo_abspath(const char *path, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path);
	return buf;
}

/* ------------------------------------------------------------ JSON lines */

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void jl_begin(struct jl *j, FILE *f, const char *kind)
{
	j->f = f;
	fputs("{\"kind\":", f);
	json_string(f, kind);
}

void jl_str(struct jl *j, const char *key, const char *val)
{
	fputc(',', j->f);
	json_string(j->f, key);
	fputc(':', j->f);
	json_string(j->f, val ? val : "");
}

void jl_int(struct jl *j, const char *key, long long val)
{
	fputc(',', j->f);
	json_string(j->f, key);
	fprintf(j->f, ":%lld", val);
}

void jl_num(struct jl *j, const char *key, double val)
{
	fputc(',', j->f);
	json_string(j->f, key);
	if (isfinite(val))
		fprintf(j->f, ":%.6g", val);
	else
		fputs(":null", j->f);
}

void jl_end(struct jl *j)
{
	fputs("}\n", j->f);
}

/* -------------------------------------------------------------- formats */

char *demo_fmt_us(double us, char *buf, size_t len)
{
	if (!isfinite(us))
		snprintf(buf, len, "-");
	else if (us < 10)
		snprintf(buf, len, "%.1f us", us);
	else if (us < 1000)
		snprintf(buf, len, "%.0f us", us);
	else if (us < 10000)
		snprintf(buf, len, "%.2f ms", us / 1000);
	else if (us < 1e6)
		snprintf(buf, len, "%.1f ms", us / 1000);
	else
		snprintf(buf, len, "%.2f s", us / 1e6);
	return buf;
}

char *demo_fmt_ratio(double r, char *buf, size_t len)
{
	if (!isfinite(r))
		snprintf(buf, len, "-");
	else if (r < 10)
		snprintf(buf, len, "%.1fx", r);
	else
		snprintf(buf, len, "%.0fx", r);
	return buf;
}

char *demo_fmt_mib(double mib, char *buf, size_t len)
{
	int whole = mib == (double)(long)mib;

	if (whole && mib >= 1024 && (long)mib % 1024 == 0)
		snprintf(buf, len, "%.0f GiB", mib / 1024);
	else if (mib >= 10 || whole)
		snprintf(buf, len, "%.0f MiB", mib);
	else
		snprintf(buf, len, "%.1f MiB", mib);
	return buf;
}

void demo_wrap(FILE *f, const char *first, const char *rest, const char *text, int width)
{
	const char *indent = first, *p = text;

	while (*p) {
		int room = width - (int)strlen(indent), n, cut, end;
		while (p != text && *p == ' ')
			p++;
		n = (int)strlen(p);
		if (n <= room) {
			fprintf(f, "%s%s\n", indent, p);
			return;
		}
		/* Break at the last blank, or after a '|' in a long flag list. */
		cut = room;
		while (cut > 0 && p[cut] != ' ' && p[cut - 1] != '|')
			cut--;
		if (cut == 0)
			cut = room;
		for (end = cut; end > 0 && p[end - 1] == ' '; end--)
			;
		fprintf(f, "%s%.*s\n", indent, end, p);
		p += cut;
		indent = rest;
	}
}
