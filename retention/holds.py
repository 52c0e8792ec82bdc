"""Legal holds: place, lift and list them, and know what they cover.

A hold covers documents directly (`--doc`, and a saved search's hits at the time it is placed)
or a file-plan node and everything filed below it (`--folder`). While any hold covers a record,
nothing may destroy, move, re-file, change or declare it.
"""

from __future__ import annotations

from sqlalchemy import Select, select, union
from sqlalchemy.orm import Session, aliased

from edrm.documents.models import Document
from edrm.fileplan.models import FilePlanNode
from retention.models import LegalHold, LegalHoldItem


def _held_node_ids(session: Session) -> set[int]:
    """Every node under an active hold, with all its descendants (the tree is small)."""
    roots = set(
        session.scalars(
            select(LegalHoldItem.node_id)
            .join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
            .where(LegalHold.lifted_at.is_(None), LegalHoldItem.node_id.is_not(None))
        )
    )
    if not roots:
        return set()
    children: dict[int, list[int]] = {}
    for node_id, parent_id in session.execute(select(FilePlanNode.id, FilePlanNode.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(node_id)
    held, stack = set(), list(roots)
    while stack:
        node_id = stack.pop()
        if node_id not in held:
            held.add(node_id)
            stack.extend(children.get(node_id, ()))
    return held


def held_document_ids(session: Session) -> Select[tuple[int]]:
    """A SELECT of the ids of every document covered by at least one active hold (for SQL
    set operations such as the sweep's NOT IN)."""
    direct = (
        select(LegalHoldItem.document_id)
        .join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
        .where(LegalHold.lifted_at.is_(None), LegalHoldItem.document_id.is_not(None))
    )
    nodes = _held_node_ids(session)
    if not nodes:
        return direct
    in_nodes = select(Document.id).where(Document.node_id.in_(sorted(nodes)))
    return select(union(direct, in_nodes).subquery().c[0])


def holds_covering(session: Session, document: Document) -> list[LegalHold]:
    """The active holds that cover one document (directly or through its node's path)."""
    path_ids = [n.id for n in document.node.path()] if document.node is not None else []
    item = aliased(LegalHoldItem)
    condition = item.document_id == document.id
    if path_ids:
        condition = condition | item.node_id.in_(path_ids)
    return list(
        session.scalars(
            select(LegalHold)
            .join(item, item.hold_id == LegalHold.id)
            .where(LegalHold.lifted_at.is_(None), condition)
            .distinct()
            .order_by(LegalHold.id)
        )
    )
