/* SPDX-License-Identifier: MIT */
/*
 * uthread-spawncost: what creating a process or a thread costs, against
 * the parent's resident memory, for fork, vfork, clone(VM|VFORK),
 * posix_spawn, fork+exec, vfork+exec, uthread and pthread.  A table with
 * medians and ranges, a CSV, and a log-log plot through gnuplot.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <uthread.h>

#include "cost.h"
#include "demo.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

static const char usage[] =
	"Usage: uthread-spawncost [--sizes LIST] [--reps N] [--methods LIST] [--thp]\n"
	"                         [--out DIR] [--quick] [--json]\n"
	"\n"
	"Times create-and-wait (threads: create + join) of a child that does nothing,\n"
	"while the parent holds more and more resident memory.  Prints medians and\n"
	"ranges per size, fork/vfork ratios and fork's cost per GiB; writes a CSV and,\n"
	"if gnuplot is installed, a log-log plot (PNG and SVG).\n"
	"\n"
	"  --sizes LIST    extra resident memory in MiB, comma separated (default\n"
	"                  1,4,16,64,256,512,1024,2048); sizes above half of\n"
	"                  MemAvailable (or of the cgroup's limit) are left out\n"
	"  --reps N        timed samples per size and method (default 15)\n"
	"  --methods LIST  among fork, vfork, clone-vm-vfork, posix_spawn, fork-exec,\n"
	"                  vfork-exec, clone-process, uthread, pthread (default: all\n"
	"                  but clone-process)\n"
	"  --thp           give the memory transparent huge pages (MADV_HUGEPAGE);\n"
	"                  default: MADV_NOHUGEPAGE, plain 4 KiB pages\n"
	"  --out DIR       where spawncost.csv, .gp, .png, .svg go (default\n"
	"                  ./uthread-spawncost-out)\n"
	"  --quick         sizes 1,16,64 and 5 reps\n"
	"  --json          JSON lines on stdout instead of the text (files are still\n"
	"                  written)\n"
	"  -h, --help      this text\n"
	"\n"
	"Exit status: 0 measured and CSV written (no gnuplot is not an error: the\n"
	"message says so; nor is uthread being unavailable on this system, which is\n"
	"said, when other methods are measured); 1 a measurement or the CSV failed,\n"
	"or uthread was the only method asked for and is unavailable; 2 bad usage.\n";

static int parse_sizes(const char *s, struct cost_config *c)
{
	char *end;

	c->nsizes = 0;
	while (*s) {
		long v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 1024 * 1024 || c->nsizes == COST_MAX_SIZES)
			return -1;
		if (c->nsizes && v <= c->sizes_mib[c->nsizes - 1])
			return -1; /* ascending: the ballast only grows */
		c->sizes_mib[c->nsizes++] = v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return c->nsizes ? 0 : -1;
}

