"""The rendition on the document page and the API (issue 17 part 1): kind, checksum, size and
date shown, the download asked of the access module (what may not be seen answers as what
does not exist) and audited; the preview of a scan opens its searchable PDF/A."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.audit import AuditEvent
from edrm.ingest import jobs
from edrm.ingest.worker import Worker
from edrm.renditions.models import Rendition
from tests.conftest import World, sign_in
from tests.ingest import fixtures as fx
from tests.test_api_style import bearer

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def scanned(world: World) -> Iterator[tuple[World, int, Rendition]]:
    """A scanned invoice filed by the clerk (OFFICIAL) and an OFFICIAL-SENSITIVE one."""
    rt = world.runtime
    batch = jobs.new_batch()
    with rt.uow() as s:
        for name, marking in (("invoice.png", None), ("bank.png", "OFFICIAL-SENSITIVE")):
            lines = ["Supplier invoice INV-8812", f"Scanned copy {name}"]
            jobs.submit(
                s,
                rt.blobs,
                io.BytesIO(fx.image_bytes(fx.text_image(lines), "PNG")),
                name,
                jobs.Submission(
                    submitted_by="clerk" if marking is None else "analyst",
                    source="upload",
                    batch=batch,
                    into_code="FIN-AP-INV",
                    marking=marking,
                ),
            )
    with Worker(rt) as worker:
        done = {j.original_name: j for j in worker.drain(batch)}
    with rt.uow() as s:
        found = {r.document_id: r for r in s.scalars(select(Rendition))}
        s.expunge_all()
    world.docs["bank-scan"] = done["bank.png"].document_id or 0
    doc_id = done["invoice.png"].document_id or 0
    yield world, doc_id, found[doc_id]


def test_the_document_page_shows_the_rendition_and_downloads_it(
    scanned: tuple[World, int, Rendition], client: FlaskClient
) -> None:
    world, doc_id, rendition = scanned
    sign_in(client, "clerk")
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "Renditions" in page and "Searchable PDF/A-2b" in page
    assert f"SHA-256 {rendition.sha256[:16]}" in page and f"{rendition.size:,} bytes" in page
    link = f"/documents/{doc_id}/renditions/pdfa/download"
    assert f'href="{link}"' in page
    answer = client.get(link)
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert answer.data == world.runtime.blobs.read_bytes(rendition.sha256)
    assert "invoice.pdfa.pdf" in answer.headers["Content-Disposition"]
    with world.runtime.uow() as s:
        downloads = list(
            s.scalars(select(AuditEvent.details).where(AuditEvent.action == "document.download"))
        )
    assert any(json.loads(d).get("rendition") == "pdfa" for d in downloads)


def test_a_rendition_of_a_record_one_may_not_see_answers_as_if_it_did_not_exist(
    scanned: tuple[World, int, Rendition], client: FlaskClient
) -> None:
    world, _doc_id, _ = scanned
    hidden = world.docs["bank-scan"]
    sign_in(client, "clerk")  # OFFICIAL clearance: the sensitive scan is not theirs to see
    assert client.get(f"/documents/{hidden}/renditions/pdfa/download").status_code == 404
    assert client.get(f"/documents/{hidden}/renditions/nonsense/download").status_code == 404


def test_the_api_document_lists_its_renditions_and_streams_one(
    scanned: tuple[World, int, Rendition], client: FlaskClient
) -> None:
    world, doc_id, rendition = scanned
    auth = bearer(world, "clerk", "read")
    document = client.get(f"/api/v1/documents/{doc_id}", headers=auth).get_json()
    assert document["renditions"] == [rendition.describe()]
    listed = client.get(f"/api/v1/documents/{doc_id}/renditions", headers=auth).get_json()
    pdfa = [item for item in listed["items"] if item["kind"] == "pdfa"]
    assert pdfa and pdfa[0]["sha256"] == rendition.sha256
    answer = client.get(f"/api/v1/documents/{doc_id}/renditions/pdfa", headers=auth)
    assert answer.status_code == 200
    assert answer.data == world.runtime.blobs.read_bytes(rendition.sha256)
