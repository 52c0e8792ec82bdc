"""Issue 17 part 3, immutable facts: a document's filing date is set when it is filed and no
service, page, command or API call can change it afterwards, nor a direct UPDATE (a trigger on
both engines). E-mail transmission data is likewise beyond every path (tests/test_mail_in.py
has the direct UPDATE; here every column is tried through the ORM)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from edrm import clock
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, create_document, move_document, update_metadata
from edrm.errors import InvalidInputError
from edrm.ingest.models import DONE, IngestJob
from edrm.ingest.triage import confirm
from edrm.mailin.models import Transmission
from tests.conftest import World, sign_in
from tests.test_api_style import bearer

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


def _filed_at(world: World, document_id: int) -> datetime | None:
    with world.runtime.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None
        return document.filed_at


def test_a_document_filed_directly_has_its_filing_date_and_a_move_keeps_it(world: World) -> None:
    invoice = world.docs["invoice"]
    filed = _filed_at(world, invoice)
    assert filed is not None and filed <= clock.now()
    with world.runtime.uow() as s:
        move_document(s, invoice, "FIN-AP-INV", actor=world.people["recman"])
    assert _filed_at(world, invoice) == filed


def test_a_document_on_a_triage_list_gets_its_filing_date_when_it_is_filed(
    world: World,
) -> None:
    rt, clerk = world.runtime, world.people["clerk"]
    stored = rt.blobs.put_stream(io.BytesIO(b"unsure"))
    with rt.uow() as s:
        new = NewDocument(filename="unsure.txt", into_code="")
        waiting = create_document(
            s, stored.sha256, stored.size, "text/plain", new, actor=clerk, triage=True
        ).id
    assert _filed_at(world, waiting) is None
    with rt.uow() as s:
        confirm(s, waiting, "FIN-AP-INV", actor=clerk)
    assert _filed_at(world, waiting) is not None


def test_no_service_changes_the_filing_or_creation_date(world: World) -> None:
    invoice = world.docs["invoice"]
    for field in ("filed_at", "created_at", "filed"):
        with world.runtime.uow() as s, pytest.raises(InvalidInputError, match="cannot change"):
            update_metadata(
                s, invoice, {field: "2001-01-01"}, actor=world.people["recman"], reason="x"
            )


def test_the_api_refuses_a_filing_date_in_an_update(world: World, client: FlaskClient) -> None:
    invoice = world.docs["invoice"]
    auth = bearer(world, "recman", "read", "write")
    current = client.get(f"/api/v1/documents/{invoice}", headers=auth)
    for member in ("filed_at", "filed", "created_at"):
        answer = client.patch(
            f"/api/v1/documents/{invoice}",
            json={member: "2001-01-01T00:00:00+00:00", "reason": "backdating"},
            headers={**auth, "If-Match": current.headers["ETag"]},
        )
        assert answer.status_code == 422, (member, answer.get_json())
    assert current.get_json()["metadata"]["filed"] == _filed_at(world, invoice).isoformat()  # type: ignore[union-attr]


def test_the_edit_page_has_no_filing_date_and_ignores_one_posted(
    world: World, client: FlaskClient
) -> None:
    invoice = world.docs["invoice"]
    before = _filed_at(world, invoice)
    sign_in(client, "recman")
    page = client.get(f"/documents/{invoice}/edit")
    assert 'name="filed_at"' not in page.text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page.text)
    assert token
    client.post(
        f"/documents/{invoice}/edit",
        data={
            "csrf_token": token.group(1),
            "title": "Invoice 1001 from Acme Ltd (corrected)",
            "filed_at": "2001-01-01",
            "reason": "typo",
            "confirm": "1",
        },
    )
    assert _filed_at(world, invoice) == before


def test_the_database_refuses_to_change_a_filing_date(world: World) -> None:
    invoice = world.docs["invoice"]
    with pytest.raises(DatabaseError, match="cannot be changed"), world.runtime.uow() as s:
        s.execute(
            text("UPDATE documents SET filed_at = :when WHERE id = :i"),
            {"i": invoice, "when": LONG_AGO},
        )
    with pytest.raises(DatabaseError, match="cannot be changed"), world.runtime.uow() as s:
        document = s.get(Document, invoice)
        assert document is not None
        document.filed_at = LONG_AGO
    assert _filed_at(world, invoice) != LONG_AGO


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("from_header", "someone@else"),
        ("to_header", "x@y"),
        ("cc_header", "boss@dept"),
        ("date_header", "Mon, 1 Jan 2001 00:00:00 +0000"),
        ("sent_at", LONG_AGO),
        ("message_id", "<forged@else>"),
        ("subject", "forged"),
        ("envelope_sender", "forged@else"),
        ("distribution", [{"field": "to", "name": "", "address": "x@y"}]),
        ("received_at", LONG_AGO),
        ("filed_as", "someone"),
    ],
)
def test_no_column_of_a_transmission_can_be_changed(
    world: World, column: str, value: object
) -> None:
    rt = world.runtime
    with rt.uow() as s:
        job = IngestJob(
            status=DONE,
            next_attempt_at=clock.now(),
            sha256="0" * 64,
            size=1,
            original_name="m.eml",
            safe_name="m.eml",
            source="mail",
            submitted_by="clerk",
            created_at=clock.now(),
        )
        s.add(job)
        s.flush()
        s.add(
            Transmission(
                ingest_job_id=job.id,
                receipt_key=f"clerk <{column}@dept>",
                received_via="smtp",
                received_at=clock.now(),
                filed_as="clerk",
                from_header="Clerk <clerk@dept>",
                subject="Invoice",
                message_id=f"<{column}@dept>",
            )
        )
    with pytest.raises(DatabaseError, match="cannot be changed"), rt.uow() as s:
        found = s.query(Transmission).filter_by(receipt_key=f"clerk <{column}@dept>").one()
        setattr(found, column, value)
