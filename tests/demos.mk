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
