"""Information requests: open one, find and list them, ask for and record clarification, extend
the clock, change status, close and reopen, each change an event and an audit entry.

Only information-rights officers, records managers and administrators may handle requests
(`edrm.access.may_handle_requests`); to anyone else a request does not exist (NotFoundError).

Crash story: every function here writes in the caller's unit of work (the request row, its
event and audit entry, its recomputed due date) and commits nothing itself, so a crash leaves
the change whole or absent; the reference number is taken inside the same transaction, under
the (kind, year, number) unique constraint, so two requests never share one and a rolled-back
one leaves no gap in what was committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from disclosure.aggregation import flag_aggregation
from disclosure.clocks import ClarificationSpan, due_date, extension_refusal
from disclosure.loader import DisclosureConfig
from disclosure.models import (
    KINDS,
    LIVE_STATUSES,
    OUTCOMES,
    STATUSES,
    BundleItem,
    Clarification,
    InformationRequest,
)
from disclosure.request_events import record_event
from disclosure.request_holds import request_holds
from edrm import clock
from edrm.access import Principal, may_handle_requests
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.ids import id_from_text
from edrm.people.models import User

#: Statuses an officer may set by hand (clarification, extension and closing have their own
#: commands).
SETTABLE = ("open", "on_hold", "responded", "internal_review", "ico_complaint")
#: How each status reads on a page.
STATUS_LABELS = {s: s.replace("_", " ").capitalize() for s in STATUSES} | {
    "ico_complaint": "ICO complaint"
}
MAX_TEXT = 5000


def require_handler(actor: Principal) -> None:
    """Requests do not exist for those who may not handle them."""
    if not may_handle_requests(actor):
        raise NotFoundError("information requests not found")


def get_request(session: Session, actor: Principal, ref: int | str) -> InformationRequest:
    """A request by id or reference (FOI-2026-0001); NotFoundError for anyone who may not
    handle requests, exactly as for a request that does not exist."""
    require_handler(actor)
    text = str(ref).strip()
    request_id = id_from_text(text)
    request = session.get(InformationRequest, request_id) if request_id is not None else None
    if request is None and text:
        request = session.scalar(
            select(InformationRequest).where(InformationRequest.reference == text.upper())
        )
    if request is None:
        raise NotFoundError(f"request {text} not found")
    return request


def _clean(value: str | None, what: str, *, required: bool = False, limit: int = 300) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise InvalidInputError(f"give the {what}")
    if len(text) > limit:
        raise InvalidInputError(f"the {what} is longer than {limit} characters")
    return text


def _officer(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise NotFoundError(f"user {username.strip()!r} not found")
    if not may_handle_requests(Principal.of(user)):
        raise InvalidInputError(
            f"{user.username} cannot be the case officer: only information-rights officers "
            "and records managers handle requests"
        )
    return user


def clarifications_of(session: Session, request_id: int) -> list[Clarification]:
    return list(
        session.scalars(
            select(Clarification)
            .where(Clarification.request_id == request_id)
            .order_by(Clarification.asked_on, Clarification.id)
        )
    )


def _spans(session: Session, request: InformationRequest) -> list[ClarificationSpan]:
    return [
        ClarificationSpan(c.asked_on, c.answered_on) for c in clarifications_of(session, request.id)
    ]


def recompute_due(
    session: Session, request: InformationRequest, config: DisclosureConfig
) -> date | None:
    """Set the request's due date from the clock rules (None while the clock is stopped)."""
    request.due_on = due_date(
        request.kind,
        request.received_on,
        config.calendar,
        _spans(session, request),
        request.extended_to,
    )
    return request.due_on


def _next_number(session: Session, kind: str, year: int) -> int:
    top = session.scalar(
        select(func.max(InformationRequest.number)).where(
            InformationRequest.kind == kind, InformationRequest.year == year
        )
    )
    return (top or 0) + 1


