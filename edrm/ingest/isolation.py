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


def _close_inherited(keep: int) -> None:
    """Close every descriptor the fork copied from the parent but our own pipe (and stdio):
    listening sockets, database connections and other children's pipes must not be held open
    by the reader, or their owners wait for an end-of-file that never comes."""
    try:
        limit = os.sysconf("SC_OPEN_MAX")
    except (ValueError, OSError):
        limit = 4096
    os.closerange(3, keep)
    os.closerange(keep + 1, limit)


def _limit_child(conn: Connection, memory: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _close_inherited(conn.fileno())
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...], memory: int) -> None:
    _limit_child(conn, memory)
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
        return payload
    if kind == "rejected":
        reason, message = payload
        raise RejectedInputError(reason, message)
    raise RuntimeError(payload)


def _serve(conn: Connection, memory: int) -> None:
    """The loop of a persistent isolated child: run each task sent, answer, repeat."""
    _limit_child(conn, memory)
    while True:
        try:
            fn, args = conn.recv()
        except (EOFError, OSError):
            os._exit(0)
        try:
            conn.send(("ok", fn(*args)))
        except RejectedInputError as exc:
            conn.send(("rejected", (exc.reason, str(exc))))
        except MemoryError:
            conn.send(("rejected", ("bomb", "reading it needed more memory than allowed")))
        except BaseException as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))


class IsolatedRunner:
    """Like run_isolated, but one forked child serves many tasks (forking costs ~25 ms a
    file). The child is replaced after a failure, a time-out, a crash or `max_tasks` tasks."""

    def __init__(self, memory_bytes: int = 0, max_tasks: int = 500) -> None:
        self.memory_bytes = memory_bytes
        self.max_tasks = max_tasks
        self._process: Any = None
        self._conn: Connection | None = None
        self._tasks = 0

    def _ensure(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._tasks < self.max_tasks:
            assert self._conn is not None
            return self._conn
        self.close()
        parent, child = _CONTEXT.Pipe(duplex=True)
        self._process = _CONTEXT.Process(
            target=_serve, args=(child, self.memory_bytes), daemon=True
        )
        self._process.start()
        child.close()
        self._conn, self._tasks = parent, 0
        return parent

    def run(self, fn: Callable[..., T], *args: Any, timeout: float) -> T:
        conn = self._ensure()
        self._tasks += 1
        conn.send((fn, args))
        if not conn.poll(timeout):
            self.close()
            raise RejectedInputError(
                "timeout", f"reading it took longer than the {timeout:.0f} s allowed"
            )
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            code = self._process.exitcode if self._process is not None else None
            self.close()
            raise RejectedInputError(
                "corrupt", f"the reader crashed on it (exit code {code})"
            ) from None
        if kind == "ok":
            return payload
        self.close()  # a fresh child after anything odd
        if kind == "rejected":
            reason, message = payload
            raise RejectedInputError(reason, message)
        raise RuntimeError(payload)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
            self._process = None
