# SPDX-License-Identifier: MIT
# The manual pages (man/local.mk), checked against the built library: a
# page for every exported function, groff-clean, SYNOPSIS agreeing with
# uthread.h (test_man_pages.sh), and every EXAMPLES program compiling and
# running (test_man_examples.sh).  Shell scripts, run from the build
# directory; they read the pages from $(srcdir) and need nm and the C
# compiler, passed here.
MAN_TESTS = tests/test_man_pages.sh tests/test_man_examples.sh
TESTS_C += $(MAN_TESTS)
EXTRA_DIST += $(MAN_TESTS)
MAN_TESTS_ENVIRONMENT = MAN_NM='$(NM)'; MAN_CC='$(CC)'; export MAN_NM MAN_CC;
