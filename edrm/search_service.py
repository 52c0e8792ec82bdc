"""Searching as a person: the access module's visibility filter goes into the engine query,
so hits, totals, facet counts, suggestions and similar records only show what they may see."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import metrics
from edrm.access import Principal, document_filter, visibility_for
from edrm.documents.models import Document
from edrm.fileplan.models import FilePlanNode
from edrm.runtime import Runtime
from edrm.search_indexer import apply_outbox
from search.base import FACETS, Hit, SearchError, SearchQuery, SearchResult, SortOrder

log = logging.getLogger(__name__)

#: The filters offered when browsing a file-plan class or folder (the class is the page's own).
BROWSE_FACETS: tuple[str, ...] = ("type", "year", "creator", "marking")


def search_documents(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    text: str,
    *,
    filters: Mapping[str, Sequence[str]] | None = None,
    page: int = 1,
    per_page: int = 20,
    sort: SortOrder = "relevance",
    facets: Sequence[str] = tuple(FACETS),
    highlight: bool = True,
) -> SearchResult:
    query = SearchQuery(
        text=text,
        visibility=visibility_for(session, principal),
        filters=dict(filters or {}),
        page=page,
        per_page=per_page,
        sort=sort,
        facets=facets,
        highlight=highlight,
    )
    with metrics.search_timer("text" if text.strip() else "browse"):
        return runtime.search.search(query)


def browse_filters(node: FilePlanNode, chosen: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The filters for browsing `node` (a class or a folder): the values chosen for
    BROWSE_FACETS, within the node's class and, for a folder, the folder."""
    out = {name: list(chosen[name]) for name in BROWSE_FACETS if chosen.get(name)}
    out["class"] = [node.class_node().code]
    if node.is_folder:
        out["folder"] = [node.code]
    return out


def browse_node(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    node: FilePlanNode,
    chosen: Mapping[str, Sequence[str]],
    *,
    page: int = 1,
    per_page: int = 25,
) -> SearchResult:
    """The records of a file-plan class (with its folders) or folder that the person may see,
    newest first, under the filters they chose, with the BROWSE_FACETS counts: a search with
    no words, trimmed in the engine like every other."""
    return search_documents(
        session,
        runtime,
        principal,
        "",
        filters=browse_filters(node, chosen),
        page=page,
        per_page=per_page,
        sort="date",
        facets=BROWSE_FACETS,
        highlight=False,
    )


def hit_documents(session: Session, principal: Principal, hits: Sequence[Hit]) -> list[Document]:
    """The documents behind `hits`, in their order, as the database has them now (for what the
    index does not hold, such as whether a document is a record). The index may lag a change
    by a moment: a document the person may no longer see, or that is gone, is left out."""
    ids = [h.id for h in hits]
    if not ids:
        return []
    found = session.scalars(
        select(Document).where(Document.id.in_(ids), document_filter(session, principal))
    )
    by_id = {d.id: d for d in found}
    return [by_id[i] for i in ids if i in by_id]


def similar_documents(
    session: Session, runtime: Runtime, principal: Principal, document_id: int, limit: int = 5
) -> tuple[Hit, ...]:
    with metrics.search_timer("similar"):
        return runtime.search.similar(document_id, visibility_for(session, principal), limit)


def catch_up(runtime: Runtime) -> int:
    """Apply what the outbox holds, if this process can take the index's writer (another
    process, such as the running service, may hold it: then that one is indexing)."""
    try:
        return apply_outbox(runtime.sessions, runtime.search)
    except SearchError as exc:
        log.debug("not indexing here: %s", exc)
        return 0


def result_as_dict(result: SearchResult) -> dict[str, Any]:
    """The JSON shape of `edrm search --json` and GET /api/v1/search."""
    return {
        "total": result.total,
        "hits": [
            {
                "id": h.id,
                "title": h.title,
                "class_code": h.class_code,
                "type": h.doc_type,
                "marking": h.marking,
                "created": h.created.isoformat(),
                "score": round(h.score, 4),
                "highlights": list(h.highlights),
            }
            for h in result.hits
        ],
        "facets": {
            name: [{"value": c.value, "count": c.count} for c in counts]
            for name, counts in result.facets.items()
        },
        "did_you_mean": result.did_you_mean,
        "warning": result.warning,
    }
