"""Leavers: HR registers who is leaving (date, reason, line manager, successor), the line
manager rates how critical each class is, and HR follows every leaver's harvest.

Who may see what:
- HR sees everything about every leaver (the reason, risk, plans and drafts).
- The leaver, their line manager and their successor take part in the harvest (see
  `harvest.interviews`); the line manager also rates the classes' criticality.
- Everyone else learns only what `leaver_status` says (left or not, the successor, the filed
  harvest record), never the reason, the risk or a draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal, may_know_hr_matters
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.people.models import User
from edrm.webhooks.outbox import LEAVER_REGISTERED, enqueue
from harvest.directory.profiles import ensure_profile
from harvest.loader import HarvestConfig
from harvest.models import (
    ClassCriticality,
    HarvestApproval,
    HarvestPlan,
    HarvestSession,
    Leaver,
    Profile,
)
from harvest.risk import LeaverRisk, assess_leaver, today_date

MAX_REASON = 2000

# How far a leaver's harvest has got, in order.
STAGES = ("not started", "planned", "interviewed", "approved", "filed")


def is_hr(principal: Principal) -> bool:
    """HR (and the system itself: the CLI without --as, jobs) handle leavers."""
    return may_know_hr_matters(principal)


def require_hr(principal: Principal, what: str = "leavers") -> None:
    if not is_hr(principal):
        raise NotFoundError(f"{what}: not found")


def leaver_not_found(username: str) -> NotFoundError:
    """The one answer for a person who is not a leaver, who does not exist, or whose leaving
    the asker may not know about: whoever asks learns nothing from the message."""
    return NotFoundError(f"leaver {username!r}: not found")


# --- people ---------------------------------------------------------------------------------


def find_user(session: Session, username: str) -> User:
    """A person by username, whether or not their account is still active."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def profile_for(session: Session, user: User) -> Profile:
    """The person's directory entry, made from their account when they have none yet."""
    return ensure_profile(session, user)


def _profile_user(session: Session, profile_id: int | None) -> tuple[Profile, User] | None:
    if profile_id is None:
        return None
    profile = session.get(Profile, profile_id)
    if profile is None:
        return None
    user = session.get(User, profile.user_id)
    return (profile, user) if user is not None else None


def username_of(session: Session, profile_id: int | None) -> str | None:
    found = _profile_user(session, profile_id)
    return found[1].username if found else None


def name_of(session: Session, profile_id: int | None) -> str | None:
    found = _profile_user(session, profile_id)
    if not found:
        return None
    profile, user = found
    return profile.name or user.full_name or user.username


# --- registering ----------------------------------------------------------------------------


def register_leaver(
    session: Session,
    username: str,
    leaving_date: date,
    *,
    successor: str | None,
    reason: str = "",
    manager: str | None = None,
    actor: Principal,
) -> Leaver:
    """Register (or update) a leaver. HR only; audited without the reason (HR-only data)."""
    if not is_hr(actor):
        raise RefusedError("only HR may register a leaver")
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInputError(f"reason: at most {MAX_REASON} characters")
    user = find_user(session, username)
    profile = profile_for(session, user)
    successor_profile = None
    if successor:
        successor_user = find_user(session, successor)
        if successor_user.id == user.id:
            raise InvalidInputError("successor: a leaver cannot be their own successor")
        if not successor_user.active:
            raise InvalidInputError(f"successor: {successor_user.username} is no longer active")
        successor_profile = profile_for(session, successor_user)
    manager_id = profile.manager_id
    if manager:
        manager_user = find_user(session, manager)
        if manager_user.id == user.id:
            raise InvalidInputError("line manager: a leaver cannot be their own line manager")
        manager_id = profile_for(session, manager_user).id
    leaver = session.scalar(select(Leaver).where(Leaver.profile_id == profile.id))
    action = "leaver.update" if leaver is not None else "leaver.register"
    if leaver is None:
        leaver = Leaver(profile_id=profile.id, registered_at=clock.now(), reason="")
        session.add(leaver)
    leaver.leaving_date = leaving_date
    if reason or action == "leaver.register":
        leaver.reason = reason
    leaver.line_manager_id = manager_id
    if successor_profile is not None or action == "leaver.register":
        leaver.successor_id = successor_profile.id if successor_profile else None
    leaver.registered_by = actor.username
    profile.leaving_date = leaving_date
    profile.updated_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor.username,
        action,
        "leaver",
        user.username,
        {
            "leaving_date": leaving_date.isoformat(),
            "successor": username_of(session, leaver.successor_id),
            "line_manager": username_of(session, leaver.line_manager_id),
            "reason_given": bool(leaver.reason),
        },
    )
    if action == "leaver.register":
        enqueue(
            session,
            LEAVER_REGISTERED,
            {"leaver": user.username, "leaving_date": leaving_date.isoformat()},
        )
    return leaver


