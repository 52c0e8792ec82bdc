"""The one place that names concrete adapters: engine, sessions, blob store, search engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import edrm.models  # noqa: F401  (every table, and the outbox's session hook)
from edrm.db import engine_from_settings, session_factory, unit_of_work
from edrm.documents import guards
from edrm.settings import Settings
from edrm.storage import BlobStore
from retention.execution import refuse_if_destroyed
from retention.holds import refuse_if_held
from search.base import SearchBackend

# While a legal hold covers a document, the document services refuse to change it.
guards.register(refuse_if_held)
# A destroyed record is a residual stub: nothing about it may change any more.
guards.register(refuse_if_destroyed)


@dataclass
class Runtime:
    """What an entry point needs to serve one request, command or job."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    _search: SearchBackend | None = field(default=None, repr=False)
    _search_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def uow(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session

    @property
    def search(self) -> SearchBackend:
        """The search engine chosen in settings (opened on first use)."""
        with self._search_lock:
            if self._search is None:
                self._search = make_search_backend(self.settings)
            return self._search

    def close(self) -> None:
        if self._search is not None:
            self._search.close()
            self._search = None
        self.engine.dispose()


def make_search_backend(settings: Settings) -> SearchBackend:
    if settings.search_backend == "elasticsearch":
        from search.elastic_backend import ElasticBackend  # type: ignore[import-not-found]

        return ElasticBackend(settings.elasticsearch_url)  # type: ignore[no-any-return]
    from search.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir)


def build_runtime(settings: Settings) -> Runtime:
    engine = engine_from_settings(settings)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        blobs=BlobStore(settings.blob_dir),
    )
