# SPDX-License-Identifier: MIT
# Hardening: stacks not executable, guard pages, the stack-protector canary
# and the pointer guard in every uthread.
TESTS_C += tests/test_hardening
check_PROGRAMS += tests/test_hardening
tests_test_hardening_SOURCES = tests/test_hardening.c tests/testutil.h
tests_test_hardening_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_hardening_LDADD = $(TEST_LDADD)

# PT_GNU_STACK: a program that asks for an executable stack gets executable
# uthread stacks, as glibc gives its pthreads; so does one that dlopens a
# module asking for it (tests/execstack_mod.c), from then on.
TESTS_C += tests/test_execstack
check_PROGRAMS += tests/test_execstack
tests_test_execstack_SOURCES = tests/test_execstack.c tests/testutil.h
tests_test_execstack_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_execstack_LDFLAGS = -Wl,-z,execstack
tests_test_execstack_LDADD = $(TEST_LDADD)

TESTS_C += tests/test_execstack_dlopen
check_PROGRAMS += tests/test_execstack_dlopen
check_LTLIBRARIES += tests/libexecstackmod.la
tests_libexecstackmod_la_SOURCES = tests/execstack_mod.c
tests_libexecstackmod_la_LDFLAGS = -module -rpath /nowhere -avoid-version -shared \
	-Wl,-z,execstack
tests_test_execstack_dlopen_SOURCES = tests/test_execstack_dlopen.c tests/testutil.h
tests_test_execstack_dlopen_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DEXECSTACK_MOD_PATH=\"$(abs_builddir)/tests/.libs/libexecstackmod.so\"
tests_test_execstack_dlopen_LDADD = $(TEST_LDADD) -ldl
EXTRA_tests_test_execstack_dlopen_DEPENDENCIES = tests/libexecstackmod.la

# _FORTIFY_SOURCE=2: configure turns it on for the library whenever CFLAGS
# optimise; then the library calls glibc's checked (__*_chk) variants.
TESTS_C += tests/test_fortify.sh
EXTRA_DIST += tests/test_fortify.sh
if UTHREAD_FORTIFY
HARDENING_TESTS_ENVIRONMENT = UTHREAD_FORTIFY=yes; export UTHREAD_FORTIFY;
else
HARDENING_TESTS_ENVIRONMENT = UTHREAD_FORTIFY=no; export UTHREAD_FORTIFY;
endif
