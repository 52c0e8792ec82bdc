"""What happens after a request closes: its hold lifts, and its requester's contact details are
erased, each a configured number of months after closure (config/disclosure.toml; by default 3
months, the window in which the ICO expects a complaint). A request reopened for an internal
review or an ICO complaint is not closed, so neither happens to it until it closes again.

Crash story: the job lifts each hold (retention's hold row and audit entry, through
disclosure.request_holds), marks the request and records its event in one transaction, and
erases details the same way; what it has done is marked on the request (`hold_lifted_at`,
`requester_erased_at`), so a rerun after a crash does nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from disclosure.clocks import corresponding_date
from disclosure.loader import DisclosureConfig
from disclosure.models import InformationRequest, RequestSearch
from disclosure.request_events import record_event
from disclosure.request_holds import request_holds
from edrm import clock
from edrm.audit import SYSTEM_ACTOR

ERASED = "(erased)"


def ends_on(closed_on: date, months: int) -> date:
    """The day a closed request's window of `months` ends (the hold lifts on it)."""
    return corresponding_date(closed_on, months)


@dataclass(frozen=True)
class ClosureRun:
    lifted: list[str]
    erased: list[str]

    @property
    def message(self) -> str:
        return f"{len(self.lifted)} request hold(s) lifted; {len(self.erased)} requester(s) erased"


def _closed(session: Session) -> list[InformationRequest]:
    return list(
        session.scalars(
            select(InformationRequest)
            .where(InformationRequest.status == "closed", InformationRequest.closed_at.is_not(None))
            .order_by(InformationRequest.closed_at, InformationRequest.id)
        )
    )


def lift_expired_holds(session: Session, config: DisclosureConfig) -> list[str]:
    """Lift the hold of every request closed for the configured months; their references."""
    today = clock.now().date()
    lifted: list[str] = []
    for request in _closed(session):
        if request.hold_id is None or request.hold_lifted_at is not None:
            continue
        assert request.closed_at is not None
        end = ends_on(request.closed_at.date(), config.hold_months_after_closure)
        if today < end:
            continue
        request_holds().lift(
            session,
            request.hold_id,
            reason=(
                f"information request {request.reference} closed on "
                f"{request.closed_at:%Y-%m-%d}; {config.hold_months_after_closure} months "
                "have passed"
            ),
            actor=SYSTEM_ACTOR,
        )
        request.hold_lifted_at = clock.now()
        record_event(session, request, "hold.lifted", SYSTEM_ACTOR, {"hold": request.hold_id})
        lifted.append(request.reference)
    return lifted


def erase_requesters(session: Session, config: DisclosureConfig) -> list[str]:
    """Erase the contact details of every request closed for the configured months."""
    today = clock.now().date()
    erased: list[str] = []
    for request in _closed(session):
        if request.requester_erased_at is not None:
            continue
        assert request.closed_at is not None
        end = ends_on(request.closed_at.date(), config.erase_requester_months_after_closure)
        if today < end:
            continue
        erase_requester(session, request, SYSTEM_ACTOR)
        erased.append(request.reference)
    return erased


def erase_requester(session: Session, request: InformationRequest, actor: str) -> None:
    """Blank the requester's name, e-mail address and address, and a subject access request's
    saved search words (they name the data subject). The event names no one."""
    request.requester_name = ERASED
    request.requester_email = ""
    request.requester_address = ""
    if request.kind == "sar":
        session.execute(
            update(RequestSearch).where(RequestSearch.request_id == request.id).values(query=ERASED)
        )
    request.requester_erased_at = clock.now()
    record_event(session, request, "requester.erased", actor, {})


def closure_run(session: Session, config: DisclosureConfig) -> ClosureRun:
    return ClosureRun(
        lifted=lift_expired_holds(session, config), erased=erase_requesters(session, config)
    )
