"""Running a parser on untrusted bytes in a child process with a time limit.

A hostile file can make a C library loop, exhaust memory or crash; in a child the worker only
sees a clear failure. The child is forked (no re-import), so it costs milliseconds.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from edrm.ingest.types import RejectedInputError

T = TypeVar("T")
_CONTEXT = mp.get_context("fork")


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], memory: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        conn.send(("ok", fn(*args)))
    except RejectedInputError as exc:
        conn.send(("rejected", (exc.reason, str(exc))))
    except MemoryError:
        conn.send(("rejected", ("bomb", "reading it needed more memory than allowed")))
    except BaseException as exc:  # anything else is reported, never raised in the worker
        conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))
    finally:
        conn.close()
        os._exit(0)


def run_isolated(fn: Callable[..., T], *args: Any, timeout: float, memory_bytes: int = 0) -> T:
    """fn(*args) in a forked child. Raises RejectedInputError for a rejection, a time-out
    ("timeout") or a crash of the child ("corrupt"); RuntimeError for an unexpected error."""
    parent, child = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_child, args=(child, fn, args, memory_bytes), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(timeout):
            raise RejectedInputError(
                "timeout", f"reading it took longer than the {timeout:.0f} s allowed"
            )
        try:
            kind, payload = parent.recv()
        except EOFError:
            process.join(1)
            raise RejectedInputError(
                "corrupt", f"the reader crashed on it (exit code {process.exitcode})"
            ) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        parent.close()
    if kind == "ok":
        return payload  # type: ignore[no-any-return]
    if kind == "rejected":
        reason, message = payload
        raise RejectedInputError(reason, message)
    raise RuntimeError(payload)
