"""Destroying a record filed by e-mail takes its transmission's headers with it and keeps only
the receipt that stops the same message being filed again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from edrm import clock
from edrm.documents.models import Document
from edrm.ingest.models import DONE, IngestJob
from edrm.mailin.erasure import DESTROYED
from edrm.mailin.models import Transmission
from retention.execution import execute_approved
from tests.conftest import World, file_text
from tests.retention.disposal_helpers import approve, queue, with_records_management


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def _filed_by_email(rm: World, title: str, key: str) -> int:
    """A record as e-mail in leaves it: its ingest job, named on the document, and the
    transmission of the message."""
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", title)
        job = IngestJob(
            status=DONE,
            next_attempt_at=clock.now(),
            sha256="0" * 64,
            size=1,
            original_name=f"{title}.eml",
            safe_name=f"{title}.eml",
            source="mail",
            submitted_by="clerk",
            document_id=doc_id,
            created_at=clock.now(),
        )
        s.add(job)
        s.flush()
        doc = s.get(Document, doc_id)
        assert doc is not None
        doc.extra = {**(doc.extra or {}), "ingest_job": job.id}
        s.add(
            Transmission(
                ingest_job_id=job.id,
                receipt_key=key,
                received_via="smtp",
                received_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
                filed_as="clerk",
                envelope_sender="clerk@dept.gov.uk",
                envelope_recipients=["records+FIN-AP-INV@dept.gov.uk"],
                from_header="Clerk Person <clerk@dept.gov.uk>",
                to_header="records@dept.gov.uk",
                cc_header="boss@dept.gov.uk",
                date_header="Tue, 01 Dec 2026 09:30:00 +0000",
                message_id="<42@dept.gov.uk>",
                subject=f"FIN-AP-INV {title}",
                distribution=[{"field": "cc", "name": "", "address": "boss@dept.gov.uk"}],
                class_chosen_by="plus-address",
            )
        )
    return doc_id


def test_a_destroyed_message_keeps_only_its_receipt_and_a_live_one_keeps_its_headers(
    rm: World,
) -> None:
    rt, recman = rm.runtime, rm.people["recman"]
    doomed = _filed_by_email(rm, "Invoice from Zorblax", "clerk <42@dept.gov.uk>")
    _filed_by_email(rm, "Invoice from Quux", "clerk <43@dept.gov.uk>")
    item = queue(rt, doomed)
    approve(rt, [item], recman)

    result = execute_approved(rt, actor=recman)

    assert result.finished == [item]
    with rt.uow() as s:
        rows = {t.receipt_key: t for t in s.scalars(select(Transmission))}
        gone, kept = rows["clerk <42@dept.gov.uk>"], rows["clerk <43@dept.gov.uk>"]
        assert (gone.filed_as, gone.received_via, gone.class_chosen_by) == (
            "clerk",
            "smtp",
            DESTROYED,
        )
        assert gone.received_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        headers = (gone.from_header, gone.to_header, gone.cc_header, gone.subject)
        assert headers == ("", "", "", "")
        assert (gone.envelope_sender, gone.envelope_recipients, gone.distribution) == ("", [], [])
        assert gone.message_id == "" and gone.sent_at is None
        assert kept.subject == "FIN-AP-INV Invoice from Quux"
        assert kept.cc_header == "boss@dept.gov.uk"