def open_request(
    session: Session,
    actor: Principal,
    *,
    kind: str,
    received: date,
    requester: str,
    config: DisclosureConfig,
    summary: str = "",
    email: str = "",
    address: str = "",
    case_officer: str | None = None,
) -> InformationRequest:
    """Open a request: its reference (per type and year of receipt), due date and case officer
    (the one named, else the person opening it). Flags aggregation for a FOI or EIR request
    from a requester who asked before within the aggregation window."""
    require_handler(actor)
    kind = (kind or "").strip().lower()
    if kind not in KINDS:
        raise InvalidInputError(f"unknown request type {kind!r} (use one of: {', '.join(KINDS)})")
    today = clock.now().date()
    if received > today:
        raise InvalidInputError(f"the received date {received.isoformat()} is in the future")
    if received.year < 2000:
        raise InvalidInputError(f"the received date {received.isoformat()} is before 2000")
    name = _clean(requester, "requester's name", required=True)
    officer = None
    if case_officer:
        officer = _officer(session, case_officer)
    elif actor.user_id is not None:
        officer = session.get(User, actor.user_id)
    now = clock.now()
    request = InformationRequest(
        kind=kind,
        year=received.year,
        received_on=received,
        summary=_clean(summary, "summary", limit=MAX_TEXT),
        status="open",
        case_officer_id=officer.id if officer is not None else None,
        requester_name=name,
        requester_email=_clean(email, "requester's e-mail address", limit=320),
        requester_address=_clean(address, "requester's address", limit=MAX_TEXT),
        aggregated=False,
        created_at=now,
        created_by=actor.username,
        updated_at=now,
    )
    for _attempt in range(5):
        number = _next_number(session, kind, received.year)
        request.number = number
        request.reference = f"{kind.upper()}-{received.year}-{number:04d}"
        try:
            with session.begin_nested():
                session.add(request)
                session.flush()
            break
        except IntegrityError:  # another request took the number first: take the next one
            continue
    else:
        raise RefusedError("could not number the request; try again")
    recompute_due(session, request, config)
    record_event(
        session,
        request,
        "open",
        actor.username,
        {
            "type": kind,
            "received": received.isoformat(),
            "due": request.due_on.isoformat() if request.due_on else None,
            "case_officer": officer.username if officer is not None else None,
        },
    )
    flag_aggregation(session, request, config, actor.username)
    return request


def list_requests(
    session: Session,
    actor: Principal,
    *,
    due_before: date | None = None,
    status: str | None = None,
    officer_id: int | None = None,
    live_only: bool = False,
) -> list[InformationRequest]:
    """Requests, soonest due first (stopped clocks and closed ones last)."""
    require_handler(actor)
    statement = select(InformationRequest)
    if due_before is not None:
        statement = statement.where(
            InformationRequest.due_on.is_not(None), InformationRequest.due_on < due_before
        )
    if status:
        if status not in STATUSES:
            raise InvalidInputError(f"unknown status {status!r}")
        statement = statement.where(InformationRequest.status == status)
    if live_only:
        statement = statement.where(InformationRequest.status.in_(LIVE_STATUSES))
    if officer_id is not None:
        statement = statement.where(InformationRequest.case_officer_id == officer_id)
    statement = statement.order_by(
        InformationRequest.closed_at.is_not(None),
        InformationRequest.due_on.is_(None),
        InformationRequest.due_on,
        InformationRequest.id,
    )
    return list(session.scalars(statement))


def _require_live(request: InformationRequest, what: str) -> None:
    if request.status not in LIVE_STATUSES:
        raise RefusedError(
            f"request {request.reference} is {STATUS_LABELS[request.status].lower()}: "
            f"it cannot {what}"
        )


