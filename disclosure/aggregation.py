"""Aggregation of similar requests for the FOI cost limit: FOI and EIR requests from the same
requester (the same name, or the same e-mail address) received within 60 working days (the
Freedom of Information (Appropriate Limit and Fees) Regulations 2004, reg. 5).

Aggregation is flagged, not decided: edrm marks the requests and the officer judges whether they
are similar. The requester's details are compared while they are kept; an erased requester
matches nobody.

Crash story: flagging writes the flags, the events and their audit entries in the caller's
transaction.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from disclosure.clocks import aggregation_window_start
from disclosure.loader import DisclosureConfig
from disclosure.models import InformationRequest
from disclosure.request_events import record_event


def similar_requests(
    session: Session, request: InformationRequest, config: DisclosureConfig
) -> list[InformationRequest]:
    """FOI/EIR requests from the same requester received within the aggregation window before
    or after this one (not this one)."""
    if request.kind not in ("foi", "eir") or request.requester_erased_at is not None:
        return []
    cal = config.calendar
    days = config.aggregation_working_days
    start = aggregation_window_start(request.received_on, cal, days)
    end = cal.add_working_days(request.received_on, days)
    same = [func.lower(InformationRequest.requester_name) == request.requester_name.lower()]
    if request.requester_email:
        same.append(
            func.lower(InformationRequest.requester_email) == request.requester_email.lower()
        )
    return list(
        session.scalars(
            select(InformationRequest)
            .where(
                InformationRequest.id != request.id,
                InformationRequest.kind.in_(("foi", "eir")),
                InformationRequest.requester_erased_at.is_(None),
                InformationRequest.received_on >= start,
                InformationRequest.received_on <= end,
                or_(*same),
            )
            .order_by(InformationRequest.received_on, InformationRequest.id)
        )
    )


def flag_aggregation(
    session: Session, request: InformationRequest, config: DisclosureConfig, actor: str
) -> list[InformationRequest]:
    """Flag this request and the earlier similar ones for aggregation; the ones found."""
    others = similar_requests(session, request, config)
    if not others:
        return []
    refs = [o.reference for o in others]
    request.aggregated = True
    record_event(session, request, "aggregated", actor, {"with": refs})
    for other in others:
        if not other.aggregated:
            other.aggregated = True
            record_event(session, other, "aggregated", actor, {"with": [request.reference]})
    return others
