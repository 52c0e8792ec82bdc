"""A request's history: every change is one `RequestEvent` row on the request's page and one
entry in the audit trail (`request.<kind>`), written in the caller's transaction.

Neither ever names the requester: the audit trail is append-only, and the requester's details
must be erasable when the request's life ends (disclosure.jobs), so only the request's
reference and what changed go into them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from disclosure.models import InformationRequest, RequestEvent
from edrm import audit, clock

#: What each event kind is called on the request's page.
EVENT_LABELS = {
    "open": "Opened",
    "status": "Status changed",
    "officer": "Case officer changed",
    "clarify.asked": "Clarification asked",
    "clarify.answered": "Clarification answered",
    "extend": "Extended",
    "add": "Records added",
    "search": "Search run",
    "time": "Time logged",
    "aggregated": "Aggregation flagged",
    "close": "Closed",
    "hold.lifted": "Request hold lifted",
    "requester.erased": "Requester's details erased",
    "reminder": "Reminder sent",
}


def record_event(
    session: Session,
    request: InformationRequest,
    kind: str,
    actor: str,
    details: dict[str, Any] | None = None,
) -> RequestEvent:
    """One event on the request and its audit entry (`request.<kind>`, naming the reference)."""
    data = dict(details or {})
    event = RequestEvent(
        request_id=request.id, kind=kind, at=clock.now(), actor=actor, details=data
    )
    session.add(event)
    request.updated_at = event.at
    session.flush()
    audit.record(
        session,
        actor,
        f"request.{kind}",
        "information_request",
        request.id,
        {"reference": request.reference, **data},
    )
    return event


def events_of(session: Session, request_id: int) -> list[RequestEvent]:
    """The request's events, oldest first."""
    return list(
        session.scalars(
            select(RequestEvent)
            .where(RequestEvent.request_id == request_id)
            .order_by(RequestEvent.at, RequestEvent.id)
        )
    )


def event_as_dict(event: RequestEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "label": EVENT_LABELS.get(event.kind, event.kind),
        "at": event.at.isoformat(),
        "actor": event.actor,
        "details": event.details,
    }