static int parse_methods(const char *s, unsigned *methods)
{
	*methods = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		int m;
		for (m = 0; m < COST_NMETHODS; m++)
			if (strlen(cost_info[m].key) == n && strncmp(cost_info[m].key, s, n) == 0)
				break;
		if (m == COST_NMETHODS)
			return -1;
		*methods |= 1u << m;
		s += n;
		if (*s)
			s++;
	}
	return *methods ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "sizes", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "methods", required_argument, NULL, 'm' },
		{ "thp", no_argument, NULL, 'T' },
		{ "out", required_argument, NULL, 'o' },
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const long defaults[] = { 1, 4, 16, 64, 256, 512, 1024, 2048 };
	const char *out = "uthread-spawncost-out", *sizes = NULL;
	struct cost_config c;
	struct cost_result *r;
	struct demo_machine mach;
	char msg[4400], dir[4096], csv[4200], a[32];
	int opt, json = 0, quick = 0, reps = 0, plot, err;

	memset(&c, 0, sizeof(c));
	c.methods = COST_DEFAULT_METHODS;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 's': sizes = optarg; break;
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 10000) {
				fprintf(stderr, "uthread-spawncost: --reps wants 1 to 10000\n");
				return EXIT_USAGE;
			}
			reps = (int)v;
			break;
		}
		case 'm':
			if (parse_methods(optarg, &c.methods)) {
				fprintf(stderr, "uthread-spawncost: bad --methods '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'T': c.thp = 1; break;
		case 'o': out = optarg; break;
		case 'q': quick = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uthread-spawncost: unexpected argument '%s'\n%s", argv[optind], usage);
		return EXIT_USAGE;
	}
	if (sizes) {
		if (parse_sizes(sizes, &c)) {
			fprintf(stderr, "uthread-spawncost: --sizes wants ascending MiB counts, "
			        "e.g. 1,16,64\n");
			return EXIT_USAGE;
		}
	} else if (quick) {
		c.sizes_mib[0] = 1;
		c.sizes_mib[1] = 16;
		c.sizes_mib[2] = 64;
		c.nsizes = 3;
	} else {
		c.nsizes = (int)(sizeof(defaults) / sizeof(defaults[0]));
		memcpy(c.sizes_mib, defaults, sizeof(defaults));
	}
	c.reps = reps ? reps : quick ? 5 : 15;
	c.target = demo_exec_target();
	if (!c.target && (c.methods & ((1u << COST_SPAWN) | (1u << COST_FORK_EXEC) |
	                               (1u << COST_VFORK_EXEC)))) {
		fprintf(stderr, "uthread-spawncost: uthread-exec-target not found (set "
		        "UTHREAD_EXEC_TARGET, or leave out the exec methods)\n");
		return EXIT_FAILED;
	}
	/* Without uthreads, every other method is still measured; only a
	 * user who asked for nothing but uthread gets a failure. */
	char why[240], na[300] = "";
	if ((c.methods & (1u << COST_UTHREAD)) && uthread_check_np(why, sizeof(why))) {
		snprintf(na, sizeof(na), "uthread: unavailable: %s", why);
		c.methods &= ~(1u << COST_UTHREAD);
		if (!c.methods) {
			fprintf(stderr, "uthread-spawncost: %s\n", na);
			return EXIT_FAILED;
		}
	}
	demo_machine(&mach);
	if (na[0] && !json)
		demo_wrap(stdout, "", "  ", na, 79);
	if (cost_fit_sizes(&c, msg, sizeof(msg)) && !json)
		printf("Note: %s\n", msg);
	if (!json) {
		printf("uthread-spawncost: %s, glibc %s, %d CPUs\n"
		       "Transparent huge pages: %s; extra memory: %s.\n",
		       mach.kernel, mach.glibc, mach.cpus, mach.thp,
		       c.thp ? "MADV_HUGEPAGE" : "NOHUGEPAGE, 4 KiB pages");
		printf("Create a child that does nothing and wait for its end (threads: create +\n"
		       "join), %d times per size and method, methods interleaved.\n\n", c.reps);
		fflush(stdout);
	}
	c.progress = json ? NULL : stderr;
	r = malloc(sizeof(*r));
	if (!r)
		return EXIT_FAILED;
	if (cost_sweep(&c, r)) {
		fprintf(stderr, "uthread-spawncost: %s\n", r->errmsg);
		free(r);
		return EXIT_FAILED;
	}

	demo_abspath(out, dir, sizeof(dir));
	err = demo_mkdir_p(dir);
	if (err) {
		fprintf(stderr, "uthread-spawncost: cannot create %s: %s\n", dir, strerror(err));
		free(r);
		return EXIT_FAILED;
	}
	snprintf(csv, sizeof(csv), "%s/spawncost.csv", dir);
	err = cost_write_csv(&c, r, csv);
	if (err) {
		fprintf(stderr, "uthread-spawncost: cannot write %s: %s\n", csv, strerror(err));
		free(r);
		return EXIT_FAILED;
	}
	plot = cost_plot(&c, r, &mach, dir, "spawncost", msg, sizeof(msg));

	if (json) {
		struct jl j;
		cost_json(stdout, &c, r);
		if (na[0]) {
			jl_begin(&j, stdout, "unavailable");
			jl_str(&j, "method", "uthread");
			jl_str(&j, "why", why);
			jl_end(&j);
		}
		jl_begin(&j, stdout, "files");
		jl_str(&j, "csv", csv);
		jl_str(&j, "plot", plot == 0 ? "drawn" : plot == 1 ? "no gnuplot" : "failed");
		jl_str(&j, "message", msg);
		jl_end(&j);
		free(r);
		return 0;
	}
	for (int i = 0; i < r->nsizes; i++) {
		char b[32];
		printf("Parent with %s of extra resident memory (RSS %s):\n",
		       demo_fmt_mib((double)r->size_mib[i], a, sizeof(a)),
		       demo_fmt_mib(r->rss_mib[i], b, sizeof(b)));
		cost_print_size(stdout, &c, r, i);
		putchar('\n');
	}
	printf("Summary:\n");
	cost_print_summary(stdout, &c, r);
	printf("\nCSV: %s\n", csv);
	if (plot == 0)
		printf("Plot: %s/spawncost.png\n      %s/spawncost.svg\n", dir, dir);
	else {
		char line[4500];
		snprintf(line, sizeof(line), "No plot: %s.", msg);
		demo_wrap(stdout, "", "  ", line, 79);
	}
	free(r);
	return 0;
}
