# SPDX-License-Identifier: MIT
# UTHREAD_URCU_LINKS(FLAVOUR, CFLAGS, LIBS, HEADER, PREFIX)
# -------------------------------------------------------
# While have_urcu is yes: check that a program using the liburcu flavour
# FLAVOUR (its HEADER, its PREFIX_ functions, the pointer helpers of
# urcu-common) compiles with CFLAGS and links with LIBS, as pkg-config
# reported them.  If it does not, set have_urcu=no.
AC_DEFUN([UTHREAD_URCU_LINKS], [
AS_IF([test "x$have_urcu" = xyes], [
  AC_MSG_CHECKING([whether the liburcu $1 flavour links])
  uthread_save_CPPFLAGS=$CPPFLAGS
  uthread_save_LIBS=$LIBS
  CPPFLAGS="$CPPFLAGS $2"
  LIBS="$3 $LIBS"
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <$4>
static int *uthread_urcu_p;]], [[
	$5_register_thread();
	$5_read_lock();
	int *p = rcu_dereference(uthread_urcu_p);
	$5_read_unlock();
	$5_synchronize_rcu();
	$5_barrier();
	$5_unregister_thread();
	return p != 0;]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     have_urcu=no])
  CPPFLAGS=$uthread_save_CPPFLAGS
  LIBS=$uthread_save_LIBS
])])
