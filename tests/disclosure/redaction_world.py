"""A request with two records in it (a born-digital PDF and a scan), two information-rights
officers and a civil servant: the world of the redaction tests."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from disclosure.models import BundleItem, InformationRequest
from edrm import clock
from edrm.access import Principal
from edrm.documents.service import NewDocument, add_document
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import import_rows
from edrm.runtime import Runtime
from tests.conftest import SMALL_PLAN_CSV, add_person
from tests.disclosure.redaction_samples import born_digital_pdf, scan_png

RESPONSES_CSV = "INFO,,function,Information,Information,OFFICIAL,,IM,,false\n"


@dataclass
class RedactionWorld:
    runtime: Runtime
    people: dict[str, Principal]
    request_id: int
    docs: dict[str, int]


def open_request(rt: Runtime, officer: Principal, kind: str = "foi", number: int = 1) -> int:
    now = clock.now()
    with rt.uow() as s:
        request = InformationRequest(
            kind=kind,
            year=2026,
            number=number,
            reference=f"{kind.upper()}-2026-{number:04d}",
            received_on=dt.date(2026, 11, 2),
            summary="Minutes of the contract renewal meetings",
            status="open",
            case_officer_id=officer.user_id,
            due_on=dt.date(2026, 11, 30),
            requester_name="A. Requester",
            requester_email="requester@example.org",
            requester_address="",
            aggregated=False,
            created_at=now,
            created_by=officer.username,
            updated_at=now,
        )
        s.add(request)
        s.flush()
        return request.id


def add_to_request(rt: Runtime, request_id: int, document_id: int, by: str) -> None:
    with rt.uow() as s:
        s.add(
            BundleItem(
                request_id=request_id, document_id=document_id, added_at=clock.now(), added_by=by
            )
        )


def make_world(rt: Runtime) -> RedactionWorld:
    with rt.uow() as s:
        import_rows(s, parse_csv(SMALL_PLAN_CSV))
        people = {
            "officer": add_person(s, "officer", "information_rights_officer", "SECRET"),
            "second": add_person(s, "second", "information_rights_officer", "SECRET"),
            "recman": add_person(s, "recman", "records_manager", "SECRET", ("hr",)),
            "clerk": add_person(s, "clerk", "civil_servant", "OFFICIAL"),
        }
        docs = {}
        for name, content, filename in (
            ("pdf", born_digital_pdf(), "note.pdf"),
            ("scan", scan_png(), "note-scan.png"),
        ):
            docs[name] = add_document(
                s,
                rt.blobs,
                io.BytesIO(content),
                NewDocument(filename=filename, into_code="FIN-AP-INV", title=f"Meeting {name}"),
            ).id
    request_id = open_request(rt, people["officer"])
    for document_id in docs.values():
        add_to_request(rt, request_id, document_id, "officer")
    return RedactionWorld(rt, people, request_id, docs)
