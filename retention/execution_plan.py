"""What carrying out the approved decisions would do now, before anyone confirms it: the
records it would destroy (and the destructions it would resume), the records it would give a
new review date, the transfers waiting for their package, and what it would leave alone
(records the person may not see, records under a legal hold now).

Only reads. The check page (retention.web.execution) shows the plan and asks for an explicit
confirmation; `fingerprint` lets the confirmation be refused when the plan has changed since
the person looked at it. retention.execution.execute_approved selects the same items.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from edrm.access import Principal, visible_document_ids
from edrm.documents.models import Document
from retention.holds import held_document_ids, holds_covering
from retention.models import DisposalItem

#: How many titles each part of the plan names (the count is always whole).
SHOWN_TITLES = 50


@dataclass(frozen=True)
class PlannedRecord:
    item_id: int
    document_id: int
    title: str
    identifier: str
    class_code: str


@dataclass
class PlanPart:
    """One kind of work in the plan: how many items, and those the person may see, by title."""

    count: int = 0
    records: list[PlannedRecord] = field(default_factory=list)  # at most SHOWN_TITLES

    @property
    def more(self) -> int:
        return self.count - len(self.records)


@dataclass
class ExecutionPlan:
    destroy: PlanPart = field(default_factory=PlanPart)  # approved destroy items, resumed ones
    review: PlanPart = field(default_factory=PlanPart)  # approved review items: a new date
    transfer: PlanPart = field(default_factory=PlanPart)  # approved transfers: not done here
    held: PlanPart = field(default_factory=PlanPart)  # would be destroyed, but held now
    uncleared: int = 0  # items whose record the person may not see: left for a cleared manager
    holds: dict[int, list[str]] = field(default_factory=dict)  # held record -> which hold, why
    item_ids: list[int] = field(default_factory=list)  # what the run would carry out

    @property
    def empty(self) -> bool:
        return not (self.destroy.count or self.review.count)

    @property
    def fingerprint(self) -> str:
        """A short digest of the items the run would carry out (to detect a changed plan)."""
        text = ",".join(str(i) for i in sorted(self.item_ids))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def execution_plan(session: Session, viewer: Principal) -> ExecutionPlan:
    """What `execute_approved` would do now for `viewer`."""
    rows = session.execute(
        select(DisposalItem, Document.title, Document.identifier)
        .join(Document, Document.id == DisposalItem.document_id)
        .where(
            or_(
                (DisposalItem.status == "approved")
                & DisposalItem.action.in_(("destroy", "review", "transfer")),
                DisposalItem.status == "executing",
            )
        )
        .order_by(DisposalItem.id)
    ).all()
    doc_ids = [item.document_id for item, _, _ in rows]
    visible = visible_document_ids(session, viewer, doc_ids)
    held = set(
        session.scalars(
            select(Document.id).where(
                Document.id.in_(doc_ids), Document.id.in_(held_document_ids(session))
            )
        )
    )
    plan = ExecutionPlan()
    for item, title, identifier in rows:
        if item.document_id not in visible:
            if item.status == "executing" or item.action in ("destroy", "review"):
                plan.uncleared += 1
            continue
        record = PlannedRecord(item.id, item.document_id, title, identifier, item.class_code)
        if item.status == "approved" and item.action == "transfer":
            part = plan.transfer
        elif item.status == "approved" and item.action == "review":
            part = plan.review
            plan.item_ids.append(item.id)
        elif item.document_id in held:
            part = plan.held
        else:
            part = plan.destroy
            plan.item_ids.append(item.id)
        part.count += 1
        if len(part.records) < SHOWN_TITLES:
            part.records.append(record)
    for record in plan.held.records:
        document = session.get(Document, record.document_id)
        if document is not None:
            plan.holds[record.document_id] = [
                f"hold {h.id}: {h.reason} ({h.authority})"
                for h in holds_covering(session, document)
            ]
    return plan
