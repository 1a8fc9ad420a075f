# SPDX-License-Identifier: MIT
# The benchmark driver runs and writes what it promises (not timed: its
# figures are never checked here).  The program is not in check_PROGRAMS
# (make bench builds it), so the test's log depends on it.
TESTS_C += tests/test_bench_smoke.sh
EXTRA_DIST += tests/test_bench_smoke.sh
tests/test_bench_smoke.log: bench/uthread-bench$(EXEEXT)
