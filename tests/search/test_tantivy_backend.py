"""What only the tantivy backend has: its directory of generations, schema-version file, writer
lock, and other processes (here: other backend instances) sharing the index."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from search.base import SearchBackend, SearchError, SearchQuery
from search.tantivy_backend import TantivyBackend
from search.tantivy_store import META, POINTER, read_pointer
from tests.search.corpus import CORPUS, EVERYTHING, make_doc


def backend_at(directory: Path) -> TantivyBackend:
    return TantivyBackend(directory, writer_heap_bytes=20_000_000, writer_threads=1)


def total(backend: SearchBackend, text: str) -> int:
    return backend.search(SearchQuery(text, EVERYTHING)).total


@pytest.fixture
def built(tmp_path: Path) -> Path:
    """A directory holding a complete index of the corpus."""
    with backend_at(tmp_path) as backend:
        backend.rebuild(CORPUS)
    return tmp_path


def generation(directory: Path) -> Path:
    name = read_pointer(directory)
    assert name is not None
    return directory / name


def test_the_layout_is_a_pointer_to_a_generation_with_its_schema_version(built: Path) -> None:
    gen = generation(built)
    assert (built / POINTER).read_text().strip() == gen.name
    meta = json.loads((gen / META).read_text())
    assert meta == {
        "schema_version": TantivyBackend.SCHEMA_VERSION,
        "complete": True,
        "documents": len(CORPUS),
    }
    assert (gen / "meta.json").exists()  # tantivy's own
    assert [p.name for p in built.glob("gen-*")] == [gen.name]


def test_an_index_of_an_older_schema_is_detected(built: Path) -> None:
    meta_path = generation(built) / META
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "schema_version": TantivyBackend.SCHEMA_VERSION - 1}))
    with backend_at(built) as backend:
        assert backend.schema_version() == TantivyBackend.SCHEMA_VERSION - 1
        assert backend.needs_rebuild()
        assert total(backend, "flood") > 0  # still answers until it is rebuilt
        backend.rebuild(CORPUS)
        assert not backend.needs_rebuild()
        assert backend.schema_version() == TantivyBackend.SCHEMA_VERSION


def test_a_missing_schema_file_is_detected(built: Path) -> None:
    (generation(built) / META).unlink()
    with backend_at(built) as backend:
        assert backend.schema_version() == 0
        assert backend.needs_rebuild()


def test_a_corrupt_index_is_detected_and_rebuilt(built: Path) -> None:
    (generation(built) / "meta.json").write_text("{ not json")
    with backend_at(built) as backend:
        assert backend.needs_rebuild()
        with pytest.raises(SearchError, match="rebuild"):
            total(backend, "flood")
        backend.rebuild(CORPUS)
        assert not backend.needs_rebuild()
        assert total(backend, "flood") == 8


def test_a_rebuild_removes_older_generations(built: Path) -> None:
    old = generation(built)
    with backend_at(built) as backend:
        backend.rebuild(CORPUS[:3])
        assert not old.exists()
        assert backend.count() == 3
        assert [p.name for p in built.glob("gen-*")] == [generation(built).name]


def test_a_failed_rebuild_leaves_no_partial_generation(built: Path) -> None:
    def docs():  # type: ignore[no-untyped-def]
        yield CORPUS[0]
        raise RuntimeError("boom")

    with backend_at(built) as backend, pytest.raises(RuntimeError):
        backend.rebuild(docs())
    assert len(list(built.glob("gen-*"))) == 1


def test_another_process_sees_a_rebuild_swapped_in(built: Path) -> None:
    with backend_at(built) as reader, backend_at(built) as writer:
        assert total(reader, "flood") == 8
        writer.rebuild([make_doc(1, "Alpha", "alpha only")])
        assert total(reader, "flood") == 0
        assert total(reader, "alpha") == 1
        assert not reader.needs_rebuild()


def test_another_process_sees_commits(built: Path) -> None:
    with backend_at(built) as reader, backend_at(built) as writer:
        assert total(reader, "alpha") == 0
        writer.index([make_doc(100, "Alpha", "alpha only")])
        writer.commit()
        deadline = time.monotonic() + 10
        while total(reader, "alpha") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert total(reader, "alpha") == 1


def test_there_is_one_writer(built: Path) -> None:
    with backend_at(built) as first, backend_at(built) as second:
        first.index([make_doc(100, "Alpha", "alpha only")])
        assert total(second, "flood") == 8  # reading needs no writer
        with pytest.raises(SearchError, match="another process"):
            second.index([make_doc(101, "Beta", "beta only")])
        first.commit()


def test_uncommitted_changes_to_a_replaced_index_are_refused(built: Path) -> None:
    with backend_at(built) as indexer, backend_at(built) as rebuilder:
        indexer.index([make_doc(100, "Alpha", "alpha only")])
        rebuilder.rebuild(CORPUS)
        with pytest.raises(SearchError, match="apply those changes again"):
            indexer.commit()
        indexer.index([make_doc(100, "Alpha", "alpha only")])
        indexer.commit()
        assert total(indexer, "alpha") == 1


def test_a_commit_with_nothing_pending_after_a_swap_is_harmless(built: Path) -> None:
    with backend_at(built) as indexer, backend_at(built) as rebuilder:
        indexer.index([make_doc(100, "Alpha", "alpha only")])
        indexer.commit()
        rebuilder.rebuild(CORPUS)
        indexer.commit()
        indexer.index([make_doc(101, "Beta", "beta only")])
        indexer.commit()
        assert total(indexer, "beta") == 1
        assert total(indexer, "alpha") == 0  # the rebuild did not have it


def test_a_closed_backend_refuses_work(tmp_path: Path) -> None:
    backend = backend_at(tmp_path)
    backend.close()
    with pytest.raises(SearchError, match="closed"):
        total(backend, "flood")


def test_uncommitted_changes_are_not_searchable(tmp_path: Path) -> None:
    with backend_at(tmp_path) as backend:
        backend.index(CORPUS)
        assert backend.count() == 0
        backend.commit()
        assert backend.count() == len(CORPUS)


def test_reindexing_the_same_id_twice_in_one_batch_keeps_the_last(tmp_path: Path) -> None:
    with backend_at(tmp_path) as backend:
        backend.index([make_doc(1, "First", "one"), make_doc(1, "Second", "two")])
        backend.commit()
        assert backend.count() == 1
        assert total(backend, "second") == 1


def test_an_index_reopened_after_many_commits_keeps_every_change_and_takes_more(
    tmp_path: Path,
) -> None:
    """Issue 14 part 5 (the soak): every `reopen_every` commits the index and its writer are
    opened afresh, to let go of the memory a long-lived index object holds on to. Nothing
    committed is lost, the writer's lock is free for the next write, and searches go on."""
    with TantivyBackend(tmp_path, writer_heap_bytes=20_000_000, reopen_every=2) as backend:
        for n in range(1, 6):  # reopened after the 2nd and the 4th commit
            backend.index([make_doc(n, f"Record {n}", f"culvert inspection {n}")])
            backend.commit()
            assert backend.count() == n
        backend.index([make_doc(1, "Record 1", "bridge survey")])
        backend.delete([2])
        backend.commit()
        assert (total(backend, "culvert"), total(backend, "bridge")) == (3, 1)
