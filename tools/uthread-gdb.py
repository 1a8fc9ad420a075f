# SPDX-License-Identifier: MIT
"""uthread-gdb.py - gdb commands that show a program's uthreads.

Load it into gdb with

    (gdb) source /usr/local/share/uthread/uthread-gdb.py

(or the copy in the source tree, tools/uthread-gdb.py), then

    (gdb) info uthreads          one line per thread in uthread's registry
    (gdb) info uthreads -v       the same, and each thread block's layout

The commands read libuthread's own registry (uthread/registry.c): the slot
chunks `chunks[]`, the count `nslots`, and each `struct uthread` with its
state word, kernel tid and thread block (uthread/internal.h).  They need
libuthread's debug information (the library is built with -g by default),
work on a running program, an attached one and a core file, and say so
plainly when they cannot find the registry.  They only read memory.
"""

import gdb

# Used when the library's debug info lacks the enum (it never should).
_FALLBACK_STATES = ["FREE", "JOINABLE", "DETACHED", "EXITED", "JOINING",
                    "MAIN", "FOREIGN", "ENDING"]


class RegistryNotFound(gdb.GdbError):
    """The registry cannot be read; the message says why."""


def _is_libuthread(objfile):
    name = objfile.filename or ""
    return "libuthread" in name.rsplit("/", 1)[-1]


def _is_array_of_uthread_pointers(t):
    """chunks[]'s type, by structure, not by its printed name: how gdb
    prints a type depends on the current language (in assembly frames,
    "uthread *[4096]" without "struct")."""
    t = t.strip_typedefs()
    if t.code != gdb.TYPE_CODE_ARRAY:
        return False
    p = t.target().strip_typedefs()
    if p.code != gdb.TYPE_CODE_PTR:
        return False
    s = p.target().strip_typedefs()
    return s.code == gdb.TYPE_CODE_STRUCT and s.tag == "uthread"


def _find_registry():
    """(chunks symbol, nslots symbol, chunk0 symbol, objfile), or raise."""
    if not gdb.selected_inferior().threads():
        raise RegistryNotFound(
            "uthread: the program is not running (start it, attach to it "
            "or load a core file first).")
    libs = []
    for objfile in gdb.objfiles():
        try:
            chunks = objfile.lookup_static_symbol("chunks")
        except AttributeError:  # gdb before 10
            raise RegistryNotFound(
                "uthread: this gdb is too old (Objfile.lookup_static_symbol "
                "needs gdb 10 or later).")
        if (chunks is not None and chunks.symtab is not None and
                chunks.symtab.filename.endswith("registry.c") and
                _is_array_of_uthread_pointers(chunks.type)):
            nslots = objfile.lookup_static_symbol("nslots")
            chunk0 = objfile.lookup_static_symbol("chunk0")
            if nslots is None or chunk0 is None:
                raise RegistryNotFound(
                    "uthread: %s has chunks[] but not nslots or chunk0: a "
                    "libuthread this script does not know." % objfile.filename)
            return chunks, nslots, chunk0, objfile
        if _is_libuthread(objfile):
            libs.append(objfile.filename)
    if libs:
        raise RegistryNotFound(
            "uthread: libuthread is loaded (%s) but gdb has no debug "
            "information for its registry (uthread/registry.c): build it "
            "with -g (the default CFLAGS do) and do not strip it."
            % ", ".join(libs))
    raise RegistryNotFound(
        "uthread: libuthread is not loaded in this program (no objfile "
        "named libuthread*; a program linked with libuthread.a needs the "
        "library's debug information too).")


def _state_names(block):
    try:
        enum = gdb.lookup_type("enum uthread__state", block)
    except gdb.error:
        return dict(enumerate(_FALLBACK_STATES))
    return {f.enumval: f.name.replace("UTHREAD__", "") for f in enum.fields()}


def _glibc_sizes(objfile):
    """(sizeof struct pthread, static TLS size) as glibc/probe.c found them."""
    g = objfile.lookup_global_symbol("uthread__glibc")
    if g is None:
        return None
    v = g.value()
    return int(v["sizeof_pthread"]), int(v["tls_static_size"])


def _gdb_threads():
    """Kernel tid -> (gdb thread number, name) for the threads gdb knows."""
    out = {}
    for th in gdb.selected_inferior().threads():
        try:
            name = th.name
        except gdb.error:
            name = None
        out[th.ptid[1]] = (th.num, name)
    return out


def _size(n):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            if n % (1 << shift) == 0:
                return "%d %s" % (n >> shift, unit)
            return "%.2f %s" % (n / (1 << shift), unit)
    return "%d B" % n


