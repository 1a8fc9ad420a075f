# SPDX-License-Identifier: MIT
# The main demo (issue 4): uthread-tour, uthread-clonelab, uthread-spawncost,
# the helpers they share (libdemo), and the static program they exec.
bin_PROGRAMS += demos/uthread-tour demos/uthread-clonelab demos/uthread-spawncost
pkglibexec_PROGRAMS = demos/uthread-exec-target
noinst_LTLIBRARIES = demos/libdemo.la

# Shared by the three programs: no copy of it lives in any of them.
demos_libdemo_la_SOURCES = \
	demos/demo.h demos/demo.c \
	demos/timing.h demos/timing.c \
	demos/cloneflags.h demos/cloneflags.c \
	demos/obs_child.h demos/observe.h demos/observe.c \
	demos/cost.h demos/cost.c
# Where the installed programs look for uthread-exec-target when it is not
# next to them (in the build tree it is).
demos_libdemo_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DUTHREAD_PKGLIBEXECDIR='"$(pkglibexecdir)"'
DEMO_LDADD = demos/libdemo.la libuthread.la

demos_uthread_tour_SOURCES = demos/tour.c demos/sysnotify.h demos/sysnotify.c
demos_uthread_tour_LDADD = $(DEMO_LDADD)
demos_uthread_clonelab_SOURCES = demos/clonelab.c
demos_uthread_clonelab_LDADD = $(DEMO_LDADD)
demos_uthread_spawncost_SOURCES = demos/spawncost.c
demos_uthread_spawncost_LDADD = $(DEMO_LDADD)

# One uthread, then one pthread: for strace and for the memory layout
# (docs/internals.md).  Needs nothing from libdemo.
bin_PROGRAMS += demos/uthread-onethread
demos_uthread_onethread_SOURCES = demos/onethread.c
demos_uthread_onethread_LDADD = libuthread.la

# The exec target: no libc, no loader, its own _start.  Linked by the
# compiler directly, not through libtool, which would drop -nostdlib.
demos_uthread_exec_target_SOURCES = demos/exec_target.c demos/obs_child.h
demos_uthread_exec_target_CFLAGS = $(AM_CFLAGS) -fno-stack-protector \
	-fno-asynchronous-unwind-tables
demos_uthread_exec_target_LDFLAGS = -static -nostdlib -Wl,-z,noexecstack
demos_uthread_exec_target_LINK = $(CCLD) $(demos_uthread_exec_target_CFLAGS) \
	$(CFLAGS) $(demos_uthread_exec_target_LDFLAGS) $(LDFLAGS) -o $@

EXTRA_DIST += demos/README.md demos/spawncost-example.png demos/spawncost-example.svg

# uthread-rcu (issue 7): one read-mostly table under liburcu (memb), a
# uthread_rwlock and a uthread_mutex.  Built when configure found liburcu.
if HAVE_URCU
bin_PROGRAMS += demos/uthread-rcu
demos_uthread_rcu_SOURCES = demos/rcu.c
demos_uthread_rcu_CPPFLAGS = $(AM_CPPFLAGS) $(URCU_MEMB_CFLAGS)
demos_uthread_rcu_LDADD = $(DEMO_LDADD) $(URCU_MEMB_LIBS)
endif
