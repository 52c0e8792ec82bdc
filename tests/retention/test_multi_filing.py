"""Issue 17 part 3, multi-filing and retention: a record linked into further classes or folders
keeps the longest retention of all its locations (the set-based sweep, on SQLite and
PostgreSQL), a hold on any of its locations covers it, and destruction takes it out of every
location (the links go with the record; the stub stays in the primary one)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from edrm import clock
from edrm.access import SYSTEM
from edrm.audit import AuditEvent
from edrm.documents import guards
from edrm.documents.links import link_document, unlink_document
from edrm.documents.models import Document, RecordLink
from edrm.documents.service import list_in_node, move_document
from edrm.errors import RefusedError
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import get_node, import_rows
from edrm.runtime import Runtime
from retention.holds import held, hold_document_ids, holds_covering, place_hold, refuse_if_held
from retention.loader import Schedule
from retention.models import DisposalItem, RecordRetention
from retention.rules import Action, Period, Rule
from retention.schedule import import_schedule, retention_of
from retention.sweep import sweep
from tests.conftest import file_text

PLAN = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
FIN,,function,Finance,Money,OFFICIAL,,Finance,,false
FIN-AP,FIN,activity,Accounts payable,Paying,OFFICIAL,,Finance,SHORT,false
FIN-AP-INV,FIN-AP,transaction,Invoices,Invoices,OFFICIAL,,Finance,,false
FIN-AP-EXP,FIN-AP,transaction,Expenses,Claims,OFFICIAL,,Finance,,false
LEG,,function,Legal,Law,OFFICIAL,,Legal,,false
LEG-CON,LEG,activity,Contracts,Contracts,OFFICIAL,,Legal,LONG,false
GOV,,function,Governance,Board,OFFICIAL,,Secretariat,,false
GOV-BRD,GOV,activity,Board,Board,OFFICIAL,,Secretariat,KEEP,false
"""
SHORT = Rule("SHORT", "Two years", "created", Period(2), Action.DESTROY, "Finance policy")
LONG = Rule("LONG", "Ten years", "created", Period(10), Action.DESTROY, "Limitation Act")
KEEP = Rule("KEEP", "Board", "created", Period(), Action.RETAIN_PERMANENTLY, "PRA 1958")
AS_OF = date(2024, 6, 3)


@pytest.fixture
def plan(runtime: Runtime) -> Iterator[Runtime]:
    moment = datetime(2020, 1, 15, 10, tzinfo=UTC)
    clock.set_clock(lambda: moment)
    with runtime.uow() as s:
        import_rows(s, parse_csv(PLAN))
        import_schedule(s, Schedule([SHORT, LONG, KEEP], 4), actor=SYSTEM)
    yield runtime
    clock.set_clock(None)


def _file(rt: Runtime, into: str, title: str) -> int:
    with rt.uow() as s:
        return file_text(s, rt, into, title)


def _link(rt: Runtime, doc_id: int, code: str) -> None:
    with rt.uow() as s:
        link_document(s, doc_id, code, actor=SYSTEM)


def _sweep(rt: Runtime) -> tuple[int, int]:
    with rt.uow() as s:
        result = sweep(s, as_of=AS_OF, actor=SYSTEM)
        return len(result.queued), result.held


def _stored(rt: Runtime, doc_id: int) -> tuple[str, str, date | None]:
    with rt.uow() as s:
        row = s.get(RecordRetention, doc_id)
        assert row is not None
        return row.rule_code, row.state, row.due_on


def _queued(rt: Runtime) -> set[int]:
    with rt.uow() as s:
        return set(s.scalars(select(DisposalItem.document_id)))


def test_the_latest_disposal_date_of_all_locations_wins_in_the_sweep(plan: Runtime) -> None:
    rt = plan
    alone = _file(rt, "FIN-AP-INV", "Invoice 1 from Acme")
    linked = _file(rt, "FIN-AP-INV", "Invoice 2 from Acme, under contract C-9")
    _link(rt, linked, "LEG-CON")

    assert _sweep(rt) == (1, 0)

    assert _stored(rt, alone) == ("SHORT", "scheduled", date(2022, 1, 15))
    assert _stored(rt, linked) == ("LONG", "scheduled", date(2030, 1, 15))
    assert _queued(rt) == {alone}
    with rt.uow() as s:
        shown = retention_of(s, s.get_one(Document, linked))
    assert (shown["rule"], shown["due"], shown["inherited_from"]) == (
        "LONG",
        "2030-01-15",
        "LEG-CON",
    )

    with rt.uow() as s:  # unlinked, it falls due under its own class's rule again
        unlink_document(s, linked, "LEG-CON", actor=SYSTEM)
    assert _sweep(rt) == (1, 0)
    assert _stored(rt, linked) == ("SHORT", "scheduled", date(2022, 1, 15))
    assert _queued(rt) == {alone, linked}


