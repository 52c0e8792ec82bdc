"""Retention events: `employee_left`, `contract_ended` … recorded for a folder or a record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from edrm import clock
from edrm.access import SYSTEM
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import create_folder, import_rows
from edrm.runtime import Runtime
from retention.events import record_event
from retention.loader import Schedule
from retention.models import RecordRetention, RetentionEvent
from retention.rules import Action, Period, Rule
from retention.schedule import import_schedule, retention_of
from retention.sweep import sweep
from tests.conftest import Cli, add_person, file_text

PLAN = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
HR,,function,People,People,OFFICIAL,,HR,,false
HR-WF,HR,activity,Workforce,Staff,OFFICIAL,,HR,,false
HR-WF-FILE,HR-WF,transaction,Personnel files,Files,OFFICIAL,,HR,LEFT-6,false
"""
LEFT_6 = Rule(
    "LEFT-6", "Leavers", "event:employee_left", Period(6), Action.DESTROY, "Limitation Act 1980"
)


@pytest.fixture
def personnel(runtime: Runtime) -> Iterator[dict[str, int]]:
    """A personnel folder with two records, filed in 2019."""
    clock.set_clock(lambda: datetime(2019, 9, 2, 9, 0, tzinfo=UTC))
    with runtime.uow() as s:
        import_rows(s, parse_csv(PLAN))
        import_schedule(s, Schedule([LEFT_6]), actor=SYSTEM)
        create_folder(s, "HR-WF-FILE-0042", "HR-WF-FILE", "Personnel file: A. Example")
        create_folder(s, "HR-WF-FILE-0042-ABS", "HR-WF-FILE-0042", "Absence records")
        docs = {
            "contract": file_text(s, runtime, "HR-WF-FILE-0042", "Contract of employment"),
            "absence": file_text(s, runtime, "HR-WF-FILE-0042-ABS", "Sickness absence 2020"),
            "other": file_text(s, runtime, "HR-WF-FILE", "Someone else's probation review"),
        }
    clock.set_clock(lambda: datetime(2025, 6, 1, 9, 0, tzinfo=UTC))
    yield docs
    clock.set_clock(None)


def due_dates(runtime: Runtime, docs: dict[str, int]) -> dict[str, date | None]:
    with runtime.uow() as s:
        return {
            name: (row.due_on if (row := s.get(RecordRetention, doc_id)) else None)
            for name, doc_id in docs.items()
        }


def test_event_trigger_nothing_is_due_before_employee_left_then_due_six_years_after_it(
    runtime: Runtime, personnel: dict[str, int]
) -> None:
    with runtime.uow() as s:
        before = sweep(s, as_of=date(2100, 1, 1), actor=SYSTEM)
        assert before.queued == []
        contract = s.get(Document, personnel["contract"])
        assert retention_of(s, contract)["state"] == "pending"
        assert retention_of(s, contract)["due"] is None

    left_on = date(2024, 3, 15)
    with runtime.uow() as s:
        record_event(
            s,
            "employee_left",
            occurred_on=left_on,
            folder_code="HR-WF-FILE-0042",
            actor=SYSTEM,
            note="Resigned",
        )

    assert due_dates(runtime, personnel) == {
        "contract": date(2030, 3, 15),
        "absence": date(2030, 3, 15),  # in a sub-folder of the leaver's folder
        "other": None,  # another person's file
    }
    with runtime.uow() as s:
        assert sweep(s, as_of=date(2030, 3, 14), actor=SYSTEM).queued == []
        due = sweep(s, as_of=date(2030, 3, 15), actor=SYSTEM)
        assert len(due.queued) == 2


def test_event_trigger_an_event_naming_nothing_or_two_things_is_rejected(
    runtime: Runtime, personnel: dict[str, int]
) -> None:
    with runtime.uow() as s:
        with pytest.raises(InvalidInputError, match="an event must name what it applies to"):
            record_event(s, "employee_left", occurred_on=date(2024, 1, 1), actor=SYSTEM)
        with pytest.raises(InvalidInputError, match="exactly one folder"):
            record_event(
                s,
                "employee_left",
                occurred_on=date(2024, 1, 1),
                folder_code="HR-WF-FILE-0042",
                document_id=personnel["contract"],
                actor=SYSTEM,
            )
        assert s.scalars(select(RetentionEvent)).all() == []


def test_an_event_for_one_record_starts_only_that_records_clock(
    runtime: Runtime, personnel: dict[str, int]
) -> None:
    with runtime.uow() as s:
        record_event(
            s,
            "employee_left",
            occurred_on=date(2023, 1, 31),
            document_id=personnel["other"],
            actor=SYSTEM,
        )
    assert due_dates(runtime, personnel) == {
        "contract": None,
        "absence": None,
        "other": date(2029, 1, 31),
    }


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"folder_code": "HR-WF-FILE"}, InvalidInputError, "is a transaction"),
        ({"folder_code": "NOWHERE"}, NotFoundError, "not found"),
        ({"document_id": 99999}, NotFoundError, "not found"),
        ({"folder_code": "HR-WF-FILE-0042", "name": "Employee Left"}, InvalidInputError, "name"),
        (
            {"folder_code": "HR-WF-FILE-0042", "occurred_on": date(2030, 1, 1)},
            InvalidInputError,
            "in the future",
        ),
    ],
)
def test_a_bad_event_is_refused_with_a_reason(
    runtime: Runtime,
    personnel: dict[str, int],
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    arguments: dict[str, object] = {"occurred_on": date(2024, 1, 1), **kwargs}
    name = str(arguments.pop("name", "employee_left"))
    with runtime.uow() as s, pytest.raises(error, match=message):
        record_event(s, name, actor=SYSTEM, **arguments)  # type: ignore[arg-type]


def test_only_records_managers_and_hr_record_events(
    runtime: Runtime, personnel: dict[str, int]
) -> None:
    with runtime.uow() as s:
        clerk = add_person(s, "clerk", "civil_servant", "OFFICIAL")
        hr = add_person(s, "hrofficer", "hr", "OFFICIAL")
        with pytest.raises(RefusedError, match="only records managers and HR"):
            record_event(
                s, "employee_left", occurred_on=date(2024, 1, 1), folder_code="HR-WF-FILE-0042",
                actor=clerk,
            )  # fmt: skip
        event = record_event(
            s, "employee_left", occurred_on=date(2024, 1, 1), folder_code="HR-WF-FILE-0042",
            actor=hr,
        )  # fmt: skip
        assert event.recorded_by == "hrofficer"


def test_edrm_event_record_records_and_audits_an_event(
    cli: Cli, runtime: Runtime, personnel: dict[str, int]
) -> None:
    result = cli(
        "event", "record", "employee_left", "--folder", "HR-WF-FILE-0042", "--date", "2024-03-15",
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    recorded = json.loads(result.output)
    assert (recorded["name"], recorded["occurred_on"], recorded["folder"]) == (
        "employee_left",
        "2024-03-15",
        "HR-WF-FILE-0042",
    )
    with runtime.uow() as s:
        (entry,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.event"))
        assert entry.object_id == "HR-WF-FILE-0042"
        assert entry.details_dict["records"] == 2

    nameless = cli("event", "record", "employee_left", "--date", "2024-03-15")
    assert nameless.exit_code == 1
    assert "an event must name what it applies to" in nameless.output
    assert cli("event", "record", "x", "--doc", "1", "--date", "15/03/2024").exit_code == 1
    listed = json.loads(cli("event", "list", "--json").output)
    assert [e["id"] for e in listed] == [recorded["id"]]
