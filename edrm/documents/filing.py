"""Where a person may file or move a document: the classes they may file in (by name), a
class's open folders, and the place they chose, checked.

Some classes need a folder: a record filed in the class itself would never fall due for
disposal, because its class's retention rule counts from the day its folder is closed. The core
cannot know a retention rule, so it asks the folder rules that the composition root registers
(retention's, which reads the schedule): each answers, for a class, why a record there must go
in one of its folders, or None.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, may_be_offered
from edrm.errors import InvalidInputError
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import create_folder

#: Why a record filed in this class must go in one of its folders (None: it need not).
FolderRule = Callable[[Session, FilePlanNode], str | None]
_folder_rules: list[FolderRule] = []

#: The kinds of class a person files into (a function only groups activities).
FILING_KINDS = ("activity", "transaction")
#: The folder choice that opens a new folder in the class (named by the person).
NEW_FOLDER = "new"
FOLDER_TITLE_MAX = 300


def register_folder_rule(rule: FolderRule) -> None:
    """Register a folder rule (idempotent). Called by the composition root."""
    if rule not in _folder_rules:
        _folder_rules.append(rule)


def folder_needed(session: Session, node: FilePlanNode) -> str | None:
    """Why a record filed directly in `node` (a class) must go in one of its folders, or None
    (also for a folder: it is one)."""
    if node.is_folder:
        return None
    for rule in _folder_rules:
        why = rule(session, node)
        if why:
            return why
    return None


class PlaceError(InvalidInputError):
    """A place a person chose that a document cannot go; `field` names the form field at
    fault ("class_code" or "folder_code")."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClassChoice:
    """A class offered by name: its title, the titles of the classes above it, and its code."""

    code: str
    title: str
    trail: str  # e.g. "Finance › Accounts payable"

    @property
    def label(self) -> str:
        return f"{self.title} ({self.trail})" if self.trail else self.title


def filing_classes(session: Session, actor: Principal) -> list[ClassChoice]:
    """The classes the person may file in (activities with no classes below them, and
    transactions), by name: sorted by the trail of titles above them, then title."""
    nodes = list(session.scalars(select(FilePlanNode).order_by(FilePlanNode.code)))
    has_subclasses = {n.parent_id for n in nodes if n.kind_value != "folder"}
    choices = [
        ClassChoice(n.code, n.title, " › ".join(p.title for p in n.path()[:-1]))
        for n in nodes
        if n.kind_value in FILING_KINDS
        and not (n.kind_value == "activity" and n.id in has_subclasses)
        and may_be_offered(actor, n)
    ]
    return sorted(choices, key=lambda c: (c.trail.lower(), c.title.lower(), c.code))


def open_folders(
    session: Session, actor: Principal, class_node: FilePlanNode
) -> list[FilePlanNode]:
    """The open folders under a class (at any depth) that the person may file in, by title."""
    found: list[FilePlanNode] = []
    stack = [class_node]
    while stack:
        node = stack.pop()
        for child in node.children:
            if child.is_folder and not child.closed:
                if may_be_offered(actor, child):
                    found.append(child)
                stack.append(child)
    return sorted(found, key=lambda n: (n.title.lower(), n.code))


def chosen_class(session: Session, actor: Principal, class_code: str) -> FilePlanNode:
    """The class a person chose from `filing_classes` (one they may not file in, or that is
    no class, answers as one that is not there)."""
    code = (class_code or "").strip()
    if not code:
        raise PlaceError("Choose the class to file it in", field="class_code")
    offered = {c.code for c in filing_classes(session, actor)}
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))
    if node is None or code not in offered:
        raise PlaceError("Choose a class from the list", field="class_code")
    return node


def chosen_place(
    session: Session,
    actor: Principal,
    class_code: str,
    folder_code: str | None,
    *,
    new_folder: str = "",
) -> FilePlanNode:
    """Where a document goes: the chosen class, the chosen open folder in it, or a new folder
    in it (`folder_code` NEW_FOLDER, titled `new_folder`, opened now: audited). Refused
    (`PlaceError`, naming the field) for a class the person may not file in, a folder not
    open in that class, and no folder where the class needs one."""
    node = chosen_class(session, actor, class_code)
    code = (folder_code or "").strip()
    if code == NEW_FOLDER:
        return open_new_folder(session, actor, node, new_folder)
    folders = open_folders(session, actor, node)
    if code:
        for folder in folders:
            if folder.code == code:
                return folder
        raise PlaceError(f"Choose one of the open folders of {node.title}", field="folder_code")
    why = folder_needed(session, node)
    if why is None:
        return node
    raise PlaceError(f"Choose a folder in {node.title}: {why}", field="folder_code")


def open_new_folder(
    session: Session, actor: Principal, class_node: FilePlanNode, title: str
) -> FilePlanNode:
    """Open a new folder in a class, titled as the person says, with the next free code
    (`<class code>-001`, `-002` …)."""
    title = " ".join((title or "").split())
    if not title:
        raise PlaceError("Enter a name for the new folder", field="new_folder")
    if len(title) > FOLDER_TITLE_MAX:
        raise PlaceError(
            f"The folder's name must be {FOLDER_TITLE_MAX} characters or fewer", field="new_folder"
        )
    prefix = f"{class_node.code}-"
    taken = set(
        session.scalars(select(FilePlanNode.code).where(FilePlanNode.code.startswith(prefix)))
    )
    number = 1
    while f"{prefix}{number:03d}" in taken:
        number += 1
    return create_folder(session, f"{prefix}{number:03d}", class_node.code, title, actor=actor)
