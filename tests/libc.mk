# SPDX-License-Identifier: MIT
# libc works inside a uthread: stdio, malloc, errno, every TLS flavour, ...
TESTS_C += tests/test_stdio tests/test_malloc tests/test_tls tests/test_misc \
	tests/test_cxx
check_PROGRAMS += tests/test_stdio tests/test_malloc tests/test_tls \
	tests/test_misc tests/test_cxx

tests_test_stdio_SOURCES = tests/test_stdio.c tests/libcutil.h
tests_test_stdio_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_stdio_LDADD = $(TEST_LDADD)

tests_test_malloc_SOURCES = tests/test_malloc.c tests/libcutil.h
tests_test_malloc_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_malloc_LDADD = $(TEST_LDADD)

# test_misc: the whole file is stack-protected, so a smashed local buffer
# in a uthread must end in __stack_chk_fail.
tests_test_misc_SOURCES = tests/test_misc.c tests/libcutil.h
tests_test_misc_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_misc_CFLAGS = $(AM_CFLAGS) -fstack-protector-all
tests_test_misc_LDADD = $(TEST_LDADD)

# test_tls and its helper libraries: two linked into the program (one
# initial-exec, one general-dynamic), two dlopen'ed modules built from one
# source (one opened before the threads start, one while they run).
check_LTLIBRARIES += tests/libtlsie.la tests/libtlsgd.la tests/libtlsdl.la \
	tests/libtlslate.la tests/libtlslateie.la
TLSLIB_LINKED_LDFLAGS = -rpath $(abs_builddir)/tests -avoid-version
TLSLIB_MODULE_LDFLAGS = -module -rpath /nowhere -avoid-version -shared

tests_libtlsie_la_SOURCES = tests/tlslib.h tests/tlsie.c
tests_libtlsie_la_LDFLAGS = $(TLSLIB_LINKED_LDFLAGS)
tests_libtlsgd_la_SOURCES = tests/tlslib.h tests/tlsgd.c
tests_libtlsgd_la_LDFLAGS = $(TLSLIB_LINKED_LDFLAGS)
tests_libtlsdl_la_SOURCES = tests/tlslib.h tests/tlsdyn.c
tests_libtlsdl_la_CPPFLAGS = $(AM_CPPFLAGS) -DTLSDYN_INIT=TLSDL_INIT
tests_libtlsdl_la_LDFLAGS = $(TLSLIB_MODULE_LDFLAGS)
tests_libtlslate_la_SOURCES = tests/tlslib.h tests/tlsdyn.c
tests_libtlslate_la_CPPFLAGS = $(AM_CPPFLAGS) -DTLSDYN_INIT=TLSLATE_INIT
tests_libtlslate_la_LDFLAGS = $(TLSLIB_MODULE_LDFLAGS)
# Initial-exec TLS, opened while a uthread runs.
tests_libtlslateie_la_SOURCES = tests/tlslateie.c
tests_libtlslateie_la_LDFLAGS = $(TLSLIB_MODULE_LDFLAGS)

tests_test_tls_SOURCES = tests/test_tls.c tests/tlslib.h tests/libcutil.h
tests_test_tls_CPPFLAGS = $(TEST_CPPFLAGS) \
	-DTLSDL_PATH=\"$(abs_builddir)/tests/.libs/libtlsdl.so\" \
	-DTLSLATE_PATH=\"$(abs_builddir)/tests/.libs/libtlslate.so\" \
	-DTLSLATEIE_PATH=\"$(abs_builddir)/tests/.libs/libtlslateie.so\"
tests_test_tls_LDADD = tests/libtlsie.la tests/libtlsgd.la $(TEST_LDADD)
# Not linked, but opened at run time: build them with the program.
EXTRA_tests_test_tls_DEPENDENCIES = tests/libtlsdl.la tests/libtlslate.la \
	tests/libtlslateie.la

# test_cxx: thread_local objects, exceptions, strings and streams.  The C
# warning set minus the two options C++ does not know.
TEST_CXX_WARN_1 = $(UTHREAD_WARN_CFLAGS:-Wstrict-prototypes=)
TEST_CXX_WARN = $(TEST_CXX_WARN_1:-Wmissing-prototypes=)
tests_test_cxx_SOURCES = tests/test_cxx.cc tests/libcutil.h
tests_test_cxx_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_cxx_CXXFLAGS = $(AM_CXXFLAGS) $(TEST_CXX_WARN)
tests_test_cxx_LDADD = $(TEST_LDADD)
