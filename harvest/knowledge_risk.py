"""Knowledge at risk beyond the leavers' list (HR and knowledge managers):

- **Ghost knowledge**: file-plan classes whose recent records (filed in the last
  `window_months`, at least `min_records` of them) were all created by people who have left —
  what the department knows there walked out of the door with them.
- **Harvest records whose owner has left** with no one to pass them to
  (harvest.stewardship): nobody keeps them fresh.

Read-only. A class is weighed only on the records the asker may see, so the report never
reveals a record, or a class's activity, beyond them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import Principal, document_filter
from edrm.documents.models import Document, DocumentPerson
from edrm.fileplan.models import FilePlanNode
from edrm.people.models import User
from harvest.leavers import require_hr, username_of
from harvest.models import HarvestPlan, Leaver, Profile, Stewardship
from harvest.stewardship import HARVEST_RECORD, add_months, has_left


@dataclass(frozen=True)
class GhostClass:
    code: str
    title: str
    records: int  # recent records, all by people who have left
    creators: list[str]  # who made them (usernames)


@dataclass(frozen=True)
class OrphanedRecord:
    plan_id: int
    document_id: int | None
    leaver: str  # whose harvest it was
    owner: str  # who owned it, and has left


def ghost_classes(
    session: Session,
    viewer: Principal,
    *,
    window_months: int = 24,
    min_records: int = 3,
    today: date | None = None,
) -> list[GhostClass]:
    """Classes whose recent records the viewer may see were all created by people who left."""
    require_hr(viewer, "knowledge at risk")
    today = today or clock.now().date()
    since = datetime.combine(add_months(today, -window_months), time(), tzinfo=clock.now().tzinfo)
    rows = session.execute(
        select(Document.id, Document.node_id, Document.creator).where(
            Document.status == "filed",
            Document.created_at >= since,
            document_filter(session, viewer),
        )
    ).all()
    named: dict[int, set[int]] = defaultdict(set)
    for document_id, user_id in session.execute(
        select(DocumentPerson.document_id, DocumentPerson.user_id).where(
            DocumentPerson.role == "creator",
            DocumentPerson.document_id.in_([r.id for r in rows]),
        )
    ):
        named[document_id].add(user_id)
    users = {u.id: u for u in session.scalars(select(User))}
    by_name = {u.username: u.id for u in users.values()}
    profiles = {p.user_id: p.id for p in session.scalars(select(Profile))}
    gone_cache: dict[int, bool] = {}

    def gone(user_id: int) -> bool:
        if user_id not in gone_cache:
            user = users.get(user_id)
            profile = profiles.get(user_id)
            gone_cache[user_id] = (user is not None and not user.active) or (
                profile is not None and has_left(session, profile, today)
            )
        return gone_cache[user_id]

    per_class: dict[int, list[set[int]]] = defaultdict(list)
    classes = _classes(session)
    for row in rows:
        makers = named.get(row.id) or ({by_name[row.creator]} if row.creator in by_name else set())
        class_id = classes.get(row.node_id) if row.node_id is not None else None
        if class_id is not None:
            per_class[class_id].append(makers)
    nodes = {
        n.id: n
        for n in session.scalars(select(FilePlanNode).where(FilePlanNode.id.in_(list(per_class))))
    }
    found = []
    for class_id, records in per_class.items():
        if len(records) < min_records or any(not record for record in records):
            continue  # too few to say, or a record whose maker is not known
        if all(gone(u) for record in records for u in record):
            names = sorted({users[u].username for r in records for u in r if u in users})
            node = nodes[class_id]
            found.append(GhostClass(node.code, node.title, len(records), names))
    return sorted(found, key=lambda g: (-g.records, g.code))


def _classes(session: Session) -> dict[int, int]:
    """Each node's class: itself, or for a folder the class above it."""
    parents = dict(session.execute(select(FilePlanNode.id, FilePlanNode.parent_id)).all())
    kinds = dict(session.execute(select(FilePlanNode.id, FilePlanNode.kind_value)).all())
    out: dict[int, int] = {}
    for node_id in kinds:
        current: int | None = node_id
        while current is not None and kinds.get(current) == "folder":
            current = parents.get(current)
        if current is not None:
            out[node_id] = current
    return out


def orphaned_harvest_records(session: Session, viewer: Principal) -> list[OrphanedRecord]:
    """Filed harvest records whose owner has left, with no one to pass them to."""
    require_hr(viewer, "knowledge at risk")
    today = clock.now().date()
    found = []
    for item in session.scalars(select(Stewardship).where(Stewardship.kind == HARVEST_RECORD)):
        if not has_left(session, item.owner_id, today):
            continue
        plan = session.get(HarvestPlan, item.item_id)
        leaver = session.get(Leaver, plan.leaver_id) if plan else None
        found.append(
            OrphanedRecord(
                plan_id=item.item_id,
                document_id=plan.record_document_id if plan else None,
                leaver=(username_of(session, leaver.profile_id) or "") if leaver else "",
                owner=username_of(session, item.owner_id) or "",
            )
        )
    return found
