# SPDX-License-Identifier: MIT
# The main demo, each program run in quick mode from the build tree: the
# structure of its output and the facts that are certain on Linux.  Shell
# scripts (run by $(SHELL), see TEST_EXTENSIONS in tests/local.mk);
# demo-json.sh holds their shared helpers.
DEMO_TESTS = tests/test_demo_tour.sh tests/test_demo_clonelab.sh \
	tests/test_demo_spawncost.sh tests/test_demo_onethread.sh \
	tests/test_demo_rcu.sh
TESTS_C += $(DEMO_TESTS)
EXTRA_DIST += $(DEMO_TESTS) tests/demo-json.sh

# A glibc that lacks a private symbol uthread needs (LD_PRELOAD): every
# demo still runs what it can, and says why uthread is unavailable.
check_LTLIBRARIES += tests/libnoprivate.la
tests_libnoprivate_la_SOURCES = tests/noprivate.c
tests_libnoprivate_la_LDFLAGS = -rpath $(abs_builddir)/tests -avoid-version -module
tests_libnoprivate_la_LIBADD = -ldl
DEMO_TESTS += tests/test_demo_unavailable.sh
TESTS_C += tests/test_demo_unavailable.sh
EXTRA_DIST += tests/test_demo_unavailable.sh
