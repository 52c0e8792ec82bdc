"""Retention's notifications (issue 13 part 5), written in the transaction of the event:
records queued for review tell the records managers; a legal hold tells the people who filed
or created the records it covers.

This calls `edrm.notifications.outbox.notify` (the inward-pointing way: retention depends on
notifications, never the other way round). Documents are passed by id; the e-mail titles
only those each recipient may see when it is sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from edrm.documents.models import Document
from edrm.notifications.kinds import HOLD_PLACED, REVIEW_DUE
from edrm.notifications.outbox import MAX_DOCUMENTS, notify
from edrm.notifications.recipients import usernames_with_role
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


def _owners(session: Session, covered: Select[int]) -> list[tuple[int | None, str]]:
    """(user id, username) of each person who filed, or is the named creator of, a covered
    record: grouped in SQL, so a hold on a large folder reads one row per person."""
    ids = select(covered.subquery().c[0])
    filers = session.execute(
        select(User.id, User.username)
        .join(Document, Document.filed_by_id == User.id)
        .where(Document.id.in_(ids))
        .group_by(User.id, User.username)
    ).all()
    creators = session.execute(
        select(User.id, User.username)
        .join(Document, Document.creator == User.username)
        .where(Document.id.in_(ids))
        .group_by(User.id, User.username)
    ).all()
    return sorted({(uid, name) for uid, name in [*filers, *creators]}, key=lambda p: p[1])


def tell_owners_of_hold(session: Session, hold_id: int, covered: Select[int]) -> int:
    """Tell each person who filed (or is named creator of) a record the hold covers, listing
    (up to MAX_DOCUMENTS of) their records."""
    ids = select(covered.subquery().c[0])
    written = 0
    for user_id, username in _owners(session, covered):
        theirs = and_(
            Document.id.in_(ids),
            or_(Document.filed_by_id == user_id, Document.creator == username),
        )
        count = session.scalar(select(func.count()).select_from(Document).where(theirs)) or 0
        document_ids = session.scalars(
            select(Document.id).where(theirs).order_by(Document.id).limit(MAX_DOCUMENTS)
        ).all()
        written += notify(
            session,
            HOLD_PLACED,
            [username],
            summary=(
                f"A legal hold (number {hold_id}) now covers {_plural(count, 'record', 'records')}"
                " that you filed or created. While it is in place they cannot be changed, moved "
                "or destroyed. Keep everything relevant to it."
            ),
            document_ids=list(document_ids),
        )
    return written