def leaver_by_username(session: Session, username: str) -> Leaver:
    """The leaver row (no access check: callers check who is asking). Not found, with the
    message of `leaver_not_found`, for no such person and for a person not leaving."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    leaver = (
        session.scalar(
            select(Leaver)
            .join(Profile, Profile.id == Leaver.profile_id)
            .where(Profile.user_id == user.id)
        )
        if user is not None
        else None
    )
    if leaver is None:
        raise leaver_not_found(username)
    return leaver


def get_leaver(session: Session, username: str, actor: Principal) -> Leaver:
    """The leaver for HR; not found for anyone else (HR-only data), with the same message."""
    if not is_hr(actor):
        raise leaver_not_found(username)
    return leaver_by_username(session, username)


def involvement(session: Session, leaver: Leaver, actor: Principal) -> set[str]:
    """How the person takes part in this leaver's harvest: hr, leaver, line_manager, successor."""
    roles: set[str] = {"hr"} if is_hr(actor) else set()
    if actor.user_id is None:
        return roles
    profile = session.scalar(select(Profile).where(Profile.user_id == actor.user_id))
    if profile is None:
        return roles
    if profile.id == leaver.profile_id:
        roles.add("leaver")
    if profile.id == leaver.line_manager_id:
        roles.add("line_manager")
    if profile.id == leaver.successor_id:
        roles.add("successor")
    return roles


def set_criticality(
    session: Session, username: str, class_code: str, criticality: int, *, actor: Principal
) -> ClassCriticality:
    """The line manager's (or HR's) rating of how critical a class is, 1 (low) to 5 (vital)."""
    leaver = leaver_by_username(session, username)
    roles = involvement(session, leaver, actor)
    if not roles & {"hr", "line_manager"}:
        raise leaver_not_found(username)
    if isinstance(criticality, bool) or not 1 <= int(criticality) <= 5:
        raise InvalidInputError("criticality: give a whole number from 1 (low) to 5 (vital)")
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == class_code))
    if node is None or node.is_folder:
        raise InvalidInputError(f"class {class_code!r}: no such file-plan class")
    row = session.scalar(
        select(ClassCriticality).where(
            ClassCriticality.leaver_id == leaver.id, ClassCriticality.class_code == class_code
        )
    )
    if row is None:
        row = ClassCriticality(leaver_id=leaver.id, class_code=class_code)
        session.add(row)
    row.criticality = int(criticality)
    row.set_by = actor.username
    row.set_at = clock.now()
    session.flush()
    audit.record(
        session,
        actor.username,
        "leaver.criticality",
        "leaver",
        username_of(session, leaver.profile_id) or "",
        {"class": class_code, "criticality": int(criticality)},
    )
    return row


# --- progress and status --------------------------------------------------------------------


def plan_of(session: Session, leaver: Leaver) -> HarvestPlan | None:
    """The leaver's harvest plan (one per leaver), if started."""
    return session.scalar(
        select(HarvestPlan).where(HarvestPlan.leaver_id == leaver.id).order_by(HarvestPlan.id)
    )


def progress(session: Session, leaver: Leaver) -> str:
    """One of STAGES."""
    plan = plan_of(session, leaver)
    if plan is None:
        return "not started"
    if plan.status == "filed":
        return "filed"
    if plan.status == "approved":
        return "approved"
    held = session.scalar(
        select(HarvestSession.id).where(
            HarvestSession.plan_id == plan.id, HarvestSession.held_on.is_not(None)
        )
    )
    return "interviewed" if held is not None else "planned"


def interviews_not_held(session: Session, leaver: Leaver) -> bool:
    """No interview session has been held yet (none planned counts too)."""
    plan = plan_of(session, leaver)
    if plan is None:
        return True
    if plan.status in ("approved", "filed"):
        return False
    held = session.scalar(
        select(HarvestSession.id).where(
            HarvestSession.plan_id == plan.id, HarvestSession.held_on.is_not(None)
        )
    )
    return held is None


