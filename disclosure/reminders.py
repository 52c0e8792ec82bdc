"""Reminders of requests falling due: each working day, the case officer of every live request
due within the configured working days (or overdue) gets a notification through the outbox
(kind `request_due`); a request with no case officer reminds every information-rights officer.

Crash story: the notifications and each request's `reminded_on` are written in the job's one
transaction, and a request already reminded today is skipped, so a crash sends nothing twice
and a rerun on the same day sends nothing more (the outbox's daily key agrees).
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from disclosure.loader import DisclosureConfig
from disclosure.models import LIVE_STATUSES, InformationRequest
from edrm import clock
from edrm.notifications.kinds import REQUEST_DUE
from edrm.notifications.outbox import notify
from edrm.people.models import User
from edrm.people.roles import Role


def _officers(session: Session) -> list[str]:
    return list(
        session.scalars(
            select(User.username).where(
                User.role_value == Role.INFORMATION_RIGHTS_OFFICER.value, User.active.is_(True)
            )
        )
    )


def send_reminders(session: Session, config: DisclosureConfig) -> str:
    """Remind the officers of requests due soon or overdue (once a working day)."""
    today = clock.now().date()
    cal = config.calendar
    if not cal.is_working_day(today):
        return "not a working day: no reminders"
    horizon = cal.add_working_days(today, config.remind_working_days)
    due = list(
        session.scalars(
            select(InformationRequest)
            .where(
                InformationRequest.status.in_(LIVE_STATUSES),
                InformationRequest.due_on.is_not(None),
                InformationRequest.due_on <= horizon,
                or_(
                    InformationRequest.reminded_on.is_(None),
                    InformationRequest.reminded_on < today,
                ),
            )
            .order_by(InformationRequest.due_on, InformationRequest.id)
        )
    )
    usernames = {row[0]: row[1] for row in session.execute(select(User.id, User.username))}
    sent = 0
    everyone: list[str] | None = None
    for request in due:
        assert request.due_on is not None
        left = cal.working_days_between(today, request.due_on)
        if left < 0:
            when = f"is overdue by {-left} working day{'s' if left != -1 else ''}"
        elif left == 0:
            when = "is due today"
        else:
            days = f"{left} working day{'s' if left != 1 else ''}"
            when = f"is due on {request.due_on:%-d %B %Y} ({days})"
        if request.case_officer_id is not None and request.case_officer_id in usernames:
            recipients = [usernames[request.case_officer_id]]
        else:
            everyone = everyone if everyone is not None else _officers(session)
            recipients = everyone
        sent += notify(
            session,
            REQUEST_DUE,
            recipients,
            summary=f"{request.reference} {when}",
            link=f"/requests/{request.id}",
            key=f"request:{request.id}:{today.isoformat()}",
        )
        request.reminded_on = today
    return f"{len(due)} request(s) due soon or overdue; {sent} reminder(s) written"
