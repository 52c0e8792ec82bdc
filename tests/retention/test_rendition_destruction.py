"""Destroyed with the record (issue 17 part 1): approved destruction removes every version,
every rendition and every preview; a rendition whose bytes a live record's rendition shares
is kept."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from edrm import clock
from edrm.documents.models import Document
from edrm.errors import GoneError
from edrm.renditions.models import Rendition
from edrm.renditions.service import open_rendition
from edrm.runtime import Runtime
from retention.execution import execute_approved
from tests.conftest import World, file_text
from tests.retention.disposal_helpers import (
    approve,
    queue,
    store_preview,
    with_records_management,
)


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def store_rendition(rt: Runtime, document_id: int, data: bytes) -> str:
    """Give the document's latest version a rendition (as the ingest pipeline does)."""
    stored = rt.blobs.put_bytes(data)
    with rt.uow() as s:
        doc = s.get(Document, document_id)
        assert doc is not None
        s.add(
            Rendition(
                document_id=doc.id,
                version_id=doc.latest.id,
                kind="pdfa",
                sha256=stored.sha256,
                size=stored.size,
                created_at=clock.now(),
            )
        )
    return stored.sha256


def test_destruction_removes_every_version_every_rendition_and_every_preview(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 5512 scanned")
        versions = [v.sha256 for v in s.get(Document, doc_id).versions]  # type: ignore[union-attr]
    rendition = store_rendition(rt, doc_id, b"%PDF-1.7 the searchable PDF/A of invoice 5512")
    preview = store_preview(rt, doc_id, b"\x89PNG preview of invoice 5512")
    item = queue(rt, doc_id)
    approve(rt, [item], recman)

    result = execute_approved(rt, actor=recman)

    assert result.finished == [item] and not result.failed
    assert not any(rt.blobs.exists(sha) for sha in [*versions, rendition, preview])
    with rt.uow() as s:
        assert list(s.scalars(select(Rendition).where(Rendition.document_id == doc_id))) == []
        with pytest.raises(GoneError):
            open_rendition(s, rt.blobs, doc_id, "pdfa", recman)


def test_a_rendition_shared_with_a_live_record_is_kept(rm: World) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    with rt.uow() as s:
        doomed = file_text(s, rt, "FIN-AP-INV", "Invoice 6613 scanned")
        live = file_text(s, rt, "FIN-AP-INV", "Invoice 6613 scanned again")
    same = b"%PDF-1.7 the same rendition bytes"
    sha = store_rendition(rt, doomed, same)
    assert store_rendition(rt, live, same) == sha
    item = queue(rt, doomed)
    approve(rt, [item], recman)

    assert execute_approved(rt, actor=recman).finished == [item]

    assert rt.blobs.exists(sha)
    with rt.uow() as s:
        _doc, found = open_rendition(s, rt.blobs, live, "pdfa", recman)
        assert found.sha256 == sha
