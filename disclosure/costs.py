"""The FOI cost limit: time logged against a request and its cost at the hourly rate against
the appropriate limit (£600 central government, £450 other authorities, at £25 an hour, from
config/disclosure.toml), counting the requests aggregated with it (disclosure.aggregation).

Crash story: logging time writes its row, the event and the audit entry in the caller's
transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from disclosure.aggregation import similar_requests
from disclosure.loader import DisclosureConfig
from disclosure.models import InformationRequest, TimeEntry
from disclosure.request_events import record_event
from disclosure.requests import get_request
from edrm import clock
from edrm.access import Principal
from edrm.errors import InvalidInputError

MAX_MINUTES = 24 * 60


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
