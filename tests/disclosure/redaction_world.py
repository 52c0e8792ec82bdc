"""A request with two records in it (a born-digital PDF and a scan), two information-rights
officers and a civil servant: the world of the redaction tests."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from disclosure import requests
from disclosure.bundles import add_records
from disclosure.loader import load_config
from edrm.access import Principal
from edrm.documents.service import NewDocument, add_document
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import import_rows
from edrm.runtime import Runtime
from tests.conftest import SMALL_PLAN_CSV, add_person
from tests.disclosure.redaction_samples import born_digital_pdf, scan_png


@dataclass
class RedactionWorld:
    runtime: Runtime
    people: dict[str, Principal]
    request_id: int
    docs: dict[str, int]


def open_request(rt: Runtime, officer: Principal, kind: str = "foi") -> int:
    with rt.uow() as s:
        request = requests.open_request(
            s,
            officer,
            kind=kind,
            received=dt.date(2026, 11, 2),
            requester="A. Requester",
            email="requester@example.org",
            summary="Minutes of the contract renewal meetings",
            config=load_config(rt.settings),
        )
        return request.id


def add_to_request(rt: Runtime, request_id: int, document_id: int, by: Principal) -> None:
    with rt.uow() as s:
        add_records(s, by, request_id, [document_id])


#: Where responses are filed (config/redaction.toml's response_class).
RESPONSES_CSV = """INFO,,function,Information management,Managing information,OFFICIAL,,IM,,false
INFO-IM,INFO,activity,Information rights,Requests,OFFICIAL,,IM,,false
INFO-IM-FOI,INFO-IM,transaction,Freedom of information requests,FOI,OFFICIAL,,IM,DESTROY-7Y,false
"""


def make_world(
    rt: Runtime, *, on_top_of_world: bool = False, with_request: bool = True
) -> RedactionWorld:
    """The redaction world; `on_top_of_world`: added to conftest's `world` (its plan and
    people, recman and clerk among them, are there already)."""
    header = "code,parent,kind,title,description,marking,access,owner_unit,retention,closed\n"
    with rt.uow() as s:
        if on_top_of_world:
            import_rows(s, parse_csv(header + RESPONSES_CSV))
            people = {}
        else:
            import_rows(s, parse_csv(SMALL_PLAN_CSV + RESPONSES_CSV))
            people = {
                "recman": add_person(s, "recman", "records_manager", "SECRET", ("hr",)),
                "clerk": add_person(s, "clerk", "civil_servant", "OFFICIAL"),
            }
        people["officer"] = add_person(s, "officer", "information_rights_officer", "SECRET")
        people["second"] = add_person(s, "second", "information_rights_officer", "SECRET")
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
    if not with_request:
        return RedactionWorld(rt, people, 0, docs)
    request_id = open_request(rt, people["officer"])
    for document_id in docs.values():
        add_to_request(rt, request_id, document_id, people["officer"])
    return RedactionWorld(rt, people, request_id, docs)
