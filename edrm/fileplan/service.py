"""File-plan services: validate and import a plan, export it, browse it, make and close folders."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import (
    SYSTEM,
    Principal,
    may_administer_fileplan,
    may_file_into,
    visible_node_ids,
)
from edrm.documents.models import Document, RecordLink
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.io import NodeRow
from edrm.fileplan.models import CLASS_PARENT, FilePlanNode, NodeKind
from edrm.markings import Marking
from edrm.people.service import ensure_group

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int


@dataclass
class TreeNode:
    """A node as a person sees it when browsing (children filtered to what they may see)."""

    code: str
    title: str
    kind: str
    marking: str
    closed: bool
    description: str
    children: list[TreeNode] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "kind": self.kind,
            "marking": self.marking,
            "closed": self.closed,
            "description": self.description,
            "children": [c.as_dict() for c in self.children],
        }


def _existing_nodes(session: Session) -> dict[str, FilePlanNode]:
    return {n.code: n for n in session.scalars(select(FilePlanNode))}


def validate_rows(session: Session, rows: list[NodeRow]) -> list[str]:
    """Every problem with the rows, each naming its row; empty when the plan can be imported."""
    problems: list[str] = []
    existing = _existing_nodes(session)
    seen: dict[str, str] = {}
    kinds: dict[str, str] = {code: n.kind_value for code, n in existing.items()}
    parents: dict[str, str] = {
        code: (n.parent.code if n.parent else "") for code, n in existing.items()
    }
    for row in rows:
        where = f"{row.where}" + (f" ({row.code})" if row.code else "")
        if not row.code:
            problems.append(f"{row.where}: the code is missing")
            continue
        if not CODE_RE.match(row.code):
            problems.append(f"{where}: the code may use only letters, digits, '.', '_', '/', '-'")
        if row.code in seen:
            problems.append(f"{where}: duplicate code (also at {seen[row.code]})")
            continue
        seen[row.code] = row.where
        if not row.title:
            problems.append(f"{where}: the title is missing")
        if row.kind not in {k.value for k in NodeKind}:
            problems.append(
                f"{where}: unknown kind {row.kind!r} "
                "(use function, activity, transaction or folder)"
            )
        try:
            Marking.parse(row.marking)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
        if not isinstance(row.closed, bool):
            problems.append(f"{where}: 'closed' must be true or false (got {row.closed!r})")
        elif row.closed and row.kind != NodeKind.FOLDER:
            problems.append(f"{where}: only folders can be closed")
        kinds[row.code] = row.kind
        parents[row.code] = row.parent
    for row in rows:
        if not row.code or seen.get(row.code) != row.where:
            continue
        where = f"{row.where} ({row.code})"
        if row.parent and row.parent not in kinds:
            problems.append(f"{where}: unknown parent {row.parent!r}")
            continue
        problems.extend(_level_problems(where, row, kinds))
        if _in_cycle(row.code, parents):
            problems.append(f"{where}: the parent chain loops back to {row.code!r} (a cycle)")
    return problems


def _level_problems(where: str, row: NodeRow, kinds: dict[str, str]) -> list[str]:
    if row.kind not in {k.value for k in NodeKind}:
        return []
    kind = NodeKind(row.kind)
    parent_kind = kinds.get(row.parent) if row.parent else None
    if kind is NodeKind.FOLDER:
        if parent_kind is None:
            return [f"{where}: a folder needs a parent class"]
        if parent_kind == NodeKind.FUNCTION:
            return [f"{where}: folders sit under an activity or transaction, not a function"]
        return []
    expected = CLASS_PARENT[kind]
    if expected is None and row.parent:
        return [f"{where}: a function is a top-level class and has no parent"]
    if expected is not None and parent_kind != expected.value:
        return [f"{where}: a {kind.value} sits under a {expected.value}, not a {parent_kind}"]
    return []


def _in_cycle(code: str, parents: dict[str, str]) -> bool:
    seen = {code}
    current = parents.get(code, "")
    while current:
        if current in seen:
            return current == code
        seen.add(current)
        current = parents.get(current, "")
    return False


def import_rows(session: Session, rows: list[NodeRow], actor: Principal = SYSTEM) -> ImportSummary:
    """Create or update nodes by code. All rows are checked first; any problem rejects all."""
    if not may_administer_fileplan(actor):
        raise RefusedError("only records managers and administrators may change the file plan")
    if not rows:
        raise InvalidInputError("the file plan file has no nodes")
    problems = validate_rows(session, rows)
    if problems:
        raise InvalidInputError(
            f"file plan rejected, nothing was imported ({len(problems)} problem"
            f"{'s' if len(problems) != 1 else ''}): " + "; ".join(problems)
        )
    existing = _existing_nodes(session)
    created = updated = unchanged = 0
    for row in _parents_first(rows):
        node = existing.get(row.code)
        parent = existing.get(row.parent) if row.parent else None
        groups = [ensure_group(session, name) for name in row.access]
        values = {
            "parent_id": parent.id if parent else None,
            "kind_value": row.kind,
            "title": row.title,
            "description": row.description,
            "marking_value": Marking.parse(row.marking).value,
            "owner_unit": row.owner_unit,
            "retention_rule": row.retention or None,
            "closed": bool(row.closed),
        }
        if node is None:
            node = FilePlanNode(code=row.code, created_at=clock.now(), **values)
            node.access_groups = groups
            if node.closed:
                node.closed_at = clock.now()
            session.add(node)
            session.flush()
            existing[row.code] = node
            created += 1
            audit.record(session, actor.username, "fileplan.create", "node", row.code, values)
            continue
        changes: dict[str, Any] = {k: v for k, v in values.items() if getattr(node, k) != v}
        if sorted(g.name for g in groups) != node.access_names:
            changes["access"] = list(row.access)
        if not changes:
            unchanged += 1
            continue
        if "kind_value" in changes and _has_contents(session, node):
            raise InvalidInputError(
                f"{row.where} ({row.code}): cannot change the kind of a node that has "
                "children or documents; nothing was imported"
            )
        for key, value in values.items():
            setattr(node, key, value)
        node.access_groups = groups
        if node.closed and node.closed_at is None:
            node.closed_at = clock.now()
        session.flush()
        updated += 1
        audit.record(session, actor.username, "fileplan.update", "node", row.code, changes)
    summary = ImportSummary(created, updated, unchanged)
    audit.record(session, actor.username, "fileplan.import", "fileplan", "-", summary.__dict__)
    return summary


def _parents_first(rows: list[NodeRow]) -> list[NodeRow]:
    by_code = {r.code: r for r in rows}
    ordered: list[NodeRow] = []
    placed: set[str] = set()

    def place(row: NodeRow) -> None:
        if row.code in placed:
            return
        if row.parent in by_code:
            place(by_code[row.parent])
        placed.add(row.code)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


def _has_contents(session: Session, node: FilePlanNode) -> bool:
    children = session.scalar(
        select(func.count()).select_from(FilePlanNode).where(FilePlanNode.parent_id == node.id)
    )
    docs = session.scalar(
        select(func.count()).select_from(Document).where(Document.node_id == node.id)
    )
    linked = session.scalar(  # records filed here besides their own place (multi-filing)
        select(func.count()).select_from(RecordLink).where(RecordLink.node_id == node.id)
    )
    return bool(children or docs or linked)


def _node_row(node: FilePlanNode) -> NodeRow:
    return NodeRow(
        where=node.code,
        code=node.code,
        parent=node.parent.code if node.parent else "",
        kind=node.kind_value,
        title=node.title,
        description=node.description,
        marking=node.marking_value,
        access=tuple(node.access_names),
        owner_unit=node.owner_unit,
        retention=node.retention_rule or "",
        closed=node.closed,
    )


def export_rows(session: Session, *, include_folders: bool = True) -> list[NodeRow]:
    """The whole plan, parents before children, siblings by code."""
    nodes = list(session.scalars(select(FilePlanNode).order_by(FilePlanNode.code)))
    children: dict[int | None, list[FilePlanNode]] = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    rows: list[NodeRow] = []

    def walk(parent_id: int | None) -> None:
        for node in children.get(parent_id, []):
            if node.is_folder and not include_folders:
                continue
            rows.append(_node_row(node))
            walk(node.id)

    walk(None)
    return rows


def tree(session: Session, principal: Principal, *, include_folders: bool = True) -> list[TreeNode]:
    """The plan as the person may see it, as nested nodes."""
    visible = visible_node_ids(session, principal)
    nodes = [
        n
        for n in session.scalars(select(FilePlanNode).order_by(FilePlanNode.code))
        if n.id in visible and (include_folders or not n.is_folder)
    ]
    made = {
        n.id: TreeNode(n.code, n.title, n.kind_value, n.marking_value, n.closed, n.description)
        for n in nodes
    }
    roots: list[TreeNode] = []
    for n in nodes:
        if n.parent_id is None:
            roots.append(made[n.id])
        elif n.parent_id in made:
            made[n.parent_id].children.append(made[n.id])
    return roots


def is_empty(session: Session) -> bool:
    """True when the file plan has no nodes at all (a fresh installation)."""
    return session.scalar(select(FilePlanNode.id).limit(1)) is None


def get_node(session: Session, code: str) -> FilePlanNode:
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))
    if node is None:
        raise NotFoundError(f"file-plan node {code!r} not found")
    return node


def create_folder(
    session: Session,
    code: str,
    parent_code: str,
    title: str,
    *,
    actor: Principal = SYSTEM,
    marking: str | None = None,
) -> FilePlanNode:
    parent = get_node(session, parent_code)
    row = NodeRow(
        where="folder",
        code=code.strip(),
        parent=parent_code,
        kind=NodeKind.FOLDER.value,
        title=title.strip(),
        marking=marking or parent.marking_value,
        owner_unit=parent.owner_unit,
    )
    if not actor.is_system and not may_file_into(actor, parent):
        raise NotFoundError(f"file-plan node {parent_code!r} not found")
    problems = validate_rows(session, [row])
    if session.scalar(select(FilePlanNode).where(FilePlanNode.code == row.code)) is not None:
        problems.insert(0, f"a node with code {row.code!r} already exists")
    if problems:
        raise InvalidInputError("; ".join(p.replace("folder (", "(") for p in problems))
    node = FilePlanNode(
        code=row.code,
        parent_id=parent.id,
        kind_value=NodeKind.FOLDER.value,
        title=row.title,
        description="",
        marking_value=Marking.parse(row.marking).value,
        owner_unit=row.owner_unit,
        retention_rule=None,
        closed=False,
        created_at=clock.now(),
    )
    session.add(node)
    session.flush()
    audit.record(
        session, actor.username, "folder.create", "node", node.code, {"parent": parent_code}
    )
    return node


def close_folder(session: Session, code: str, *, actor: Principal = SYSTEM) -> FilePlanNode:
    node = get_node(session, code)
    if not node.is_folder:
        raise InvalidInputError(f"{code!r} is a {node.kind_value}; only folders can be closed")
    if not may_administer_fileplan(actor):
        raise RefusedError("only records managers and administrators may close folders")
    if node.closed:
        return node
    node.closed = True
    node.closed_at = clock.now()
    session.flush()
    audit.record(session, actor.username, "folder.close", "node", code)
    return node
