"""Access control: the one place that answers "may this person see / change / administer this".

A person sees a document only if their clearance is at least its marking and the access rule of
every file-plan node above it admits one of their groups (an empty rule admits all staff).
Every read path goes through this module; the search engine later receives the same rule as a
visibility filter.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from edrm.audit.subjects import AuditSubject
from edrm.documents.models import Document
from edrm.errors import NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.ids import is_id
from edrm.markings import Marking, markings_up_to
from edrm.people.models import ALL_STAFF, User
from edrm.people.roles import Role
from search.base import Visibility

#: What a list shows in place of a record the person may not see (no title, no number).
WITHHELD = "a record you are not cleared to see"


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in person, or the system itself (CLI without --as, jobs)."""

    username: str
    role: Role | None
    clearance: Marking
    groups: frozenset[str]
    user_id: int | None = None
    is_system: bool = False

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(
            username=user.username,
            role=user.role,
            clearance=user.clearance,
            groups=frozenset(user.group_names),
            user_id=user.id,
        )

    @property
    def manages_records(self) -> bool:
        return self.is_system or (self.role is not None and self.role.manages_records)


SYSTEM = Principal(
    username="system",
    role=None,
    clearance=Marking.TOP_SECRET,
    groups=frozenset({ALL_STAFF}),
    is_system=True,
)


def _rule_admits(node: FilePlanNode, principal: Principal) -> bool:
    names = node.access_names
    return not names or ALL_STAFF in names or bool(principal.groups.intersection(names))


def may_see_node(principal: Principal, node: FilePlanNode) -> bool:
    if principal.is_system:
        return True
    return all(_rule_admits(n, principal) for n in node.path())


def may_see_document(principal: Principal, document: Document) -> bool:
    if principal.is_system:
        return True
    if not principal.clearance.admits(document.marking):
        return False
    if document.node is None:  # on its filer's triage list: the filer and records managers
        return principal.manages_records or (
            principal.user_id is not None and principal.user_id == document.filed_by_id
        )
    return may_see_node(principal, document.node)


def may_change_document(principal: Principal, document: Document) -> bool:
    """Records managers, and the person who filed it, may change what they can see."""
    if not may_see_document(principal, document):
        return False
    return principal.manages_records or (
        principal.user_id is not None and principal.user_id == document.filed_by_id
    )


def require_records_manager(principal: Principal, what: str) -> None:
    """Refuse unless the person manages records: "only records managers may <what>"."""
    if not principal.manages_records:
        raise RefusedError(f"only records managers may {what}")


def may_file_into(principal: Principal, node: FilePlanNode) -> bool:
    return may_see_node(principal, node)


def may_be_offered(principal: Principal, node: FilePlanNode) -> bool:
    """Whether a suggestion may name this node to the person: they may see it and file into it
    (it takes documents, is open, and holds nothing above their clearance)."""
    if node.kind_value == "function" or (node.is_folder and node.closed):
        return False
    holds = Marking.highest(*(n.marking for n in node.path()))
    return may_file_into(principal, node) and principal.clearance.admits(holds)


def suggestable_codes(session: Session, principal: Principal, codes: Iterable[str]) -> set[str]:
    """Which of these file-plan codes may be offered to the person as a place to file
    (`may_be_offered`); codes the plan does not have are not."""
    wanted = set(codes)
    if not wanted:
        return set()
    nodes = session.scalars(select(FilePlanNode).where(FilePlanNode.code.in_(wanted)))
    return {node.code for node in nodes if may_be_offered(principal, node)}


def may_administer_fileplan(principal: Principal) -> bool:
    return principal.manages_records


def may_see_audit_history(principal: Principal) -> bool:
    return principal.manages_records


def may_know_hr_matters(principal: Principal) -> bool:
    """HR (and the system itself) see what is HR's alone: who is leaving, harvest plans and
    sessions, the HR import of people."""
    return principal.is_system or principal.role is Role.HR


def may_handle_requests(principal: Principal) -> bool:
    """Information requests (FOI, EIR, SAR) are seen only by information-rights officers,
    records managers and administrators (and the system itself); to everyone else they do not
    exist."""
    return principal.is_system or (
        principal.role is not None and principal.role.handles_information_requests
    )


