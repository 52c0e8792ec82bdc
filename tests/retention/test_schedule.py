"""The retention schedule: loading and validating files, importing into the database, rules in
use, inheritance through the file plan, and what a rule means for a record."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from edrm import clock
from edrm.access import SYSTEM
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import create_folder, get_node, import_rows
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR
from retention.loader import (
    Schedule,
    load_schedule,
    parse_schedule_csv,
    parse_schedule_toml,
    schedule_to_csv,
    schedule_to_toml,
)
from retention.models import DisposalItem, RecordRetention
from retention.rules import Action, Cutoff, Period, Rule
from retention.schedule import (
    class_rule,
    consequence,
    delete_rule,
    effective_rules,
    ensure_schedule,
    fy_start_month,
    import_schedule,
    retention_of,
    rules_by_code,
)
from retention.sweep import sweep
from tests.conftest import Cli, World, add_person, file_text

CONFIG = DEFAULT_CONFIG_DIR
PLAN = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
FIN,,function,Finance,Money,OFFICIAL,,Finance,,false
FIN-AP,FIN,activity,Accounts payable,Paying,OFFICIAL,,Finance,FIN-7,false
FIN-AP-INV,FIN-AP,transaction,Invoices,Invoices,OFFICIAL,,Finance,,false
FIN-AP-EXP,FIN-AP,transaction,Expenses,Claims,OFFICIAL,,Finance,SHORT-2,false
HR,,function,People,People,OFFICIAL,,HR,,false
HR-WF,HR,activity,Workforce,Staff,OFFICIAL,,HR,,false
HR-WF-FILE,HR-WF,transaction,Personnel files,Files,OFFICIAL,,HR,LEFT-6,false
"""
FIN_7 = Rule(
    "FIN-7",
    "Finance",
    "created",
    Period(7),
    Action.DESTROY,
    "HMRC",
    Cutoff.FINANCIAL_YEAR_END,
)
SHORT_2 = Rule("SHORT-2", "Short", "created", Period(2), Action.DESTROY, "Business need")
LEFT_6 = Rule("LEFT-6", "Leavers", "event:employee_left", Period(6), Action.DESTROY, "LA 1980")
UNUSED = Rule("UNUSED-1", "Unused", "created", Period(1), Action.REVIEW, "None")
SCHEDULE = Schedule([FIN_7, SHORT_2, LEFT_6, UNUSED], fy_start_month=4)


@pytest.fixture
def at() -> Iterator[object]:
    def set_clock(when: str) -> None:
        moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
        clock.set_clock(lambda: moment)

    yield set_clock
    clock.set_clock(None)


@pytest.fixture
def planned(runtime: Runtime) -> Runtime:
    with runtime.uow() as s:
        import_rows(s, parse_csv(PLAN))
        import_schedule(s, SCHEDULE, actor=SYSTEM)
    return runtime


def fileplan_rule_codes() -> set[str]:
    plan = tomllib.loads((CONFIG / "fileplan.toml").read_text())
    return {n["retention"] for n in plan["node"] if n.get("retention")}


# --- the shipped schedule and the file format ---------------------------------------------------


def test_the_shipped_schedule_has_a_rule_with_an_authority_for_every_code_in_the_file_plan() -> (
    None
):
    schedule = load_schedule(CONFIG / "retention.toml")
    codes = schedule.by_code()

    assert fileplan_rule_codes() <= set(codes)
    assert schedule.fy_start_month == 4
    for code in fileplan_rule_codes():
        assert codes[code].authority, code
    assert codes["PERMANENT-TRANSFER"].action is Action.TRANSFER
    assert "Public Records Act 1958" in codes["PERMANENT-TRANSFER"].authority
    assert codes["EMPLOYEE-LEFT-6Y"].event_name == "employee_left"


def test_a_schedule_survives_csv_and_toml_round_trips() -> None:
    schedule = load_schedule(CONFIG / "retention.toml")
    assert parse_schedule_csv(schedule_to_csv(schedule), "x.csv") == schedule
    assert parse_schedule_toml(schedule_to_toml(schedule), "x.toml") == schedule


