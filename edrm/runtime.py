"""The runtime: what an entry point needs to serve one request, command or job.

A plain type of the core. It names no adapter: the composition root (`edrm.wiring`) builds it
with a concrete blob store and a search opener, and installs the change guards before any
runtime exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from edrm.audit import keep_refusal
from edrm.settings import Settings
from edrm.storage import BlobStore
from edrm.unit_of_work import unit_of_work
from search.base import SearchBackend

SearchOpener = Callable[[Settings], SearchBackend]


@dataclass
class Runtime:
    """Settings, the database engine and sessions, the blob store, and the search engine."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    open_search: SearchOpener
    _search: SearchBackend | None = field(default=None, repr=False)
    _search_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def uow(self) -> Iterator[Session]:
        """One unit of work (`edrm.unit_of_work`); a refusal that carries an audit note is
        audited in a transaction of its own after the work rolled back."""
        try:
            with unit_of_work(self.sessions) as session:
                yield session
        except BaseException as exc:
            keep_refusal(self.sessions, exc)
            raise

    @property
    def search(self) -> SearchBackend:
        """The search engine chosen in settings (opened on first use)."""
        with self._search_lock:
            if self._search is None:
                self._search = self.open_search(self.settings)
            return self._search

    def close(self) -> None:
        if self._search is not None:
            self._search.close()
            self._search = None
        self.engine.dispose()
