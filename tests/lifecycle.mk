# SPDX-License-Identifier: MIT
# Thread lifecycle, attributes, bad input, memory and fork tests.
