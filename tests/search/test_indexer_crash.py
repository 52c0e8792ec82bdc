"""Kill the indexer between commit and apply; restart; the index matches the database.

The indexer runs as a real, separate OS process (`CHILD` below, on the test's data directory
and database) and is SIGKILLed at a crash point. The crash points are hooked in the child
process itself (it wraps `TantivyBackend.commit`), so the product carries no test-only code:

- `after-engine-commit`: tantivy has committed a batch but the outbox rows are not yet marked
  done (the dangerous window: on restart the same rows are applied again);
- `before-engine-commit`: mid-batch, the batch's changes are in tantivy's writer but not
  committed (they are lost with the process; the rows are still pending).

Then an indexer starts again, normally, in a new process, and the index must equal what the
database says: the same documents, once each, with their current title, class and marking, and
every person finds exactly the documents the access module lets them see. tantivy's writer lock
file, left behind by the killed process, must not stop the restart.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from edrm.access import SYSTEM, may_see_document, visibility_for
from edrm.documents.models import Document, DocumentVersion
from edrm.documents.service import move_document, update_metadata
from edrm.outbox import OutboxEntry
from edrm.search_indexer import apply_outbox, indexed_document, pending
from search.base import SearchQuery, Visibility
from search.tantivy_backend import TantivyBackend
from search.tantivy_store import WRITER_LOCK, read_pointer, writer_locked
from tests.conftest import World, file_text

ROOT = Path(__file__).resolve().parents[2]
BATCH = 3  # outbox rows per batch: the changes below span several batches

# The indexer process. argv: crash point ("none", "after-engine-commit",
# "before-engine-commit"), the engine commit (1, 2, ...) to die at, the batch size.
CHILD = r"""
import json, os, signal, sys

from edrm.wiring import build_runtime
from edrm.search_indexer import apply_outbox
from edrm.settings import load_settings
from search.tantivy_backend import TantivyBackend

point, at_commit, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
seen = {"commits": 0, "indexed": [], "deleted": []}
real_index, real_delete, real_commit = (
    TantivyBackend.index, TantivyBackend.delete, TantivyBackend.commit
)


def index(self, docs):
    docs = list(docs)
    seen["indexed"] = sorted(d.id for d in docs)
    real_index(self, docs)


def delete(self, ids):
    ids = list(ids)
    seen["deleted"] = sorted(ids)
    real_delete(self, ids)


