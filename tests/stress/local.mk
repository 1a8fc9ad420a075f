# SPDX-License-Identifier: MIT
# Stress runs, never part of 'make check':
#   make stress           every scenario at full scale, natively
#   make stress-valgrind  small scale under memcheck, helgrind and DRD
#                         (or one tool: stress-memcheck, stress-helgrind,
#                         stress-drd)
# STRESS_FLAGS adds options or scenario names, e.g.
#   make stress STRESS_FLAGS='fork signals'
EXTRA_PROGRAMS += tests/stress/uthread-stress
tests_stress_uthread_stress_SOURCES = tests/stress/stress.c tests/testutil.h
tests_stress_uthread_stress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	-DGSCOPE_PATH=\"$(abs_builddir)/tests/.libs/libgscope.so\" \
	-DGSCOPE_LAZY_PATH=\"$(abs_builddir)/tests/.libs/libgscopelazy.so\"
tests_stress_uthread_stress_LDADD = libuthread.la
EXTRA_tests_stress_uthread_stress_DEPENDENCIES = tests/libgscope.la tests/libgscopelazy.la
# Libraries dlopen'ed at run time: by test_books and the dlclose-lookup
# scenario (global), and by that scenario's uthreads, lazily bound.
EXTRA_LTLIBRARIES = tests/libgscope.la tests/libgscopelazy.la
tests_libgscope_la_SOURCES = tests/gscope.c
tests_libgscope_la_LDFLAGS = -rpath $(abs_builddir)/tests -avoid-version -module
tests_libgscopelazy_la_SOURCES = tests/gscopelazy.c
tests_libgscopelazy_la_LDFLAGS = -rpath $(abs_builddir)/tests -avoid-version -module \
	-Wl,-z,lazy
CLEANFILES += $(EXTRA_LTLIBRARIES)

STRESS_FLAGS =
STRESS_PROGRAM = tests/stress/uthread-stress$(EXEEXT)

stress: $(STRESS_PROGRAM)
	./$(STRESS_PROGRAM) --scale full $(STRESS_FLAGS)

# Through libtool, so valgrind checks the real program, not the wrapper
# script; --fair-sched=yes as in make check-valgrind (tests/local.mk).
# Forked children are checked too but print nothing; a child that fails
# says so through its exit status, which the program checks.  Each run is
# under tests/watchdog.sh: a hang is an error after
# STRESS_VALGRIND_TIMEOUT seconds, with its threads' states printed.
STRESS_VALGRIND_TIMEOUT = 1500
STRESS_VALGRIND = $(LIBTOOL) --mode=execute \
	$(SHELL) $(top_srcdir)/tests/watchdog.sh $(STRESS_VALGRIND_TIMEOUT) \
	$(VALGRIND) --error-exitcode=1 \
	--num-callers=30 --max-threads=1200 --child-silent-after-fork=yes \
	--fair-sched=yes --suppressions=$(top_srcdir)/tests/valgrind.supp
STRESS_VALGRIND_memcheck = --tool=memcheck --leak-check=full \
	--errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible
STRESS_VALGRIND_helgrind = --tool=helgrind --history-level=approx
STRESS_VALGRIND_drd = --tool=drd

STRESS_VALGRIND_CHECK = @test -n "$(VALGRIND)" || \
	{ echo "$@: valgrind not found (configure found none)"; exit 1; }

stress-memcheck: $(STRESS_PROGRAM)
	$(STRESS_VALGRIND_CHECK)
	$(STRESS_VALGRIND) $(STRESS_VALGRIND_memcheck) ./$(STRESS_PROGRAM) --scale small $(STRESS_FLAGS)

stress-helgrind: $(STRESS_PROGRAM)
	$(STRESS_VALGRIND_CHECK)
	$(STRESS_VALGRIND) $(STRESS_VALGRIND_helgrind) ./$(STRESS_PROGRAM) --scale small $(STRESS_FLAGS)

# DRD's every step costs more with every thread it has seen at once, and it
# never forgets a detached one: many-alive's 500 threads get a run of their
# own; the other scenarios run after a smaller warm-up (--alive 32).  With
# STRESS_FLAGS, one run as asked.
stress-drd: $(STRESS_PROGRAM)
	$(STRESS_VALGRIND_CHECK)
	@if test -n "$(STRESS_FLAGS)"; then \
	  $(STRESS_VALGRIND) $(STRESS_VALGRIND_drd) ./$(STRESS_PROGRAM) --scale small $(STRESS_FLAGS); \
	else \
	  $(STRESS_VALGRIND) $(STRESS_VALGRIND_drd) ./$(STRESS_PROGRAM) --scale small \
	    --alive 32 --skip many-alive; a=$$?; \
	  $(STRESS_VALGRIND) $(STRESS_VALGRIND_drd) ./$(STRESS_PROGRAM) --scale small many-alive; \
	  test $$a = 0 && test $$? = 0; \
	fi

# All three, each to the end even if one fails; fails if any did.
stress-valgrind: $(STRESS_PROGRAM)
	@failed=; \
	for tool in memcheck helgrind drd; do \
	  $(MAKE) $(AM_MAKEFLAGS) stress-$$tool || failed="$$failed $$tool"; \
	done; \
	if test -n "$$failed"; then echo "stress-valgrind: failed under:$$failed"; exit 1; fi; \
	echo "stress-valgrind: clean under memcheck, helgrind and drd"

.PHONY: stress stress-valgrind stress-memcheck stress-helgrind stress-drd
