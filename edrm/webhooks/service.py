"""Subscriptions and the delivery log, for administrators: subscribe a URL to events (the
secret is made here and shown once), end a subscription, list them, read the log.

Ending a subscription keeps its deliveries (the log) but stops what was still to be sent.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.people.roles import Role
from edrm.webhooks.models import (
    FAILED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from edrm.webhooks.outbox import EVENTS, forget_subscriptions

MAX_URL = 2000


@dataclass(frozen=True)
class Subscribed:
    subscription: WebhookSubscription
    secret: str  # shown once


def require_administrator(actor: Principal, what: str = "manage webhooks") -> None:
    if not (actor.is_system or actor.role is Role.ADMINISTRATOR):
        raise RefusedError(f"only administrators may {what}")


def _checked_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInputError(f"url: {url!r} is not an http(s) address")
    if len(url) > MAX_URL:
        raise InvalidInputError(f"url: at most {MAX_URL} characters")
    return url


def _checked_events(events: list[str] | tuple[str, ...]) -> list[str]:
    if not events:
        raise InvalidInputError(f"give at least one event: {', '.join(EVENTS)}")
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise InvalidInputError(f"unknown event(s) {', '.join(unknown)} (use: {', '.join(EVENTS)})")
    return sorted(set(events))


def subscribe(
    session: Session, url: str, events: list[str] | tuple[str, ...], *, actor: Principal
) -> Subscribed:
    """Subscribe `url` to `events`; the secret that signs every delivery is returned once."""
    require_administrator(actor)
    secret = "whsec_" + secrets.token_urlsafe(32)
    sub = WebhookSubscription(
        url=_checked_url(url),
        events=_checked_events(events),
        secret=secret,
        active=True,
        created_by=actor.username,
        created_at=clock.now(),
    )
    session.add(sub)
    session.flush()
    forget_subscriptions(session)
    audit.record(
        session,
        actor.username,
        "webhook.subscribe",
        "webhook",
        sub.id,
        {"url": sub.url, "events": sub.events},
    )
    return Subscribed(sub, secret)


def get_subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    sub = session.get(WebhookSubscription, subscription_id)
    if sub is None:
        raise NotFoundError(f"webhook subscription {subscription_id} not found")
    return sub


def unsubscribe(session: Session, subscription_id: int, *, actor: Principal) -> int:
    """End a subscription; deliveries not yet sent are marked failed. Returns how many."""
    require_administrator(actor)
    sub = get_subscription(session, subscription_id)
    if not sub.active:
        raise RefusedError(f"webhook subscription {subscription_id} was already removed")
    sub.active = False
    forget_subscriptions(session)
    result = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == sub.id,
            WebhookDelivery.status == PENDING,
        )
        .values(status=FAILED, last_error="the subscription was removed")
        .execution_options(synchronize_session=False)
    )
    dropped = int(getattr(result, "rowcount", 0) or 0)
    audit.record(
        session,
        actor.username,
        "webhook.unsubscribe",
        "webhook",
        sub.id,
        {"url": sub.url, "pending_dropped": dropped},
    )
    return dropped


def subscription_as_dict(sub: WebhookSubscription) -> dict[str, Any]:
    """A subscription as lists show it: never the secret."""
    return {
        "id": sub.id,
        "url": sub.url,
        "events": list(sub.events or ()),
        "active": sub.active,
        "created_by": sub.created_by,
        "created_at": sub.created_at.isoformat(),
    }


def list_subscriptions(session: Session, *, actor: Principal) -> list[WebhookSubscription]:
    require_administrator(actor)
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def list_deliveries(
    session: Session,
    *,
    actor: Principal,
    subscription_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The delivery log, newest first: each delivery with its attempts."""
    require_administrator(actor, "read the webhook delivery log")
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if subscription_id is not None:
        get_subscription(session, subscription_id)
        stmt = stmt.where(WebhookDelivery.subscription_id == subscription_id)
    deliveries = list(session.scalars(stmt))
    attempts: dict[int, list[dict[str, Any]]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(list(attempts)))
            .order_by(WebhookAttempt.delivery_id, WebhookAttempt.attempt)
        ):
            attempts[attempt.delivery_id].append(attempt.as_dict())
    return [{**d.as_dict(), "log": attempts[d.id]} for d in deliveries]
