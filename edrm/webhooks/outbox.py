"""The webhook outbox: an event is noted for every subscriber in the same transaction as the
change that caused it, so a change that rolls back sends nothing and one that commits is sent
even if the process dies a moment later (`edrm.webhooks.delivery` sends the rows).

The areas call `enqueue(session, event, data)` where the change happens (documents, retention,
harvest); this module imports nothing of theirs. Which events anyone subscribes to is read once
per transaction (one query on the small, indexed subscriptions table) and kept in
`session.info` until the transaction ends, so filing a thousand documents in one transaction
costs one query; subscribing or unsubscribing forgets it (`forget_subscriptions`).

`data` names things by id only (document id and identifier, class code, marking, hold id,
username): never a title, text or reason, which a subscriber may not be cleared to see.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, SessionTransaction

from edrm import clock
from edrm.webhooks.models import PENDING, WebhookDelivery, WebhookSubscription

DOCUMENT_FILED = "document.filed"
RECORD_DECLARED = "record.declared"
DISPOSAL_DUE = "disposal.due"
HOLD_PLACED = "hold.placed"
HOLD_LIFTED = "hold.lifted"
LEAVER_REGISTERED = "leaver.registered"

#: Every event a subscription may name.
EVENTS: tuple[str, ...] = (
    DOCUMENT_FILED,
    RECORD_DECLARED,
    DISPOSAL_DUE,
    HOLD_PLACED,
    HOLD_LIFTED,
    LEAVER_REGISTERED,
)


_CACHE_KEY = "edrm.webhooks.subscribed"


def _subscribed(session: Session) -> list[tuple[int, frozenset[str]]]:
    """The active subscriptions and their events, read once per transaction."""
    cached: list[tuple[int, frozenset[str]]] | None = session.info.get(_CACHE_KEY)
    if cached is None:
        cached = [
            (sub_id, frozenset(events or ()))
            for sub_id, events in session.execute(
                select(WebhookSubscription.id, WebhookSubscription.events).where(
                    WebhookSubscription.active.is_(True)
                )
            )
        ]
        session.info[_CACHE_KEY] = cached
    return cached


def forget_subscriptions(session: Session, *_args: Any) -> None:
    """Drop the transaction's copy of the subscriptions (they changed, or it ended)."""
    session.info.pop(_CACHE_KEY, None)


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    """The transaction ended (committed or rolled back): forget its copy. A savepoint ending
    inside it (one job of an ingest group) ends nothing; the copy stays for its next events."""
    if transaction.parent is None:
        forget_subscriptions(session)


sa_event.listen(Session, "after_transaction_end", _transaction_ended)
sa_event.listen(Session, "after_rollback", forget_subscriptions)


def enqueue(session: Session, event: str, data: dict[str, Any]) -> int:
    """Note `event` for every active subscription to it, in the caller's transaction; returns
    how many deliveries were written."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    subscribed = [sub_id for sub_id, events in _subscribed(session) if event in events]
    if not subscribed:
        return 0
    now = clock.now()
    body = json.dumps(
        {"type": event, "timestamp": now.isoformat(), "data": data},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    rows = [
        {
            "subscription_id": sub_id,
            "event": event,
            "payload": body,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "last_error": "",
            "created_at": now,
        }
        for sub_id in subscribed
    ]
    session.execute(insert(WebhookDelivery), rows)
    return len(rows)
