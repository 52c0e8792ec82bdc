"""Sending the webhook outbox: claim what is due, POST it signed, log the attempt, back off.

Public interface (the ingest worker's loop and `edrm webhook deliver` call it):

    deliver_due(rt, now=None) -> DeliveryResult
        Every pending delivery whose next attempt is due, claimed, sent and recorded.
    sign(secret, timestamp, body) -> str
        The `Webhook-Signature` header's value: "sha256=" + hex HMAC-SHA256 of
        f"{timestamp}.{body}" under the subscription's secret.

The crash story, step by step (each step is its own transaction):

1. claim: one UPDATE per row sets `lease_until = now + lease_seconds` where the row is still
   pending, due, and not leased (or its lease ran out). Two workers never both claim a row: the
   second UPDATE matches nothing. The claim commits before anything is sent.
2. send: the POST, outside any transaction, with a short timeout. Headers: `Webhook-Id` (the
   delivery id, the same on every attempt), `Webhook-Timestamp` (Unix seconds of this
   attempt), `Webhook-Signature`. The body is the one written at enqueue, byte for byte.
3. record: the attempt goes to the delivery log; a 2xx makes the delivery `delivered`;
   anything else (an error status, a refused connection, a timeout) schedules the next attempt
   after `backoff_seconds × 2^(attempts-1)`, or marks it `failed` after `max_attempts`.

A process killed between 1 and 3 leaves the row pending and leased: once the lease has run
out the next pass sends it again. The receiver may therefore see a delivery twice (it had the
first POST, the kill came before its answer was recorded): delivery is at least once, and
receivers de-duplicate by `Webhook-Id`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from edrm import clock
from edrm.runtime import Runtime
from edrm.webhooks.config import WebhookConfig, load_config
from edrm.webhooks.models import (
    DELIVERED,
    FAILED,
    PENDING,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

log = logging.getLogger(__name__)
USER_AGENT = "edrm-webhooks/1"


@dataclass
class DeliveryResult:
    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[int]]:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed}


@dataclass(frozen=True)
class _Claimed:
    id: int
    url: str
    secret: str
    body: str
    attempts: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: it is logged (3xx) and retried, never followed
    (urllib would turn the POST into a GET without the body)."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def sign(secret: str, timestamp: int, body: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def deliver_due(rt: Runtime, now: datetime | None = None) -> DeliveryResult:
    """Send every due delivery once (claimed first, so concurrent workers share the work)."""
    config = load_config(rt.settings)
    result = DeliveryResult()
    for claimed in _claim(rt, config, now or clock.now()):
        status, error = _post(claimed, config)
        _record(rt, config, claimed, status, error, result)
    return result


def _claim(rt: Runtime, config: WebhookConfig, now: datetime) -> list[_Claimed]:
    claimable = (
        WebhookDelivery.status == PENDING,
        WebhookDelivery.next_attempt_at <= now,
        or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
    )
    claimed: list[_Claimed] = []
    with rt.uow() as session:
        rows = session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.payload,
                WebhookDelivery.attempts,
                WebhookSubscription.url,
                WebhookSubscription.secret,
            )
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(*claimable, WebhookSubscription.active.is_(True))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(config.batch)
        ).all()
        lease = now + timedelta(seconds=config.lease_seconds)
        for delivery_id, body, attempts, url, secret in rows:
            result = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, *claimable)
                .values(lease_until=lease)
                .execution_options(synchronize_session=False)
            )
            won = getattr(result, "rowcount", 0)  # 0: another worker claimed it first
            if won:
                claimed.append(_Claimed(delivery_id, url, secret, body, attempts))
    return claimed


def _post(claimed: _Claimed, config: WebhookConfig) -> tuple[int | None, str]:
    """POST the body; returns (HTTP status or None, error text or "")."""
    timestamp = int(clock.now().timestamp())
    request = urllib.request.Request(
        claimed.url,
        data=claimed.body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": str(claimed.id),
            "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": sign(claimed.secret, timestamp, claimed.body),
        },
    )
    try:
        with _OPENER.open(request, timeout=config.timeout_seconds) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), f"HTTP {exc.code} {exc.reason}"[:500]
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason)[:500] or type(exc).__name__


def _record(
    rt: Runtime,
    config: WebhookConfig,
    claimed: _Claimed,
    status: int | None,
    error: str,
    result: DeliveryResult,
) -> None:
    now = clock.now()
    attempt = claimed.attempts + 1
    ok = status is not None and 200 <= status < 300
    values: dict[str, object] = {
        "attempts": attempt,
        "last_status": status,
        "last_error": error,
        "lease_until": None,
    }
    next_at: datetime | None = None
    if ok:
        values.update(status=DELIVERED, delivered_at=now)
        result.delivered.append(claimed.id)
    elif attempt >= config.max_attempts:
        values.update(status=FAILED)
        result.failed.append(claimed.id)
        log.warning("webhook delivery %d failed for good: %s", claimed.id, error)
    else:
        next_at = now + timedelta(seconds=config.backoff_seconds * 2 ** (attempt - 1))
        values.update(next_attempt_at=next_at)
        result.retrying.append(claimed.id)
    with rt.uow() as session:
        session.add(
            WebhookAttempt(
                delivery_id=claimed.id,
                attempt=attempt,
                at=now,
                status_code=status,
                error=error,
                next_attempt_at=next_at,
            )
        )
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == claimed.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def scheduled_delivery(rt: Runtime) -> str:
    """The scheduled job (for installations that run the scheduler apart from `edrm serve`):
    one pass over the due deliveries."""
    result = deliver_due(rt)
    return (
        f"{len(result.delivered)} delivered, {len(result.retrying)} to retry, "
        f"{len(result.failed)} failed"
    )
