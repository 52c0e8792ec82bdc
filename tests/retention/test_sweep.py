"""The sweep: computed retention for every record, and the disposal queue it fills (and only
fills: it never destroys)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import SYSTEM
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import close_folder, create_folder, get_node, import_rows
from edrm.runtime import Runtime
from retention.forecast import ForecastRow, forecast
from retention.holds import place_hold
from retention.loader import Schedule
from retention.models import DisposalItem, RecordRetention
from retention.rules import Action, Cutoff, Period, Rule
from retention.schedule import import_schedule
from retention.sweep import SweepResult, recompute, sweep
from tests.conftest import Cli, file_text

PLAN = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
FIN,,function,Finance,Money,OFFICIAL,,Finance,,false
FIN-AP,FIN,activity,Accounts payable,Paying,OFFICIAL,,Finance,FY-6,false
FIN-AP-INV,FIN-AP,transaction,Invoices,Invoices,OFFICIAL,,Finance,,false
FIN-AP-EXP,FIN-AP,transaction,Expenses,Claims,OFFICIAL,,Finance,TWO-STAGE-3,false
GOV,,function,Governance,Board,OFFICIAL,,Secretariat,,false
GOV-BRD,GOV,activity,Board,Board,OFFICIAL,,Secretariat,KEEP,false
GOV-BRD-MIN,GOV-BRD,transaction,Minutes,Minutes,OFFICIAL,,Secretariat,,false
"""
FY_6 = Rule(
    "FY-6",
    "Closed finance files",
    "folder_closed",
    Period(6),
    Action.DESTROY,
    "HMRC",
    Cutoff.FINANCIAL_YEAR_END,
)
TWO_STAGE_3 = Rule(
    "TWO-STAGE-3", "Claims", "created", Period(3), Action.REVIEW, "Need", review_stages=2
)
KEEP = Rule("KEEP", "Board", "created", Period(), Action.RETAIN_PERMANENTLY, "PRA 1958")
TEN = Rule("TEN", "Ten years", "created", Period(10), Action.DESTROY, "Contract under seal")


def set_day(day: str) -> None:
    moment = datetime.fromisoformat(day).replace(tzinfo=UTC)
    clock.set_clock(lambda: moment)


@pytest.fixture
def plan(runtime: Runtime) -> Iterator[Runtime]:
    set_day("2024-06-03T10:00:00")
    with runtime.uow() as s:
        import_rows(s, parse_csv(PLAN))
        import_schedule(s, Schedule([FY_6, TWO_STAGE_3, KEEP, TEN], 4), actor=SYSTEM)
        create_folder(s, "FIN-AP-INV-2024", "FIN-AP-INV", "Invoices 2024-25")
    yield runtime
    clock.set_clock(None)


def retention(runtime: Runtime, doc_id: int) -> RecordRetention | None:
    with runtime.uow() as s:
        return s.get(RecordRetention, doc_id)


def run_sweep(runtime: Runtime, as_of: date) -> SweepResult:
    with runtime.uow() as s:
        return sweep(s, as_of=as_of, actor=SYSTEM)


def test_financial_year_cutoff_a_folder_closed_on_15_january_2025_is_due_on_31_march_2031(
    plan: Runtime,
) -> None:
    with plan.uow() as s:
        doc = file_text(s, plan, "FIN-AP-INV-2024", "Invoice 1001 from Acme Ltd")
    assert run_sweep(plan, date(2100, 1, 1)).queued == []

    set_day("2025-01-15T17:45:00")
    with plan.uow() as s:
        close_folder(s, "FIN-AP-INV-2024")
    day_before = run_sweep(plan, date(2031, 3, 30))

    row = retention(plan, doc)
    assert row is not None
    assert (row.trigger_on, row.due_on, row.state) == (
        date(2025, 1, 15),
        date(2031, 3, 31),
        "scheduled",
    )
    assert day_before.queued == []
    on_the_day = run_sweep(plan, date(2031, 3, 31))
    assert len(on_the_day.queued) == 1


def test_longest_retention_wins_when_two_rules_reach_one_record(plan: Runtime) -> None:
    with plan.uow() as s:
        claim = file_text(s, plan, "FIN-AP-EXP", "Taxi to Leeds")  # 3 years, review
        sealed = file_text(s, plan, "FIN-AP-EXP", "Deed of variation")
        s.get(Document, sealed).retention_rule = "TEN"  # its own rule: 10 years, destroy
        minutes = file_text(s, plan, "GOV-BRD-MIN", "Board minutes June 2024")
        s.get(Document, minutes).retention_rule = "TEN"  # the class keeps it permanently

    result = run_sweep(plan, date(2028, 1, 1))

    rows = {d: retention(plan, d) for d in (claim, sealed, minutes)}
    assert {d: (r.rule_code, r.due_on) for d, r in rows.items() if r} == {
        claim: ("TWO-STAGE-3", date(2027, 6, 3)),
        sealed: ("TEN", date(2034, 6, 3)),
        minutes: ("KEEP", None),
    }
    with plan.uow() as s:
        (item,) = (s.get(DisposalItem, i) for i in result.queued)
        assert item.document_id == claim