def leaver_status(session: Session, profile_id: int) -> dict[str, Any] | None:
    """What anyone may know about a person leaving (for the directory and expert search):
    `left` (the date has passed), `leaving_date` (ISO date), `successor` (username or None),
    `successor_name`, and `harvest_document_id` (the filed harvest record, or None; the viewer
    may still not be allowed to open it). None when the person is not a leaver. Never the
    reason, the risk or anything from a draft."""
    leaver = session.scalar(select(Leaver).where(Leaver.profile_id == profile_id))
    if leaver is None:
        return None
    document_id = session.scalar(
        select(HarvestPlan.record_document_id)
        .where(
            HarvestPlan.leaver_id == leaver.id,
            HarvestPlan.status == "filed",
            HarvestPlan.record_document_id.is_not(None),
        )
        .order_by(HarvestPlan.filed_at.desc())
        .limit(1)
    )
    return {
        "left": leaver.leaving_date < today_date(),
        "leaving_date": leaver.leaving_date.isoformat(),
        "successor": username_of(session, leaver.successor_id),
        "successor_name": name_of(session, leaver.successor_id),
        "harvest_document_id": document_id,
    }


@dataclass(frozen=True)
class LeaverSummary:
    """One line of HR's dashboard."""

    username: str
    name: str
    unit: str
    leaving_date: date
    left: bool
    days_until_leaving: int
    successor: str | None
    successor_name: str | None
    line_manager: str | None
    line_manager_name: str | None
    top_risk: int
    plan_required: bool
    at_risk_classes: int
    progress: str
    harvest_document_id: int | None
    reminder_due: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "name": self.name,
            "unit": self.unit,
            "leaving_date": self.leaving_date.isoformat(),
            "left": self.left,
            "days_until_leaving": self.days_until_leaving,
            "successor": self.successor,
            "line_manager": self.line_manager,
            "top_risk": self.top_risk,
            "plan_required": self.plan_required,
            "classes_needing_a_plan": self.at_risk_classes,
            "progress": self.progress,
            "harvest_document_id": self.harvest_document_id,
            "reminder_due": self.reminder_due,
        }


def reminder_due(
    session: Session, leaver: Leaver, config: HarvestConfig, today: date | None = None
) -> bool:
    """The leaving date is near (within the configured days, not yet passed) and no interview
    has been held."""
    today = today or today_date()
    days = (leaver.leaving_date - today).days
    return 0 <= days <= config.reminder_days and interviews_not_held(session, leaver)


def summarise(
    session: Session, leaver: Leaver, config: HarvestConfig, *, today: date | None = None
) -> tuple[LeaverSummary, LeaverRisk]:
    today = today or today_date()
    risk = assess_leaver(session, leaver, config, today=today)
    profile = session.get(Profile, leaver.profile_id)
    status = leaver_status(session, leaver.profile_id) or {}
    summary = LeaverSummary(
        username=risk.username,
        name=risk.name,
        unit=profile.unit if profile else "",
        leaving_date=leaver.leaving_date,
        left=leaver.leaving_date < today,
        days_until_leaving=(leaver.leaving_date - today).days,
        successor=username_of(session, leaver.successor_id),
        successor_name=name_of(session, leaver.successor_id),
        line_manager=username_of(session, leaver.line_manager_id),
        line_manager_name=name_of(session, leaver.line_manager_id),
        top_risk=risk.top_risk,
        plan_required=risk.plan_required,
        at_risk_classes=sum(1 for c in risk.classes if c.plan_required),
        progress=progress(session, leaver),
        harvest_document_id=status.get("harvest_document_id"),
        reminder_due=reminder_due(session, leaver, config, today),
    )
    return summary, risk


def list_leavers(
    session: Session,
    actor: Principal,
    config: HarvestConfig,
    *,
    include_left: bool = True,
    today: date | None = None,
) -> list[LeaverSummary]:
    """Every leaver by leaving date (soonest first), with risk and harvest progress. HR only."""
    require_hr(actor)
    today = today or today_date()
    stmt = select(Leaver).order_by(Leaver.leaving_date, Leaver.id)
    if not include_left:
        stmt = stmt.where(Leaver.leaving_date >= today)
    return [summarise(session, leaver, config, today=today)[0] for leaver in session.scalars(stmt)]


def leaver_risk(
    session: Session, username: str, actor: Principal, config: HarvestConfig
) -> LeaverRisk:
    """The ranked knowledge at risk for one leaver. HR only."""
    return assess_leaver(session, get_leaver(session, username, actor), config)


def approvals_of(session: Session, plan: HarvestPlan) -> dict[str, HarvestApproval]:
    rows = session.scalars(select(HarvestApproval).where(HarvestApproval.plan_id == plan.id))
    return {r.role: r for r in rows}
