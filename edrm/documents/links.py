"""Multi-filing: linking a filed record into further classes or folders, and unlinking it.

A record keeps its primary node (`Document.node`, where its stub stays when it is destroyed)
and may be linked into any number of further classes or folders (`RecordLink`). It then
appears in each: browsing the node lists it, search's class facet and filter find it under each
(edrm.search_indexer). Each location takes part in every decision about it: the longest
retention of all of them wins (retention.recompute), a hold on any of them covers it
(retention.holds), and a person must satisfy every location's access rule to see it at all
(edrm.access). Destroying it deletes its links (retention.destruction_db).

Who may link or unlink: whoever may change the record (its filer, records managers) and may
file into the target node. Linking into a node with no retention rule, own or inherited, is
refused like filing into it.

Crash story: a link or unlink is one row written or deleted in the caller's transaction,
together with its audit entry and the search-outbox note (the outbox hook sees the link row):
a crash before the commit leaves nothing, after it everything. Repeating either is harmless:
linking a record into a node it is already linked into, or unlinking one that is not linked
there, changes nothing and writes no audit entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import (
    SYSTEM,
    Principal,
    get_visible_document,
    may_change_document,
    may_file_into,
    may_see_node,
)
from edrm.documents import guards
from edrm.documents.filing import refuse_without_destiny
from edrm.documents.models import Document, RecordLink
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking


def filed_in(node: FilePlanNode) -> ColumnElement[bool]:
    """A condition on Document: filed directly in `node`, or linked into it."""
    linked = select(RecordLink.document_id).where(RecordLink.node_id == node.id)
    return (Document.node_id == node.id) | Document.id.in_(linked)


def _node(session: Session, actor: Principal, code: str) -> FilePlanNode:
    node = session.scalar(select(FilePlanNode).where(FilePlanNode.code == code.strip()))
    if node is None or not may_see_node(actor, node):
        raise NotFoundError(f"file-plan node {code!r} not found")
    return node


def _refuse_target(
    session: Session, document: Document, node: FilePlanNode, actor: Principal
) -> None:
    """Why a record may not be linked into `node`, raised; nothing when it may."""
    code = node.code
    if not may_file_into(actor, node):
        raise RefusedError(f"you may not file into {code!r}")
    if node.kind_value == "function":
        raise InvalidInputError(
            f"{code!r} is a function; link into an activity, transaction or folder"
        )
    if node.is_folder and node.closed:
        raise RefusedError(f"folder {code!r} is closed; nothing new can be filed in it")
    # Class determines destiny: the same question filing asks (a rule must reach the place,
    # and a class whose rule counts from a folder's closing takes records only in folders).
    refuse_without_destiny(session, node)
    if node.id == document.node_id:
        raise InvalidInputError(f"document {document.id} is filed in {code!r} already")
    floor = Marking.highest(*(n.marking for n in node.path()))
    if document.marking.rank < floor.rank:
        raise RefusedError(
            f"{code!r} holds {floor.value} material; raise the document's marking first"
        )


def _changeable(session: Session, document_id: int, actor: Principal, change: str) -> Document:
    document = get_visible_document(session, actor, document_id)
    if document.status != "filed" or document.node_id is None:
        raise RefusedError(
            f"document {document_id} is not filed in the plan ({document.status}): "
            "only a filed record can be linked into further places"
        )
    if not may_change_document(actor, document):
        raise RefusedError(
            f"you may not {change} document {document_id}: only the person who filed it or a "
            "records manager may"
        )
    return document


def link_document(
    session: Session, document_id: int, to_code: str, *, actor: Principal = SYSTEM
) -> tuple[Document, bool]:
    """Link a filed record into a further class or folder (audited `document.link`). Returns
    the record and whether a link was made (False: it was linked there already)."""
    document = _changeable(session, document_id, actor, "link")
    node = _node(session, actor, to_code)
    if any(link.node_id == node.id for link in document.links):
        return document, False
    _refuse_target(session, document, node, actor)
    guards.check(session, document, "link", actor)
    document.links.append(
        RecordLink(node_id=node.id, linked_at=clock.now(), linked_by=actor.username)
    )
    session.flush()
    audit.record(
        session,
        actor.username,
        "document.link",
        "document",
        document.id,
        {"to": node.code, "primary": document.node.code if document.node else None},
    )
    return document, True


def unlink_document(
    session: Session, document_id: int, from_code: str, *, actor: Principal = SYSTEM
) -> tuple[Document, bool]:
    """Take a record out of a class or folder it is linked into (audited `document.unlink`);
    its primary node is not a link and cannot be unlinked (move the record instead). Returns
    the record and whether a link was removed (False: it was not linked there)."""
    document = _changeable(session, document_id, actor, "unlink")
    node = _node(session, actor, from_code)
    if node.id == document.node_id:
        raise InvalidInputError(
            f"{node.code!r} is where document {document_id} is filed, not a link: move it instead"
        )
    found = [link for link in document.links if link.node_id == node.id]
    if not found:
        return document, False
    guards.check(session, document, "unlink", actor)
    for link in found:
        document.links.remove(link)
    session.flush()
    audit.record(
        session, actor.username, "document.unlink", "document", document.id, {"from": node.code}
    )
    return document, True


def drop_link_to(document: Document, node_id: int) -> None:
    """Take away the record's link into `node_id`, if any: it is being moved there, which
    makes that place its primary one (the move's own audit entry says so)."""
    document.links[:] = [link for link in document.links if link.node_id != node_id]


def links_as_list(document: Document) -> list[dict[str, Any]]:
    """The `also_filed_in` of `edrm doc show --json` and the API."""
    return [
        {
            "code": link.node.code,
            "title": link.node.title,
            "kind": link.node.kind_value,
            "class_code": link.node.class_node().code,
            "linked_at": link.linked_at.isoformat(),
            "linked_by": link.linked_by,
        }
        for link in document.links
    ]
