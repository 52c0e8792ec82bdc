"""Legal holds: place, lift, list and delete them, know what they cover, and refuse changes.

A hold covers documents directly (`--doc`, and a query's or saved search's hits at the time it
is placed: a snapshot) or a file-plan node and everything filed below it, now or later
(`--folder`). While any hold covers a record, nothing may destroy, move, re-file, change or
declare it: `refuse_if_held` is the change guard (with `refuse_held`, its form for many
documents) that the composition root registers, which the document services ask before each
change and disposal asks before it claims records and again, chunk by chunk, inside the
transaction that destroys them (after `lock_out_new_holds`). Several holds may cover one record;
it is free again only when the last of them is lifted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol, cast

from sqlalchemy import ColumnElement, Select, delete, func, insert, or_, select, text, union
from sqlalchemy.orm import Session, aliased

from edrm import audit, clock
from edrm.access import (
    SYSTEM,
    Principal,
    get_visible_document,
    get_visible_node,
    require_records_manager,
    visibility_for,
)
from edrm.documents.models import Document
from edrm.errors import AuditNote, InvalidInputError, NotFoundError, RefusedError
from edrm.fileplan.models import FilePlanNode
from edrm.ids import id_from_text
from edrm.saved_searches import SavedSearch
from edrm.webhooks.outbox import HOLD_LIFTED, HOLD_PLACED, enqueue
from retention.models import LegalHold, LegalHoldItem
from retention.notices import tell_owners_of_hold
from search.base import MAX_PAGE_DEPTH, MAX_PER_PAGE, SearchBackend, SearchQuery

#: The scope of the holds information requests place (retention.request_holds): they lift by
#: themselves after the request closes, never by hand.
REQUEST_SCOPE = "request"
#: How a query hold names a saved search instead of words: "saved:<id or name>".
SAVED_PREFIX = "saved:"
_CHUNK = 900  # ids per IN (…) list, well under every engine's bound-parameter limit

#: What each change is called in a refusal ("… it cannot be moved").
_CHANGE_WORDS = {
    "destroy": "destroyed",
    "move": "moved",
    "file": "re-filed",
    "content": "given new content",
    "metadata": "edited",
    "declare": "declared a record",
}


class _HasSearch(Protocol):
    """Anything that offers the search engine, such as the Runtime."""

    @property
    def search(self) -> SearchBackend: ...


# --- what holds cover -------------------------------------------------------------------------


def _descendants(session: Session, roots: Iterable[int]) -> set[int]:
    """The nodes `roots` with every node below them (the file plan is small)."""
    stack = list(roots)
    if not stack:
        return set()
    children: dict[int, list[int]] = {}
    for node_id, parent_id in session.execute(select(FilePlanNode.id, FilePlanNode.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(node_id)
    found: set[int] = set()
    while stack:
        node_id = stack.pop()
        if node_id not in found:
            found.add(node_id)
            stack.extend(children.get(node_id, ()))
    return found


def _held_node_ids(session: Session) -> set[int]:
    """Every node under an active hold, with all its descendants (the tree is small)."""
    return _descendants(
        session,
        session.scalars(
            select(LegalHoldItem.node_id)
            .join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
            .where(LegalHold.lifted_at.is_(None), LegalHoldItem.node_id.is_not(None))
        ),
    )


def held_document_ids(session: Session) -> Select[int]:
    """A SELECT of the ids of every document covered by at least one active hold (for SQL
    set operations such as the sweep's NOT IN)."""
    direct = (
        select(LegalHoldItem.document_id)
        .join(LegalHold, LegalHold.id == LegalHoldItem.hold_id)
        .where(LegalHold.lifted_at.is_(None), LegalHoldItem.document_id.is_not(None))
    )
    nodes = _held_node_ids(session)
    if not nodes:
        return cast("Select[int]", direct)  # no NULL: the WHERE leaves those out
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


def hold_label(hold: LegalHold) -> str:
    """How a hold is named where it blocks something ("legal hold 3: Litigation …", "request
    hold 7: information request FOI-2026-0001")."""
    if hold.scope == REQUEST_SCOPE:
        return f"request hold {hold.id}: information request {hold.target}"
    return f"legal hold {hold.id}: {hold.reason}"


def blocking_holds(session: Session, document_ids: Iterable[int]) -> dict[int, list[str]]:
    """{document id: the labels of the active holds that block it} for the held ones among
    `document_ids` (the disposal queue shows why an item cannot be destroyed)."""
    covered = held(session, document_ids)
    out: dict[int, list[str]] = {}
    for document in session.scalars(select(Document).where(Document.id.in_(sorted(covered)))):
        out[document.id] = [hold_label(h) for h in holds_covering(session, document)]
    return out


def held(session: Session, document_ids: Iterable[int]) -> set[int]:
    """Which of these documents at least one active hold covers now."""
    wanted = sorted(set(document_ids))
    if not wanted:
        return set()
    covering = held_document_ids(session).subquery()
    found: set[int] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update(
            session.scalars(select(covering.c[0]).where(covering.c[0].in_(chunk)).distinct())
        )
    return found


def hold_document_ids(session: Session, hold_id: int) -> Select[int]:
    """A SELECT of the ids of the documents one hold covers (whether or not it is still
    active), leaving out documents already destroyed."""
    roots = session.scalars(
        select(LegalHoldItem.node_id).where(
            LegalHoldItem.hold_id == hold_id, LegalHoldItem.node_id.is_not(None)
        )
    )
    nodes = _descendants(session, (node_id for node_id in roots if node_id is not None))
    direct = select(LegalHoldItem.document_id).where(
        LegalHoldItem.hold_id == hold_id, LegalHoldItem.document_id.is_not(None)
    )
    condition: ColumnElement[bool] = Document.id.in_(direct)
    if nodes:
        condition = or_(condition, Document.node_id.in_(sorted(nodes)))
    return select(Document.id).where(condition, Document.status != "destroyed")


def covered_count(session: Session, hold_id: int) -> int:
    """How many (not destroyed) documents one hold covers."""
    subquery = hold_document_ids(session, hold_id).subquery()
    return session.scalar(select(func.count()).select_from(subquery)) or 0


# --- the guard --------------------------------------------------------------------------------


def _describe(holds: Sequence[LegalHold]) -> str:
    named = [f"{h.id} ({h.reason})" for h in holds]
    if len(named) == 1:
        return f"legal hold {named[0]}"
    return f"legal holds {', '.join(named[:-1])} and {named[-1]}"


class HeldError(RefusedError):
    """The refusal of a change to a document under a legal hold."""


def refuse_if_held(session: Session, document: Document, change: str, actor: Principal) -> None:
    """The change guard: refuse any change to a document under a hold (HeldError), with an
    audit note that the unit of work keeps although the change rolls back."""
    holds = holds_covering(session, document)
    if not holds:
        return
    word = _CHANGE_WORDS.get(change, "changed")
    raise HeldError(
        f"document {document.id} is under {_describe(holds)}: it cannot be {word}",
        audit=AuditNote(
            actor.username,
            "hold.refused",
            "document",
            document.id,
            {"change": change, "holds": [h.id for h in holds]},
        ),
    )


def refuse_held(
    session: Session, documents: Sequence[Document], change: str, actor: Principal
) -> dict[int, RefusedError]:
    """`refuse_if_held` for many documents: one query finds the held ones, each of which gets
    the refusal `refuse_if_held` gives it."""
    covered = held(session, [d.id for d in documents])
    refused: dict[int, RefusedError] = {}
    for document in documents:
        if document.id not in covered:
            continue
        try:
            refuse_if_held(session, document, change, actor)
        except HeldError as exc:
            refused[document.id] = exc
    return refused


def lock_out_new_holds(session: Session) -> None:
    """Until this transaction ends, no hold can be placed, lifted or deleted: one that is being
    placed commits before this transaction reads the holds, or waits until it has committed.
    For destruction, which must see every hold placed before it commits. (PostgreSQL: a SHARE
    lock on the holds table, which writers of it wait for. SQLite: the transaction's write lock,
    BEGIN IMMEDIATE, serialises it with every other writer already.)"""
    if session.connection().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {LegalHold.__tablename__} IN SHARE MODE"))


# --- placing, lifting, deleting ---------------------------------------------------------------


def _required(value: str | None, what: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInputError(f"give the hold's {what}")
    return text


def get_hold(session: Session, hold_id: int) -> LegalHold:
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFoundError(f"legal hold {hold_id} not found")
    return hold


def _saved_search(session: Session, actor: Principal, ref: str) -> SavedSearch:
    """A saved search named by id or by name (the actor's own first, then anyone's)."""
    ref = ref.strip()
    saved_id = id_from_text(ref)
    if saved_id is not None:
        saved = session.get(SavedSearch, saved_id)
        if saved is not None:
            return saved
    named = list(
        session.scalars(select(SavedSearch).where(SavedSearch.name == ref).order_by(SavedSearch.id))
    )
    mine = [s for s in named if actor.user_id is not None and s.user_id == actor.user_id]
    if len(mine) == 1 or len(named) == 1:
        return (mine or named)[0]
    if named:
        ids = ", ".join(str(s.id) for s in named)
        raise InvalidInputError(f"several saved searches are named {ref!r} ({ids}); give its id")
    raise NotFoundError(f"saved search {ref!r} not found")


def _query_hits(
    session: Session, backend: SearchBackend, text: str, filters: dict[str, list[str]]
) -> list[int]:
    """Every document the search finds, searching as the system (sees everything)."""
    visibility = visibility_for(session, SYSTEM)
    ids: list[int] = []
    page = 1
    while True:
        try:
            query = SearchQuery(
                text=text,
                visibility=visibility,
                filters=filters,
                page=page,
                per_page=MAX_PER_PAGE,
                facets=(),
                highlight=False,
            )
        except ValueError as exc:  # a saved search's filters from an older version
            raise InvalidInputError(f"the search cannot be run: {exc}") from None
        result = backend.search(query)
        if result.total > MAX_PAGE_DEPTH:
            raise InvalidInputError(
                f"the search finds {result.total:,} documents, more than a hold can list "
                f"({MAX_PAGE_DEPTH:,}); narrow it or hold a folder"
            )
        ids.extend(h.id for h in result.hits)
        if not result.hits or page * MAX_PER_PAGE >= result.total:
            return ids
        page += 1


def _live(session: Session, document_ids: Sequence[int]) -> list[int]:
    """The ids that are documents not yet destroyed (the index may lag the database)."""
    wanted = sorted(set(document_ids))
    found: list[int] = []
    for start in range(0, len(wanted), _CHUNK):
        found.extend(
            session.scalars(
                select(Document.id).where(
                    Document.id.in_(wanted[start : start + _CHUNK]),
                    Document.status != "destroyed",
                )
            )
        )
    return sorted(found)


def _query_target(
    session: Session,
    actor: Principal,
    query: str,
    search: SearchBackend | _HasSearch | None,
    details: dict[str, Any],
) -> tuple[str, list[int]]:
    """A query hold's target text and the live documents the search finds now."""
    text = query.strip()
    filters: dict[str, list[str]] = {}
    saved = None
    if text.lower().startswith(SAVED_PREFIX):
        saved = _saved_search(session, actor, text[len(SAVED_PREFIX) :])
    elif text and session.scalar(select(SavedSearch.id).where(SavedSearch.name == text)):
        saved = _saved_search(session, actor, text)
    if saved is not None:
        text = saved.query
        filters = {k: list(v) for k, v in (saved.filters or {}).items()}
        details["saved_search"] = {"id": saved.id, "name": saved.name}
    if not text and not filters:
        raise InvalidInputError("give the words to search for (an empty query finds everything)")
    if search is None:
        raise InvalidInputError("a query hold needs the search engine")
    backend = search if isinstance(search, SearchBackend) else search.search
    details["query"] = text
    if filters:
        details["filters"] = filters
    target = f"saved search {saved.id}: {saved.name}" if saved is not None else text
    return target, _live(session, _query_hits(session, backend, text, filters))


def place_hold(
    session: Session,
    *,
    reason: str,
    authority: str,
    actor: Principal,
    document_id: int | None = None,
    folder_code: str | None = None,
    query: str | None = None,
    search: SearchBackend | _HasSearch | None = None,
) -> LegalHold:
    """Place a hold on one document, on a file-plan node (a folder or class, and everything
    below it, including what is filed there later), or on what a search finds now (`query`:
    words, or "saved:<id or name>" / a saved search's exact name, run as the system through
    `search`, the search engine or the runtime). Exactly one target. Audited."""
    require_records_manager(actor, "place legal holds")
    targets = [t for t in (document_id, folder_code, query) if t is not None]
    if len(targets) != 1:
        raise InvalidInputError(
            "a hold needs exactly one target: a document, a folder or a search query"
        )
    reason = _required(reason, "reason")
    authority = _required(authority, "authority")
    now = clock.now()
    items: list[dict[str, int | None]] = []  # what the hold covers: a document or a node
    details: dict[str, Any] = {"reason": reason, "authority": authority}
    if document_id is not None:
        document = get_visible_document(session, actor, document_id)
        if document.status == "destroyed":
            raise RefusedError(
                f"document {document_id} has been destroyed; nothing is left to hold"
            )
        scope, target = "doc", str(document.id)
        items.append({"document_id": document.id, "node_id": None})
    elif folder_code is not None:
        node = get_visible_node(session, actor, folder_code.strip())
        scope, target = "folder", node.code
        items.append({"document_id": None, "node_id": node.id})
    else:
        target, ids = _query_target(session, actor, query or "", search, details)
        scope = "query"
        items.extend({"document_id": i, "node_id": None} for i in ids)
    hold = LegalHold(
        reason=reason,
        authority=authority,
        scope=scope,
        target=target,
        placed_at=now,
        placed_by=actor.username,
    )
    session.add(hold)
    session.flush()
    if items:
        session.execute(insert(LegalHoldItem), [{"hold_id": hold.id, **item} for item in items])
    details.update(scope=scope, target=target, documents=covered_count(session, hold.id))
    audit.record(session, actor.username, "hold.place", "legal_hold", hold.id, details)
    enqueue(
        session,
        HOLD_PLACED,
        {"hold": hold.id, "scope": scope, "documents": details["documents"]},
    )
    tell_owners_of_hold(session, hold.id, hold_document_ids(session, hold.id))
    return hold


def lift_hold(session: Session, hold_id: int, *, reason: str, actor: Principal) -> LegalHold:
    """Lift a hold (with a reason). What it covered is free again unless another hold covers
    it too. Audited."""
    require_records_manager(actor, "lift legal holds")
    reason = _required(reason, "reason for lifting")
    hold = get_hold(session, hold_id)
    if hold.scope == REQUEST_SCOPE and hold.lifted_at is None:
        raise RefusedError(
            f"legal hold {hold_id} is the request hold of information request {hold.target}: "
            "it lifts by itself once the request has been closed for the configured time"
        )
    if hold.lifted_at is not None:
        raise RefusedError(
            f"legal hold {hold_id} was already lifted on {hold.lifted_at:%Y-%m-%d} "
            f"by {hold.lifted_by}"
        )
    hold.lifted_at = clock.now()
    hold.lifted_by = actor.username
    hold.lift_reason = reason
    session.flush()
    audit.record(
        session,
        actor.username,
        "hold.lift",
        "legal_hold",
        hold.id,
        {"reason": reason, "documents": covered_count(session, hold.id)},
    )
    enqueue(session, HOLD_LIFTED, {"hold": hold.id, "documents": covered_count(session, hold.id)})
    return hold


def list_holds(session: Session, *, active_only: bool = False) -> list[LegalHold]:
    """Holds, newest first (only those not lifted with `active_only`)."""
    statement = select(LegalHold).order_by(LegalHold.placed_at.desc(), LegalHold.id.desc())
    if active_only:
        statement = statement.where(LegalHold.lifted_at.is_(None))
    return list(session.scalars(statement))


def deletion_refusal(session: Session, hold: LegalHold) -> str | None:
    """Why deleting this hold would be refused (it is in force and covers at least one
    record), or None when it may be deleted (lifted, or covering nothing). A request hold is
    never deleted: the request names it."""
    if hold.scope == REQUEST_SCOPE:
        return f"legal hold {hold.id} belongs to information request {hold.target}"
    if hold.lifted_at is not None:
        return None
    count = covered_count(session, hold.id)
    if not count:
        return None
    return (
        f"legal hold {hold.id} is in use: it covers {count} "
        f"record{'s' if count != 1 else ''}; lift it first"
    )


def delete_hold(session: Session, hold_id: int, *, actor: Principal) -> None:
    """Delete a hold placed by mistake: refused while it is in use (active and covering at
    least one record); allowed once lifted or when it covers nothing. Audited, with what the
    hold was, so the trail keeps it."""
    require_records_manager(actor, "delete legal holds")
    hold = get_hold(session, hold_id)
    refusal = deletion_refusal(session, hold)
    if refusal is not None:
        raise RefusedError(refusal)
    details = hold_as_dict(session, hold)
    session.execute(delete(LegalHoldItem).where(LegalHoldItem.hold_id == hold.id))
    session.delete(hold)
    session.flush()
    audit.record(session, actor.username, "hold.delete", "legal_hold", hold_id, details)


def hold_as_dict(session: Session, hold: LegalHold) -> dict[str, Any]:
    """The JSON shape of `edrm hold list --json` and the holds page."""
    return {
        "id": hold.id,
        "reason": hold.reason,
        "authority": hold.authority,
        "scope": hold.scope,
        "target": hold.target,
        "active": hold.lifted_at is None,
        "placed_at": hold.placed_at.isoformat(),
        "placed_by": hold.placed_by,
        "lifted_at": hold.lifted_at.isoformat() if hold.lifted_at else None,
        "lifted_by": hold.lifted_by,
        "lift_reason": hold.lift_reason,
        "documents": covered_count(session, hold.id),
    }
