"""Harvest interviews: plans from templates, sessions, approval and filing the write-up."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from edrm.access import SYSTEM
from edrm.audit import AuditEvent
from edrm.documents.models import Document, DocumentText
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.search_service import catch_up, search_documents
from edrm.settings import Settings
from harvest.interviews.filing import approve, file_harvest
from harvest.interviews.plans import open_plan, start_plan
from harvest.interviews.questions import (
    QuestionBanks,
    load_question_banks,
    parse_question_banks,
    plan_questions,
)
from harvest.interviews.sessions import record_session
from tests.conftest import Cli
from tests.harvest.leaver_support import (
    CONFIG,
    Office,
    file_many,
    fixed_clock,
    office,
    register,
)

__all__ = ["fixed_clock", "office"]

ANSWER = "The quarterly reconciliation uses the Zephyrine workbook kept on the finance drive."


@pytest.fixture
def banks(settings: Settings) -> QuestionBanks:
    return load_question_banks(settings.config_dir)


@pytest.fixture
def at_risk(office: Office) -> dict[str, list[int]]:
    """lena leaves in 3 months and is sole creator of all of SEC-OPS-INC, 4/5 of FIN-AP-INV,
    2/3 of FIN-AP and 1/4 of SEC-OPS."""
    rt = office.runtime
    with rt.uow() as s:
        mine = {
            "FIN-AP-INV": file_many(s, rt, "FIN-AP-INV", office["lena"], 4),
            "SEC-OPS-INC": file_many(s, rt, "SEC-OPS-INC", office["lena"], 3),
            "FIN-AP": file_many(s, rt, "FIN-AP", office["lena"], 2),
            "SEC-OPS": file_many(s, rt, "SEC-OPS", office["lena"], 1),
        }
        file_many(s, rt, "FIN-AP-INV", office["cole"], 1)
        file_many(s, rt, "FIN-AP", office["cole"], 1)
        file_many(s, rt, "SEC-OPS", office["cole"], 3)
        register(s, office, reason="Secret reason Quillwort")
    return mine


def _plan_ready_to_approve(office: Office, banks: QuestionBanks) -> None:
    with office.runtime.uow() as s:
        start_plan(s, "lena", actor=office["hana"], config=CONFIG, banks=banks)
    with office.runtime.uow() as s:
        record_session(
            s,
            "lena",
            actor=office["hana"],
            held_on=office_today(),
            attendees=["Lena", "Hana"],
            answers={"unique_knowledge.only_you": ANSWER},
            follow_ups=["Send the workbook link to Sam"],
        )


def office_today() -> date:
    from harvest.risk import today_date

    return today_date()


def _approve_both(office: Office) -> None:
    with office.runtime.uow() as s:
        approve(s, "lena", actor=office["lena"])
    with office.runtime.uow() as s:
        approve(s, "lena", actor=office["mo"])


# --- question banks -------------------------------------------------------------------------------


def test_the_question_banks_cover_the_five_areas(banks: QuestionBanks) -> None:
    default = banks.templates["default"]
    titles = [banks.banks[b].title for b in default.banks]
    assert titles == [
        "Unique knowledge",
        "Contacts and resources",
        "Work in flight and what falls due",
        "Decisions and their reasons",
        "Advice for the successor",
    ]


def test_a_template_is_chosen_by_job_title(banks: QuestionBanks) -> None:
    assert banks.template_for_role("Head of Procurement") == "manager"
    assert banks.template_for_role("Senior Lawyer") == "specialist"
    assert banks.template_for_role("Executive Officer") == "default"


def test_a_template_naming_an_unknown_bank_is_refused() -> None:
    data = {
        "focus": {"questions": [{"id": "a", "text": "About {code}?"}]},
        "banks": {"one": {"questions": [{"id": "q", "text": "Q?"}]}},
        "templates": {"default": {"banks": ["one", "two"]}},
    }
    with pytest.raises(InvalidInputError, match="unknown bank"):
        parse_question_banks(data)


def test_focus_questions_name_each_class(banks: QuestionBanks) -> None:
    questions = plan_questions(banks, "short", [("FIN-AP", "Accounts payable")])
    focus = [q for q in questions if q["class_code"] == "FIN-AP"]
    assert focus and all("Accounts payable" in q["text"] for q in focus)
    assert len({q["id"] for q in questions}) == len(questions)


# --- plans -------------------------------------------------------------------------------------


def test_scenario_3_starting_from_the_default_template_prefills_the_bank_and_top_three_classes(
    office: Office,
    banks: QuestionBanks,
    at_risk: dict[str, list[int]],
) -> None:
    with office.runtime.uow() as s:
        plan = start_plan(s, "lena", actor=office["hana"], config=CONFIG, banks=banks)
        questions, focus, template = plan.questions, plan.focus_classes, plan.template
    assert template == "default"
    assert focus == ["SEC-OPS-INC", "FIN-AP-INV", "FIN-AP"]
    bank_ids = [
        f"{b}.{q.id}" for b in banks.templates["default"].banks for q in banks.banks[b].questions
    ]
    assert [q["id"] for q in questions if q["bank"] != "focus"] == bank_ids
    assert [q["class_code"] for q in questions if q["bank"] == "focus"] == [
        code for code in focus for _ in banks.focus.questions
    ]


def test_only_hr_starts_a_plan(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    for who in ("lena", "mo", "sam", "olly", "rita"):
        with pytest.raises(NotFoundError), office.runtime.uow() as s:
            start_plan(s, "lena", actor=office[who], config=CONFIG, banks=banks)


def test_a_leaver_has_one_plan(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    with office.runtime.uow() as s:
        start_plan(s, "lena", actor=office["hana"], config=CONFIG, banks=banks)
    with pytest.raises(InvalidInputError, match="already has"), office.runtime.uow() as s:
        start_plan(s, "lena", actor=office["hana"], config=CONFIG, banks=banks)


def test_drafts_are_seen_by_the_participants_only_and_every_view_is_audited(
    office: Office,
    banks: QuestionBanks,
    at_risk: dict[str, list[int]],
) -> None:
    _plan_ready_to_approve(office, banks)
    for who in ("hana", "lena", "mo", "sam"):
        with office.runtime.uow() as s:
            assert open_plan(s, "lena", office[who]).plan.status == "draft"
    for who in ("olly", "rita", "cole"):
        with pytest.raises(NotFoundError), office.runtime.uow() as s:
            open_plan(s, "lena", office[who])
    with office.runtime.uow() as s:
        viewers = s.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "harvest.draft.view")
        ).all()
    assert sorted(viewers) == ["hana", "lena", "mo", "sam"]


def test_answers_are_kept_as_plain_text(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    with office.runtime.uow() as s:
        start_plan(s, "lena", actor=office["hana"], config=CONFIG, banks=banks)
    with office.runtime.uow() as s:
        row = record_session(
            s,
            "lena",
            actor=office["hana"],
            answers={"advice.wish": "Line one\r\nLine two\x00<script>x</script>"},
        )
        assert row.answers == {"advice.wish": "Line one\nLine two<script>x</script>"}


def test_an_answer_to_an_unknown_question_is_refused(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    with office.runtime.uow() as s:
        start_plan(s, "lena", actor=office["hana"], config=CONFIG, banks=banks)
    with pytest.raises(InvalidInputError, match="unknown question"), office.runtime.uow() as s:
        record_session(s, "lena", actor=office["hana"], answers={"nope": "x"})


def test_only_hr_records_sessions(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    with office.runtime.uow() as s:
        start_plan(s, "lena", actor=office["hana"], config=CONFIG, banks=banks)
    for who in ("lena", "mo", "sam"):
        with pytest.raises(NotFoundError), office.runtime.uow() as s:
            record_session(s, "lena", actor=office[who], answers={"advice.wish": "x"})


# --- approval and filing -----------------------------------------------------------------------


def test_scenario_4_filing_is_refused_until_the_leaver_and_the_line_manager_approved(
    office: Office,
    banks: QuestionBanks,
    at_risk: dict[str, list[int]],
) -> None:
    rt = office.runtime
    _plan_ready_to_approve(office, banks)
    with pytest.raises(RefusedError, match="the leaver and the line manager"), rt.uow() as s:
        file_harvest(s, rt.blobs, "lena", actor=office["hana"], config=CONFIG)
    with rt.uow() as s:
        approve(s, "lena", actor=office["lena"])
    with pytest.raises(RefusedError, match=r"approved by the line manager$"), rt.uow() as s:
        file_harvest(s, rt.blobs, "lena", actor=office["hana"], config=CONFIG)
    with rt.uow() as s:
        approve(s, "lena", actor=office["mo"])
    with rt.uow() as s:
        document = file_harvest(s, rt.blobs, "lena", actor=office["hana"], config=CONFIG)
        assert (document.class_code, document.is_record) == ("SEC-OPS-INC", True)
    with rt.uow() as s:
        refusals = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "harvest.file.refused")
        ).all()
    assert len(refusals) == 2


def test_hr_and_the_successor_cannot_approve(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    _plan_ready_to_approve(office, banks)
    for who in ("hana", "sam"):
        with pytest.raises(RefusedError, match="only the leaver"), office.runtime.uow() as s:
            approve(s, "lena", actor=office[who])


def test_changing_a_session_after_approval_needs_approval_again(
    office: Office,
    banks: QuestionBanks,
    at_risk: dict[str, list[int]],
) -> None:
    _plan_ready_to_approve(office, banks)
    _approve_both(office)
    with office.runtime.uow() as s:
        view = open_plan(s, "lena", office["hana"])
        assert view.plan.status == "approved"
        record_session(s, "lena", actor=office["hana"], session_id=view.sessions[0].id, answers={})
    with office.runtime.uow() as s:
        view = open_plan(s, "lena", office["hana"])
        assert (view.plan.status, view.approvals) == ("draft", {})


def test_scenario_5_an_approved_harvest_is_filed_in_class_by_leaver_for_successor_linked_and_found(
    office: Office,
    banks: QuestionBanks,
    at_risk: dict[str, list[int]],
) -> None:
    rt = office.runtime
    _plan_ready_to_approve(office, banks)
    _approve_both(office)
    with rt.uow() as s:
        document_id = file_harvest(s, rt.blobs, "lena", actor=office["hana"], config=CONFIG).id
    catch_up(rt)
    with rt.uow() as s:
        document = s.get(Document, document_id)
        assert document.class_code == "SEC-OPS-INC"  # the top at-risk class
        assert document.marking_value == "OFFICIAL-SENSITIVE"
        assert document.creator == "Lena"
        assert document.versions[0].created_by == "lena"
        assert document.filed_by_id == office["sam"].user_id
        assert document.is_record
        assert document.retention_rule == "REVIEW-10Y"
        linked = {r["document_id"] for r in document.relations if r["type"] == "references"}
        assert linked == {i for ids in at_risk.values() for i in ids}
        view = open_plan(s, "lena", office["hana"])
        assert (view.plan.status, view.plan.record_document_id) == ("filed", document_id)
        found = search_documents(s, rt, office["sam"], "Zephyrine workbook")
    assert [h.id for h in found.hits] == [document_id]


def test_the_filed_record_holds_neither_the_reason_nor_the_risk(
    office: Office,
    banks: QuestionBanks,
    at_risk: dict[str, list[int]],
) -> None:
    rt = office.runtime
    _plan_ready_to_approve(office, banks)
    _approve_both(office)
    with rt.uow() as s:
        document_id = file_harvest(s, rt.blobs, "lena", actor=office["hana"], config=CONFIG).id
    with rt.uow() as s:
        text = s.get(DocumentText, document_id).text
        details = [e.details_dict for e in s.scalars(select(AuditEvent))]
    assert ANSWER in text and "Send the workbook link to Sam" in text
    assert "Quillwort" not in text and "risk" not in text.lower()
    assert "Quillwort" not in json.dumps(details)


def test_draft_answers_are_never_searchable(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    rt = office.runtime
    _plan_ready_to_approve(office, banks)
    catch_up(rt)
    with rt.uow() as s:
        assert search_documents(s, rt, SYSTEM, "Zephyrine").total == 0


def test_hr_chooses_the_marking_and_the_class(
    office: Office, banks: QuestionBanks, at_risk: dict[str, list[int]]
) -> None:
    rt = office.runtime
    _plan_ready_to_approve(office, banks)
    _approve_both(office)
    with rt.uow() as s:
        document = file_harvest(
            s,
            rt.blobs,
            "lena",
            actor=office["hana"],
            config=CONFIG,
            marking="OFFICIAL",
            class_code="FIN-AP-INV",
        )
        assert (document.class_code, document.marking_value) == ("FIN-AP-INV", "OFFICIAL")


def test_cli_runs_a_harvest_from_plan_to_filed_record(
    office: Office,
    at_risk: dict[str, list[int]],
    cli: Cli,
) -> None:
    started = cli("leaver", "plan", "start", "lena", "--json")
    assert started.exit_code == 0, started.output
    assert json.loads(started.output)["focus_classes"][0] == "SEC-OPS-INC"
    session = cli(
        "leaver",
        "plan",
        "session",
        "lena",
        "--held-on",
        "2025-03-10",
        "--attendee",
        "Lena",
        "--answer",
        f"unique_knowledge.only_you={ANSWER}",
    )
    assert session.exit_code == 0, session.output
    early = cli("leaver", "plan", "file", "lena")
    assert early.exit_code == 1 and "cannot be filed until" in early.output
    approved = cli("leaver", "plan", "approve", "lena", "--as", "lena")
    assert approved.exit_code == 0
    # Issue 12 item 7: the approver is told how many questions have no answer.
    warned = r"approved as leaver \(warning: \d+ question\(s\) have no answer\)"
    assert re.search(warned, approved.output)
    assert cli("leaver", "plan", "approve", "lena", "--as", "mo").exit_code == 0
    filed = cli("leaver", "plan", "file", "lena", "--as", "hana", "--json")
    assert filed.exit_code == 0, filed.output
    assert json.loads(filed.output)["class_code"] == "SEC-OPS-INC"
    shown = json.loads(cli("leaver", "plan", "show", "lena", "--as", "sam", "--json").output)
    assert shown["status"] == "filed"
    assert shown["approved_by"] == {"leaver": "lena", "line_manager": "mo"}