def clarify(
    session: Session,
    actor: Principal,
    ref: int | str,
    *,
    config: DisclosureConfig,
    asked: date | None = None,
    answered: date | None = None,
) -> InformationRequest:
    """Record a question to the requester (`asked`: the clock stops) or its answer
    (`answered`: FOI and EIR start their 20 working days again; a SAR's clock resumes)."""
    request = get_request(session, actor, ref)
    if (asked is None) == (answered is None):
        raise InvalidInputError("give exactly one of --asked and --answered")
    _require_live(request, "be clarified")
    today = clock.now().date()
    pending = [c for c in clarifications_of(session, request.id) if c.answered_on is None]
    if asked is not None:
        if pending:
            raise RefusedError(
                f"request {request.reference} already awaits an answer to the question "
                f"asked on {pending[0].asked_on.isoformat()}"
            )
        if asked < request.received_on or asked > today:
            raise InvalidInputError(
                "the question's date must be between the day the request was received and today"
            )
        session.add(Clarification(request_id=request.id, asked_on=asked))
        request.status = "awaiting_clarification"
        session.flush()
        recompute_due(session, request, config)
        record_event(session, request, "clarify.asked", actor.username, {"on": asked.isoformat()})
        return request
    assert answered is not None
    if not pending:
        raise RefusedError(f"request {request.reference} awaits no clarification")
    question = pending[0]
    if answered < question.asked_on or answered > today:
        raise InvalidInputError(
            f"the answer's date must be between the question's ({question.asked_on.isoformat()}) "
            "and today"
        )
    question.answered_on = answered
    request.status = "extended" if request.extended_to else "open"
    session.flush()
    due = recompute_due(session, request, config)
    record_event(
        session,
        request,
        "clarify.answered",
        actor.username,
        {"on": answered.isoformat(), "due": due.isoformat() if due else None},
    )
    return request


def extend(
    session: Session,
    actor: Principal,
    ref: int | str,
    *,
    to: date,
    reason: str,
    config: DisclosureConfig,
) -> InformationRequest:
    """Extend the due date to `to`, with a reason: SAR by at most two further months, FOI (the
    public-interest test) and EIR (reg. 7) by at most 20 further working days."""
    request = get_request(session, actor, ref)
    why = _clean(reason, "reason for the extension", required=True, limit=MAX_TEXT)
    _require_live(request, "be extended")
    refusal = extension_refusal(
        request.kind, request.received_on, config.calendar, to, _spans(session, request)
    )
    if refusal is not None:
        raise InvalidInputError(f"request {request.reference} cannot be extended: {refusal}")
    before = request.due_on
    request.extended_to = to
    request.extension_reason = why
    if request.status == "open":
        request.status = "extended"
    recompute_due(session, request, config)
    record_event(
        session,
        request,
        "extend",
        actor.username,
        {"from": before.isoformat() if before else None, "to": to.isoformat(), "reason": why},
    )
    return request


def set_status(
    session: Session, actor: Principal, ref: int | str, status: str, *, note: str = ""
) -> InformationRequest:
    """Set a status by hand: open, on hold, responded, or reopen a closed request for an
    internal review or an ICO complaint (its hold is put back in force: `reopen_hold`)."""
    request = get_request(session, actor, ref)
    status = (status or "").strip().lower().replace("-", "_").replace(" ", "_")
    if status not in SETTABLE:
        raise InvalidInputError(
            f"the status cannot be set to {status!r} (use one of: {', '.join(SETTABLE)})"
        )
    before = request.status
    if status in ("internal_review", "ico_complaint"):
        if request.status not in ("responded", "closed", "internal_review", "ico_complaint"):
            raise RefusedError(f"request {request.reference} has not been answered yet")
        request.closed_at = None
        reopen_hold(session, request, actor.username)
    elif request.status not in LIVE_STATUSES and request.status != "responded":
        raise RefusedError(f"request {request.reference} is closed")
    elif any(c.answered_on is None for c in clarifications_of(session, request.id)):
        raise RefusedError(
            f"request {request.reference} awaits clarification: record the answer first"
        )
    if status == "responded" and request.responded_on is None:
        request.responded_on = clock.now().date()
    request.status = status
    record_event(
        session,
        request,
        "status",
        actor.username,
        {"from": before, "to": status, "note": _clean(note, "note", limit=MAX_TEXT)},
    )
    return request


