"""Sending the notification outbox: claim what is due, build each e-mail, hand it to the
sender, record the outcome, back off on failure.

Public interface (the delivery thread of `edrm serve`, the scheduler and
`edrm notifications send-due` call it):

    deliver_due(rt, now=None) -> DeliveryResult
        Every pending immediate notification whose next attempt is due, claimed, sent and
        recorded. Digest notifications wait for `jobs.daily_digest`, which folds them into one
        immediate row per person.

The crash story, step by step (each step is its own transaction):

1. claim: one UPDATE per row sets `lease_until = now + notification_lease_seconds` where the
   row is still pending, due and not leased (or its lease ran out); the second of two workers
   matches nothing. The claim commits before anything is sent.
2. build: the e-mail is made from the row as the database has it now (titles only of what the
   recipient may see now). Nothing to say (no address, nothing visible) marks it `skipped`.
3. send: SMTP or GOV.UK Notify, outside any transaction. `send` returns only once the server
   accepted the message.
4. record: accepted → `sent` (with the channel and time); refused, unreachable or timed out →
   the next attempt after `notification_backoff_seconds × 2^(attempts-1)`, or `failed` after
   `notification_max_attempts`.

A process killed between 3 and 4 leaves the row pending and leased: once the lease has run out
it is sent again. So an e-mail is sent at least once, and twice only when the process died in
the moment between the server's acceptance and the commit of step 4; every attempt carries the
same `X-Edrm-Notification` header (Notify: the same `reference`), by which a repeat can be told.
A crash anywhere else loses nothing and sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from edrm import clock
from edrm.notifications.message import Skip, build_message
from edrm.notifications.models import FAILED, IMMEDIATE, PENDING, SENT, SKIPPED, Notification
from edrm.notifications.senders import Sender, SendError, sender_for
from edrm.runtime import Runtime

log = logging.getLogger(__name__)
BATCH = 50


@dataclass
class DeliveryResult:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    configured: bool = True

    def as_dict(self) -> dict[str, object]:
        return {
            "configured": self.configured,
            "sent": self.sent,
            "retrying": self.retrying,
            "failed": self.failed,
            "skipped": self.skipped,
        }

    @property
    def text(self) -> str:
        if not self.configured:
            return "not sending: e-mail is not set up (notifications are recorded)"
        return (
            f"{len(self.sent)} sent, {len(self.retrying)} to retry, {len(self.failed)} failed, "
            f"{len(self.skipped)} skipped"
        )


def deliver_due(
    rt: Runtime, now: datetime | None = None, *, sender: Sender | None = None
) -> DeliveryResult:
    """Send every due notification once (claimed first, so concurrent workers share them)."""
    sender = sender or sender_for(rt.settings)
    result = DeliveryResult()
    if sender is None:
        result.configured = False
        return result
    for row_id in _claim(rt, now or clock.now()):
        with rt.uow() as session:
            row = session.get(Notification, row_id)
            built = build_message(session, rt.settings, row) if row else Skip("gone")
        if isinstance(built, Skip):
            _finish(rt, row_id, status=SKIPPED, error=built.reason)
            result.skipped.append(row_id)
            continue
        try:
            sender.send(built)
        except SendError as exc:
            _failed(rt, row_id, str(exc), result)
            continue
        _finish(rt, row_id, status=SENT, channel=sender.channel)
        result.sent.append(row_id)
    return result


def _claimable(now: datetime) -> tuple[object, ...]:
    return (
        Notification.status == PENDING,
        Notification.delivery == IMMEDIATE,
        Notification.next_attempt_at <= now,
        or_(Notification.lease_until.is_(None), Notification.lease_until < now),
    )


def _claim(rt: Runtime, now: datetime) -> list[int]:
    claimed: list[int] = []
    lease = now + timedelta(seconds=rt.settings.notification_lease_seconds)
    with rt.uow() as session:
        ids = session.scalars(
            select(Notification.id)
            .where(*_claimable(now))  # type: ignore[arg-type]
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(BATCH)
        ).all()
        for row_id in ids:
            won = session.execute(
                update(Notification)
                .where(Notification.id == row_id, *_claimable(now))  # type: ignore[arg-type]
                .values(lease_until=lease)
                .execution_options(synchronize_session=False)
            )
            if getattr(won, "rowcount", 0):  # 0: another worker claimed it first
                claimed.append(row_id)
    return claimed


def _finish(rt: Runtime, row_id: int, *, status: str, channel: str = "", error: str = "") -> None:
    with rt.uow() as session:
        row = session.get(Notification, row_id)
        if row is None:
            return
        row.attempts += 1
        row.status = status
        row.lease_until = None
        row.last_error = error[:500]
        if status == SENT:
            row.channel = channel
            row.sent_at = clock.now()


def _failed(rt: Runtime, row_id: int, error: str, result: DeliveryResult) -> None:
    settings = rt.settings
    with rt.uow() as session:
        row = session.get(Notification, row_id)
        if row is None:
            return
        row.attempts += 1
        row.lease_until = None
        row.last_error = error[:500]
        if row.attempts >= settings.notification_max_attempts:
            row.status = FAILED
            result.failed.append(row_id)
            log.warning("notification %d failed for good: %s", row_id, error)
        else:
            wait = settings.notification_backoff_seconds * 2 ** (row.attempts - 1)
            row.next_attempt_at = clock.now() + timedelta(seconds=wait)
            result.retrying.append(row_id)
