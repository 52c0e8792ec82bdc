"""Optional timing of the sweep's phases (recompute steps, queueing), for bench/retention.py.

Off unless a caller opens `recording()`: `phase(name)` then adds the wall and CPU seconds of
its block to the list `recording()` yields. CPU seconds are this process's (the client) plus,
on PostgreSQL, the server backend's when the caller gives `backend_cpu` (a function returning
the backend's CPU seconds so far). Writes nothing anywhere: there is no crash story.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class Phase:
    name: str
    wall_s: float
    cpu_s: float  # this process
    server_cpu_s: float | None  # the database backend (PostgreSQL), when measured


_active: list[Phase] | None = None
_backend_cpu: Callable[[], float] | None = None


@contextmanager
def recording(backend_cpu: Callable[[], float] | None = None) -> Iterator[list[Phase]]:
    """Record the phases run inside the block into the yielded list."""
    global _active, _backend_cpu
    phases: list[Phase] = []
    _active, _backend_cpu = phases, backend_cpu
    try:
        yield phases
    finally:
        _active, _backend_cpu = None, None


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block when a recording is open; otherwise do nothing. A name starting with a
    space marks a part of the phase that encloses it."""
    phases, server = _active, _backend_cpu
    if phases is None:
        yield
        return
    wall, cpu = time.perf_counter(), time.process_time()
    server_before = server() if server else None
    try:
        yield
    finally:
        server_s = server() - server_before if server and server_before is not None else None
        phases.append(Phase(name, time.perf_counter() - wall, time.process_time() - cpu, server_s))
