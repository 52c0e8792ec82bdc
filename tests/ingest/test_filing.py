"""The file step's trust rules, on real files through the real pipeline: a derived document (an
e-mail's attachment, any child job) is never more open than its parent, and duplicate detection
reports only documents the uploader may see."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.access import may_see_document
from edrm.audit.chain import AuditEvent
from edrm.documents.models import Document, DocumentVersion
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import import_rows
from edrm.ingest import jobs
from edrm.ingest.models import IngestJob
from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from edrm.search_indexer import apply_outbox
from tests.conftest import PASSWORD, SMALL_PLAN_CSV, Cli, World, add_person, sign_in
from tests.ingest import fixtures as fx

SECRET_BODY = (
    "SECRET\n\n"
    "Operation Nightjar: the intrusion report and the site notes are attached.\n"
    "Do not forward.\n\nSECRET\n"
)
INVOICE_TEXT = (
    "Tax invoice INV-20431\nInvoice number INV-20431, purchase order PO-123456.\n"
    "Subtotal 400.00, VAT 80.00, total due 480.00. Remittance to the address below.\n"
)


def _basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def worker(world: World) -> Iterator[Worker]:
    with Worker(world.runtime) as w:
        yield w


def _upload(
    client: FlaskClient, who: str, name: str, data: bytes, worker: Worker, **form: str
) -> dict[str, Any]:
    """Post one file through the API as `who`, run the queue dry; the job as the API shows it."""
    response = client.post(
        "/api/v1/documents",
        data={"files": (io.BytesIO(data), name), **form},
        headers=_basic(who),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202, response.text
    while worker.run_one():
        pass
    job = client.get(f"/api/v1/jobs/{response.json['job_id']}", headers=_basic(who)).json
    assert isinstance(job, dict)
    return job


def _children(runtime: Runtime, parent_id: int) -> list[Document]:
    with runtime.uow() as s:
        found = list(
            s.scalars(
                select(Document)
                .join(IngestJob, IngestJob.document_id == Document.id)
                .where(IngestJob.parent_document_id == parent_id)
                .order_by(Document.id)
            )
        )
        for doc in found:
            s.expunge(doc)
        return found


def _document(runtime: Runtime, document_id: int) -> Document:
    with runtime.uow() as s:
        doc = s.get(Document, document_id)
        assert doc is not None
        s.expunge(doc)
        return doc


# --- markings and access rules flow down ------------------------------------------------------


def test_an_attachment_of_a_secret_email_is_hidden_from_an_official_person_everywhere(
    client: FlaskClient, world: World, worker: Worker, cli: Cli
) -> None:
    """A real e-mail, SECRET in its text, with a PDF and a text attachment that carry no
    marking of their own: the attachments are SECRET too, so the OFFICIAL clerk gets the same
    404 for them as for nothing at all: page, download, API, search and the CLI."""
    rt = world.runtime
    with rt.uow() as s:
        add_person(s, "officer", "civil_servant", "SECRET")
    email = fx.eml_with(
        SECRET_BODY,
        {
            "intrusion-report.pdf": fx.pdf_of(["Intrusion report", "Kestrelwood site, 3 March."]),
            "site-notes.txt": b"Notes on the Kestrelwood site visit.\nGate codes changed.\n",
        },
        subject="Operation Nightjar",
    )
    job = _upload(client, "officer", "nightjar.eml", email, worker, into="SEC-OPS-INC")
    assert job["outcome"] == "filed", job
    assert _document(rt, job["document_id"]).marking_value == "SECRET"
    children = _children(rt, job["document_id"])
    assert len(children) == 2
    assert {c.marking_value for c in children} == {"SECRET"}
    apply_outbox(rt.sessions, rt.search)

    for child in children:
        # The uploader sees each one: the 404s below are the marking's doing.
        mine = client.get(f"/api/v1/documents/{child.id}", headers=_basic("officer"))
        assert mine.status_code == 200
        for path in (
            f"/api/v1/documents/{child.id}",
            f"/api/v1/documents/{child.id}/content",
        ):
            response = client.get(path, headers=_basic("clerk"))
            assert response.status_code == 404, path
            assert response.json["error"] == f"document {child.id} not found"
        shown = cli("doc", "show", str(child.id), "--as", "clerk", "--json")
        assert shown.exit_code == 1
        assert f"document {child.id} not found" in shown.output
    found = client.get("/api/v1/search?q=Kestrelwood", headers=_basic("officer")).json
    assert {h["id"] for h in found["hits"]} == {c.id for c in children}
    hidden = client.get("/api/v1/search?q=Kestrelwood", headers=_basic("clerk")).json
    assert hidden["hits"] == [] and hidden["total"] == 0

    sign_in(client, "clerk")
    for child in children:
        assert client.get(f"/documents/{child.id}").status_code == 404
        assert client.get(f"/documents/{child.id}/download").status_code == 404
    page = client.get("/search?q=Kestrelwood").text
    assert not any(f"/documents/{child.id}" in page for child in children)


RESTRICTED_PLAN_CSV = SMALL_PLAN_CSV.replace(
    "FIN-AP-INV,FIN-AP,transaction,Supplier invoices,From suppliers,OFFICIAL,,",
    "FIN-AP-INV,FIN-AP,transaction,Supplier invoices,From suppliers,OFFICIAL,finance,",
)


def _ingest_as(runtime: Runtime, worker: Worker, who: str, name: str, data: bytes) -> IngestJob:
    batch = jobs.new_batch()
    with runtime.uow() as s:
        jobs.submit(
            s,
            runtime.blobs,
            io.BytesIO(data),
            name,
            jobs.Submission(submitted_by=who, source="cli", batch=batch),
        )
    finished = worker.drain(batch)
    return next(j for j in finished if j.parent_document_id is None)


def test_an_attachment_goes_where_its_parent_went_not_somewhere_more_open(
    runtime: Runtime,
) -> None:
    """The e-mail is classified into a class only the finance group may open; its attachment,
    which the classifier cannot place, is filed beside it, not on a triage list that every
    records manager may read."""
    assert RESTRICTED_PLAN_CSV != SMALL_PLAN_CSV
    with runtime.uow() as s:
        import_rows(s, parse_csv(RESTRICTED_PLAN_CSV))
        add_person(s, "payclerk", "civil_servant", "OFFICIAL", ("finance",))
        recman = add_person(s, "recman", "records_manager", "SECRET")
    email = fx.eml_with(INVOICE_TEXT, {"picnic.txt": b"Minutes of the summer picnic.\n"})
    with Worker(runtime) as worker:
        parent_job = _ingest_as(runtime, worker, "payclerk", "invoice.eml", email)
    assert parent_job.outcome == "filed" and parent_job.class_code == "FIN-AP-INV"
    (child,) = _children(runtime, parent_job.document_id or 0)
    parent = _document(runtime, parent_job.document_id or 0)
    assert child.node_id == parent.node_id
    with runtime.uow() as s:
        assert not may_see_document(recman, s.get(Document, parent.id))  # type: ignore[arg-type]
        assert not may_see_document(recman, s.get(Document, child.id))  # type: ignore[arg-type]


def test_an_attachment_of_a_document_on_triage_waits_on_the_same_triage_list(
    runtime: Runtime, world: World
) -> None:
    """The e-mail's class is unsure, so it waits for its filer; its invoice attachment, which
    alone would be filed in an open class, waits with it for the same person."""
    vague = "Some words about nothing in particular.\n"
    email = fx.eml_with(vague, {"inv.txt": INVOICE_TEXT.encode()})
    with Worker(runtime) as worker:
        parent_job = _ingest_as(runtime, worker, "clerk", "misc.eml", email)
    assert parent_job.outcome == "triage"
    parent = _document(runtime, parent_job.document_id or 0)
    (child,) = _children(runtime, parent.id)
    assert child.status == "triage" and child.node_id is None
    assert child.filed_by_id == parent.filed_by_id is not None
    with runtime.uow() as s:
        other = s.get(Document, child.id)
        assert other is not None and not may_see_document(world.people["analyst"], other)


# --- duplicates -------------------------------------------------------------------------------


def _bytes_of(runtime: Runtime, document_id: int) -> bytes:
    with runtime.uow() as s:
        sha = s.scalar(
            select(DocumentVersion.sha256).where(DocumentVersion.document_id == document_id)
        )
    assert sha
    return runtime.blobs.path(sha).read_bytes()


def test_the_bytes_of_a_secret_record_uploaded_by_an_official_person_are_filed_as_their_own(
    client: FlaskClient, world: World, worker: Worker
) -> None:
    """No "duplicate of document N" for a document the uploader may not see: their copy is
    filed as a document of their own, and nothing they are shown names the other one."""
    rt = world.runtime
    secret = world.docs["secret"]
    job = _upload(client, "clerk", "found.txt", _bytes_of(rt, secret), worker, into="FIN-AP-INV")
    assert job["outcome"] == "filed"
    assert job["document_id"] != secret
    mine = client.get(f"/api/v1/documents/{job['document_id']}", headers=_basic("clerk"))
    assert mine.status_code == 200
    assert mine.json["class_code"] == "FIN-AP-INV"
    assert mine.json["metadata"]["relations"] == []
    sign_in(client, "clerk")
    assert f"/documents/{secret}" not in client.get(f"/documents/{job['document_id']}").text
    with rt.uow() as s:
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.actor == "clerk")))
    assert "ingest.duplicate" not in actions


def test_the_bytes_of_a_document_the_uploader_may_see_are_still_a_duplicate(
    client: FlaskClient, world: World, worker: Worker
) -> None:
    invoice = world.docs["invoice"]
    job = _upload(client, "clerk", "again.txt", _bytes_of(world.runtime, invoice), worker)
    assert job["outcome"] == "duplicate"
    assert job["document_id"] == invoice
