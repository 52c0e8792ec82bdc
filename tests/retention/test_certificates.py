"""What a certificate of destruction says and how it reads: full titles, every approval's
reason, the authority, the checksum of each destroyed content, the audit entry range, in a
proportional typeface; and a transfer's batch files a transfer receipt instead."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from edrm.audit import AuditEvent
from edrm.documents.models import Document
from retention.execution import execute_approved
from retention.models import DisposalBatch
from tests.conftest import World, file_text, sign_in
from tests.retention.disposal_helpers import approve, queue, with_records_management

pytestmark = pytest.mark.sqlite_only

LONG_TITLE = (
    "Invoice 4471 from Zorblax Logistics and Warehousing Limited for the refurbishment of the "
    "regional distribution centre at Bletchley, phase two of three, including retention"
)


@pytest.fixture
def destroyed(world: World) -> tuple[World, int, str]:
    """A record with a long title destroyed after approval; its batch id and content SHA."""
    rm = with_records_management(world)
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", LONG_TITLE)
        document = s.get(Document, doc_id)
        assert document is not None
        sha = document.latest.sha256
    approve(rt, [queue(rt, doc_id)], rm.people["recman"])
    result = execute_approved(rt, actor=rm.people["recman"])
    assert len(result.certificates) == 1
    return rm, result.batches[0], sha


def _certificate(rm: World, batch_id: int) -> tuple[bytes, bytes]:
    """The filed certificate's bytes and its CSV schedule's."""
    rt = rm.runtime
    with rt.uow() as s:
        batch = s.get(DisposalBatch, batch_id)
        assert batch is not None and batch.certificate_document_id is not None
        cert = s.get(Document, batch.certificate_document_id)
        assert cert is not None
        listing = s.get(Document, cert.extra["schedule_document_id"])
        assert listing is not None
        return rt.blobs.read_bytes(cert.latest.sha256), rt.blobs.read_bytes(listing.latest.sha256)


def _pdf_text(content: bytes) -> str:
    return " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(content)).pages
    )


def test_the_certificate_pdf_gives_full_titles_reasons_authority_checksums_and_audit_range(
    destroyed: tuple[World, int, str],
) -> None:
    """Issue 12 item 10: the PDF names the whole title (wrapped, never cut), the reviewer and
    their reason, the rule's authority, the destroyed content's SHA-256 and the first and last
    audit entries of the destruction."""
    rm, batch_id, sha = destroyed
    pdf, _ = _certificate(rm, batch_id)
    text = _pdf_text(pdf)
    assert LONG_TITLE in text
    assert "Approved by Recman (recman) on" in text and "past its retention period" in text
    assert "Companies Act 2006 s.388" in text
    assert sha in text.replace(" ", "")
    with rm.runtime.uow() as s:
        first = s.scalar(
            select(func.min(AuditEvent.seq)).where(
                AuditEvent.action == "disposal.batch", AuditEvent.object_id == str(batch_id)
            )
        )
        last = s.scalar(
            select(func.max(AuditEvent.seq)).where(AuditEvent.action == "disposal.destroy")
        )
    assert f"Audit entries {first} to {last}:" in text


def test_the_certificate_names_people_by_their_full_name_and_username(
    destroyed: tuple[World, int, str],
) -> None:
    """Issue 12 item 10: a certificate is a formal record: who started, approved, destroyed and
    certified reads as the person's name with their username, not a bare username."""
    rm, batch_id, _ = destroyed
    text = _pdf_text(_certificate(rm, batch_id)[0])
    assert "Certified by Recman (recman)" in text
    assert "by Recman (recman)" in text.split("Records destroyed")[1]


def test_the_certificate_pdf_is_set_in_a_proportional_typeface_of_a_readable_size(
    destroyed: tuple[World, int, str],
) -> None:
    """Issue 12 item 10: the text is DejaVu Sans (Helvetica without it), not monospace, and no
    smaller than 8 points except the checksums' monospace."""
    rm, batch_id, _ = destroyed
    pdf, _ = _certificate(rm, batch_id)
    reader = PdfReader(io.BytesIO(pdf))
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
        for font in [font.get_object()]
    }
    assert any("DejaVuSans" in f and "Mono" not in f for f in fonts), fonts
    assert not any("Courier" in f for f in fonts)
    sizes: list[float] = []
    reader.pages[0].extract_text(
        visitor_text=lambda t, cm, tm, font, size: sizes.append(size * tm[0]) if t.strip() else None
    )
    assert min(sizes) >= 8


def test_the_csv_schedule_adds_the_reasons_and_the_checksum(
    destroyed: tuple[World, int, str],
) -> None:
    """Issue 12 item 10: the CSV filed with the certificate carries each approval's reason and
    the content's SHA-256 (new columns after the old ones)."""
    rm, batch_id, sha = destroyed
    _, schedule = _certificate(rm, batch_id)
    (row,) = list(csv.DictReader(io.StringIO(schedule.decode("utf-8"))))
    assert row["title"] == LONG_TITLE
    assert row["content_sha256"] == sha
    assert "past its retention period" in row["approval_reasons"]


def test_the_batch_page_gives_each_records_reasons_checksum_and_the_audit_range(
    destroyed: tuple[World, int, str], client: FlaskClient
) -> None:
    """Issue 12 item 10: the certificate's page in the service shows, per record, who approved
    it and why and its content's SHA-256, and the batch's audit entries."""
    _, batch_id, sha = destroyed
    sign_in(client, "recman")
    page = client.get(f"/records-management/certificates/{batch_id}").text
    records = page[page.index('id="batch-records"') :]
    assert LONG_TITLE in records
    assert "recman" in records and "past its retention period" in records
    assert f"{sha[:12]}…" in records and sha in records
    assert re.search(r"Entries \d+ to \d+</a> of the audit trail", page)


def test_the_certificate_of_destruction_is_itself_pdfa_2b(
    destroyed: tuple[World, int, str],
) -> None:
    """Issue 17 part 1: the certificate is PDF/A (fpdf2's compliance mode): its XMP says
    pdfaid part 2 conformance B, it has an sRGB OutputIntent and every font is embedded."""
    from edrm.renditions.pdfa import pdfa_facts

    rm, batch_id, _ = destroyed
    pdf, _ = _certificate(rm, batch_id)
    facts = pdfa_facts(pdf)
    assert (facts.part, facts.conformance) == ("2", "B")
    assert facts.output_intent and facts.fonts and facts.fonts_embedded
    assert "Certified by Recman (recman)" in _pdf_text(pdf)
