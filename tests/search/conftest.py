"""The `backend` fixture: every conformance test runs on each engine.

tantivy always; Elasticsearch too when EDRM_TEST_ELASTICSEARCH_URL is set, through
`search.elastic_backend.ElasticBackend(url=..., index=...)` (skipped with a reason until that
module exists). Each test gets its own empty index; `make_backend` makes more of them.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest

from search.base import IndexedDocument, SearchBackend
from tests.search.corpus import CORPUS

ES_URL = os.environ.get("EDRM_TEST_ELASTICSEARCH_URL", "")
ENGINES = ["tantivy", *(["elasticsearch"] if ES_URL else [])]

MakeBackend = Callable[[], SearchBackend]


def _tantivy(directory: Path) -> SearchBackend:
    from search.tantivy_backend import TantivyBackend

    return TantivyBackend(directory, writer_heap_bytes=20_000_000, writer_threads=1)


def _elastic() -> SearchBackend:
    try:
        module = importlib.import_module("search.elastic_backend")
    except ModuleNotFoundError as exc:
        if exc.name not in ("search.elastic_backend", "elasticsearch"):
            raise
        pytest.skip(f"Elasticsearch backend not available yet ({exc.name} is missing)")
    index = f"edrm-test-{uuid.uuid4().hex[:12]}"
    backend: SearchBackend = module.ElasticBackend(url=ES_URL, index=index)
    return backend


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_backend(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeBackend]:
    """A factory of fresh, empty backends of the engine under test (closed at the end)."""
    made: list[SearchBackend] = []

    def make() -> SearchBackend:
        backend = _tantivy(tmp_path_factory.mktemp("index")) if engine == "tantivy" else _elastic()
        made.append(backend)
        return backend

    yield make
    for backend in made:
        drop = getattr(backend, "drop", None)
        if callable(drop):
            drop()
        backend.close()


@pytest.fixture
def backend(make_backend: MakeBackend) -> SearchBackend:
    """An empty backend."""
    return make_backend()


def load(backend: SearchBackend, docs: Iterable[IndexedDocument]) -> SearchBackend:
    backend.index(docs)
    backend.commit()
    return backend


@pytest.fixture
def corpus(backend: SearchBackend) -> SearchBackend:
    """A backend holding tests.search.corpus.CORPUS."""
    return load(backend, CORPUS)
