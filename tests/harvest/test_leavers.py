"""Registering leavers, what anyone may know of them, and the `edrm leaver` commands."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.audit import AuditEvent
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.settings import Settings
from harvest.leavers import (
    leaver_by_username,
    leaver_status,
    list_leavers,
    register_leaver,
    reminder_due,
)
from harvest.models import Leaver, Profile
from tests.conftest import Cli, add_person
from tests.harvest.leaver_support import (
    CONFIG,
    IN_THREE_MONTHS,
    Office,
    file_many,
    fixed_clock,
    office,
    register,
)

__all__ = ["fixed_clock", "office"]


def _profile_id(session: Session, username: str) -> int:
    from edrm.people.models import User

    return session.scalar(
        select(Profile.id).join(User, User.id == Profile.user_id).where(User.username == username)
    )


def test_hr_registers_a_leaver_with_date_reason_manager_and_successor(office: Office) -> None:
    with office.runtime.uow() as s:
        register(s, office, reason="Retiring")
    with office.runtime.uow() as s:
        leaver = leaver_by_username(s, "lena")
        assert leaver.leaving_date == IN_THREE_MONTHS
        assert leaver.reason == "Retiring"
        assert leaver.line_manager_id == _profile_id(s, "mo")
        assert leaver.successor_id == _profile_id(s, "sam")
        assert s.get(Profile, leaver.profile_id).leaving_date == IN_THREE_MONTHS


def test_registering_is_audited_without_the_reason(office: Office) -> None:
    with office.runtime.uow() as s:
        register(s, office, reason="Personal circumstances")
    with office.runtime.uow() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "leaver.register")).one()
        details = event.details_dict
    assert event.actor == "hana"
    assert details["successor"] == "sam" and details["reason_given"] is True
    assert "Personal circumstances" not in json.dumps(details)


@pytest.mark.parametrize("who", ["olly", "rita", "mo"])
def test_only_hr_may_register_a_leaver(office: Office, who: str) -> None:
    with pytest.raises(RefusedError), office.runtime.uow() as s:
        register_leaver(s, "lena", IN_THREE_MONTHS, successor="sam", actor=office[who])


def test_a_leaver_cannot_be_their_own_successor(office: Office) -> None:
    with pytest.raises(InvalidInputError, match="own successor"), office.runtime.uow() as s:
        register_leaver(s, "lena", IN_THREE_MONTHS, successor="lena", actor=office["hana"])


def test_registering_again_changes_the_date_and_keeps_the_reason(office: Office) -> None:
    with office.runtime.uow() as s:
        register(s, office, reason="Retiring")
    with office.runtime.uow() as s:
        register_leaver(s, "lena", date(2025, 7, 1), successor=None, actor=office["hana"])
    with office.runtime.uow() as s:
        leavers = s.scalars(select(Leaver)).all()
        assert len(leavers) == 1
        assert leavers[0].leaving_date == date(2025, 7, 1)
        assert leavers[0].reason == "Retiring"
        assert leavers[0].successor_id == _profile_id(s, "sam")


def test_scenario_10_a_leaver_whose_date_has_passed_is_shown_as_left_with_successor_and_harvest_record(  # noqa: E501
    office: Office,
) -> None:
    from harvest.models import HarvestPlan

    with office.runtime.uow() as s:
        register(s, office, leaving=date(2025, 2, 28))
        document_id = file_many(s, office.runtime, "FIN-AP-INV", office["hana"], 1)[0]
        leaver = leaver_by_username(s, "lena")
        s.add(
            HarvestPlan(
                leaver_id=leaver.id,
                template="default",
                questions=[],
                focus_classes=[],
                status="filed",
                record_document_id=document_id,
                created_at=leaver.registered_at,
                created_by="hana",
                filed_at=leaver.registered_at,
            )
        )
    with office.runtime.uow() as s:
        status = leaver_status(s, _profile_id(s, "lena"))
        summary = list_leavers(s, office["hana"], CONFIG)[0]
    assert status == {
        "left": True,
        "leaving_date": "2025-02-28",
        "successor": "sam",
        "successor_name": "Sam",
        "harvest_document_id": document_id,
    }
    assert summary.left and summary.successor == "sam"
    assert summary.harvest_document_id == document_id


def test_leaver_status_tells_nothing_hr_only(office: Office) -> None:
    with office.runtime.uow() as s:
        register(s, office, reason="Disciplinary outcome")
    with office.runtime.uow() as s:
        status = leaver_status(s, _profile_id(s, "lena"))
        assert leaver_status(s, _profile_id(s, "olly")) is None
    assert status is not None and not status["left"]
    assert "Disciplinary" not in json.dumps(status)
    assert set(status) == {
        "left",
        "leaving_date",
        "successor",
        "successor_name",
        "harvest_document_id",
    }


def test_the_list_is_for_hr_only_and_sorted_by_leaving_date(office: Office) -> None:
    with office.runtime.uow() as s:
        register(s, office)
        register_leaver(s, "cole", date(2025, 4, 1), successor="sam", actor=office["hana"])
    with office.runtime.uow() as s:
        assert [r.username for r in list_leavers(s, office["hana"], CONFIG)] == ["cole", "lena"]
        for who in ("olly", "rita", "mo", "lena"):
            with pytest.raises(NotFoundError):
                list_leavers(s, office[who], CONFIG)


def test_hr_is_reminded_when_the_date_nears_and_no_interview_was_held(office: Office) -> None:
    with office.runtime.uow() as s:
        register(s, office, leaving=date(2025, 3, 31))
        register_leaver(s, "cole", IN_THREE_MONTHS, successor="sam", actor=office["hana"])
    with office.runtime.uow() as s:
        assert reminder_due(s, leaver_by_username(s, "lena"), CONFIG)
        assert not reminder_due(s, leaver_by_username(s, "cole"), CONFIG)


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_leaver_add_registers_and_answers_in_json(office: Office, cli: Cli) -> None:
    result = cli(
        "leaver",
        "add",
        "lena",
        "--date",
        "2025-06-10",
        "--successor",
        "sam",
        "--manager",
        "mo",
        "--reason",
        "Retiring",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "username": "lena",
        "leaving_date": "2025-06-10",
        "left": False,
        "successor": "sam",
        "line_manager": "mo",
    }


def test_cli_leaver_add_refuses_a_bad_date_in_one_line(office: Office, cli: Cli) -> None:
    result = cli("leaver", "add", "lena", "--date", "10/06/2025", "--successor", "sam")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "edrm: error: --date: give a date as YYYY-MM-DD, not '10/06/2025'"
    ]


def test_cli_leaver_add_as_a_civil_servant_is_refused(office: Office, cli: Cli) -> None:
    result = cli(
        "leaver", "add", "lena", "--date", "2025-06-10", "--successor", "sam", "--as", "olly"
    )
    assert result.exit_code == 1
    assert "only HR may register a leaver" in result.output


def test_cli_leaver_risk_scenario_1_in_json(office: Office, cli: Cli) -> None:
    rt = office.runtime
    with rt.uow() as s:
        file_many(s, rt, "FIN-AP-INV", office["lena"], 9)
        file_many(s, rt, "FIN-AP-INV", office["cole"], 1)
        file_many(s, rt, "SEC-OPS-INC", office["lena"], 1)
        file_many(s, rt, "SEC-OPS-INC", office["cole"], 9)
    assert cli("leaver", "add", "lena", "--date", "2025-06-10", "--successor", "sam").exit_code == 0
    result = cli("leaver", "risk", "lena", "--as", "hana", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["plan_required"] is True
    assert [(c["class_code"], c["share"]) for c in data["classes"]] == [
        ("FIN-AP-INV", 0.9),
        ("SEC-OPS-INC", 0.1),
    ]
    assert data["classes"][0]["plan_required"] is True
    text = cli("leaver", "risk", "lena")
    assert text.exit_code == 0
    assert "FIN-AP-INV" in text.output and "required" in text.output


def test_cli_leaver_risk_is_not_found_for_other_roles(office: Office, cli: Cli) -> None:
    assert cli("leaver", "add", "lena", "--date", "2025-06-10", "--successor", "sam").exit_code == 0
    for who in ("olly", "rita", "sam"):
        result = cli("leaver", "risk", "lena", "--as", who, "--json")
        assert result.exit_code == 1
        assert "not found" in result.output


def test_cli_leaver_list_shows_every_leaver_with_progress(office: Office, cli: Cli) -> None:
    assert cli("leaver", "add", "lena", "--date", "2025-03-20", "--successor", "sam").exit_code == 0
    assert cli("leaver", "add", "cole", "--date", "2025-01-20", "--successor", "sam").exit_code == 0
    result = cli("leaver", "list", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["leavers"]
    assert [(r["username"], r["left"], r["progress"], r["reminder_due"]) for r in rows] == [
        ("cole", True, "not started", False),
        ("lena", False, "not started", True),
    ]
    assert "reason" not in json.dumps(rows)
    current = json.loads(cli("leaver", "list", "--current", "--json").output)["leavers"]
    assert [r["username"] for r in current] == ["lena"]
    text = cli("leaver", "list")
    assert "REMINDER" in text.output


# --- reminders ------------------------------------------------------------------------------------


def test_the_reminder_job_notes_each_leaver_without_an_interview_once_a_day(
    office: Office,
) -> None:
    from harvest.jobs import interview_reminders

    with office.runtime.uow() as s:
        register(s, office, leaving=date(2025, 3, 31))
        register_leaver(s, "cole", date(2025, 3, 12), successor="sam", actor=office["hana"])
        register_leaver(s, "olly", IN_THREE_MONTHS, successor="sam", actor=office["hana"])
    first = interview_reminders(office.runtime)
    again = interview_reminders(office.runtime)
    assert (
        first
        == again
        == (
            "2 leaver(s) with no harvest interview held yet: "
            "cole (leaves in 2 days, no plan), lena (leaves in 21 days, no plan)"
        )
    )
    with office.runtime.uow() as s:
        noted = s.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "harvest.reminder")
        ).all()
    assert sorted(noted) == ["cole", "lena"]


def test_no_reminder_once_an_interview_was_held(office: Office, settings: Settings) -> None:
    from harvest.interviews.plans import start_plan
    from harvest.interviews.questions import load_question_banks
    from harvest.interviews.sessions import record_session
    from harvest.jobs import interview_reminders

    with office.runtime.uow() as s:
        register(s, office, leaving=date(2025, 3, 31))
    with office.runtime.uow() as s:
        start_plan(
            s,
            "lena",
            actor=office["hana"],
            config=CONFIG,
            banks=load_question_banks(settings.config_dir),
        )
    with office.runtime.uow() as s:
        record_session(s, "lena", actor=office["hana"], held_on=date(2025, 3, 10))
    assert interview_reminders(office.runtime) == "no harvest interviews overdue"


def test_the_reminder_job_is_scheduled(settings: Settings) -> None:
    from edrm.wiring.scheduler import load_definitions

    jobs = {d.function: d for d in load_definitions(settings.config_dir / "jobs.toml")}
    assert "harvest.jobs:interview_reminders" in jobs


def test_the_demo_leavers_load_once(office: Office) -> None:
    from harvest.demo import load_demo_leavers

    with office.runtime.uow() as s:
        for username in ("dwilliams", "bjones", "jbaker", "gmurray", "ehughes", "asmith"):
            add_person(s, username, "civil_servant", "OFFICIAL")
    assert load_demo_leavers(office.runtime) == 3
    assert load_demo_leavers(office.runtime) == 0
    with office.runtime.uow() as s:
        rows = list_leavers(s, office["hana"], CONFIG)
    assert [(r.username, r.left, r.progress) for r in rows] == [
        ("ehughes", True, "not started"),
        ("dwilliams", False, "planned"),
        ("gmurray", False, "not started"),
    ]