def test_a_link_into_a_permanent_class_keeps_the_record_permanently(plan: Runtime) -> None:
    rt = plan
    minutes = _file(rt, "FIN-AP-EXP", "Expenses approved by the board")
    _link(rt, minutes, "LEG-CON")
    _link(rt, minutes, "GOV-BRD")

    assert _sweep(rt) == (0, 0)

    assert _stored(rt, minutes) == ("KEEP", "permanent", None)


def test_a_hold_on_any_location_covers_the_record(plan: Runtime) -> None:
    rt = plan
    guards.register(refuse_if_held)  # as the composition root does
    claim = _file(rt, "FIN-AP-INV", "Expense claim paid as an invoice")
    other = _file(rt, "FIN-AP-INV", "Invoice 3 from Acme")
    _link(rt, claim, "FIN-AP-EXP")  # the same (short) rule: due, like `other`
    with rt.uow() as s:
        hold = place_hold(
            s, reason="Audit of expenses", authority="NAO", actor=SYSTEM, folder_code="FIN-AP-EXP"
        )
        hold_id = hold.id

    with rt.uow() as s:
        assert held(s, [claim, other]) == {claim}
        assert set(s.scalars(hold_document_ids(s, hold_id))) == {claim}
        assert [h.id for h in holds_covering(s, s.get_one(Document, claim))] == [hold_id]
    assert _sweep(rt) == (1, 1)
    assert _queued(rt) == {other}
    with pytest.raises(RefusedError, match="under"), rt.uow() as s:
        move_document(s, claim, "LEG-CON", actor=SYSTEM)
    with pytest.raises(RefusedError, match="under"), rt.uow() as s:
        unlink_document(s, claim, "FIN-AP-EXP", actor=SYSTEM)


def test_destruction_removes_the_record_from_every_location(plan: Runtime) -> None:
    from retention.execution import execute_approved
    from retention.review import decide
    from tests.conftest import add_person
    from tests.retention.disposal_helpers import RM_PLAN

    rt = plan
    with rt.uow() as s:
        import_rows(s, parse_csv(RM_PLAN))  # where the certificate is filed
        recman = add_person(s, "recman", "records_manager", "SECRET")
    doc_id = _file(rt, "FIN-AP-INV", "Invoice 4 from Acme")
    _link(rt, doc_id, "FIN-AP-EXP")
    with rt.uow() as s:
        s.add(
            DisposalItem(
                document_id=doc_id,
                rule_code="SHORT",
                action="destroy",
                class_code="FIN-AP-INV",
                due_on=date(2022, 1, 15),
                stage=1,
                stages=1,
                status="pending",
                queued_at=clock.now(),
                progress={},
            )
        )
    with rt.uow() as s:
        item_id = s.scalar(select(DisposalItem.id).where(DisposalItem.document_id == doc_id))
        assert item_id is not None
        decide(s, item_id, "approve", reason="past its retention period", actor=recman)

    execute_approved(rt, actor=recman)

    with rt.uow() as s:
        assert s.get(Document, doc_id).status == "destroyed"  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(RecordLink)) == 0
        primary, _ = list_in_node(s, get_node(s, "FIN-AP-INV"), SYSTEM)
        linked, _ = list_in_node(s, get_node(s, "FIN-AP-EXP"), SYSTEM)
        assert [d.id for d in primary] == [doc_id]  # its stub stays in its primary location
        assert linked == []
        entry = s.scalar(select(AuditEvent).where(AuditEvent.action == "disposal.destroy"))
        assert entry is not None and entry.details_dict["unlinked_from"] == ["FIN-AP-EXP"]


def test_a_record_queued_for_disposal_is_decided_before_it_is_linked(plan: Runtime) -> None:
    from retention.queued_guard import refuse_link_if_queued

    rt = plan
    guards.register(refuse_link_if_queued)  # as the composition root does
    doc_id = _file(rt, "FIN-AP-INV", "Invoice 5 from Acme")
    assert _sweep(rt) == (1, 0)  # due under its own class's short rule: queued

    with pytest.raises(RefusedError, match="queued for disposal"), rt.uow() as s:
        link_document(s, doc_id, "LEG-CON", actor=SYSTEM)
    with rt.uow() as s:
        assert s.scalar(select(func.count()).select_from(RecordLink)) == 0
