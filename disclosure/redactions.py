"""Redactions on a request's records: propose one (a term, or an area of a page), approve or
reject it (a second person: never the proposer), and list them.

Each proposal names an exemption from config/redaction.toml and is made on a record in the
request's bundle that the proposer may see; only information-rights officers and records
managers (edrm.access.may_handle_requests) may do any of this — to everyone else requests, and
so their redactions, do not exist (NotFoundError). Every change is one audited event in the
caller's transaction: a crash before the commit leaves nothing, after it everything; approving
or rejecting again what is already decided is refused, so a retried command does nothing twice.

An area is given in fractions of the page (0-1, origin top-left), or in PDF points (1/72 inch,
origin top-left) when any of its numbers is above 1; points are turned into fractions with the
page's size, so the table holds fractions only (disclosure.redaction_models).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from disclosure.models import BundleItem, InformationRequest
from disclosure.page_sources import Box
from disclosure.redaction_config import RedactionConfig
from disclosure.redaction_models import Redaction
from disclosure.requests import get_request
from edrm import audit, clock
from edrm.access import Principal, get_visible_document, may_handle_requests
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.ids import is_id

MAX_TERM = 200


@dataclass(frozen=True)
class Area:
    """An area as given: page (1-based) and x, y, w, h in fractions or in points."""

    page: int
    x: float
    y: float
    w: float
    h: float

    @classmethod
    def parse(cls, page: int, text: str) -> Area:
        parts = [p.strip() for p in text.split(",")]
        try:
            x, y, w, h = (float(p) for p in parts)
        except ValueError:
            raise InvalidInputError(
                f"--box must be X,Y,W,H (four numbers, e.g. 0.1,0.2,0.3,0.05), got {text!r}"
            ) from None
        return cls(page, x, y, w, h)

    @property
    def in_points(self) -> bool:
        return max(self.x, self.y, self.w, self.h) > 1

    def box(self, sizes: list[tuple[float, float]]) -> Box:
        if not 1 <= self.page <= len(sizes):
            raise InvalidInputError(
                f"page {self.page} does not exist: the record has {len(sizes)} page(s)"
            )
        if min(self.x, self.y) < 0 or min(self.w, self.h) <= 0:
            raise InvalidInputError("a box needs x, y >= 0 and a width and height above 0")
        if self.in_points:
            box = Box.from_points(self.page, self.x, self.y, self.w, self.h, sizes[self.page - 1])
        else:
            box = Box(self.page, self.x, self.y, self.w, self.h).clipped()
        if box.w <= 0 or box.h <= 0:
            raise InvalidInputError("the box lies outside the page")
        return box


def request_for(session: Session, actor: Principal, request_id: int | str) -> InformationRequest:
    """The request (by id or reference), or NotFoundError for a person who may not handle
    requests."""
    return get_request(session, actor, request_id)


def _in_bundle(session: Session, request_id: int, document_id: int) -> bool:
    return session.get(BundleItem, (request_id, document_id)) is not None


def propose(
    session: Session,
    config: RedactionConfig,
    *,
    actor: Principal,
    request_id: int | str,
    document_id: int,
    exemption: str,
    term: str | None = None,
    box: Box | None = None,
    note: str = "",
) -> Redaction:
    """A new proposed redaction (see the module docstring)."""
    request = request_for(session, actor, request_id)
    document = get_visible_document(session, actor, document_id)
    if not _in_bundle(session, request.id, document.id):
        raise InvalidInputError(
            f"document {document_id} is not in request {request.reference}: add it first "
            f"(edrm request add {request.id} --doc {document_id})"
        )
    if request.closed_at is not None:
        raise RefusedError(f"request {request.reference} is closed")
    code = config.exemption(exemption).code
    if (term is None) == (box is None):
        raise InvalidInputError("give either a term or a page and box")
    if term is not None:
        term = " ".join(term.split())
        if not term or len(term) > MAX_TERM:
            raise InvalidInputError(f"the term must be 1 to {MAX_TERM} characters")
    redaction = Redaction(
        request_id=request.id,
        document_id=document.id,
        kind="term" if term is not None else "area",
        term=term,
        page=box.page if box else None,
        x=box.x if box else None,
        y=box.y if box else None,
        w=box.w if box else None,
        h=box.h if box else None,
        exemption=code,
        note=note.strip(),
        status="proposed",
        proposed_by=actor.username,
        proposed_at=clock.now(),
    )
    session.add(redaction)
    session.flush()
    _audit(session, actor, "redaction.propose", redaction)
    return redaction


def get_redaction(session: Session, actor: Principal, redaction_id: int) -> Redaction:
    found = session.get(Redaction, redaction_id) if is_id(redaction_id) else None
    if found is None or not may_handle_requests(actor):
        raise NotFoundError(f"redaction {redaction_id} not found")
    get_visible_document(session, actor, found.document_id)  # hidden record: hidden redaction
    return found


def _decide(session: Session, actor: Principal, redaction: Redaction, status: str) -> None:
    if redaction.status != "proposed":
        raise RefusedError(
            f"redaction {redaction.id} is already {redaction.status} "
            f"(by {redaction.decided_by}): a decision is not made twice"
        )
    request = session.get(InformationRequest, redaction.request_id)
    if request is not None and request.closed_at is not None:
        raise RefusedError(f"request {request.reference} is closed")
    redaction.status = status
    redaction.decided_by = actor.username
    redaction.decided_at = clock.now()


def approve(session: Session, actor: Principal, redaction_id: int) -> Redaction:
    """Approve a proposed redaction: by a second person, never its proposer."""
    redaction = get_redaction(session, actor, redaction_id)
    if redaction.proposed_by == actor.username:
        raise RefusedError(
            f"you proposed redaction {redaction.id}: a second person must approve it"
        )
    _decide(session, actor, redaction, "approved")
    _audit(session, actor, "redaction.approve", redaction)
    return redaction


def reject(session: Session, actor: Principal, redaction_id: int, reason: str) -> Redaction:
    """Reject a proposed redaction, saying why (the proposer may withdraw their own)."""
    redaction = get_redaction(session, actor, redaction_id)
    if not reason.strip():
        raise InvalidInputError("give the reason for rejecting the redaction")
    _decide(session, actor, redaction, "rejected")
    redaction.reason = reason.strip()
    _audit(session, actor, "redaction.reject", redaction)
    return redaction


def redactions_for(
    session: Session,
    actor: Principal,
    request_id: int | str,
    *,
    document_id: int | None = None,
    status: str | None = None,
) -> list[Redaction]:
    """The request's redactions (on records the person may see), oldest first."""
    request = request_for(session, actor, request_id)
    query = select(Redaction).where(Redaction.request_id == request.id)
    if document_id is not None:
        query = query.where(Redaction.document_id == document_id)
    if status is not None:
        query = query.where(Redaction.status == status)
    found = list(session.scalars(query.order_by(Redaction.id)))
    visible: dict[int, bool] = {}
    for redaction in found:
        if redaction.document_id not in visible:
            try:
                get_visible_document(session, actor, redaction.document_id)
                visible[redaction.document_id] = True
            except NotFoundError:
                visible[redaction.document_id] = False
    return [r for r in found if visible[r.document_id]]


