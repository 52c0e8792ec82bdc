"""The sweep's set-based recomputation gives every record the retention that deciding it on its
own, row by row with `retention.rules.decide`, gives; rewriting stored rows in place after a
schedule change gives the same rows as computing them from nothing; and a run over unchanged
records writes nothing."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from edrm.access import SYSTEM
from edrm.documents.models import Document
from edrm.fileplan.io import parse_csv
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import close_folder, create_folder, import_rows
from edrm.runtime import Runtime
from retention.events import record_event
from retention.loader import Schedule
from retention.models import RecordRetention, RetentionEvent
from retention.node_facts import node_facts
from retention.recompute import recompute
from retention.rules import Action, Cutoff, Period, RecordDates, Rule, decide
from retention.schedule import import_schedule
from retention.stored_rules import rules_by_code
from tests.conftest import file_text
from tests.retention.test_sweep import FY_6, KEEP, PLAN, TEN, TWO_STAGE_3, set_day

LEFT = Rule("LEFT-2", "Leavers", "event:employee_left", Period(2), Action.DESTROY, "HR")
MODIFIED = Rule(
    "MOD-1", "Drafts", "last_modified", Period(1, 6), Action.DESTROY, "Need", Cutoff.MONTH_END
)
DECLARED = Rule(
    "DECL-5", "Declared", "declared", Period(5), Action.TRANSFER, "PRA", Cutoff.YEAR_END
)
RULES = [FY_6, TWO_STAGE_3, KEEP, TEN, LEFT, MODIFIED, DECLARED]
COLUMNS = ("rule_code", "action", "state", "trigger_on", "due_on", "review_on")


@pytest.fixture
def varied(runtime: Runtime) -> Iterator[Runtime]:
    """Records of every kind of trigger, cutoff and action, with and without rules and events
    of their own, in open and closed folders; one destroyed, one with a reviewer's date."""
    set_day("2024-06-03T10:00:00")
    rng = random.Random(16)
    with runtime.uow() as s:
        import_rows(s, parse_csv(PLAN))
        import_schedule(s, Schedule(RULES, 4), actor=SYSTEM)
        for code in ("FIN-AP-INV-2020", "FIN-AP-INV-2021"):
            create_folder(s, code, "FIN-AP-INV", f"Invoices {code[-4:]}")
        docs = []
        for n in range(60):
            into = rng.choice(
                ["FIN-AP-INV-2020", "FIN-AP-INV-2021", "FIN-AP-EXP", "GOV-BRD-MIN", "FIN-AP-INV"]
            )
            # Invoices takes new records only in its folders (its rule counts from a folder's
            # closing); those in the class itself were filed before it had that rule.
            filed_in = "FIN-AP-INV-2021" if into == "FIN-AP-INV" else into
            doc_id = file_text(s, runtime, filed_in, f"Record {n}")
            doc = s.get_one(Document, doc_id)
            if into == "FIN-AP-INV":
                doc.node = s.get_one(FilePlanNode, doc.node.parent_id)
            doc.created_at = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 5000))
            doc.modified_at = doc.created_at + timedelta(days=rng.randint(0, 400), hours=23)
            doc.is_record = rng.random() < 0.5
            doc.declared_at = doc.modified_at if doc.is_record else None
            if rng.random() < 0.2:
                doc.retention_rule = rng.choice(["TEN", "LEFT-2", "MOD-1", "DECL-5", "KEEP"])
            docs.append(doc_id)
        s.flush()
        close_folder(s, "FIN-AP-INV-2020")
        for doc_id in docs[:6]:
            record_event(
                s, "employee_left", occurred_on=date(2019, 3, 1), document_id=doc_id, actor=SYSTEM
            )
        s.get_one(Document, docs[7]).status = "destroyed"
    yield runtime
    set_day("2024-06-03T10:00:00")


def stored(rt: Runtime) -> dict[int, tuple[Any, ...]]:
    with rt.uow() as s:
        return {
            r.document_id: tuple(getattr(r, c) for c in COLUMNS)
            for r in s.scalars(select(RecordRetention))
        }


