"""Issue 17 part 6: knowledge that stays fresh — harvest records and skills have an owner and a
review cycle, owners are reminded, a leaver's items pass to their successor, and a report of
knowledge at risk beyond the leavers' list ("ghost knowledge", harvest records with no owner)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from edrm import clock
from edrm.audit.chain import AuditEvent
from edrm.errors import NotFoundError
from edrm.notifications.kinds import KNOWLEDGE_REVIEW_DUE
from edrm.notifications.models import Notification
from edrm.wiring.scheduler import run_job
from harvest.knowledge_risk import ghost_classes, orphaned_harvest_records
from harvest.leavers import find_user, profile_for
from harvest.models import Skill, Stewardship
from harvest.stewardship import EXPERTISE, HARVEST_RECORD, add_months, review_item
from tests.conftest import Cli
from tests.harvest.leaver_support import (
    IN_THREE_MONTHS,
    TODAY,
    Office,
    fixed_clock,
    office,
    register,
)
from tests.harvest.test_interviews import _approve_both, _plan_ready_to_approve, at_risk, banks

__all__ = ["at_risk", "banks", "fixed_clock", "office"]  # fixtures


def _skill(office: Office, who: str, name: str = "procurement law") -> int:
    with office.runtime.uow() as s:
        profile = profile_for(s, find_user(s, who))
        skill = Skill(
            profile_id=profile.id, name=name, is_tag=True, level=3, declared_at=clock.now()
        )
        s.add(skill)
        s.flush()
        return skill.id


def _owner(office: Office, kind: str, item_id: int) -> str:
    with office.runtime.uow() as s:
        item = s.scalar(
            select(Stewardship).where(Stewardship.kind == kind, Stewardship.item_id == item_id)
        )
        assert item is not None
        from harvest.leavers import username_of

        return username_of(s, item.owner_id) or ""


def _after(day: date) -> None:
    clock.set_clock(lambda: datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def test_a_skill_is_owned_by_its_declarer_and_due_a_year_on(office: Office) -> None:
    skill = _skill(office, "cole")

    assert run_job(office.runtime, "knowledge-freshness").startswith("1 item(s) given an owner")

    assert _owner(office, EXPERTISE, skill) == "cole"
    with office.runtime.uow() as s:
        item = s.scalar(select(Stewardship).where(Stewardship.item_id == skill))
        assert item is not None and item.review_due == add_months(TODAY, 12)


def test_a_filed_harvest_record_is_owned_by_the_successor(
    office: Office, banks: Any, at_risk: dict[str, list[int]]
) -> None:
    rt = office.runtime
    from harvest.interviews.filing import file_harvest
    from tests.harvest.leaver_support import CONFIG

    _plan_ready_to_approve(office, banks)
    _approve_both(office)
    with rt.uow() as s:
        file_harvest(s, rt.blobs, "lena", actor=office["hana"], config=CONFIG)
        from harvest.models import HarvestPlan

        plan_id = s.scalar(select(HarvestPlan.id))
    run_job(rt, "knowledge-freshness")
    assert plan_id is not None and _owner(office, HARVEST_RECORD, plan_id) == "sam"


def test_what_a_leaver_owned_passes_to_their_successor_once_they_have_gone(office: Office) -> None:
    rt = office.runtime
    skill = _skill(office, "lena")
    with rt.uow() as s:
        register(s, office)
    run_job(rt, "knowledge-freshness")
    assert _owner(office, EXPERTISE, skill) == "lena"  # still here

    _after(IN_THREE_MONTHS)
    result = run_job(rt, "knowledge-freshness")

    assert "1 passed on from leavers" in result
    assert _owner(office, EXPERTISE, skill) == "sam"
    with rt.uow() as s:
        (entry,) = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "knowledge.owner_passed")
        )
        assert entry.details_dict == {"from": "lena", "to": "sam"}


def test_owners_are_reminded_of_reviews_due_and_a_review_starts_the_next_cycle(
    office: Office,
) -> None:
    rt = office.runtime
    skill = _skill(office, "cole")
    run_job(rt, "knowledge-freshness")
    _after(add_months(TODAY, 12))

    run_job(rt, "knowledge-freshness")

    with rt.uow() as s:
        told = s.scalars(
            select(Notification).where(Notification.kind == KNOWLEDGE_REVIEW_DUE)
        ).all()
        assert [n.recipient for n in told] == ["cole"]
    with rt.uow() as s, pytest.raises(NotFoundError):
        review_item(s, EXPERTISE, skill, actor=office["olly"])  # not theirs
    with rt.uow() as s:
        item = review_item(s, EXPERTISE, skill, actor=office["cole"])
        assert item.review_due == add_months(add_months(TODAY, 12), 12)


def test_ghost_knowledge_is_a_class_whose_recent_records_were_all_made_by_leavers(
    office: Office, at_risk: dict[str, list[int]]
) -> None:
    rt = office.runtime
    with rt.uow() as s:
        assert ghost_classes(s, office["hana"]) == []  # lena has not gone yet
    _after(IN_THREE_MONTHS)

    with rt.uow() as s:
        ghosts = ghost_classes(s, office["hana"])
        with pytest.raises(NotFoundError):  # as if there were no such report
            ghost_classes(s, office["cole"])

    assert [(g.code, g.records, g.creators) for g in ghosts] == [("SEC-OPS-INC", 3, ["lena"])]


def test_a_harvest_record_whose_owner_left_with_no_one_to_take_over_is_at_risk(
    office: Office,
) -> None:
    rt = office.runtime
    with rt.uow() as s:
        from harvest.models import HarvestPlan, Leaver

        register(s, office)
        leaver = s.scalar(select(Leaver))
        assert leaver is not None
        plan = HarvestPlan(
            leaver_id=leaver.id,
            template="default",
            status="filed",
            created_at=clock.now(),
            created_by="hana",
        )
        s.add(plan)
        s.flush()
        s.add(
            Stewardship(
                kind=HARVEST_RECORD,
                item_id=plan.id,
                owner_id=leaver.profile_id,
                review_months=12,
                review_due=TODAY,
            )
        )
    _after(IN_THREE_MONTHS)
    with rt.uow() as s:
        leaver = s.scalar(select(Leaver))
        assert leaver is not None
        leaver.successor_id = leaver.line_manager_id = None
    run_job(rt, "knowledge-freshness")  # no one to pass it to

    with rt.uow() as s:
        (orphan,) = orphaned_harvest_records(s, office["hana"])
    assert (orphan.leaver, orphan.owner) == ("lena", "lena")


def test_the_cli_reports_knowledge_at_risk_for_hr_only(
    office: Office, at_risk: dict[str, list[int]], cli: Cli
) -> None:
    _after(IN_THREE_MONTHS)
    shown = cli("knowledge", "risk", "--as", "hana", "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert [g["code"] for g in body["ghost_classes"]] == ["SEC-OPS-INC"]
    assert body["harvest_records_without_owner"] == []
    refused = cli("knowledge", "risk", "--as", "cole")
    assert refused.exit_code == 1 and refused.output.startswith("edrm: error:")


def test_the_knowledge_at_risk_page_is_hrs_and_lists_ghost_classes(
    office: Office, at_risk: dict[str, list[int]], client: Any
) -> None:
    from tests.conftest import sign_in

    _after(IN_THREE_MONTHS)
    sign_in(client, "cole")
    assert client.get("/leavers/knowledge-at-risk").status_code == 404
    client.post("/sign-out")
    sign_in(client, "hana")
    page = client.get("/leavers/knowledge-at-risk")
    assert page.status_code == 200 and "SEC-OPS-INC" in page.text


def test_an_owner_marks_their_knowledge_reviewed_on_the_page(office: Office, client: Any) -> None:
    import re

    from tests.conftest import sign_in

    skill = _skill(office, "cole", "fire safety")
    run_job(office.runtime, "knowledge-freshness")
    sign_in(client, "cole")
    page = client.get("/knowledge/mine")
    assert "Your skill: fire safety" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    done = client.post(
        "/knowledge/review",
        data={"csrf_token": token.group(1), "kind": "expertise", "item_id": str(skill)},
        follow_redirects=True,
    )
    assert "Reviewed: the next review is due" in done.text
