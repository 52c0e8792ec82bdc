"""Harvest plans: HR starts one per leaver from a question template, and each participant (HR,
the leaver, the line manager, the successor) opens it as a PlanView. Anyone else is told it
does not exist; a view of a draft is audited.

Every change is audited, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.errors import InvalidInputError, NotFoundError
from harvest.interviews.questions import QuestionBanks, plan_questions
from harvest.leavers import (
    approvals_of,
    involvement,
    is_hr,
    leaver_by_username,
    leaver_not_found,
    name_of,
    plan_of,
    username_of,
)
from harvest.loader import HarvestConfig
from harvest.models import HarvestApproval, HarvestPlan, HarvestSession, Leaver, Profile
from harvest.risk import assess_leaver, leaver_user, top_at_risk

APPROVERS = ("leaver", "line_manager")
APPROVER_LABELS = {"leaver": "the leaver", "line_manager": "the line manager"}
PARTICIPANTS = {"hr", "leaver", "line_manager", "successor"}


def start_plan(
    session: Session,
    username: str,
    *,
    actor: Principal,
    config: HarvestConfig,
    banks: QuestionBanks,
    template: str | None = None,
) -> HarvestPlan:
    """HR starts the leaver's harvest from a template (chosen by their job title when not
    given), pre-filled with its question banks and the top three at-risk classes."""
    if not is_hr(actor):
        raise leaver_not_found(username)
    leaver = leaver_by_username(session, username)
    if plan_of(session, leaver) is not None:
        raise InvalidInputError(f"{username} already has a harvest plan")
    profile, user = leaver_user(session, leaver)
    template_id = template or banks.template_for_role(profile.role_title or "")
    risk = assess_leaver(session, leaver, config)
    focus = top_at_risk(risk.classes, 3)
    plan = HarvestPlan(
        leaver_id=leaver.id,
        template=template_id,
        questions=plan_questions(
            banks, template_id, [(c.class_code, c.class_title) for c in focus]
        ),
        focus_classes=[c.class_code for c in focus],
        status="draft",
        marking=config.default_marking,
        target_class=None,
        record_document_id=None,
        created_at=clock.now(),
        created_by=actor.username,
    )
    session.add(plan)
    session.flush()
    audit.record(
        session,
        actor.username,
        "harvest.plan",
        "harvest_plan",
        plan.id,
        {"leaver": user.username, "template": template_id, "focus": plan.focus_classes},
    )
    return plan


@dataclass(frozen=True)
class PlanView:
    """A plan as one participant sees it."""

    leaver: Leaver
    plan: HarvestPlan
    roles: frozenset[str]  # how the viewer takes part: hr, leaver, line_manager, successor
    sessions: tuple[HarvestSession, ...]
    approvals: dict[str, HarvestApproval]

    @property
    def missing_approvals(self) -> list[str]:
        return [r for r in APPROVERS if r not in self.approvals]

    @property
    def may_edit(self) -> bool:
        return "hr" in self.roles and self.plan.status != "filed"

    @property
    def may_file(self) -> bool:
        return "hr" in self.roles and self.plan.status == "approved"

    @property
    def approver_role(self) -> str | None:
        """The approval this viewer may give, if any (and has not given yet)."""
        if self.plan.status == "filed":
            return None
        for role in APPROVERS:
            if role in self.roles and role not in self.approvals:
                return role
        return None


def plan_not_found(username: str) -> NotFoundError:
    """The one answer for a plan that does not exist for whoever asks: the person is not a
    leaver, or the asker takes no part in their harvest."""
    return NotFoundError(f"harvest plan for {username!r}: not found")


def _participant(session: Session, leaver: Leaver, actor: Principal, username: str) -> set[str]:
    roles = involvement(session, leaver, actor)
    if not roles & PARTICIPANTS:
        raise plan_not_found(username)
    return roles


def open_plan(
    session: Session, username: str, actor: Principal, *, audited: bool = True
) -> PlanView:
    """The leaver's plan for a participant (not found for anyone else). A view of a draft is
    audited."""
    try:
        leaver = leaver_by_username(session, username)
    except NotFoundError:
        raise plan_not_found(username) from None
    roles = _participant(session, leaver, actor, username)
    plan = plan_of(session, leaver)
    if plan is None:
        raise NotFoundError(f"{username} has no harvest plan yet")
    if audited and plan.status != "filed":
        audit.record(
            session,
            actor.username,
            "harvest.draft.view",
            "harvest_plan",
            plan.id,
            {"leaver": username, "as": sorted(roles)},
        )
    sessions = tuple(
        session.scalars(
            select(HarvestSession)
            .where(HarvestSession.plan_id == plan.id)
            .order_by(HarvestSession.id)
        )
    )
    return PlanView(leaver, plan, frozenset(roles), sessions, approvals_of(session, plan))


def plans_for(session: Session, actor: Principal) -> list[tuple[str, str, HarvestPlan, set[str]]]:
    """The harvest plans this person takes part in as leaver, line manager or successor:
    (leaver username, leaver name, plan, roles)."""
    if actor.user_id is None:
        return []
    profile = session.scalar(select(Profile).where(Profile.user_id == actor.user_id))
    if profile is None:
        return []
    leavers = session.scalars(
        select(Leaver).where(
            (Leaver.profile_id == profile.id)
            | (Leaver.line_manager_id == profile.id)
            | (Leaver.successor_id == profile.id)
        )
    )
    out = []
    for leaver in leavers:
        plan = plan_of(session, leaver)
        if plan is None:
            continue
        roles = involvement(session, leaver, actor) - {"hr"}
        out.append(
            (
                username_of(session, leaver.profile_id) or "",
                name_of(session, leaver.profile_id) or "",
                plan,
                roles,
            )
        )
    return out
