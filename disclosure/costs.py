"""The FOI cost limit: time logged against a request, its cost at the hourly rate against the
appropriate limit (£600 central government, £450 other authorities, at £25 an hour, from
config/disclosure.toml), and aggregation of similar requests from the same requester within 60
working days (the Freedom of Information (Appropriate Limit and Fees) Regulations 2004, reg. 5).

Aggregation is flagged, not decided: edrm marks FOI and EIR requests from the same requester
(the same name, or the same e-mail address) received within the window, and the officer judges
whether they are similar. The requester's details are compared while they are kept; an erased
requester matches nobody.

Crash story: logging time and flagging aggregation each write their rows, the event and the
audit entry in the caller's transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from disclosure.clocks import aggregation_window_start
from disclosure.loader import DisclosureConfig
from disclosure.models import InformationRequest, TimeEntry
from disclosure.request_events import record_event
from disclosure.requests import get_request
from edrm import clock
from edrm.access import Principal
from edrm.errors import InvalidInputError

MAX_MINUTES = 24 * 60


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


def log_time(
    session: Session,
    actor: Principal,
    ref: int | str,
    *,
    minutes: int,
    activity: str = "",
    on: date | None = None,
) -> TimeEntry:
    """Log time spent on a request (locating, retrieving and extracting information)."""
    request = get_request(session, actor, ref)
    if not 1 <= minutes <= MAX_MINUTES:
        raise InvalidInputError(f"the time must be 1 to {MAX_MINUTES} minutes")
    day = on or clock.now().date()
    if day > clock.now().date():
        raise InvalidInputError("time cannot be logged for a day in the future")
    entry = TimeEntry(
        request_id=request.id,
        minutes=minutes,
        activity=" ".join(activity.split())[:200],
        logged_on=day,
        logged_by=actor.username,
    )
    session.add(entry)
    session.flush()
    record_event(
        session, request, "time", actor.username, {"minutes": minutes, "activity": entry.activity}
    )
    return entry


def minutes_logged(session: Session, request_ids: list[int]) -> int:
    if not request_ids:
        return 0
    total = session.scalar(
        select(func.coalesce(func.sum(TimeEntry.minutes), 0)).where(
            TimeEntry.request_id.in_(request_ids)
        )
    )
    return int(total or 0)


def cost_summary(
    session: Session, request: InformationRequest, config: DisclosureConfig
) -> dict[str, Any]:
    """The time logged, its cost, and the cost of the aggregated requests together, against
    the appropriate limit (FOI and EIR; a SAR has no cost limit)."""
    own = minutes_logged(session, [request.id])
    others = similar_requests(session, request, config) if request.aggregated else []
    together = minutes_logged(session, [request.id, *(o.id for o in others)])
    rate = config.hourly_rate
    limit = config.cost_limit if request.kind == "foi" else None
    cost = round(together / 60 * rate, 2)
    return {
        "minutes": own,
        "hours": round(own / 60, 2),
        "pounds": round(own / 60 * rate, 2),
        "aggregated_with": [o.reference for o in others],
        "aggregate_pounds": cost,
        "limit": limit,
        "limit_hours": None if limit is None else round(limit / rate, 2),
        "over_limit": limit is not None and cost > limit,
        "hourly_rate": rate,
    }
