"""The notification outbox: `notify` writes one row per person in the caller's transaction,
so an event that rolls back tells no one and one that commits is told even if the process dies
a moment later (`edrm.notifications.delivery` sends the rows).

The producing areas call it where the event happens (retention's sweep and holds, harvest's
reminders and write-ups, ingest's triage); this module imports nothing of theirs.

Each person's preference is applied here: a kind they switched off writes nothing; a digest
kind is kept for the daily digest (`edrm.notifications.jobs.daily_digest`). `key`, when given,
makes a notification once a day at most: a second one with the same recipient, kind and key
within a day is not written (a write-up saved ten times asks for approval once).

`summary` must name nothing a recipient may not know: documents are passed by id only and are
titled at sending time, for what the recipient may see then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.notifications.kinds import BY_NAME
from edrm.notifications.models import PENDING, Notification
from edrm.notifications.preferences import timing_for
from edrm.people.models import PERSON, User

#: The most documents one notification lists (the summary says how many there are in all).
MAX_DOCUMENTS = 20
#: A notification with a key is written at most once in this long per recipient and kind.
KEY_WINDOW = timedelta(days=1)


def notify(
    session: Session,
    kind: str,
    recipients: Iterable[str],
    *,
    summary: str,
    link: str = "",
    document_ids: Sequence[int] = (),
    key: str = "",
) -> int:
    """Note a notification of `kind` for each recipient (usernames; unknown, inactive and
    service accounts are left out), in the caller's transaction; returns how many were
    written."""
    if kind not in BY_NAME:
        raise ValueError(f"unknown notification kind {kind!r}")
    now = clock.now()
    written = 0
    for username in dict.fromkeys(recipients):
        if not _reachable(session, username):
            continue
        timing = timing_for(session, username, kind)
        if timing is None:
            continue
        if key and _recently(session, username, kind, key, now - KEY_WINDOW):
            continue
        session.add(
            pending(username, kind, timing, summary, now, link=link, ids=document_ids, key=key)
        )
        written += 1
    if written:
        session.flush()
    return written


def pending(
    recipient: str,
    kind: str,
    delivery: str,
    summary: str,
    now: datetime,
    *,
    link: str = "",
    ids: Iterable[int] = (),
    key: str = "",
) -> Notification:
    """A notification waiting to be sent (or folded into a digest), never yet tried."""
    return Notification(
        recipient=recipient,
        kind=kind,
        delivery=delivery,
        summary=summary[:1000],
        link=link,
        document_ids=list(ids)[:MAX_DOCUMENTS],
        key=key,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error="",
        channel="",
        created_at=now,
    )


def _reachable(session: Session, username: str) -> bool:
    return (
        session.scalar(
            select(User.id).where(
                User.username == username, User.active.is_(True), User.kind == PERSON
            )
        )
        is not None
    )


def _recently(session: Session, username: str, kind: str, key: str, since: object) -> bool:
    return (
        session.scalar(
            select(Notification.id)
            .where(
                Notification.recipient == username,
                Notification.kind == kind,
                Notification.key == key,
                Notification.created_at >= since,
            )
            .limit(1)
        )
        is not None
    )
