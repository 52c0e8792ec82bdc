"""How many malloc arenas a long-running process keeps (glibc only).

glibc gives each thread that meets contention an arena of its own, up to eight per core, and
frees little of it back: a server with a thread pool, tantivy's writer threads and the ingest
reader threads fragments them, and its memory creeps up under a steady load (bench/soak.py
measures it: on raw tantivy, 6,000 commits grew the process to 144 MB with glibc's default and
to 52 MB with two arenas and the index reopened every few hundred commits). `edrm serve`,
`edrm worker` and `edrm scheduler` ask for two arenas at start, before their threads run;
anywhere else (musl, macOS, or MALLOC_ARENA_MAX already set by the operator) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

ARENAS = 2
_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


def limit_malloc_arenas(count: int = ARENAS) -> bool:
    """Ask glibc for at most `count` arenas; True when it agreed. An operator's own
    MALLOC_ARENA_MAX wins (glibc read it at start)."""
    if "MALLOC_ARENA_MAX" in os.environ or platform.libc_ver()[0] != "glibc":
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(_M_ARENA_MAX, count))
    except (OSError, AttributeError):
        return False