def row_by_row(rt: Runtime) -> dict[int, tuple[Any, ...]]:
    """Every filed record decided on its own with `retention.rules.decide`."""
    with rt.uow() as s:
        facts = node_facts(s)
        rules = rules_by_code(s)
        own_events: dict[int, list[tuple[str, date]]] = {}
        for event in s.scalars(
            select(RetentionEvent).where(RetentionEvent.document_id.is_not(None))
        ):
            assert event.document_id is not None
            own_events.setdefault(event.document_id, []).append((event.name, event.occurred_on))
        out: dict[int, tuple[Any, ...]] = {}
        for doc in s.scalars(select(Document).where(Document.status == "filed")):
            assert doc.node_id is not None
            fact = facts[doc.node_id]
            reaching = [rules[c] for c in (fact.rule_code, doc.retention_rule) if c in rules]
            if not reaching:
                continue

            def day(moment: datetime | None) -> date | None:
                return moment.astimezone(UTC).date() if moment else None

            dates = RecordDates(
                created=day(doc.created_at) or date.min,
                declared=day(doc.declared_at),
                last_modified=day(doc.modified_at),
                folder_closed=fact.folder_closed,
                events=(*fact.events.items(), *own_events.get(doc.id, ())),
            )
            outcome = decide(list(dict.fromkeys(reaching)), dates, 4)
            out[doc.id] = (
                outcome.rule.code,
                outcome.action.value,
                outcome.state,
                outcome.trigger_on,
                outcome.due_on,
                None,
            )
        return out


def test_the_set_based_recomputation_equals_deciding_each_record_on_its_own(
    varied: Runtime,
) -> None:
    with varied.uow() as s:
        recompute(s, fy_start_month=4)
    computed = stored(varied)
    expected = row_by_row(varied)
    assert len(expected) > 40
    assert computed == expected


def test_rewriting_rows_in_place_equals_computing_them_from_nothing(varied: Runtime) -> None:
    with varied.uow() as s:
        recompute(s, fy_start_month=4)
        doc = s.scalars(select(RecordRetention.document_id).order_by(RecordRetention.document_id))
        reviewed = next(iter(doc))
        s.get_one(RecordRetention, reviewed).review_on = date(2040, 1, 1)
    set_day("2024-07-01T10:00:00")
    longer = {"TEN": Period(12), "FY-6": Period(7)}
    changed = [
        Rule(**{**r.__dict__, "period": longer[r.code]}) if r.code in longer else r for r in RULES
    ]
    with varied.uow() as s:  # the import recomputes every record under TEN and FY-6, in place
        import_schedule(s, Schedule(changed, 4), actor=SYSTEM)
        record_event(
            s,
            "employee_left",
            occurred_on=date(2021, 5, 5),
            folder_code="FIN-AP-INV-2021",
            actor=SYSTEM,
        )
        recompute(s, fy_start_month=4)
    in_place = stored(varied)
    assert in_place[reviewed][-1] == date(2040, 1, 1)  # the reviewer's date is kept
    with varied.uow() as s:
        s.execute(delete(RecordRetention))
    with varied.uow() as s:
        recompute(s, fy_start_month=4)
    fresh = stored(varied)
    assert {k: v[:-1] for k, v in in_place.items()} == {k: v[:-1] for k, v in fresh.items()}
    assert {k: v[:-1] for k, v in fresh.items()} == {
        k: v[:-1] for k, v in row_by_row(varied).items()
    }


def test_a_recomputation_over_unchanged_records_writes_nothing(varied: Runtime) -> None:
    with varied.uow() as s:
        recompute(s, fy_start_month=4)
        before = {r.document_id: r.computed_at for r in s.scalars(select(RecordRetention))}
    set_day("2024-08-01T10:00:00")
    with varied.uow() as s:
        assert recompute(s, fy_start_month=4) == 0
        after = {r.document_id: r.computed_at for r in s.scalars(select(RecordRetention))}
    assert after == before
