# SPDX-License-Identifier: MIT
# The manual pages.  Section 3: one real page per API family, and for every
# other function of the family a one-line ".so man3/<family page>.3" link
# (man resolves it from the man directory it is installed in; from the
# source tree, use 'man -M man <name>').  Section 7: uthread.7, the
# overview.  'make install' puts them in $(man3dir) and $(man7dir); they are
# in the tarball; tests/test_man_pages.sh checks them against the library
# (a page for every exported function, groff finds nothing to warn about,
# each SYNOPSIS compiles against uthread.h) and tests/test_man_examples.sh
# compiles and runs every example.
dist_man3_MANS = \
	man/man3/uthread_atfork.3 \
	man/man3/uthread_attr_destroy.3 \
	man/man3/uthread_attr_getdetachstate.3 \
	man/man3/uthread_attr_getguardsize.3 \
	man/man3/uthread_attr_getstack.3 \
	man/man3/uthread_attr_getstacksize.3 \
	man/man3/uthread_attr_init.3 \
	man/man3/uthread_attr_setdetachstate.3 \
	man/man3/uthread_attr_setguardsize.3 \
	man/man3/uthread_attr_setstack.3 \
	man/man3/uthread_attr_setstacksize.3 \
	man/man3/uthread_barrier_destroy.3 \
	man/man3/uthread_barrier_init.3 \
	man/man3/uthread_barrier_wait.3 \
	man/man3/uthread_barrierattr_destroy.3 \
	man/man3/uthread_barrierattr_init.3 \
	man/man3/uthread_cancel.3 \
	man/man3/uthread_check_np.3 \
	man/man3/uthread_cleanup_pop.3 \
	man/man3/uthread_cleanup_push.3 \
	man/man3/uthread_cond_broadcast.3 \
	man/man3/uthread_cond_clockwait.3 \
	man/man3/uthread_cond_destroy.3 \
	man/man3/uthread_cond_init.3 \
	man/man3/uthread_cond_signal.3 \
	man/man3/uthread_cond_timedwait.3 \
	man/man3/uthread_cond_wait.3 \
	man/man3/uthread_condattr_destroy.3 \
	man/man3/uthread_condattr_getclock.3 \
	man/man3/uthread_condattr_init.3 \
	man/man3/uthread_condattr_setclock.3 \
	man/man3/uthread_create.3 \
	man/man3/uthread_detach.3 \
	man/man3/uthread_equal.3 \
	man/man3/uthread_exit.3 \
	man/man3/uthread_getname_np.3 \
	man/man3/uthread_getspecific.3 \
	man/man3/uthread_gettid.3 \
	man/man3/uthread_join.3 \
	man/man3/uthread_tryjoin_np.3 \
	man/man3/uthread_timedjoin_np.3 \
	man/man3/uthread_clockjoin_np.3 \
	man/man3/uthread_key_create.3 \
	man/man3/uthread_key_delete.3 \
	man/man3/uthread_kill.3 \
	man/man3/uthread_mutex_clocklock.3 \
	man/man3/uthread_mutex_consistent.3 \
	man/man3/uthread_mutex_destroy.3 \
	man/man3/uthread_mutex_init.3 \
	man/man3/uthread_mutex_lock.3 \
	man/man3/uthread_mutex_timedlock.3 \
	man/man3/uthread_mutex_trylock.3 \
	man/man3/uthread_mutex_unlock.3 \
	man/man3/uthread_mutexattr_destroy.3 \
	man/man3/uthread_mutexattr_getprotocol.3 \
	man/man3/uthread_mutexattr_getrobust.3 \
	man/man3/uthread_mutexattr_gettype.3 \
	man/man3/uthread_mutexattr_init.3 \
	man/man3/uthread_mutexattr_setprotocol.3 \
	man/man3/uthread_mutexattr_setrobust.3 \
	man/man3/uthread_mutexattr_settype.3 \
	man/man3/uthread_once.3 \
	man/man3/uthread_rwlock_clockrdlock.3 \
	man/man3/uthread_rwlock_clockwrlock.3 \
	man/man3/uthread_rwlock_destroy.3 \
	man/man3/uthread_rwlock_init.3 \
	man/man3/uthread_rwlock_rdlock.3 \
	man/man3/uthread_rwlock_timedrdlock.3 \
	man/man3/uthread_rwlock_timedwrlock.3 \
	man/man3/uthread_rwlock_tryrdlock.3 \
	man/man3/uthread_rwlock_trywrlock.3 \
	man/man3/uthread_rwlock_unlock.3 \
	man/man3/uthread_rwlock_wrlock.3 \
	man/man3/uthread_rwlockattr_destroy.3 \
	man/man3/uthread_rwlockattr_init.3 \
	man/man3/uthread_self.3 \
	man/man3/uthread_sem_clockwait.3 \
	man/man3/uthread_sem_close.3 \
	man/man3/uthread_sem_destroy.3 \
	man/man3/uthread_sem_getvalue.3 \
	man/man3/uthread_sem_init.3 \
	man/man3/uthread_sem_open.3 \
	man/man3/uthread_sem_post.3 \
	man/man3/uthread_sem_timedwait.3 \
	man/man3/uthread_sem_trywait.3 \
	man/man3/uthread_sem_unlink.3 \
	man/man3/uthread_sem_wait.3 \
	man/man3/uthread_setcancelstate.3 \
	man/man3/uthread_setcanceltype.3 \
	man/man3/uthread_setname_np.3 \
	man/man3/uthread_setspecific.3 \
	man/man3/uthread_sigmask.3 \
	man/man3/uthread_spin_destroy.3 \
	man/man3/uthread_spin_init.3 \
	man/man3/uthread_spin_lock.3 \
	man/man3/uthread_spin_trylock.3 \
	man/man3/uthread_spin_unlock.3 \
	man/man3/uthread_testcancel.3 \
	man/man3/uthread_yield.3 \
	man/man3/uthread_attr_setschedpolicy.3 \
	man/man3/uthread_attr_getschedpolicy.3 \
	man/man3/uthread_attr_setschedparam.3 \
	man/man3/uthread_attr_getschedparam.3 \
	man/man3/uthread_attr_setinheritsched.3 \
	man/man3/uthread_attr_getinheritsched.3 \
	man/man3/uthread_attr_setscope.3 \
	man/man3/uthread_attr_getscope.3 \
	man/man3/uthread_attr_setaffinity_np.3 \
	man/man3/uthread_attr_getaffinity_np.3 \
	man/man3/uthread_attr_setsigmask_np.3 \
	man/man3/uthread_attr_getsigmask_np.3 \
	man/man3/uthread_setschedparam.3 \
	man/man3/uthread_getschedparam.3 \
	man/man3/uthread_setschedprio.3 \
	man/man3/uthread_setaffinity_np.3 \
	man/man3/uthread_getaffinity_np.3 \
	man/man3/uthread_getcpuclockid.3 \
	man/man3/uthread_getattr_np.3 \
	man/man3/uthread_getattr_default_np.3 \
	man/man3/uthread_setattr_default_np.3 \
	man/man3/uthread_setconcurrency.3 \
	man/man3/uthread_getconcurrency.3

dist_man7_MANS = man/man7/uthread.7