GOOD = 'code = "R1"\ntitle = "One"\ntrigger = "created"\nyears = 1\naction = "destroy"\n'
GOOD += 'authority = "Business need"\n'


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('trigger = "created"', 'trigger = "opened"'), "unknown trigger 'opened'"),
        (('trigger = "created"', 'trigger = "event:Left Early"'), "event name"),
        (("years = 1", 'years = 1\ncutoff = "decade_end"'), "unknown cutoff 'decade_end'"),
        (('action = "destroy"', 'action = "shred"'), "unknown action 'shred'"),
        (("years = 1", "years = -1"), "'years' cannot be negative"),
        (("years = 1", 'years = "six"'), "'years' must be a whole number"),
        (("years = 1", "years = 0"), "needs a period"),
        (('authority = "Business need"', 'authority = ""'), "authority"),
        (('title = "One"', 'title = "One"\ncolour = "red"'), "unknown key(s) colour"),
        (('code = "R1"', 'code = "r 1"'), "code 'r 1'"),
        (("years = 1", "years = 1\nreview_stages = 9"), "'review_stages' must be between"),
    ],
)
def test_a_bad_rule_is_rejected_naming_the_file_and_the_rule(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    path = tmp_path / "schedule.toml"
    bad = GOOD.replace(*change)
    path.write_text(f"[[rule]]\n{GOOD}\n[[rule]]\n{bad}")

    with pytest.raises(InvalidInputError) as info:
        load_schedule(path)

    message = str(info.value)
    assert f"{path}: rule 2" in message
    assert expected in message
    assert "rule 1" not in message


def test_duplicate_codes_and_a_bad_financial_year_start_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text(f"financial_year_start_month = 13\n[[rule]]\n{GOOD}\n[[rule]]\n{GOOD}")
    with pytest.raises(InvalidInputError) as info:
        load_schedule(path)
    assert "financial_year_start_month must be a month number 1-12" in str(info.value)
    assert "rule 2 (R1): duplicate code (also at rule 1)" in str(info.value)


def test_a_bad_csv_row_is_named_by_its_spreadsheet_row_number() -> None:
    text = (
        "code,title,trigger,cutoff,years,months,days,action,review_stages,authority\n"
        "A-1,Fine,created,,1,0,0,destroy,1,Need\n"
        "B-2,Bad,created,year_end,1,0,0,incinerate,1,Need\n"
    )
    with pytest.raises(InvalidInputError, match=r"rules\.csv: row 3 \(B-2\): unknown action"):
        parse_schedule_csv(text, "rules.csv")
    with pytest.raises(InvalidInputError, match=r"row 1 \(header\): missing column\(s\) action"):
        parse_schedule_csv("code,title,trigger,authority\nA,B,created,C\n", "rules.csv")


# --- the schedule in the database -----------------------------------------------------------------


def test_the_configured_schedule_is_loaded_once_when_the_database_has_none(
    runtime: Runtime,
) -> None:
    with runtime.uow() as s:
        assert ensure_schedule(s, runtime.settings) is True
        assert ensure_schedule(s, runtime.settings) is False
        assert fileplan_rule_codes() <= set(rules_by_code(s))
        assert fy_start_month(s) == fy_start_month(runtime.settings) == 4


def test_only_records_managers_change_the_schedule(world: World) -> None:
    with world.runtime.uow() as s, pytest.raises(RefusedError, match="records managers"):
        import_schedule(s, SCHEDULE, actor=world.people["clerk"])


def test_a_rule_in_use_cannot_be_deleted_an_unused_one_can(planned: Runtime) -> None:
    with planned.uow() as s:
        file_text(s, planned, "FIN-AP-INV", "Invoice 1")

    with pytest.raises(RefusedError) as info, planned.uow() as s:
        delete_rule(s, "FIN-7", actor=SYSTEM)
    assert "retention rule FIN-7 is in use by file-plan node FIN-AP" in str(info.value)

    with planned.uow() as s:
        delete_rule(s, "UNUSED-1", actor=SYSTEM)
    with planned.uow() as s:
        assert set(rules_by_code(s)) == {"FIN-7", "SHORT-2", "LEFT-6"}
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert {"retention.rule.refused", "retention.rule.delete"} <= set(actions)
        with pytest.raises(NotFoundError):
            delete_rule(s, "UNUSED-1", actor=SYSTEM)


def test_a_rule_named_by_a_record_or_an_open_queue_item_is_in_use(planned: Runtime) -> None:
    with planned.uow() as s:
        doc = file_text(s, planned, "FIN-AP-INV", "Invoice 1")
        s.get(Document, doc).retention_rule = "UNUSED-1"
    with pytest.raises(RefusedError, match="in use by 1 record"), planned.uow() as s:
        delete_rule(s, "UNUSED-1", actor=SYSTEM)

    with planned.uow() as s:
        s.get(Document, doc).retention_rule = None
        sweep(s, as_of=date(2100, 1, 1), actor=SYSTEM)
        get_node(s, "FIN-AP").retention_rule = "SHORT-2"
    with pytest.raises(RefusedError, match="1 disposal queue item"), planned.uow() as s:
        delete_rule(s, "FIN-7", actor=SYSTEM)


def test_an_import_that_drops_a_rule_in_use_is_refused_naming_it(planned: Runtime) -> None:
    smaller = Schedule([FIN_7, SHORT_2], fy_start_month=4)
    refused = pytest.raises(RefusedError, match="LEFT-6 is in use by file-plan node HR-WF-FILE")
    with refused, planned.uow() as s:
        import_schedule(s, smaller, actor=SYSTEM)

    with planned.uow() as s:
        result = import_schedule(s, Schedule([FIN_7, SHORT_2, LEFT_6]), actor=SYSTEM)
        assert (result.removed, result.unchanged) == (["UNUSED-1"], ["FIN-7", "LEFT-6", "SHORT-2"])


def test_changing_a_rule_period_recomputes_due_dates_of_records_not_yet_queued(
    planned: Runtime, at: object
) -> None:
    at("2020-05-01T10:00:00")  # type: ignore[operator]
    with planned.uow() as s:
        queued = file_text(s, planned, "FIN-AP-EXP", "Taxi to Leeds")
        waiting = file_text(s, planned, "FIN-AP-INV", "Invoice 7")
        first = sweep(s, as_of=date(2023, 1, 1), actor=SYSTEM)
        assert s.get(RecordRetention, waiting).due_on == date(2028, 3, 31)
        (item,) = s.scalars(select(DisposalItem)).all()
        assert item.document_id == queued

    longer = Schedule(
        [
            Rule("FIN-7", "Finance", "created", Period(10), Action.DESTROY, "HMRC", FIN_7.cutoff),
            Rule("SHORT-2", "Short", "created", Period(5), Action.DESTROY, "Business need"),
            LEFT_6,
            UNUSED,
        ]
    )
    with planned.uow() as s:
        result = import_schedule(s, longer, actor=SYSTEM)
        assert result.updated == ["FIN-7", "SHORT-2"]

    with planned.uow() as s:
        assert s.get(RecordRetention, waiting).due_on == date(2031, 3, 31)
        # Already in the queue: its item and its computed date stay as they were.
        assert s.get(RecordRetention, queued).due_on == date(2022, 5, 1)
        assert s.get(DisposalItem, first.queued[0]).due_on == date(2022, 5, 1)


# --- which rule applies, and what it means ------------------------------------------------------


def test_a_sub_class_or_folder_without_a_rule_inherits_the_nearest_one(planned: Runtime) -> None:
    with planned.uow() as s:
        create_folder(s, "FIN-AP-INV-2025", "FIN-AP-INV", "Invoices 2025-26")
        create_folder(s, "FIN-AP-EXP-2025", "FIN-AP-EXP", "Claims 2025-26")
        assert class_rule(s, get_node(s, "FIN-AP-INV-2025")) == (FIN_7, "FIN-AP")
        assert class_rule(s, get_node(s, "FIN-AP-EXP-2025")) == (SHORT_2, "FIN-AP-EXP")
        assert class_rule(s, get_node(s, "HR")) == (None, None)
        get_node(s, "FIN-AP-EXP").retention_rule = "NOT-IN-SCHEDULE"
        assert class_rule(s, get_node(s, "FIN-AP-EXP-2025")) == (None, "FIN-AP-EXP")


def test_a_record_gets_its_class_rule_and_its_own(planned: Runtime) -> None:
    with planned.uow() as s:
        doc = s.get(Document, file_text(s, planned, "FIN-AP-INV", "Invoice 9"))
        assert effective_rules(s, doc) == [FIN_7]
        doc.retention_rule = "LEFT-6"
        assert effective_rules(s, doc) == [FIN_7, LEFT_6]


def test_the_consequence_of_filing_is_said_in_plain_words(planned: Runtime, at: object) -> None:
    at("2025-01-15T10:00:00")  # type: ignore[operator]
    with planned.uow() as s:
        assert consequence(s, "FIN-AP-INV") == "kept until March 2032, then destroyed"
        assert consequence(s, "FIN-AP-EXP") == "kept until January 2027, then destroyed"
        assert consequence(s, "HR-WF-FILE") == "destroyed 6 years after the event employee_left"
        assert consequence(s, "HR") == "no retention rule reaches it, so nothing can be filed here"


def test_a_records_retention_names_rule_due_date_action_and_holds(
    planned: Runtime, at: object
) -> None:
    at("2025-01-15T10:00:00")  # type: ignore[operator]
    with planned.uow() as s:
        doc = s.get(Document, file_text(s, planned, "FIN-AP-INV", "Invoice 10"))
        kept = retention_of(s, doc)
    assert {k: kept[k] for k in ("rule", "due", "action", "state", "holds")} == {
        "rule": "FIN-7",
        "due": "2032-03-31",
        "action": "destroy",
        "state": "scheduled",
        "holds": [],
    }
    assert kept["inherited_from"] == "FIN-AP"
    assert kept["authority"] == "HMRC"


# --- the command line ---------------------------------------------------------------------------


def test_the_schedule_exported_as_csv_can_be_edited_and_imported_again(
    cli: Cli, runtime: Runtime, tmp_path: Path
) -> None:
    exported = cli("retention", "export", "--format", "csv")
    assert exported.exit_code == 0, exported.output
    assert exported.output.startswith("code,title,trigger,cutoff,years")
    edited = tmp_path / "schedule.csv"
    edited.write_text(exported.output.replace("DESTROY-2Y,Short-term", "DESTROY-2Y,Brief"))

    result = cli("retention", "import", str(edited), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["updated"] == ["DESTROY-2Y"]
    with runtime.uow() as s:
        assert rules_by_code(s)["DESTROY-2Y"].title.startswith("Brief")


def test_importing_a_bad_file_names_the_row_and_changes_nothing(
    cli: Cli, runtime: Runtime, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,title,trigger,years,action,authority\nX-1,X,created,1,explode,Need\n")

    result = cli("retention", "import", str(bad))

    assert result.exit_code == 1
    assert f"{bad}: row 2 (X-1): unknown action 'explode'" in result.output
    with runtime.uow() as s:
        assert rules_by_code(s) == {}


def test_retention_show_explains_a_class_and_a_rule(cli: Cli, world_plan: None) -> None:
    result = cli("retention", "show", "FIN-AP-INV", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["rule_code"] == "DESTROY-7Y" and shown["set_here"] is True
    assert shown["rule"]["describe"] == "destroy 7 years after it was created"

    text = cli("retention", "show", "DESTROY-7Y")
    assert "used by    FIN-AP, FIN-AP-INV" in text.output
    assert cli("retention", "show", "NOPE").exit_code == 1


def test_doc_show_json_includes_the_records_retention(cli: Cli, world: World) -> None:
    result = cli("doc", "show", str(world.docs["invoice"]), "--json")
    assert result.exit_code == 0, result.output
    kept = json.loads(result.output)["retention"]
    assert kept["rule"] == "DESTROY-7Y"
    assert kept["action"] == "destroy"
    assert kept["due"] is not None and kept["holds"] == []
    assert "retention DESTROY-7Y: destroy" in cli("doc", "show", str(world.docs["invoice"])).output


def test_a_civil_servant_may_see_a_rule_but_not_change_the_schedule(
    cli: Cli, runtime: Runtime, tmp_path: Path
) -> None:
    with runtime.uow() as s:
        add_person(s, "pat", "civil_servant", "OFFICIAL")
    path = tmp_path / "s.toml"
    path.write_text(f"[[rule]]\n{GOOD}")
    result = cli("retention", "import", str(path), "--as", "pat")
    assert result.exit_code == 1 and "only records managers" in result.output
