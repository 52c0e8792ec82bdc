"""Harvest's notifications (issue 13 part 5), written in the transaction of the event: HR is
told of interviews due as leaving dates near; the leaver and line manager are told when a
write-up with answers waits for their approval.

This calls `edrm.notifications.outbox.notify` (the inward-pointing way: harvest depends on
notifications, never the other way round).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.notifications.kinds import INTERVIEW_DUE, PLAN_APPROVAL
from edrm.notifications.outbox import notify
from edrm.notifications.recipients import usernames_with_role
from edrm.people.roles import Role
from harvest.leavers import approvals_of, name_of, username_of
from harvest.models import HarvestPlan, HarvestSession, Leaver


def tell_hr_interview_due(
    session: Session, username: str, leaving_date: date, days_left: int, *, has_plan: bool
) -> int:
    """Tell HR that the leaver's date is near and no harvest interview has been held."""
    days = f"{days_left} day{'' if days_left == 1 else 's'}"
    summary = (
        f"{username} leaves on {leaving_date:%-d %B %Y} (in {days}) and no knowledge harvest "
        "interview has been held yet."
        + ("" if has_plan else " There is no harvest plan yet: start one.")
    )
    return notify(
        session,
        INTERVIEW_DUE,
        usernames_with_role(session, Role.HR),
        summary=summary,
        link=f"/leavers/{username}",
        key=f"interview:{username}",
    )


def ask_for_approval(session: Session, plan: HarvestPlan) -> int:
    """When the write-up has answers, ask the leaver and the line manager who have not yet
    approved it (once a day at most)."""
    if plan.status == "filed":
        return 0
    answered = any(
        s.answers
        for s in session.scalars(select(HarvestSession).where(HarvestSession.plan_id == plan.id))
    )
    if not answered:
        return 0
    leaver = session.get(Leaver, plan.leaver_id)
    if leaver is None:
        return 0
    approvals = approvals_of(session, plan)
    leaver_username = username_of(session, leaver.profile_id)
    if leaver_username is None:
        return 0
    name = name_of(session, leaver.profile_id) or leaver_username
    link = f"/leavers/{leaver_username}/plan/approve"
    written = 0
    if "leaver" not in approvals:
        written += notify(
            session,
            PLAN_APPROVAL,
            [leaver_username],
            summary=(
                "The write-up of your knowledge harvest interview is ready. Read it and "
                "approve it, or tell HR what to change."
            ),
            link=link,
            key=f"plan:{plan.id}",
        )
    manager = username_of(session, leaver.line_manager_id)
    if manager and "line_manager" not in approvals:
        written += notify(
            session,
            PLAN_APPROVAL,
            [manager],
            summary=(
                f"The write-up of {name}'s knowledge harvest interview is ready for your "
                "approval as their line manager."
            ),
            link=link,
            key=f"plan:{plan.id}",
        )
    return written
