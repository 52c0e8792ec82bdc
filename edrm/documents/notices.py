"""Documents' notification (issue 13 part 5): a document put on a triage list tells its filer,
in the transaction that put it there. It calls `edrm.notifications.outbox.notify` (the
inward-pointing way); the e-mail titles the document only if the filer may see it then."""

from __future__ import annotations

from sqlalchemy.orm import Session

from edrm.documents.models import Document
from edrm.notifications.kinds import TRIAGE_WAITING
from edrm.notifications.outbox import notify
from edrm.notifications.recipients import usernames_by_id


def tell_filer_of_triage(session: Session, document: Document) -> int:
    """The document waits on its filer's triage list: tell them (their preference permitting)."""
    if document.filed_by_id is None:
        return 0
    filer = usernames_by_id(session, [document.filed_by_id]).get(document.filed_by_id)
    if filer is None:
        return 0
    return notify(
        session,
        TRIAGE_WAITING,
        [filer],
        summary=(
            "edrm could not file a document you uploaded by itself: it waits on your triage "
            "list for you to choose where it belongs."
        ),
        link=f"/triage/{document.id}",
        document_ids=[document.id],
    )
