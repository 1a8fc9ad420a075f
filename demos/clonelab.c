/* SPDX-License-Identifier: MIT */
/*
 * uthread-clonelab: clone(2) with the flags you choose.  Creates a child
 * with them, lets it do the tour's steps (write a variable, open a
 * directory, chdir, install a handler, note pid/tid/ppid) and shows what
 * the parent saw, beside a one-line explanation of each flag.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cloneflags.h"
#include "demo.h"
#include "observe.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_VALGRIND 3

static const char usage[] =
	"Usage: uthread-clonelab (--flags LIST | --preset NAME) [--trials N] [--json]\n"
	"       uthread-clonelab --list\n"
	"\n"
	"Creates a child with clone(2) and the flags given, lets it write a global\n"
	"variable, open a directory, chdir into it, install a SIGUSR2 handler and\n"
	"note its pid, tid and ppid, then shows which of those the parent saw.\n"
	"\n"
	"  --flags LIST   clone flags, e.g. VM,FS,FILES (also '|' between them, any\n"
	"                 case, CLONE_ prefix optional).  A child that is not a\n"
	"                 thread gets SIGCHLD as its exit signal, as fork's does.\n"
	"  --preset NAME  fork, process, vfork or thread (--list shows their flags)\n"
	"  --trials N     how many children to make (default 5)\n"
	"  --json         JSON lines on stdout instead of the text\n"
	"  --list         every flag with its explanation, and the presets\n"
	"  -h, --help     this text\n"
	"\n"
	"Exit status: 0 the child ran and was observed; 1 clone() or another system\n"
	"call failed (the kernel's answer is printed; e.g. SIGHAND without VM is\n"
	"EINVAL, NEWPID without privilege EPERM); 2 bad usage or a flag this lab\n"
	"does not offer; 3 running under valgrind and valgrind cannot run this flag\n"
	"set (it runs a clone only as a fork or as a VM|FS|FILES thread).\n";

static void list_flags(void)
{
	char buf[200], line[300];

	printf("clone flags (uthread-clonelab --flags NAME,NAME,...):\n");
	for (size_t i = 0; i < cloneflags_count; i++) {
		snprintf(line, sizeof(line), "  %-15s %s%s", cloneflags[i].name,
		         cloneflags[i].refused ? "not offered: " : "",
		         cloneflags[i].refused ? cloneflags[i].refused : cloneflags[i].explain);
		demo_wrap(stdout, "", "                  ", line, 79);
	}
	printf("\npresets (--preset NAME):\n");
	for (size_t i = 0; i < clonepresets_count; i++) {
		unsigned long f = clonepresets[i].flags;
		if (!(f & CLONE_THREAD))
			f |= SIGCHLD;
		snprintf(line, sizeof(line), "  %-8s %s", clonepresets[i].name,
		         cloneflags_format(f, buf, sizeof(buf)));
		demo_wrap(stdout, "", "           ", line, 79);
		demo_wrap(stdout, "           ", "           ", clonepresets[i].explain, 79);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flags", required_argument, NULL, 'f' },
		{ "preset", required_argument, NULL, 'p' },
		{ "trials", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *preset = NULL, *flagtext = NULL;
	unsigned long flags = 0;
	int opt, json = 0, trials = 5, have = 0, e;
	char err[300], buf[200], title[300];
	struct obs_env env;
	struct obs_result res;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': flagtext = optarg; have++; break;
		case 'p': preset = optarg; have++; break;
		case 'j': json = 1; break;
		case 'l': list_flags(); return 0;
		case 't': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000) {
				fprintf(stderr, "uthread-clonelab: --trials wants 1 to 1000\n");
				return EXIT_USAGE;
			}
			trials = (int)v;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
	if (have != 1 || optind < argc) {
		fprintf(stderr, "uthread-clonelab: give exactly one of --flags or --preset\n\n%s", usage);
		return EXIT_USAGE;
	}
	if (preset) {
		size_t i;
		for (i = 0; i < clonepresets_count; i++)
			if (strcasecmp(preset, clonepresets[i].name) == 0)
				break;
		if (i == clonepresets_count) {
			fprintf(stderr, "uthread-clonelab: unknown preset '%s' (fork, process, vfork, "
			        "thread)\n", preset);
			return EXIT_USAGE;
		}
		flags = clonepresets[i].flags;
	} else if (cloneflags_parse(flagtext, &flags, err, sizeof(err))) {
		fprintf(stderr, "uthread-clonelab: %s\n", err);
		return EXIT_USAGE;
	}
	if (demo_on_valgrind() && cloneflags_valgrind_cannot_run(flags, err, sizeof(err))) {
		fprintf(stderr, "uthread-clonelab: refused under valgrind: clone(%s): %s.\n"
		        "Run it without valgrind to see what Linux does.\n",
		        cloneflags_format(flags, buf, sizeof(buf)), err);
		return EXIT_VALGRIND;
	}

	e = obs_env_init(&env, NULL, 2000);
	if (e) {
		fprintf(stderr, "uthread-clonelab: cannot set up the experiment: %s\n", strerror(e));
		return EXIT_FAILED;
	}
	obs_run(&env, OBS_CLONE, flags, trials, &res);
	obs_env_fini(&env);

	if (json) {
		struct jl j;
		for (size_t i = 0; i < cloneflags_count; i++) {
			if (!(res.flags & cloneflags[i].bit))
				continue;
			jl_begin(&j, stdout, "flag");
			jl_str(&j, "name", cloneflags[i].name);
			jl_str(&j, "explain", cloneflags[i].explain);
			jl_end(&j);
		}
		obs_json(stdout, &res, preset);
		return res.err ? EXIT_FAILED : 0;
	}

	snprintf(title, sizeof(title), "uthread-clonelab: clone(%s)%s%s%s",
	         cloneflags_format(res.flags, buf, sizeof(buf)), preset ? ", preset \"" : "",
	         preset ? preset : "", preset ? "\"" : "");
	demo_wrap(stdout, "", "  ", title, 79);
	putchar('\n');
	printf("The flags:\n");
	for (size_t i = 0; i < cloneflags_count; i++)
		if (res.flags & cloneflags[i].bit)
			printf("  %-15s %s\n", cloneflags[i].name, cloneflags[i].explain);
	if ((res.flags & CSIGNAL) == SIGCHLD)
		printf("  %-15s %s\n", "SIGCHLD", "exit signal: the parent is told, and waits, "
		       "as for fork");
	if (!(res.flags & ~CSIGNAL))
		printf("  %-15s %s\n", "(no other)", "nothing shared: a copy of everything, as fork");
	if (res.trials) {
		printf("\nWhat the child did and what the parent saw (%d trial%s):\n",
		       res.trials, res.trials == 1 ? "" : "s");
		obs_print_detail(stdout, &res);
	}
	if (res.err) {
		printf("\nFAILED: %s\n", res.errmsg);
		return EXIT_FAILED;
	}
	return 0;
}