def box_of(redaction: Redaction) -> Box | None:
    if redaction.kind != "area" or redaction.page is None:
        return None
    return Box(
        redaction.page,
        redaction.x or 0.0,
        redaction.y or 0.0,
        redaction.w or 0.0,
        redaction.h or 0.0,
    )


def redaction_as_dict(redaction: Redaction) -> dict[str, Any]:
    box = box_of(redaction)
    return {
        "id": redaction.id,
        "request": redaction.request_id,
        "document": redaction.document_id,
        "kind": redaction.kind,
        "term": redaction.term,
        "box": box.as_dict() if box else None,
        "exemption": redaction.exemption,
        "note": redaction.note,
        "status": redaction.status,
        "proposed_by": redaction.proposed_by,
        "proposed_at": redaction.proposed_at.isoformat(),
        "decided_by": redaction.decided_by,
        "decided_at": redaction.decided_at.isoformat() if redaction.decided_at else None,
        "reason": redaction.reason,
    }


def _audit(session: Session, actor: Principal, action: str, redaction: Redaction) -> None:
    box = box_of(redaction)
    audit.record(
        session,
        actor.username,
        action,
        "info_request",
        redaction.request_id,
        {
            "redaction": redaction.id,
            "document": redaction.document_id,
            "kind": redaction.kind,
            "term": redaction.term,
            "box": box.as_dict() if box else None,
            "exemption": redaction.exemption,
            "status": redaction.status,
            **({"reason": redaction.reason} if redaction.reason else {}),
        },
    )