def reopen_hold(session: Session, request: InformationRequest, actor: str) -> None:
    """Put a lifted request hold back in force (a reopened request protects its records)."""
    if request.hold_id is None or request.hold_lifted_at is None:
        return
    ids = session.scalars(select(BundleItem.document_id).where(BundleItem.request_id == request.id))
    request_holds().hold(
        session,
        reference=request.reference,
        document_ids=list(ids),
        actor=actor,
        hold_id=request.hold_id,
    )
    request.hold_lifted_at = None


def close(
    session: Session, actor: Principal, ref: int | str, *, outcome: str
) -> InformationRequest:
    """Close a request with its outcome. Its hold stays until the configured time after
    closure has passed (disclosure.jobs lifts it)."""
    request = get_request(session, actor, ref)
    outcome = (outcome or "").strip().lower()
    if outcome not in OUTCOMES:
        raise InvalidInputError(f"unknown outcome {outcome!r} (use one of: {', '.join(OUTCOMES)})")
    if request.status == "closed":
        raise RefusedError(f"request {request.reference} is already closed")
    before = request.status
    now = clock.now()
    request.outcome = outcome
    request.status = "closed"
    request.closed_at = now
    if request.responded_on is None:
        request.responded_on = now.date()
    record_event(session, request, "close", actor.username, {"outcome": outcome, "from": before})
    return request


def assign(session: Session, actor: Principal, ref: int | str, username: str) -> InformationRequest:
    """Make someone who handles requests the case officer."""
    request = get_request(session, actor, ref)
    officer = _officer(session, username)
    request.case_officer_id = officer.id
    record_event(session, request, "officer", actor.username, {"to": officer.username})
    return request


def officer_names(session: Session, requests: Sequence[InformationRequest]) -> dict[int, str]:
    """{user id: username} of the case officers of these requests."""
    ids = {r.case_officer_id for r in requests if r.case_officer_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


def clock_as_dict(request: InformationRequest, config: DisclosureConfig) -> dict[str, Any]:
    """Where the clock stands today: stopped, working days left, or how late."""
    today = clock.now().date()
    live = request.status in LIVE_STATUSES
    if request.due_on is None:
        return {"stopped": True, "working_days_left": None, "overdue": False, "live": live}
    left = config.calendar.working_days_between(today, request.due_on)
    return {
        "stopped": False,
        "working_days_left": left,
        "overdue": live and request.due_on < today,
        "live": live,
    }


def request_as_dict(
    request: InformationRequest, config: DisclosureConfig, *, officer: str | None
) -> dict[str, Any]:
    """The JSON shape of a request (`edrm request show --json`, list entries)."""
    erased = request.requester_erased_at is not None
    return {
        "id": request.id,
        "reference": request.reference,
        "type": request.kind,
        "status": request.status,
        "received": request.received_on.isoformat(),
        "due": request.due_on.isoformat() if request.due_on else None,
        "summary": request.summary,
        "case_officer": officer,
        "requester": None
        if erased
        else {
            "name": request.requester_name,
            "email": request.requester_email,
            "address": request.requester_address,
        },
        "requester_erased": erased,
        "extended_to": request.extended_to.isoformat() if request.extended_to else None,
        "extension_reason": request.extension_reason,
        "aggregated": request.aggregated,
        "outcome": request.outcome,
        "responded_on": request.responded_on.isoformat() if request.responded_on else None,
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
        "hold": {
            "id": request.hold_id,
            "active": request.hold_id is not None and request.hold_lifted_at is None,
        },
        "clock": clock_as_dict(request, config),
    }
