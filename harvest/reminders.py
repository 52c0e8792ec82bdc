"""Reminding HR of harvest interviews not yet held as a leaving date nears.

The scheduled job (config/jobs.toml: `harvest.jobs:interview_reminders`) notes each such
leaver once a day in the audit trail (action `harvest.reminder`, with no HR-only detail),
e-mails HR about them (a notification of kind `interview_due`: `harvest.notices`; this used to
be only the log line) and returns a one-line summary; HR's leavers dashboard shows the same
list live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit
from edrm.audit import SYSTEM_ACTOR, AuditEvent
from harvest.leavers import interviews_not_held, plan_of, username_of
from harvest.loader import HarvestConfig
from harvest.models import Leaver
from harvest.notices import tell_hr_interview_due
from harvest.risk import today_date


@dataclass(frozen=True)
class Reminder:
    username: str
    leaving_date: date
    days_left: int
    has_plan: bool


def due_reminders(
    session: Session, config: HarvestConfig, *, today: date | None = None
) -> list[Reminder]:
    """Leavers whose date is within the reminder window (not yet passed) with no interview
    held, soonest first."""
    today = today or today_date()
    last = today + timedelta(days=config.reminder_days)
    leavers = session.scalars(
        select(Leaver)
        .where(Leaver.leaving_date >= today, Leaver.leaving_date <= last)
        .order_by(Leaver.leaving_date, Leaver.id)
    )
    return [
        Reminder(
            username=username_of(session, leaver.profile_id) or "",
            leaving_date=leaver.leaving_date,
            days_left=(leaver.leaving_date - today).days,
            has_plan=plan_of(session, leaver) is not None,
        )
        for leaver in leavers
        if interviews_not_held(session, leaver)
    ]


def _noted_today(session: Session, username: str, today: date) -> bool:
    return (
        session.scalar(
            select(AuditEvent.seq).where(
                AuditEvent.action == "harvest.reminder",
                AuditEvent.object_id == username,
                AuditEvent.at >= today.isoformat(),
            )
        )
        is not None
    )


def send_reminders(session: Session, config: HarvestConfig, *, today: date | None = None) -> str:
    today = today or today_date()
    due = due_reminders(session, config, today=today)
    for r in due:
        if not _noted_today(session, r.username, today):
            audit.record(
                session,
                SYSTEM_ACTOR,
                "harvest.reminder",
                "leaver",
                r.username,
                {"leaving_date": r.leaving_date.isoformat(), "days_left": r.days_left},
            )
            tell_hr_interview_due(
                session, r.username, r.leaving_date, r.days_left, has_plan=r.has_plan
            )
    if not due:
        return "no harvest interviews overdue"
    listed = ", ".join(
        f"{r.username} (leaves in {r.days_left} day{'' if r.days_left == 1 else 's'}"
        + ("" if r.has_plan else ", no plan")
        + ")"
        for r in due
    )
    return f"{len(due)} leaver(s) with no harvest interview held yet: {listed}"