def may_see_audit_event(
    principal: Principal,
    subject: AuditSubject,
    *,
    visible_documents: AbstractSet[int],
    visible_nodes: AbstractSet[str],
) -> bool:
    """An audit entry is shown only to someone who may see everything it names: each document
    (`visible_documents`: the ones among those it names that the person may see, from
    `visible_document_ids`), each file-plan node (`visible_nodes`: codes, from
    `visible_node_codes`), and, for HR's events, only to HR."""
    if principal.is_system:
        return True
    if subject.hr_only and not may_know_hr_matters(principal):
        return False
    return subject.documents <= visible_documents and subject.nodes <= visible_nodes


def visible_node_ids(session: Session, principal: Principal) -> set[int]:
    """Ids of every file-plan node the person may see (the plan is small; one query)."""
    nodes = session.scalars(select(FilePlanNode)).all()
    by_id = {n.id: n for n in nodes}
    visible: dict[int, bool] = {}

    def check(node: FilePlanNode) -> bool:
        if node.id not in visible:
            parent_ok = True if node.parent_id is None else check(by_id[node.parent_id])
            visible[node.id] = parent_ok and (principal.is_system or _rule_admits(node, principal))
        return visible[node.id]

    return {n.id for n in nodes if check(n)}


def visible_node_codes(session: Session, principal: Principal) -> set[str]:
    """Codes of every file-plan node the person may see."""
    ids = visible_node_ids(session, principal)
    rows = session.execute(select(FilePlanNode.id, FilePlanNode.code))
    return {code for node_id, code in rows if node_id in ids}


_CHUNK = 900  # ids per IN (…) list, under every engine's bound-parameter limit


def visible_document_ids(
    session: Session, principal: Principal, document_ids: Iterable[int]
) -> set[int]:
    """The ids among `document_ids` of documents the person may see (missing ones are not)."""
    wanted = sorted(set(document_ids))
    if not wanted:
        return set()
    condition = document_filter(session, principal)
    found: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(session.scalars(select(Document.id).where(Document.id.in_(chunk), condition)))
    return found


def document_filter(session: Session, principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on Document that keeps only what the person may see."""
    if principal.is_system:
        return Document.id.is_not(None)
    node_ids = visible_node_ids(session, principal)
    placed = Document.node_id.in_(node_ids) if node_ids else false()
    in_triage: ColumnElement[bool]
    if principal.manages_records:
        in_triage = Document.node_id.is_(None)
    elif principal.user_id is not None:
        in_triage = Document.node_id.is_(None) & (Document.filed_by_id == principal.user_id)
    else:
        in_triage = false()
    return Document.marking_value.in_(markings_up_to(principal.clearance)) & (placed | in_triage)


def get_visible_document(session: Session, principal: Principal, document_id: int) -> Document:
    """The document, or NotFoundError whether it is missing or merely hidden from this person
    (or the id could not name a row at all)."""
    document = session.get(Document, document_id) if is_id(document_id) else None
    if document is None or not may_see_document(principal, document):
        raise NotFoundError(f"document {document_id} not found")
    return document


def get_visible_node(session: Session, principal: Principal, code: str) -> FilePlanNode:
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))
    if node is None or not may_see_node(principal, node):
        raise NotFoundError(f"file-plan node {code!r} not found")
    return node


def visibility_for(session: Session, principal: Principal) -> Visibility:
    """The person as a search-engine filter: the markings they are cleared for and the access
    keys of what they may see (every visible file-plan node; their own triage documents; all
    triage documents for records managers). Matches `may_see_document` exactly."""
    if principal.is_system:
        return Visibility.everything()
    keys = {f"node:{node_id}" for node_id in visible_node_ids(session, principal)}
    if principal.manages_records:
        keys.add("triage")
    if principal.user_id is not None:
        keys.add(f"owner:{principal.user_id}")
    return Visibility(markings=frozenset(markings_up_to(principal.clearance)), keys=frozenset(keys))
