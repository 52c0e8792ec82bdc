"""What an audit entry is about: the documents and file-plan nodes it names (in its object or
its details), and whether it is HR's alone. The access module decides from this who may see
the entry (`edrm.access.may_see_audit_event`); this module only reads the entry's shape.

Every action the services write is listed here when it names something beyond its object, so
that a new event naming a document in a new detail key is added here too (the visibility tests
of the audit search would show the title otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Entries about leavers, harvest plans and sessions, and the HR import of people: HR only.
HR_ONLY_ACTION_PREFIXES = ("leaver.", "harvest.")
HR_ONLY_ACTIONS = frozenset({"profile.import"})
HR_ONLY_OBJECT_TYPES = frozenset({"leaver", "harvest_plan"})

#: Detail keys that hold document ids (an id or a list of ids), by action; "document" is read
#: for every action.
DOCUMENT_DETAILS = {
    "transfer.export": ("documents",),
    "request.add": ("documents",),
    "disposal.certificate": ("records", "certificate", "schedule"),
    "request.export": ("documents", "skipped"),
    "request.respond": ("letter", "bundle"),
    "request.publish": ("bundle",),
    "request.unpublish": ("bundle",),
}
#: Detail keys that hold file-plan codes, by action.
NODE_DETAILS = {
    "document.create": ("node",),
    "document.triage": ("node",),
    "document.file": ("to",),
    "document.move": ("from", "to"),
    "document.link": ("to", "primary"),
    "document.unlink": ("from",),
    "disposal.destroy": ("unlinked_from",),
    "folder.create": ("parent",),
    "ingest.filed": ("class",),
    "ingest.triage": ("class",),
    "harvest.file": ("class",),
    "retention.rule.refused": ("nodes",),
}
#: Object types whose id is a file-plan code.
NODE_OBJECTS = frozenset({"node", "folder"})


@dataclass(frozen=True)
class AuditSubject:
    documents: frozenset[int]
    nodes: frozenset[str]
    hr_only: bool


def is_hr_only_action(action: str) -> bool:
    return action in HR_ONLY_ACTIONS or action.startswith(HR_ONLY_ACTION_PREFIXES)


def _ids(value: Any) -> Iterable[int]:
    values = value if isinstance(value, list) else [value]
    for v in values:
        if isinstance(v, int) and not isinstance(v, bool):
            yield v
        elif isinstance(v, str) and v.isdigit():
            yield int(v)


def _codes(value: Any) -> Iterable[str]:
    values = value if isinstance(value, list) else [value]
    return (v for v in values if isinstance(v, str) and v)


def subject_of(
    action: str, object_type: str, object_id: str, details: dict[str, Any]
) -> AuditSubject:
    """The documents and nodes an entry names, and whether only HR may see it."""
    documents: set[int] = set()
    nodes: set[str] = set()
    if object_type == "document":
        documents.update(_ids(object_id))
    elif object_type in NODE_OBJECTS:
        nodes.update(_codes(object_id))
    elif object_type == "legal_hold":
        scope, target = details.get("scope"), details.get("target")
        if scope == "doc":
            documents.update(_ids(target))
        elif scope == "folder":
            nodes.update(_codes(target))
    for key in ("document", *DOCUMENT_DETAILS.get(action, ())):
        documents.update(_ids(details.get(key)))
    for key in NODE_DETAILS.get(action, ()):
        nodes.update(_codes(details.get(key)))
    hr_only = is_hr_only_action(action) or object_type in HR_ONLY_OBJECT_TYPES
    return AuditSubject(frozenset(documents), frozenset(nodes), hr_only)