def test_a_queued_item_carries_the_rule_class_stages_and_due_date(plan: Runtime) -> None:
    with plan.uow() as s:
        claim = file_text(s, plan, "FIN-AP-EXP", "Hotel in Cardiff")

    (item_id,) = run_sweep(plan, date(2027, 6, 3)).queued

    with plan.uow() as s:
        item = s.get(DisposalItem, item_id)
        assert item is not None
        assert (item.document_id, item.rule_code, item.action, item.class_code) == (
            claim,
            "TWO-STAGE-3",
            "review",
            "FIN-AP-EXP",
        )
        assert (item.due_on, item.stage, item.stages, item.status) == (
            date(2027, 6, 3),
            1,
            2,
            "pending",
        )
        assert item.progress == {} and item.batch_id is None


def test_a_record_in_a_folder_is_queued_under_the_folders_class(plan: Runtime) -> None:
    with plan.uow() as s:
        create_folder(s, "FIN-AP-EXP-2024", "FIN-AP-EXP", "Claims 2024")
        file_text(s, plan, "FIN-AP-EXP-2024", "Train to York")
    (item_id,) = run_sweep(plan, date(2030, 1, 1)).queued
    with plan.uow() as s:
        assert s.get(DisposalItem, item_id).class_code == "FIN-AP-EXP"


def test_the_sweep_is_idempotent_a_queued_record_is_not_queued_twice(plan: Runtime) -> None:
    with plan.uow() as s:
        for n in range(3):
            file_text(s, plan, "FIN-AP-EXP", f"Claim {n}")

    first = run_sweep(plan, date(2030, 1, 1))
    again = run_sweep(plan, date(2030, 1, 1))

    assert len(first.queued) == 3
    assert (again.queued, again.already_queued) == ([], 3)
    with plan.uow() as s:
        assert s.scalar(select(func.count()).select_from(DisposalItem)) == 3


def test_a_held_record_is_counted_but_not_queued(plan: Runtime) -> None:
    with plan.uow() as s:
        held = file_text(s, plan, "FIN-AP-EXP", "Claim under FOI request")
        free = file_text(s, plan, "FIN-AP-EXP", "Ordinary claim")
        place_hold(
            s, reason="FOI 2027/12", authority="FOI Act 2000", actor=SYSTEM, document_id=held
        )

    result = run_sweep(plan, date(2030, 1, 1))

    assert result.held == 1
    with plan.uow() as s:
        queued = [s.get(DisposalItem, i).document_id for i in result.queued]
    assert queued == [free]


def test_records_kept_permanently_or_not_yet_triggered_are_never_queued(plan: Runtime) -> None:
    with plan.uow() as s:
        file_text(s, plan, "GOV-BRD-MIN", "Board minutes")
        file_text(s, plan, "FIN-AP-INV-2024", "Invoice in an open folder")
    assert run_sweep(plan, date(2999, 1, 1)).queued == []


def test_a_rejected_record_is_queued_again_on_its_new_review_date(plan: Runtime) -> None:
    with plan.uow() as s:
        doc = file_text(s, plan, "FIN-AP-EXP", "Disputed claim")
    (first,) = run_sweep(plan, date(2027, 7, 1)).queued
    with plan.uow() as s:  # what a reviewer's rejection leaves behind
        s.get(DisposalItem, first).status = "rejected"
        s.get(RecordRetention, doc).review_on = date(2028, 7, 1)

    assert run_sweep(plan, date(2028, 6, 30)).queued == []
    (second,) = run_sweep(plan, date(2028, 7, 1)).queued
    with plan.uow() as s:
        item = s.get(DisposalItem, second)
        assert item is not None and item.due_on == date(2028, 7, 1)
        assert s.get(RecordRetention, doc).review_on == date(2028, 7, 1)


def test_triage_and_destroyed_documents_have_no_computed_retention(plan: Runtime) -> None:
    with plan.uow() as s:
        gone = file_text(s, plan, "FIN-AP-EXP", "Destroyed claim")
        kept = file_text(s, plan, "FIN-AP-EXP", "Live claim")
        assert recompute(s, fy_start_month=4) == 2
        assert s.get(RecordRetention, gone) is not None
        s.get(Document, gone).status = "destroyed"
        assert recompute(s, fy_start_month=4) == 0  # nothing new to compute; one row dropped
        assert s.get(RecordRetention, gone) is None
        assert s.get(RecordRetention, kept) is not None


