# SPDX-License-Identifier: MIT
# make lint: clang-tidy (config .clang-tidy) and cppcheck (suppressions
# cppcheck.supp) over the library's sources in uthread/ and the project
# headers they include.  Any finding from either tool fails the target, as
# does a missing tool.  Paths go through $(srcdir), so it works out of tree;
# config.h comes from $(top_builddir).  Run one tool alone with
# 'make lint-clang-tidy' or 'make lint-cppcheck'; point CLANG_TIDY or
# CPPCHECK at another binary to use it instead.  clang-tidy's "N warnings
# generated" lines (a count that includes what the config leaves out) are
# dropped from its output.
CLANG_TIDY = clang-tidy
CPPCHECK = cppcheck

# The flags the library is compiled with (libuthread_la_CPPFLAGS carries the
# include paths and -D_GNU_SOURCE), plus the build tree for config.h.
LINT_TIDY_FLAGS = -std=gnu11 $(libuthread_la_CPPFLAGS) -I$(top_builddir)
LINT_CPPCHECK_FLAGS = --enable=warning,style,performance,portability \
	--inline-suppr --error-exitcode=1 --quiet --library=gnu --std=c11 \
	--suppressions-list=$(top_srcdir)/cppcheck.supp -D__x86_64__ \
	-I $(top_srcdir)/include -I $(top_srcdir)/uthread \
	-I $(top_srcdir)/uthread/arch/x86_64 -I $(top_builddir)

lint: config.h
	@st=0; \
	$(MAKE) $(AM_MAKEFLAGS) lint-clang-tidy || st=1; \
	$(MAKE) $(AM_MAKEFLAGS) lint-cppcheck || st=1; \
	if test $$st -ne 0; then echo "make lint: FAILED (see above)" >&2; exit 1; fi; \
	echo "make lint: no findings"

lint-clang-tidy: config.h
	@if ! command -v $(CLANG_TIDY) >/dev/null 2>&1; then \
	  echo "make lint: '$(CLANG_TIDY)' not found; install clang-tidy (Debian: apt-get install clang-tidy) or set CLANG_TIDY=/path/to/clang-tidy" >&2; \
	  exit 1; \
	fi; \
	st=0; \
	for f in $(srcdir)/uthread/*.c $(srcdir)/uthread/glibc/*.c; do \
	  if ! out=`$(CLANG_TIDY) --quiet --config-file=$(top_srcdir)/.clang-tidy \
	            "$$f" -- $(LINT_TIDY_FLAGS) 2>&1`; then st=1; fi; \
	  printf '%s\n' "$$out" | sed -e '/^[0-9]* warnings\{0,1\} generated\.$$/d' -e '/^$$/d'; \
	done; \
	if test $$st -ne 0; then echo "clang-tidy: findings (see above)" >&2; exit 1; fi; \
	echo "clang-tidy: no findings"

lint-cppcheck: config.h
	@if ! command -v $(CPPCHECK) >/dev/null 2>&1; then \
	  echo "make lint: '$(CPPCHECK)' not found; install cppcheck (Debian: apt-get install cppcheck) or set CPPCHECK=/path/to/cppcheck" >&2; \
	  exit 1; \
	fi; \
	if $(CPPCHECK) $(LINT_CPPCHECK_FLAGS) $(srcdir)/uthread/; then \
	  echo "cppcheck: no findings"; \
	else \
	  echo "cppcheck: findings (see above)" >&2; exit 1; \
	fi

.PHONY: lint lint-clang-tidy lint-cppcheck
EXTRA_DIST += .clang-tidy cppcheck.supp
