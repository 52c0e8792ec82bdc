"""Reviewing the disposal queue: approve, reject, extend, refer; reasons; one person per stage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from edrm import audit, clock
from edrm.access import SYSTEM
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, RefusedError
from retention.execution import execute_approved
from retention.models import DisposalItem, RecordRetention
from retention.review import (
    decide,
    decide_items,
    decide_many,
    decisions_for,
    list_queue,
    queue_summary,
)
from tests.conftest import World, file_text
from tests.retention.disposal_helpers import queue, with_records_management


@pytest.fixture
def rm(world: World) -> World:
    """The small world with a certificates class, a rule with its authority, two records
    managers."""
    return with_records_management(world)


TODAY = datetime(2031, 4, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[None]:
    clock.set_clock(lambda: TODAY)
    yield
    clock.set_clock(None)


def _decide(rm: World, item: int, decision: str, who: str, **kw: Any) -> DisposalItem:
    with rm.runtime.uow() as s:
        return decide(
            s, item, decision, reason=kw.pop("reason", "reviewed"), actor=rm.people[who], **kw
        )


def _item(rm: World, item_id: int) -> DisposalItem:
    with rm.runtime.uow() as s:
        item = s.get(DisposalItem, item_id)
        assert item is not None
        return item


def _refusals(rm: World) -> list[dict[str, Any]]:
    with rm.runtime.uow() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "disposal.decision_refused")
        )
        return [e.details_dict for e in events]


def test_two_stage_review_first_approval_destroys_nothing_extension_leaves_the_queue_reason_required_and_one_person_per_stage(  # noqa: E501
    rm: World,
) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 77 from Epsilon")
        sha = s.get(Document, doc_id).latest.sha256  # type: ignore[union-attr]
    item = queue(rt, doc_id, stages=2)

    first = _decide(rm, item, "approve", "recman")
    assert (first.status, first.stage, first.stages) == ("pending", 2, 2)
    executed = execute_approved(rt, actor=rm.people["recman"])
    assert executed.finished == [] and executed.batches == []
    with rt.uow() as s:
        assert s.get(Document, doc_id).status == "filed"  # type: ignore[union-attr]
    assert rt.blobs.exists(sha)

    with pytest.raises(RefusedError, match="different reviewer"):
        _decide(rm, item, "approve", "recman")
    assert _refusals(rm)[-1]["item"] == item  # the refusal is audited

    for reason in ("", "   "):
        with pytest.raises(InvalidInputError, match="reason"):
            _decide(rm, item, "approve", "recman2", reason=reason)

    extended = _decide(rm, item, "extend", "recman2", new_date=date(2033, 4, 1), reason="audit")
    assert extended.status == "extended"
    with rt.uow() as s:
        assert [i.id for i in list_queue(s)] == []
        retention = s.get(RecordRetention, doc_id)
        assert retention is not None and retention.review_on == date(2033, 4, 1)
        assert [d.decided_by for d in decisions_for(s, item)] == ["recman", "recman2"]
        assert s.get(Document, doc_id).status == "filed"  # type: ignore[union-attr]


def test_an_extended_record_comes_back_to_the_queue_when_its_new_date_passes(rm: World) -> None:
    sweep_module = pytest.importorskip("retention.sweep")
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 78")
    item = queue(rt, doc_id)
    _decide(rm, item, "extend", "recman", new_date=date(2033, 4, 1), reason="still in use")

    with rt.uow() as s:
        before = sweep_module.sweep(s, as_of=date(2033, 3, 31), actor=SYSTEM)
        open_items = [i.document_id for i in list_queue(s)]
    assert doc_id not in open_items and not before.queued
    with rt.uow() as s:
        sweep_module.sweep(s, as_of=date(2033, 4, 1), actor=SYSTEM)
        assert doc_id in [i.document_id for i in list_queue(s)]


def test_rejecting_keeps_the_record_with_a_review_date_a_year_on(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 79")
    item = queue(rt, doc_id)

    rejected = _decide(rm, item, "reject", "recman", reason="still needed for a claim")

    assert rejected.status == "rejected"
    with rt.uow() as s:
        assert s.get(RecordRetention, doc_id).review_on == date(2032, 4, 2)  # type: ignore[union-attr]
        assert list_queue(s) == []


def test_rejecting_with_a_date_uses_it(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 80")
    item = queue(rt, doc_id)
    _decide(rm, item, "reject", "recman", new_date=date(2035, 1, 1))
    with rt.uow() as s:
        assert s.get(RecordRetention, doc_id).review_on == date(2035, 1, 1)  # type: ignore[union-attr]


def test_referring_adds_a_stage_for_a_further_reviewer(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 81")
    item = queue(rt, doc_id)

    referred = _decide(rm, item, "refer", "recman", reason="needs legal's view")
    assert (referred.status, referred.stage, referred.stages) == ("pending", 2, 2)
    approved = _decide(rm, item, "approve", "recman2")
    assert approved.status == "approved"


def test_a_single_stage_approval_approves(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 82")
    item = queue(rt, doc_id)
    assert _decide(rm, item, "approve", "recman").status == "approved"


def test_only_records_managers_decide_and_never_the_system(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 83")
    item = queue(rt, doc_id)
    with pytest.raises(RefusedError, match="records managers"):
        _decide(rm, item, "approve", "clerk")
    with pytest.raises(RefusedError, match="person"), rt.uow() as s:
        decide(s, item, "approve", reason="due", actor=SYSTEM)
    assert _item(rm, item).status == "pending"


def test_an_item_no_longer_pending_cannot_be_decided(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 84")
    item = queue(rt, doc_id)
    _decide(rm, item, "approve", "recman")
    with pytest.raises(RefusedError, match="approved"):
        _decide(rm, item, "reject", "recman2")


def test_an_extension_needs_a_future_date(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 85")
    item = queue(rt, doc_id)
    with pytest.raises(InvalidInputError, match="new date"):
        _decide(rm, item, "extend", "recman")
    with pytest.raises(InvalidInputError, match="not in the future"):
        _decide(rm, item, "extend", "recman", new_date=date(2031, 4, 2))


def test_a_bulk_decision_is_all_or_nothing(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        a = file_text(s, rt, "FIN-AP-INV", "Invoice 86")
        b = file_text(s, rt, "FIN-AP-INV", "Invoice 87")
    first, second = queue(rt, a), queue(rt, b, stages=2)
    _decide(rm, second, "approve", "recman")

    with pytest.raises(RefusedError), rt.uow() as s:
        decide_many(s, [first, second], "approve", reason="due", actor=rm.people["recman"])
    assert _item(rm, first).status == "pending"

    with rt.uow() as s:
        decided = decide_many(
            s, [first, second], "approve", reason="due", actor=rm.people["recman2"]
        )
    assert [i.status for i in decided] == ["approved", "approved"]


def test_a_bulk_decision_reports_every_refusal_and_why_and_decides_nothing(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        docs = [file_text(s, rt, "FIN-AP-INV", f"Invoice {n}") for n in (83, 84, 85)]
    ok, staged, gone = queue(rt, docs[0]), queue(rt, docs[1], stages=2), queue(rt, docs[2])
    _decide(rm, staged, "approve", "recman")
    _decide(rm, gone, "approve", "recman")

    with rt.uow() as s:
        result = decide_items(
            s, [ok, staged, gone, ok], "approve", reason="due", actor=rm.people["recman"]
        )
    assert (result.decision, result.asked, result.decided) == ("approve", 3, [])
    assert [r.item_id for r in result.refused] == [staged, gone]
    assert "needs a different reviewer" in result.refused[0].why
    assert "not awaiting review" in result.refused[1].why
    assert result.held_back == 1
    assert _item(rm, ok).status == "pending"
    assert [r["item"] for r in _refusals(rm)] == [staged]  # the refusal with an audit note

    with rt.uow() as s:
        done = decide_items(s, [ok, staged], "approve", reason="due", actor=rm.people["recman2"])
    assert [i.id for i in done.decided] == [ok, staged] and done.refused == []
    assert done.held_back == 0
    assert {_item(rm, ok).status, _item(rm, staged).status} == {"approved"}


def test_the_cli_decides_nothing_when_one_item_is_refused_and_names_it(rm: World, cli: Any) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        a = file_text(s, rt, "FIN-AP-INV", "Invoice 88")
        b = file_text(s, rt, "FIN-AP-INV", "Invoice 89")
    first, second = queue(rt, a), queue(rt, b, stages=2)
    _decide(rm, second, "approve", "recman")

    refused = cli(
        "disposal", "decide", str(first), str(second), "--approve", "--reason", "due",
        "--as", "recman", "--json",
    )  # fmt: skip
    assert refused.exit_code == 1
    assert "stage 2 needs a different reviewer" in refused.output
    assert "none of the 2 items was decided" in refused.output
    assert _item(rm, first).status == "pending"
    assert [r["item"] for r in _refusals(rm)] == [second]


def test_the_queue_lists_filters_and_counts_by_class_action_and_stage(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        docs = [file_text(s, rt, "FIN-AP-INV", f"Invoice {n}") for n in range(90, 93)]
    items = [queue(rt, docs[0]), queue(rt, docs[1], stages=2), queue(rt, docs[2], action="review")]
    _decide(rm, items[1], "approve", "recman")

    with rt.uow() as s:
        assert [i.id for i in list_queue(s, action="destroy")] == items[:2]
        assert [i.id for i in list_queue(s, stage=2)] == [items[1]]
        assert [i.id for i in list_queue(s, class_code="FIN-AP")] == items
        assert list_queue(s, class_code="HR") == []
        summary = {(r["action"], r["stage"]): r["count"] for r in queue_summary(s)}
    assert summary == {("destroy", 1): 1, ("destroy", 2): 1, ("review", 1): 1}


def test_an_approved_review_item_gets_a_new_review_date_and_nothing_is_destroyed(
    rm: World,
) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 95")
    item = queue(rt, doc_id, action="review")
    _decide(rm, item, "approve", "recman")

    result = execute_approved(rt, actor=rm.people["recman"])

    assert result.reviewed == [item] and result.finished == []
    with rt.uow() as s:
        assert s.get(RecordRetention, doc_id).review_on == date(2032, 4, 2)  # type: ignore[union-attr]
        assert s.get(Document, doc_id).status == "filed"  # type: ignore[union-attr]
        assert s.get(DisposalItem, item).status == "done"  # type: ignore[union-attr]


def test_decisions_are_audited_on_the_record(rm: World) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        doc_id = file_text(s, rt, "FIN-AP-INV", "Invoice 96")
    item = queue(rt, doc_id)
    _decide(rm, item, "reject", "recman", reason="keep for the inquiry")
    with rt.uow() as s:
        event = audit.history(s, "document", doc_id)[0]
    assert event.action == "disposal.decide" and event.actor == "recman"
    assert event.details_dict["reason"] == "keep for the inquiry"
    assert event.details_dict["decision"] == "reject"


def test_the_cli_decides_several_items_and_says_why_it_refuses(rm: World, cli: Any) -> None:
    rt = rm.runtime
    with rt.uow() as s:
        a = file_text(s, rt, "FIN-AP-INV", "Invoice 97")
        b = file_text(s, rt, "FIN-AP-INV", "Invoice 98")
    first, second = queue(rt, a), queue(rt, b)

    no_reason = cli("disposal", "decide", str(first), "--approve", "--reason", "", "--as", "recman")
    assert no_reason.exit_code == 1 and "reason" in no_reason.output
    no_person = cli("disposal", "decide", str(first), "--approve", "--reason", "due")
    assert no_person.exit_code == 1 and "--as" in no_person.output

    both = cli(
        "disposal",
        "decide",
        str(first),
        str(second),
        "--extend",
        "2034-01-31",
        "--reason",
        "project still open",
        "--as",
        "recman",
        "--json",
    )
    assert both.exit_code == 0, both.output
    assert [r["status"] for r in json.loads(both.output)] == ["extended", "extended"]
    listed = json.loads(cli("disposal", "list", "--json", "--status", "all").output)
    assert {r["id"] for r in listed} == {first, second}
    assert {"id", "document_id", "action", "due", "stage", "status"} <= set(listed[0])
    assert cli("disposal", "list", "--json").output.strip() == "[]"
    shown = json.loads(cli("disposal", "show", str(first), "--json").output)
    assert shown["decisions"][0]["new_date"] == "2034-01-31"
