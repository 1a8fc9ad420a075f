# SPDX-License-Identifier: MIT
# Synchronisation primitives: mutex, cond, once, keys, rwlock, barrier, sem, spin.