def test_recompute_can_be_limited_to_some_records(plan: Runtime) -> None:
    with plan.uow() as s:
        one = file_text(s, plan, "FIN-AP-EXP", "One")
        two = file_text(s, plan, "FIN-AP-EXP", "Two")
        assert recompute(s, fy_start_month=4, document_ids=[one]) == 1
        assert s.get(RecordRetention, one) is not None
        assert s.get(RecordRetention, two) is None
        assert recompute(s, fy_start_month=4, document_ids=[]) == 0


def test_moving_a_record_recomputes_it_under_its_new_class_at_the_next_sweep(
    plan: Runtime,
) -> None:
    with plan.uow() as s:
        doc = file_text(s, plan, "FIN-AP-EXP", "Misfiled minutes")
    run_sweep(plan, date(2025, 1, 1))
    with plan.uow() as s:
        s.get(Document, doc).node_id = get_node(s, "GOV-BRD-MIN").id
    run_sweep(plan, date(2025, 1, 1))
    row = retention(plan, doc)
    assert row is not None and (row.rule_code, row.state) == ("KEEP", "permanent")


def test_the_sweep_writes_one_summary_audit_entry(plan: Runtime) -> None:
    with plan.uow() as s:
        file_text(s, plan, "FIN-AP-EXP", "Claim")
    result = run_sweep(plan, date(2030, 1, 1))
    with plan.uow() as s:
        (entry,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "retention.sweep"))
    assert entry.details_dict["queued"] == 1
    assert entry.details_dict["first_item"] == result.queued[0]


def test_the_forecast_counts_what_falls_due_by_class_month_and_action(plan: Runtime) -> None:
    with plan.uow() as s:
        for n in range(2):
            file_text(s, plan, "FIN-AP-EXP", f"June claim {n}")
        file_text(s, plan, "GOV-BRD-MIN", "Minutes")
    set_day("2024-08-20T10:00:00")
    with plan.uow() as s:
        file_text(s, plan, "FIN-AP-EXP", "August claim")
        recompute(s, fy_start_month=4)
        rows = forecast(s, today=date(2027, 5, 10), months=12)
        assert forecast(s, today=date(2024, 5, 10), months=12) == []
    assert rows == [
        ForecastRow("FIN-AP-EXP", "2027-06", "review", 2),
        ForecastRow("FIN-AP-EXP", "2027-08", "review", 1),
    ]


def test_edrm_retention_sweep_and_forecast_answer_in_json(cli: Cli, plan: Runtime) -> None:
    with plan.uow() as s:
        file_text(s, plan, "FIN-AP-EXP", "Claim")

    swept = cli("retention", "sweep", "--as-of", "2030-01-01", "--json")

    assert swept.exit_code == 0, swept.output
    data = json.loads(swept.output)
    assert (data["queued"], data["held"], len(data["queued_ids"])) == (1, 0, 1)
    text = cli("retention", "sweep", "--as-of", "2030-01-01")
    assert "queued 0, held 0, already queued 1" in text.output
    assert cli("retention", "sweep", "--as-of", "1st Jan").exit_code == 1
    set_day("2027-01-01T09:00:00")
    rows = json.loads(cli("retention", "forecast", "--json").output)
    assert rows == [
        {"class_code": "FIN-AP-EXP", "month": "2027-06", "action": "review", "count": 1}
    ]


def test_the_sweeps_sql_cutoffs_agree_with_the_rules_day_by_day(session: Session) -> None:
    from sqlalchemy import Column, Date, MetaData, Table, insert, literal, type_coerce

    from retention.recompute import cutoff_day as _cut
    from retention.rules import apply_cutoff

    days = Table("tmp_days", MetaData(), Column("day", Date), prefixes=["TEMPORARY"])
    conn = session.connection()
    days.create(conn)
    first = date(2023, 1, 1).toordinal()
    conn.execute(insert(days), [{"day": date.fromordinal(first + n)} for n in range(3 * 366)])
    dialect = conn.dialect.name
    for fy in (1, 2, 4, 7, 12):
        cuts = [type_coerce(_cut(days.c.day, literal(c.value), fy, dialect), Date) for c in Cutoff]
        for day, *ends in conn.execute(select(days.c.day, *cuts)):
            assert ends == [apply_cutoff(day, c, fy) for c in Cutoff], (day, fy)
