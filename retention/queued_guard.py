"""A change guard (edrm.documents.guards): a record in an open disposal item is not linked into
further classes or folders.

The sweep leaves records in an open queue item as they are (retention.recompute), so a link
made then could not lengthen the retention the item was queued under, and the item would go on
to destroy a record that a linked place says to keep longer. The reviewer decides the item
first (retain, or a new date), and the record is linked then. Reading only: nothing to crash.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.documents.models import Document
from edrm.errors import RefusedError
from retention.models import OPEN_STATUSES, DisposalItem


def refuse_link_if_queued(
    session: Session, document: Document, change: str, actor: Principal
) -> None:
    """Refuse to link a record that an open disposal item holds."""
    if change != "link":
        return
    item = session.scalar(
        select(DisposalItem.id)
        .where(DisposalItem.document_id == document.id, DisposalItem.status.in_(OPEN_STATUSES))
        .limit(1)
    )
    if item is not None:
        raise RefusedError(
            f"document {document.id} is queued for disposal (item {item}): decide that item "
            "first (retain it or give it a new date), then file it in further places"
        )
