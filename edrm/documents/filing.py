"""Where a person may file or move a document: the classes they may file in (by name), a
class's open folders, and the place they chose, checked.

Class determines destiny: every place a record is filed must give it a retention rule, its
own or one inherited from a class above it, and a class whose rule counts from the day its
folder is closed takes records only in its folders (in the class itself a record would never
fall due for disposal). `refuse_without_destiny` is the one check; every filing path (the
document services' filing, triage filing and moving, so the web, the API, the CLI and
`edrm ingest --into`) asks it. The core cannot read the retention schedule, so it asks the
`RetentionFacts` that the composition root registers (retention's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, may_be_offered
from edrm.errors import InvalidInputError
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import create_folder


@dataclass(frozen=True)
class Destiny:
    """What the retention schedule says of records filed in a class or folder."""

    rule: str | None  # the code of the rule they get (own or inherited); None: no rule
    folder_needed: str | None = None  # why they must go in one of its folders (a class only)


class RetentionFacts(Protocol):
    """What filing asks the retention schedule about a class or folder."""

    def destiny(self, session: Session, node: FilePlanNode) -> Destiny:
        """The rule that records filed in `node` get (its own or the nearest one above it,
        and one the schedule has) and, for a class whose rule counts from a folder's closing,
        why they must go in one of its folders."""


_facts: list[RetentionFacts] = []

#: The kinds of class a person files into (a function only groups activities).
FILING_KINDS = ("activity", "transaction")
#: The folder choice that opens a new folder in the class (named by the person).
NEW_FOLDER = "new"
FOLDER_TITLE_MAX = 300


def register_retention(facts: RetentionFacts) -> None:
    """Register what the retention schedule says (replacing any earlier registration). Called
    by the composition root."""
    _facts[:] = [facts]


def destiny_of(session: Session, node: FilePlanNode) -> Destiny:
    """The destiny of records filed in `node`, as the registered facts say (with none, only
    a rule named on the node's path counts, and no class needs a folder)."""
    if _facts:
        return _facts[0].destiny(session, node)
    named = next((n.retention_rule for n in reversed(node.path()) if n.retention_rule), None)
    return Destiny(named)


def folder_needed(session: Session, node: FilePlanNode) -> str | None:
    """Why a record filed directly in `node` (a class) must go in one of its folders, or None
    (also for a folder: it is one)."""
    return None if node.is_folder else destiny_of(session, node).folder_needed


def _no_rule(node: FilePlanNode) -> NoDestinyError:
    return NoDestinyError(
        f"{node.title} ({node.code}) has no retention rule, its own or inherited, so it cannot "
        "receive records: choose another class, or ask a records manager to give it one",
        field="class_code",
    )


def refuse_without_rule(session: Session, node: FilePlanNode) -> None:
    """Refuse (`NoDestinyError`) a class or folder that no retention rule reaches, its own or
    inherited: a record filed there would have no destiny."""
    if destiny_of(session, node).rule is None:
        raise _no_rule(node)


def refuse_without_destiny(session: Session, node: FilePlanNode) -> None:
    """Refuse (`NoDestinyError`) to file a record where it would have no destiny: a class or
    folder with no retention rule, own or inherited (`refuse_without_rule`), and a class
    whose rule counts from its folder's closing (the record must go in one of its folders).
    One question to the schedule."""
    destiny = destiny_of(session, node)
    if destiny.rule is None:
        raise _no_rule(node)
    if destiny.folder_needed and not node.is_folder:
        raise NoDestinyError(
            f"Choose a folder in {node.title}: {destiny.folder_needed}", field="folder_code"
        )


class PlaceError(InvalidInputError):
    """A place a person chose that a document cannot go; `field` names the form field at
    fault ("class_code" or "folder_code")."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class NoDestinyError(PlaceError):
    """A class or folder that cannot receive records (no retention rule reaches them there,
    or the class takes them only in its folders); `field` names the form field at fault."""


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
    open in that class, and a place with no destiny (`refuse_without_destiny`)."""
    node = chosen_class(session, actor, class_code)
    refuse_without_rule(session, node)  # before opening a folder in it
    code = (folder_code or "").strip()
    if code == NEW_FOLDER:
        return open_new_folder(session, actor, node, new_folder)
    if code:
        for folder in open_folders(session, actor, node):
            if folder.code == code:
                refuse_without_rule(session, folder)  # a folder may name a rule of its own
                return folder
        raise PlaceError(f"Choose one of the open folders of {node.title}", field="folder_code")
    refuse_without_destiny(session, node)
    return node


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
