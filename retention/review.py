"""Reviewing the disposal queue: list and count the items, and decide them.

Decisions (always with a reason, only by records managers, each stage by a different person):
- approve: at a stage before the last, the item moves to the next stage (nothing is destroyed);
  at the last stage it is `approved` and retention.execution carries it out. A transfer whose
  record is marked Closed with a closure the archive would refuse (retention.closure) is not
  approved; one with no closure transfers as Open.
- refer: pass it to a further reviewer (one more stage).
- reject: the record is kept; the item is closed (`rejected`) and the record gets a new review
  date (the one given, or a year from today), when the sweep queues it again.
- extend: the item leaves the queue (`extended`) until the new date, which is required.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import WITHHELD, Principal, visible_document_ids
from edrm.documents.models import Document
from edrm.errors import AuditNote, EdrmError, InvalidInputError, NotFoundError, RefusedError
from retention import closure
from retention.holds import blocking_holds
from retention.models import DisposalDecision, DisposalItem, RecordRetention

DECISIONS = ("approve", "reject", "extend", "refer")
OPEN = ("pending", "approved", "executing")
STATUSES = ("pending", "approved", "executing", "done", "rejected", "extended", "transferred")


def list_queue(
    session: Session,
    *,
    status: str | Iterable[str] | None = None,
    class_code: str | None = None,
    action: str | None = None,
    stage: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[DisposalItem]:
    """Queue items, oldest due first. `status` None means the open ones (pending, approved,
    executing); "all" means every item, history included. `offset` and `limit` take one window
    of that order (the API's pages), in the database."""
    stmt = select(DisposalItem)
    if status is None:
        stmt = stmt.where(DisposalItem.status.in_(OPEN))
    elif isinstance(status, str):
        if status != "all":
            _check_status(status)
            stmt = stmt.where(DisposalItem.status == status)
    else:
        wanted = list(status)
        for s in wanted:
            _check_status(s)
        stmt = stmt.where(DisposalItem.status.in_(wanted))
    if class_code:
        # A class code also selects its sub-classes (FIN-AP gives FIN-AP-INV too).
        stmt = stmt.where(
            (DisposalItem.class_code == class_code)
            | DisposalItem.class_code.startswith(f"{class_code}-", autoescape=True)
        )
    if action:
        stmt = stmt.where(DisposalItem.action == action)
    if stage is not None:
        stmt = stmt.where(DisposalItem.stage == stage)
    stmt = stmt.order_by(DisposalItem.due_on, DisposalItem.id)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidInputError(f"unknown status {status!r}: use one of {', '.join(STATUSES)}")


def queue_summary(session: Session, *, status: Iterable[str] = OPEN) -> list[dict[str, Any]]:
    """The queue's batches for review: counts by class, action, stage and status."""
    rows = session.execute(
        select(
            DisposalItem.class_code,
            DisposalItem.action,
            DisposalItem.stage,
            DisposalItem.stages,
            DisposalItem.status,
            func.count(),
            func.min(DisposalItem.due_on),
        )
        .where(DisposalItem.status.in_(list(status)))
        .group_by(
            DisposalItem.class_code,
            DisposalItem.action,
            DisposalItem.stage,
            DisposalItem.stages,
            DisposalItem.status,
        )
        .order_by(DisposalItem.class_code, DisposalItem.action, DisposalItem.stage)
    )
    return [
        {
            "class_code": class_code,
            "action": action,
            "stage": stage,
            "stages": stages,
            "status": item_status,
            "count": count,
            "oldest_due": oldest.isoformat() if oldest else None,
        }
        for class_code, action, stage, stages, item_status, count, oldest in rows
    ]


def item_as_dict(item: DisposalItem, *, title: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": item.id,
        "document_id": item.document_id,
        "action": item.action,
        "due": item.due_on.isoformat(),
        "stage": item.stage,
        "stages": item.stages,
        "status": item.status,
        "class_code": item.class_code,
        "rule": item.rule_code,
        "queued_at": item.queued_at.isoformat(),
        "batch_id": item.batch_id,
        "last_error": item.last_error,
        "finished_at": item.finished_at.isoformat() if item.finished_at else None,
    }
    if title is not None:
        data["title"] = title
    return data


def items_as_dicts(
    session: Session, items: list[DisposalItem], *, viewer: Principal
) -> list[dict[str, Any]]:
    """`item_as_dict` of each, with the record's title when the viewer may see the record;
    otherwise the title is withheld (`"withheld": true`) and the item needs a cleared reviewer."""
    ids = {i.document_id for i in items}
    visible = visible_document_ids(session, viewer, ids)
    titles: dict[int, str] = (
        {
            doc_id: title
            for doc_id, title in session.execute(
                select(Document.id, Document.title).where(Document.id.in_(visible))
            )
        }
        if visible
        else {}
    )
    blocks = blocking_holds(session, visible)
    out = []
    for i in items:
        withheld = i.document_id not in visible
        data = item_as_dict(i, title=WITHHELD if withheld else titles.get(i.document_id, ""))
        data["withheld"] = withheld
        data["blocked_by"] = blocks.get(i.document_id, [])
        out.append(data)
    return out


def cleared_items(
    session: Session, items: Iterable[DisposalItem], viewer: Principal
) -> list[DisposalItem]:
    """The items whose record the person may see: the ones they may decide on."""
    items = list(items)
    visible = visible_document_ids(session, viewer, {i.document_id for i in items})
    return [i for i in items if i.document_id in visible]


def decisions_for(session: Session, item_id: int) -> list[DisposalDecision]:
    """Every decision on one item, in the order made."""
    return list(
        session.scalars(
            select(DisposalDecision)
            .where(DisposalDecision.item_id == item_id)
            .order_by(DisposalDecision.id)
        )
    )


def decision_as_dict(decision: DisposalDecision, *, withheld: bool = False) -> dict[str, Any]:
    """One decision; its reason is withheld (None) from someone not cleared for the record,
    since a reviewer's reason may describe what the record holds."""
    return {
        "item_id": decision.item_id,
        "stage": decision.stage,
        "decision": decision.decision,
        "reason": None if withheld else decision.reason,
        "new_date": decision.new_date.isoformat() if decision.new_date else None,
        "decided_by": decision.decided_by,
        "decided_at": decision.decided_at.isoformat(),
    }


def _refuse(actor: Principal, item: DisposalItem, message: str, **details: Any) -> RefusedError:
    return RefusedError(
        message,
        audit=AuditNote(
            actor.username,
            "disposal.decision_refused",
            "document",
            item.document_id,
            {"item": item.id, "stage": item.stage, "why": message, **details},
        ),
    )


def decide(
    session: Session,
    item_id: int,
    decision: str,
    *,
    reason: str,
    actor: Principal,
    new_date: date | None = None,
) -> DisposalItem:
    """Record one reviewer's decision on one pending item (in the caller's transaction)."""
    if decision not in DECISIONS:
        raise InvalidInputError(f"unknown decision {decision!r}: use one of {', '.join(DECISIONS)}")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInputError(f"a decision needs a reason (item {item_id})")
    item = session.get(DisposalItem, item_id, with_for_update=True)
    if item is None:
        raise NotFoundError(f"disposal item {item_id} not found")
    _check_reviewer(session, item, actor)
    if decision == "approve" and item.action == "transfer":
        _check_closure(session, item, actor)
    today = clock.now().date()
    if decision == "extend" and new_date is None:
        raise InvalidInputError(f"an extension needs the new date (item {item_id})")
    if new_date is not None and new_date <= today:
        raise InvalidInputError(f"the new date {new_date.isoformat()} is not in the future")
    stage = item.stage
    now = clock.now()
    session.add(
        DisposalDecision(
            item_id=item.id,
            stage=stage,
            decision=decision,
            reason=reason,
            new_date=new_date,
            decided_by=actor.username,
            decided_at=now,
        )
    )
    new_date = _apply(session, item, decision, new_date, today=today, now=now)
    session.flush()
    audit.record(
        session,
        actor.username,
        "disposal.decide",
        "document",
        item.document_id,
        {
            "item": item.id,
            "decision": decision,
            "stage": stage,
            "reason": reason,
            "new_date": new_date.isoformat() if new_date else None,
            "status": item.status,
        },
    )
    return item


def _check_reviewer(session: Session, item: DisposalItem, actor: Principal) -> None:
    """A person who manages records and may see the record, deciding a pending item at a
    stage they have not decided."""
    if actor.is_system:
        raise RefusedError("a review decision is a person's: act as a records manager (--as)")
    if not actor.manages_records:
        raise _refuse(actor, item, "only records managers decide on disposal")
    if not visible_document_ids(session, actor, [item.document_id]):
        raise _refuse(
            actor,
            item,
            f"disposal item {item.id} needs a cleared reviewer: "
            "you are not cleared to see its record",
        )
    if item.status != "pending":
        raise RefusedError(f"disposal item {item.id} is {item.status}: it is not awaiting review")
    earlier = session.scalar(
        select(DisposalDecision.stage)
        .where(DisposalDecision.item_id == item.id, DisposalDecision.decided_by == actor.username)
        .limit(1)
    )
    if earlier is not None:
        raise _refuse(
            actor,
            item,
            f"you decided stage {earlier} of disposal item {item.id}; "
            f"stage {item.stage} needs a different reviewer",
        )


def _check_closure(session: Session, item: DisposalItem, actor: Principal) -> None:
    """A transfer is approved only with a closure the archive accepts: a record marked Closed
    whose closure breaks the rules is refused, naming them (one with none transfers as Open)."""
    wrong = closure.problems(closure.closure_of(session, item.document_id))
    if wrong:
        raise _refuse(
            actor,
            item,
            f"disposal item {item.id} cannot be approved for transfer: its record's closure is "
            f"not complete ({'; '.join(wrong)}); correct it on the item's page first",
        )


def _apply(
    session: Session,
    item: DisposalItem,
    decision: str,
    new_date: date | None,
    *,
    today: date,
    now: datetime,
) -> date | None:
    """Move the item on as the decision says; returns the record's new review date, if any."""
    if decision == "approve":
        if item.stage < item.stages:
            item.stage += 1
        else:
            item.status = "approved"
    elif decision == "refer":
        item.stages += 1
        item.stage += 1
    elif decision == "reject":
        new_date = new_date or years_later(today)
        set_review_date(session, item, new_date)
        item.status = "rejected"
        item.finished_at = now
    else:  # extend
        assert new_date is not None
        set_review_date(session, item, new_date)
        item.status = "extended"
        item.finished_at = now
    return new_date


@dataclass(frozen=True)
class Refusal:
    """One item a bulk decision could not decide, and why (the error's message)."""

    item_id: int
    why: str
    error: EdrmError


@dataclass(frozen=True)
class BulkDecision:
    """What one decision on several items did: every item decided, or (all or nothing) none,
    with the items refused and why."""

    decision: str
    asked: int  # how many different items the decision was for
    decided: list[DisposalItem] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)

    @property
    def held_back(self) -> int:
        """Items that were not refused but were not decided either, because others were."""
        return self.asked - len(self.decided) - len(self.refused)


