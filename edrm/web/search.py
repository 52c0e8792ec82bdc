"""The search page (directed search of records) and GET /api/v1/search's page twin."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import Blueprint, render_template, request

from edrm.search_service import search_documents
from edrm.web.auth import login_required, principal
from edrm.web.runtime import db, rt
from search.base import FILTERS, SearchError

bp = Blueprint("search", __name__)
PER_PAGE = 20
FACET_LABELS = {
    "class": "File-plan class",
    "type": "Document type",
    "year": "Year",
    "creator": "Creator",
    "marking": "Marking",
}


def request_filters() -> dict[str, list[str]]:
    return {name: request.args.getlist(name) for name in FILTERS if request.args.getlist(name)}


@bp.get("/search")
@login_required
def page() -> Any:
    text = (request.args.get("q") or "").strip()
    filters = request_filters()
    number = max(request.args.get("page", 1, type=int) or 1, 1)
    sort = "date" if request.args.get("sort") == "date" else "relevance"
    result, error = None, None
    if text or filters:
        try:
            result = search_documents(
                db(),
                rt(),
                principal(),
                text,
                filters=filters,
                page=number,
                per_page=PER_PAGE,
                sort=sort,  # type: ignore[arg-type]
            )
        except (SearchError, ValueError) as exc:
            error = str(exc)
    pages = max(ceil(result.total / PER_PAGE), 1) if result else 1
    return render_template(
        "search/page.html",
        text=text,
        filters=filters,
        result=result,
        error=error,
        page=number,
        pages=min(pages, 500),
        sort=sort,
        labels=FACET_LABELS,
    )
