"""One-shot commands: their modules loaded without garbage collection, and the process left at
once after the command has closed everything it opened.

Python's own exit, after the command, tears every module down and frees every object one by
one: after `edrm ingest` of one file (SQLAlchemy, pydantic, numpy and some 700 modules
loaded) that costs 0.2-0.3 s of CPU, a fifth of the whole command, and does nothing the
command needs. A command listed in the group's `lean_exit` (`edrm/cli/__init__.py`) closes
what it opened itself (its runtime, database connections, worker and readers) before it
returns, so after it the process does what Python's exit does first, in the same order —
wait for the threads that are not daemons and run their exit hooks (`threading._shutdown`),
run the `atexit` functions (logging's flush, multiprocessing's children, temporary folders'
finalizers), flush stdout and stderr — and then ends with the same exit status
(`os._exit`), skipping the tear-down. When any of that cannot be done as Python would (a
private hook missing, an exit status that is not a number, a flush that fails) the normal
exit runs instead, so the outcome is the same either way.

The same commands import their modules (SQLAlchemy, every table's model, pydantic's config
schemas: some 700 modules) with the cyclic garbage collector paused: a module's objects
live as long as the process, yet the collector walks them again and again while they pile
up (some 250 collections, 0.1 s of CPU, before the first file is read). When the command's
module is loaded, what it made is frozen (`gc.freeze`: kept out of later collections, as it
would survive them anyway) and the collector runs again for the command's own work.

Only the real entry point leaves this way (`LazyGroup.__call__`, what the console script and
`python -m edrm` call); click's test runner calls `main.main()` and is never ended by it.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def loading_without_collection() -> Iterator[None]:
    """Import inside: the cyclic collector waits, and what was made is then frozen."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def leave(code: Any) -> None:
    """End the process now with `code` (a SystemExit's), as Python's exit would; returns only
    when the normal exit must run instead."""
    if code is None:
        code = 0
    if not isinstance(code, int) or isinstance(code, bool):
        return  # Python prints such a code: leave it to Python
    shutdown = getattr(threading, "_shutdown", None)
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if shutdown is None or run_exit_functions is None:
        return
    if threading.current_thread() is not threading.main_thread():
        return
    shutdown()
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except Exception:  # e.g. a closed pipe: Python's exit reports it as it always has
            return
    os._exit(code & 0xFF)