def decide_items(
    session: Session,
    item_ids: Iterable[int],
    decision: str,
    *,
    reason: str,
    actor: Principal,
    new_date: date | None = None,
) -> BulkDecision:
    """The same decision on several items (bulk selection, web and CLI alike): all or nothing.

    Each item is tried in its own savepoint, so every refusal is found and reported, not only
    the first; if any item is refused the whole batch is rolled back and nothing is decided.
    Refusals that carry an audit note are audited in the caller's transaction, which the caller
    commits (the decisions themselves are gone by then)."""
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise InvalidInputError("choose at least one item")
    decided: list[DisposalItem] = []
    refused: list[Refusal] = []
    batch = session.begin_nested()
    for item_id in ids:
        try:
            with session.begin_nested():
                decided.append(
                    decide(
                        session, item_id, decision, reason=reason, actor=actor, new_date=new_date
                    )
                )
        except EdrmError as exc:
            refused.append(Refusal(item_id, str(exc), exc))
    if not refused:
        batch.commit()
        return BulkDecision(decision, len(ids), decided=decided)
    batch.rollback()
    for refusal in refused:
        audit.record_refusal(session, refusal.error)
    return BulkDecision(decision, len(ids), refused=refused)


def decide_many(
    session: Session,
    item_ids: Iterable[int],
    decision: str,
    *,
    reason: str,
    actor: Principal,
    new_date: date | None = None,
) -> list[DisposalItem]:
    """`decide_items` for callers that want an exception: the items decided, or the first
    refusal raised (all or nothing; the unit of work keeps the refusal's audit)."""
    result = decide_items(
        session, item_ids, decision, reason=reason, actor=actor, new_date=new_date
    )
    if result.refused:
        raise result.refused[0].error
    return result.decided


def set_review_date(session: Session, item: DisposalItem, on: date) -> None:
    """The record's new review date (the sweep queues it again once it has passed)."""
    row = session.get(RecordRetention, item.document_id)
    if row is None:
        session.add(
            RecordRetention(
                document_id=item.document_id,
                rule_code=item.rule_code,
                action=item.action,
                state="scheduled",
                trigger_on=None,
                due_on=item.due_on,
                review_on=on,
                computed_at=clock.now(),
            )
        )
    else:
        row.review_on = on


def years_later(day: date, years: int = 1) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def overdue(session: Session, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Pending items by class and stage with how long the oldest has waited (reminders)."""
    moment = now or clock.now()
    rows = session.execute(
        select(
            DisposalItem.class_code,
            DisposalItem.stage,
            func.count(),
            func.min(DisposalItem.queued_at),
        )
        .where(DisposalItem.status == "pending")
        .group_by(DisposalItem.class_code, DisposalItem.stage)
        .order_by(DisposalItem.class_code, DisposalItem.stage)
    )
    out = []
    for class_code, stage, count, oldest in rows:
        out.append(
            {
                "class_code": class_code,
                "stage": stage,
                "count": count,
                "waiting_days": (moment - oldest).days if oldest else 0,
            }
        )
    return out
