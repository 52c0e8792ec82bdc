"""What a record's page says about the legal holds on it: which holds, why, who placed them,
and what they forbid, told where a person would try to change it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from edrm.documents.models import Document
from retention.holds import holds_covering

#: What a hold forbids, as the record's page and the refusals say it.
WHILE_HELD = (
    "While a hold is in force, nobody may edit its details, move or re-file it, add a "
    "version, declare it a record or destroy it."
)


@dataclass(frozen=True)
class HoldNotice:
    """One hold in force on a record, for the record's pages."""

    id: int
    reason: str
    authority: str
    placed_by: str
    placed_at: datetime
    covers: str  # "this record" or "everything under <code>"


def holds_on(session: Session, document: Document) -> list[HoldNotice]:
    """The holds in force that cover this record (directly, or through a folder or class
    above it), oldest first."""
    if document.status == "destroyed":
        return []
    titles = {n.code: n.title for place in document.locations for n in place.path()}
    notices = []
    for hold in holds_covering(session, document):
        covers = "this record"
        if hold.scope == "folder":
            covers = f"everything in {hold.target} {titles.get(hold.target, '')}".rstrip()
        elif hold.scope == "query":
            covers = "the records a search found, this one among them"
        notices.append(
            HoldNotice(
                id=hold.id,
                reason=hold.reason,
                authority=hold.authority,
                placed_by=hold.placed_by,
                placed_at=hold.placed_at,
                covers=covers,
            )
        )
    return notices