def registry_entries():
    """Every slot in use, as dicts: slot, handle, state, tid, blk fields."""
    chunks_sym, nslots_sym, chunk0_sym, objfile = _find_registry()
    states = _state_names(chunks_sym.symtab.static_block())
    per_chunk = chunk0_sym.type.range()[1] + 1
    try:
        nslots = int(nslots_sym.value())
        chunks = chunks_sym.value()
    except gdb.MemoryError as e:
        raise RegistryNotFound("uthread: cannot read the registry: %s" % e)
    entries = []
    for slot in range(1, nslots):
        chunk = chunks[slot // per_chunk]
        if int(chunk) == 0:
            continue
        t = chunk[slot % per_chunk]
        word = int(t["word"])
        state = word & 0xff
        if state == 0:
            continue
        gen = word >> 8
        e = {
            "slot": slot,
            "handle": (gen << 32) | slot,
            "state": states.get(state, "?%d" % state),
            "tid": int(t["tid"]),
            "desc": int(t.address),
            "blk": None,
        }
        blk = t["blk"]
        if int(blk) != 0:
            b = blk.dereference()
            base = int(b["map_base"])
            map_size = int(b["map_size"])
            e["blk"] = {
                "header": int(blk),
                "base": base,
                "map_size": map_size,
                "end": base + (map_size if map_size else int(b["stack_size"])),
                "guard": int(b["guard_size"]),
                "stack_top": int(b["stack_top"]),
                "tp": int(b["tp"]),
                "own": map_size != 0,
            }
        entries.append(e)
    return entries, objfile


class InfoUthreads(gdb.Command):
    """List the program's uthreads from libuthread's registry.

Usage: info uthreads [-v]

One line per slot in use: the handle (what uthread_create returned), the
kernel tid (0 once the thread is ending), the thread's name, its state
(JOINABLE, DETACHED, EXITED: ended and waiting for a join, JOINING: a
joiner waits for it, MAIN, FOREIGN: a thread uthread did not create but
that asked for its handle, ENDING: such a thread past its uthread key
destructor), gdb's number for it, and its stack: the usable
range, from the top of the guard to where the first frame began.
With -v, also each thread block's layout: guard, stack, static TLS, glibc's
struct pthread at the thread pointer, and uthread's block header.
Names come from gdb (the kernel's comm); a core file has none."""

    def __init__(self):
        super().__init__("info uthreads", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        verbose = False
        for a in args:
            if a in ("-v", "--verbose"):
                verbose = True
            else:
                raise gdb.GdbError("info uthreads: unknown argument %r "
                                   "(usage: info uthreads [-v])" % a)
        entries, objfile = registry_entries()
        known = _gdb_threads()
        pid = gdb.selected_inferior().pid
        sizes = _glibc_sizes(objfile) if verbose else None
        fmt = "%-18s %-7s %-16s %-9s %-4s %s"
        print(fmt % ("Handle", "Tid", "Name", "State", "gdb", "Stack"))
        for e in entries:
            tid = e["tid"]
            if e["state"] == "MAIN" and tid == 0:
                # Filled in by main's first uthread__self(); the initial
                # thread's tid is the pid.
                tid = pid
            num, name = known.get(tid, (None, None)) if tid else (None, None)
            b = e["blk"]
            if b:
                lo = b["base"] + b["guard"]
                stack = "0x%x-0x%x (%s%s)" % (
                    lo, b["stack_top"], _size(b["stack_top"] - lo),
                    "" if b["own"] else ", caller's memory")
            elif e["state"] == "MAIN":
                stack = "the process stack"
            else:
                stack = "-"
            print(fmt % ("0x%x" % e["handle"], tid, name or "-", e["state"],
                         num if num is not None else "-", stack))
            if verbose and b:
                self._layout(b, sizes)
        print("%d slot(s) in use; descriptors in %s" %
              (len(entries), objfile.filename))

    @staticmethod
    def _layout(b, sizes):
        rows = []
        if b["guard"]:
            rows.append((b["base"], b["base"] + b["guard"], "guard (PROT_NONE)"))
        rows.append((b["base"] + b["guard"], b["stack_top"],
                     "stack, grows down from its top"))
        rows.append((b["stack_top"], b["tp"],
                     "static TLS, below the thread pointer (glibc's static "
                     "TLS size: %d B)" % sizes[1] if sizes else "static TLS"))
        tcb_end = b["tp"] + sizes[0] if sizes else None
        if tcb_end:
            rows.append((b["tp"], tcb_end,
                         "struct pthread at the thread pointer (%d B)" % sizes[0]))
            if b["header"] > tcb_end:
                rows.append((tcb_end, b["header"], "padding"))
        rows.append((b["header"], b["end"],
                     "struct uthread__block, uthread's header"))
        for lo, hi, what in rows:
            print("    0x%x-0x%x %10d  %s" % (lo, hi, hi - lo, what))


InfoUthreads()
