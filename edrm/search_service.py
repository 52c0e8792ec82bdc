"""Searching as a person: the access module's visibility filter goes into the engine query,
so hits, totals, facet counts, suggestions and similar records only show what they may see."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from edrm.access import Principal, visibility_for
from edrm.bootstrap import Runtime
from edrm.search_indexer import apply_outbox
from search.base import Hit, SearchError, SearchQuery, SearchResult, SortOrder

log = logging.getLogger(__name__)


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
) -> SearchResult:
    query = SearchQuery(
        text=text,
        visibility=visibility_for(session, principal),
        filters=dict(filters or {}),
        page=page,
        per_page=per_page,
        sort=sort,
    )
    return runtime.search.search(query)


def similar_documents(
    session: Session, runtime: Runtime, principal: Principal, document_id: int, limit: int = 5
) -> tuple[Hit, ...]:
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
