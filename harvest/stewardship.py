"""Knowledge that stays fresh: every filed harvest record and every declared skill has an owner
who reviews it once a cycle (`knowledge_review_months`, 12 by default).

- An item gets its owner the first time the daily `knowledge-freshness` job (or a review) sees
  it: a skill's owner is the person who declared it; a harvest record's is the leaver's
  successor, else their line manager.
- When an owner leaves (their leaving date has passed, or their account is deactivated) the
  job passes what they owned to their successor, else their line manager, else their manager in
  the directory, and audits each hand-over (`knowledge.owner_passed`). With no one to pass to,
  the item stays with them and shows in the knowledge-at-risk report.
- Owners are reminded of the reviews that have fallen due, once a day at most.

Each step runs in the caller's transaction; a crash leaves the items as the last commit left
them, and the next run takes up what is left (every step looks at what is there, not at what
changed).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, may_know_hr_matters
from edrm.errors import NotFoundError
from edrm.notifications.kinds import KNOWLEDGE_REVIEW_DUE
from edrm.notifications.outbox import notify
from edrm.people.models import User
from harvest.leavers import username_of
from harvest.models import HarvestPlan, Leaver, Profile, Skill, Stewardship

HARVEST_RECORD, EXPERTISE = "harvest_record", "expertise"
KINDS = (HARVEST_RECORD, EXPERTISE)


@dataclass(frozen=True)
class FreshnessRun:
    added: int
    passed: int
    reminded: int

    @property
    def message(self) -> str:
        return (
            f"{self.added} item(s) given an owner, {self.passed} passed on from leavers, "
            f"{self.reminded} owner(s) reminded of reviews due"
        )


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def has_left(session: Session, profile_id: int, today: date) -> bool:
    """Whether the person has gone: past their leaving date (directory or HR), or deactivated."""
    profile = session.get(Profile, profile_id)
    if profile is None:
        return True
    user = session.get(User, profile.user_id)
    if user is None or not user.active:
        return True
    if profile.leaving_date is not None and profile.leaving_date <= today:
        return True
    leaver = session.scalar(select(Leaver).where(Leaver.profile_id == profile_id))
    return leaver is not None and leaver.leaving_date <= today


def _heir(session: Session, profile_id: int, today: date) -> int | None:
    """Who takes over what a leaver owned: successor, line manager, then directory manager —
    the first of them who has not left too."""
    leaver = session.scalar(select(Leaver).where(Leaver.profile_id == profile_id))
    profile = session.get(Profile, profile_id)
    candidates = [
        leaver.successor_id if leaver else None,
        leaver.line_manager_id if leaver else None,
        profile.manager_id if profile else None,
    ]
    for candidate in candidates:
        if (
            candidate is not None
            and candidate != profile_id
            and not has_left(session, candidate, today)
        ):
            return candidate
    return None


def _owner_of_harvest(session: Session, plan: HarvestPlan) -> int | None:
    leaver = session.get(Leaver, plan.leaver_id)
    if leaver is None:
        return None
    return leaver.successor_id or leaver.line_manager_id or leaver.profile_id


def sync_items(session: Session, *, months: int, today: date) -> int:
    """Give every filed harvest record and declared skill without an owner its first owner."""
    known = {(k, i) for k, i in session.execute(select(Stewardship.kind, Stewardship.item_id))}
    due = add_months(today, months)
    added = 0
    for skill_id, profile_id in session.execute(select(Skill.id, Skill.profile_id)):
        if (EXPERTISE, skill_id) not in known:
            session.add(
                Stewardship(
                    kind=EXPERTISE,
                    item_id=skill_id,
                    owner_id=profile_id,
                    review_months=months,
                    review_due=due,
                )
            )
            added += 1
    for plan in session.scalars(select(HarvestPlan).where(HarvestPlan.status == "filed")):
        owner = _owner_of_harvest(session, plan)
        if (HARVEST_RECORD, plan.id) not in known and owner is not None:
            session.add(
                Stewardship(
                    kind=HARVEST_RECORD,
                    item_id=plan.id,
                    owner_id=owner,
                    review_months=months,
                    review_due=due,
                )
            )
            added += 1
    session.flush()
    return added


def pass_on_from_leavers(session: Session, *, today: date) -> int:
    """Hand what people who have left owned to whoever takes over from them (audited)."""
    passed = 0
    owners = sorted(set(session.scalars(select(Stewardship.owner_id))))
    for owner in owners:
        if not has_left(session, owner, today):
            continue
        heir = _heir(session, owner, today)
        if heir is None:
            continue
        for item in session.scalars(select(Stewardship).where(Stewardship.owner_id == owner)):
            item.owner_id = heir
            audit.record(
                session,
                "system",
                "knowledge.owner_passed",
                item.kind,
                item.item_id,
                {"from": username_of(session, owner), "to": username_of(session, heir)},
            )
            passed += 1
    session.flush()
    return passed


def remind_owners(session: Session, *, today: date) -> int:
    """Tell each owner how many of their items are due for review (once a day at most)."""
    counts: dict[int, int] = {}
    for owner in session.scalars(
        select(Stewardship.owner_id).where(Stewardship.review_due <= today)
    ):
        counts[owner] = counts.get(owner, 0) + 1
    told = 0
    for owner, n in sorted(counts.items()):
        username = username_of(session, owner)
        if username is None or has_left(session, owner, today):
            continue
        told += notify(
            session,
            KNOWLEDGE_REVIEW_DUE,
            [username],
            summary=(
                f"{n} piece{'s' if n != 1 else ''} of knowledge you own "
                f"({'is' if n == 1 else 'are'} due for review: check each is still right, "
                "then mark it reviewed."
            ),
            link="/knowledge/mine",
            key=f"knowledge-review:{today.isoformat()}",
        )
    return told


def freshness_run(session: Session, *, months: int) -> FreshnessRun:
    today = clock.now().date()
    added = sync_items(session, months=months, today=today)
    passed = pass_on_from_leavers(session, today=today)
    return FreshnessRun(added, passed, remind_owners(session, today=today))


def review_item(session: Session, kind: str, item_id: int, *, actor: Principal) -> Stewardship:
    """The owner (or HR) notes that an item was reviewed: the next review is a cycle away."""
    if kind not in KINDS:
        raise NotFoundError(f"no kind of knowledge {kind!r}: use {' or '.join(KINDS)}")
    item = session.scalar(
        select(Stewardship).where(Stewardship.kind == kind, Stewardship.item_id == item_id)
    )
    owner = session.get(Profile, item.owner_id) if item else None
    if (
        item is None
        or owner is None
        or (owner.user_id != actor.user_id and not may_know_hr_matters(actor))
    ):
        raise NotFoundError(f"{kind.replace('_', ' ')} {item_id} not found among yours")
    now = clock.now()
    item.reviewed_at, item.reviewed_by = now, actor.username
    item.review_due = add_months(now.date(), item.review_months)
    audit.record(
        session,
        actor.username,
        "knowledge.reviewed",
        kind,
        item_id,
        {"next": item.review_due.isoformat()},
    )
    session.flush()
    return item


def items_owned(session: Session, profile_id: int) -> list[Stewardship]:
    return list(
        session.scalars(
            select(Stewardship)
            .where(Stewardship.owner_id == profile_id)
            .order_by(Stewardship.review_due, Stewardship.kind, Stewardship.item_id)
        )
    )
