"""Retention's notifications (issue 13 part 5), written in the transaction of the event:
records queued for review tell the records managers; a legal hold tells the people who filed
or created the records it covers.

This calls `edrm.notifications.outbox.notify` (the inward-pointing way: retention depends on
notifications, never the other way round). Documents are passed by id; the e-mail titles
only those each recipient may see when it is sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from edrm.documents.models import Document
from edrm.notifications.kinds import HOLD_PLACED, REVIEW_DUE
from edrm.notifications.outbox import MAX_DOCUMENTS, notify
from edrm.notifications.recipients import usernames_by_id, usernames_with_role
from edrm.people.models import User
from edrm.people.roles import Role
from retention.models import DisposalItem

QUEUE_PATH = "/records-management/queue"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def tell_reviewers(session: Session, item_ids: Sequence[int], *, overdue_days: int = 0) -> int:
    """Tell every records manager that queue items wait for review (newly queued, or waiting
    longer than `overdue_days`)."""
    if not item_ids:
        return 0
    document_ids = list(
        session.scalars(
            select(DisposalItem.document_id)
            .where(DisposalItem.id.in_(list(item_ids)[:MAX_DOCUMENTS]))
            .order_by(DisposalItem.id)
        )
    )
    count = _plural(len(item_ids), "record", "records")
    if overdue_days:
        summary = (
            f"{count} in the disposal queue {'has' if len(item_ids) == 1 else 'have'} waited "
            f"more than {overdue_days} days for a review decision."
        )
        key = f"review-overdue:{len(item_ids)}"
    else:
        summary = (
            f"{count} reached the end of {'its' if len(item_ids) == 1 else 'their'} retention "
            "period and wait in the disposal queue for a review decision. Nothing is destroyed "
            "until reviewers approve it."
        )
        key = ""
    return notify(
        session,
        REVIEW_DUE,
        usernames_with_role(session, Role.RECORDS_MANAGER),
        summary=summary,
        link=QUEUE_PATH,
        document_ids=document_ids,
        key=key,
    )


def tell_owners_of_hold(session: Session, hold_id: int, covered: Select[int]) -> int:
    """Tell each person who filed (or is named creator of) a record the hold covers."""
    ids = covered.subquery()
    rows = session.execute(
        select(Document.id, Document.filed_by_id, Document.creator)
        .where(Document.id.in_(select(ids.c[0])))
        .order_by(Document.id)
    ).all()
    filers = usernames_by_id(session, (filed_by for _id, filed_by, _creator in rows))
    creators = {c for _id, _f, c in rows if c}
    known = set(
        session.scalars(select(User.username).where(User.username.in_(creators)))
        if creators
        else ()
    )
    mine: dict[str, list[int]] = defaultdict(list)
    for document_id, filed_by, creator in rows:
        people = {filers.get(filed_by) if filed_by is not None else None}
        people.add(creator if creator in known else None)
        for username in people - {None}:
            mine[str(username)].append(document_id)
    written = 0
    for username, document_ids in sorted(mine.items()):
        count = _plural(len(document_ids), "record", "records")
        written += notify(
            session,
            HOLD_PLACED,
            [username],
            summary=(
                f"A legal hold (number {hold_id}) now covers {count} that you filed or "
                "created. While it is in place they cannot be changed, moved or destroyed. "
                "Keep everything relevant to it."
            ),
            document_ids=document_ids,
        )
    return written
