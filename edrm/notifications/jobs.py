"""Notification jobs (config/jobs.toml): plain functions taking the Runtime and returning a
short text for the scheduler's log.

`daily_digest` folds each person's waiting digest notifications into one daily-digest row, in
one transaction (the items become `digested` and point at it), then sends what is due. A crash
before that commit leaves the items waiting for the next run; after it, the digest row is an
ordinary notification with the outbox's retries (`delivery`), so a digest is neither lost nor
built twice.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from edrm import clock
from edrm.notifications.delivery import deliver_due
from edrm.notifications.kinds import DAILY_DIGEST
from edrm.notifications.models import DIGEST, DIGESTED, IMMEDIATE, PENDING, Notification
from edrm.notifications.outbox import pending
from edrm.runtime import Runtime


def build_digests(rt: Runtime) -> int:
    """One daily-digest notification per person with digest notifications waiting; returns
    how many were made."""
    now = clock.now()
    with rt.uow() as session:
        waiting = session.scalars(
            select(Notification)
            .where(Notification.status == PENDING, Notification.delivery == DIGEST)
            .order_by(Notification.recipient, Notification.id)
        ).all()
        by_person: dict[str, list[Notification]] = defaultdict(list)
        for row in waiting:
            by_person[row.recipient].append(row)
        for username, items in by_person.items():
            summary = f"{len(items)} notification(s) from the last day"
            digest = pending(username, DAILY_DIGEST, IMMEDIATE, summary, now)
            session.add(digest)
            session.flush()
            for item in items:
                item.status = DIGESTED
                item.digest_id = digest.id
    return len(by_person)


def daily_digest(rt: Runtime) -> str:
    """Fold the day's digest notifications into one e-mail per person and send them."""
    made = build_digests(rt)
    return f"{made} digest(s) made; {deliver_due(rt).text}"


def scheduled_delivery(rt: Runtime) -> str:
    """One pass over the due notifications (where the scheduler runs apart from `edrm serve`)."""
    return deliver_due(rt).text