def die():
    print(json.dumps({"died": point, **seen}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def commit(self):
    seen["commits"] += 1
    if point == "before-engine-commit" and seen["commits"] == at_commit:
        die()
    real_commit(self)
    if point == "after-engine-commit" and seen["commits"] == at_commit:
        die()
    seen["indexed"], seen["deleted"] = [], []


TantivyBackend.index, TantivyBackend.delete, TantivyBackend.commit = index, delete, commit
runtime = build_runtime(load_settings())
applied = apply_outbox(runtime.sessions, runtime.search, batch=batch)
runtime.close()
print(json.dumps({"applied": applied}), flush=True)
"""


def run_indexer(world: World, point: str = "none", at_commit: int = 0) -> dict[str, Any]:
    """Run the indexer in its own process; returns what it printed last (as JSON)."""
    settings = world.runtime.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env.update(
        EDRM_HOME=str(settings.home),
        EDRM_DATABASE_URL=settings.database_url,
        EDRM_SECRET_KEY="test-secret-key",
        EDRM_SEARCH_BACKEND="tantivy",
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(at_commit), str(BATCH)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if point == "none":
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    assert lines, done.stderr
    report: dict[str, Any] = json.loads(lines[-1])
    return report


Entry = tuple[int, str, str, str]  # id, title, class code, marking


def index_state(world: World) -> list[Entry]:
    """Every document in the index (a fresh reader, as a restarted service would open)."""
    with TantivyBackend(world.runtime.settings.index_dir) as backend:
        query = SearchQuery(
            "", Visibility.everything(), per_page=1000, facets=(), highlight=False, sort="date"
        )
        result = backend.search(query)
        assert result.total == len(result.hits) == backend.count()
        return sorted((h.id, h.title, h.class_code, h.marking) for h in result.hits)


def database_state(world: World) -> list[Entry]:
    with world.runtime.uow() as s:
        docs = [indexed_document(d, "") for d in s.scalars(select(Document))]
    return sorted((d.id, d.title, d.class_code, d.marking) for d in docs)


def pending_documents(world: World) -> set[int]:
    with world.runtime.uow() as s:
        return set(s.scalars(select(OutboxEntry.document_id).where(OutboxEntry.done_at.is_(None))))


def change_everything(world: World) -> None:
    """After a first complete indexing: new documents, renames, a raised marking, a move and a
    deletion, each noted in the outbox."""
    rt, docs = world.runtime, world.docs
    with rt.uow() as s:
        for n in range(4):
            docs[f"new{n}"] = file_text(s, rt, "FIN-AP-INV-2024", f"Invoice {2000 + n} from Gamma")
        update_metadata(s, docs["invoice"], {"title": "Invoice 1001 from Acme Ltd (corrected)"})
        update_metadata(s, docs["old"], {"title": "Invoice 17 from Beta plc, paid"})
        update_metadata(s, docs["new1"], {"marking": "SECRET"}, actor=SYSTEM)
        move_document(s, docs["new2"], "SEC-OPS-INC")
        gone = docs.pop("discipline")
        s.execute(delete(DocumentVersion).where(DocumentVersion.document_id == gone))
        s.delete(s.get_one(Document, gone))


def assert_index_matches_database(world: World) -> None:
    assert index_state(world) == database_state(world)
    with world.runtime.uow() as s:
        assert pending(s) == 0
        documents = list(s.scalars(select(Document)))
        with TantivyBackend(world.runtime.settings.index_dir) as backend:
            for person in world.people.values():
                query = SearchQuery("", visibility_for(s, person), per_page=1000, facets=())
                found = sorted(h.id for h in backend.search(query).hits)
                allowed = sorted(d.id for d in documents if may_see_document(person, d))
                assert found == allowed, person.username


@pytest.mark.parametrize(
    ("point", "at_commit"),
    [("after-engine-commit", 2), ("before-engine-commit", 1), ("before-engine-commit", 2)],
)
def test_an_indexer_killed_mid_apply_converges_on_restart(
    world: World, point: str, at_commit: int
) -> None:
    with world.runtime.uow() as s:
        waiting = pending(s)
    with TantivyBackend(world.runtime.settings.index_dir) as backend:  # a first, full pass
        assert apply_outbox(world.runtime.sessions, backend) == waiting  # every row, once
    assert_index_matches_database(world)
    before = index_state(world)
    change_everything(world)
    changed = pending_documents(world)
    assert database_state(world) != before

    died = run_indexer(world, point, at_commit)
    assert died["died"] == point
    in_flight = set(died["indexed"]) | set(died["deleted"])
    assert in_flight, "the indexer died with a batch in hand"
    after_crash = index_state(world)
    by_id = {entry[0]: entry for entry in after_crash}
    expected = {entry[0]: entry for entry in database_state(world)}
    # the rows of the batch in hand are all still pending, whatever the engine did
    assert in_flight <= pending_documents(world) <= changed
    if point == "after-engine-commit":
        # the engine has the batch: the index already shows it, the outbox does not know
        for doc_id in in_flight:
            assert by_id.get(doc_id) == expected.get(doc_id), doc_id
    else:
        # the batch died in the writer: nothing of it reached the index
        assert after_crash != database_state(world)
        if at_commit == 1:
            assert after_crash == before

    index_dir = world.runtime.settings.index_dir
    generation = index_dir / str(read_pointer(index_dir))
    assert (generation / WRITER_LOCK).exists(), "the killed writer's lock file is left behind"
    assert not writer_locked(generation)

    with world.runtime.uow() as s:
        waiting = pending(s)
    assert run_indexer(world)["applied"] == waiting  # the restart applies what is left, once
    assert_index_matches_database(world)


def test_a_restart_after_a_crash_before_any_commit_indexes_everything(world: World) -> None:
    """The very first indexing dies before its first commit: the restart indexes it all."""
    died = run_indexer(world, "before-engine-commit", 1)
    assert set(died["indexed"]) <= pending_documents(world)
    assert index_state(world) == []
    run_indexer(world)
    assert_index_matches_database(world)
