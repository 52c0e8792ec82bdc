"""Request holds: the legal holds information requests place on the records in them.

A request hold is a `LegalHold` of scope "request" whose target is the request's reference
(FOI-2026-0001); its items are the documents in the request's bundle. Because it is an ordinary
legal hold, everything that honours holds honours it: the change guard refuses to destroy, move
or change a covered record, the sweep leaves it out of the disposal queue, execution holds it
back, and the queue and hold pages name it. It is placed and lifted by the disclosure area only
(through disclosure.request_holds.RequestHolds, which the wiring fills with
`RetentionRequestHolds`): a records manager cannot lift it by hand (`retention.holds.lift_hold`
refuses), since it lifts by itself a configured time after the request closes.

Crash story: each call writes the hold, its items and its audit entry in the caller's
transaction, so a crash leaves either all of them or none; adding a document already covered
is a no-op, so a retried call does nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.errors import NotFoundError
from edrm.webhooks.outbox import HOLD_LIFTED, HOLD_PLACED, enqueue
from retention.holds import REQUEST_SCOPE, covered_count
from retention.models import LegalHold, LegalHoldItem

#: The authority every request hold names.
AUTHORITY = "Freedom of Information Act 2000 s.77; Data Protection Act 2018 s.173"


def _reason(reference: str) -> str:
    return f"Information request {reference}: its records may not be destroyed or changed"


def place_request_hold(
    session: Session,
    *,
    reference: str,
    document_ids: Sequence[int],
    actor: str,
    hold_id: int | None = None,
) -> int:
    """Cover these documents by the request's hold, placing the hold first when `hold_id` is
    None and putting a lifted one back in force (a reopened request). Audited."""
    now = clock.now()
    hold = session.get(LegalHold, hold_id) if hold_id is not None else None
    placed = hold is None
    if hold is None:
        hold = LegalHold(
            reason=_reason(reference),
            authority=AUTHORITY,
            scope=REQUEST_SCOPE,
            target=reference,
            placed_at=now,
            placed_by=actor,
        )
        session.add(hold)
        session.flush()
    elif hold.lifted_at is not None:
        hold.lifted_at = None
        hold.lifted_by = None
        hold.lift_reason = None
        placed = True
    have = set(
        session.scalars(
            select(LegalHoldItem.document_id).where(
                LegalHoldItem.hold_id == hold.id, LegalHoldItem.document_id.is_not(None)
            )
        )
    )
    new = sorted(set(document_ids) - have)
    if new:
        session.execute(
            insert(LegalHoldItem),
            [{"hold_id": hold.id, "document_id": d, "node_id": None} for d in new],
        )
    if placed or new:
        audit.record(
            session,
            actor,
            "hold.place" if placed else "hold.extend",
            "legal_hold",
            hold.id,
            {
                "scope": REQUEST_SCOPE,
                "target": reference,
                "reason": hold.reason,
                "authority": AUTHORITY,
                "document": new,
                "documents": covered_count(session, hold.id),
            },
        )
    if placed:
        enqueue(
            session,
            HOLD_PLACED,
            {"hold": hold.id, "scope": REQUEST_SCOPE, "documents": covered_count(session, hold.id)},
        )
    return hold.id


def lift_request_hold(session: Session, hold_id: int, *, reason: str, actor: str) -> None:
    """Lift a request's hold (a no-op when it is lifted already). Audited."""
    hold = session.get(LegalHold, hold_id)
    if hold is None or hold.scope != REQUEST_SCOPE:
        raise NotFoundError(f"request hold {hold_id} not found")
    if hold.lifted_at is not None:
        return
    hold.lifted_at = clock.now()
    hold.lifted_by = actor
    hold.lift_reason = reason
    session.flush()
    count = covered_count(session, hold.id)
    audit.record(
        session, actor, "hold.lift", "legal_hold", hold.id, {"reason": reason, "documents": count}
    )
    enqueue(session, HOLD_LIFTED, {"hold": hold.id, "documents": count})


class RetentionRequestHolds:
    """disclosure.request_holds.RequestHolds, by retention's legal holds."""

    def hold(
        self,
        session: Session,
        *,
        reference: str,
        document_ids: Sequence[int],
        actor: str,
        hold_id: int | None,
    ) -> int:
        return place_request_hold(
            session, reference=reference, document_ids=document_ids, actor=actor, hold_id=hold_id
        )

    def lift(self, session: Session, hold_id: int, *, reason: str, actor: str) -> None:
        lift_request_hold(session, hold_id, reason=reason, actor=actor)
