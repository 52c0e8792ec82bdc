"""The search page (directed search of records) and GET /api/v1/search's page twin."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import Blueprint, current_app, render_template, request

from edrm.search_names import FilterNames, filter_names
from edrm.search_service import search_documents
from edrm.web.auth import login_required, principal
from edrm.web.params import page_arg
from edrm.web.runtime import db, rt
from search.base import FILTERS, MAX_PAGE_DEPTH, SearchError, SearchResult

bp = Blueprint("search", __name__)
PER_PAGE = 20
#: app.extensions key under which the knowledge area offers `people(text)` for the topic
PEOPLE_PANEL = "edrm.people_for_topic"
FACET_LABELS = {
    "class": "File-plan class",
    "type": "Document type",
    "year": "Year",
    "creator": "Creator",
    "marking": "Marking",
}
#: Every filter a search page URL may carry, as the "Selected filters" summary names it.
FILTER_LABELS = {**FACET_LABELS, "folder": "Folder", "status": "Status"}
#: The endpoint that finds people who know about a topic (the knowledge area's, when installed).
EXPERTS = "directory.find_expert"


def request_filters() -> dict[str, list[str]]:
    return {name: request.args.getlist(name) for name in FILTERS if request.args.getlist(name)}


@bp.get("/search")
@login_required
def page() -> Any:
    text = (request.args.get("q") or "").strip()
    filters = request_filters()
    number = page_arg()
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
        pages=min(pages, MAX_PAGE_DEPTH // PER_PAGE),
        sort=sort,
        labels=FILTER_LABELS,
        names=_names(filters, result),
        any_words=_any_words(text),
        experts=EXPERTS in current_app.view_functions,
        people=_people_beside(text) if result is not None and number == 1 else None,
    )


def _names(filters: dict[str, list[str]], result: SearchResult | None) -> FilterNames:
    """Names for every code the page shows: the facets' values, the chosen filters and the
    hits' classes (named as the person may see them)."""
    values: dict[str, set[str]] = {name: set(chosen) for name, chosen in filters.items()}
    if result is not None:
        for name, counts in result.facets.items():
            values.setdefault(name, set()).update(c.value for c in counts)
        values.setdefault("class", set()).update(h.class_code for h in result.hits)
    return filter_names(db(), principal(), values)


def _any_words(text: str) -> str | None:
    """For a search of several plain words that found nothing: the same words OR'ed together."""
    words = text.split()
    plain = all(w.isalnum() and w.upper() not in ("AND", "OR", "NOT") for w in words)
    return " OR ".join(words) if plain and 1 < len(words) <= 8 else None


def _people_beside(text: str) -> Any:
    """The top people for the topic (the knowledge area offers them when it is installed)."""
    panel = current_app.extensions.get(PEOPLE_PANEL)
    return panel(text) if panel is not None and text else None


@bp.get("/search/saved")
@login_required
def saved() -> Any:
    from edrm.saved_searches import mine
    from edrm.web.forms import ActionForm

    return render_template("search/saved.html", searches=mine(db(), principal()), form=ActionForm())


@bp.post("/search/saved")
@login_required
def save() -> Any:
    from flask import flash, redirect, url_for

    from edrm.errors import InvalidInputError
    from edrm.saved_searches import save as keep
    from edrm.web.forms import ActionForm

    if not ActionForm().validate_on_submit():
        return redirect(url_for("search.saved"))
    try:
        keep(
            db(),
            principal(),
            request.form.get("name", ""),
            request.form.get("q", ""),
            {n: request.form.getlist(n) for n in FILTERS if request.form.getlist(n)},
        )
    except InvalidInputError as exc:
        db().rollback()
        flash(str(exc), "error")
    else:
        flash("Search saved.", "success")
    return redirect(url_for("search.saved"))


@bp.get("/search/saved/<int:saved_id>")
@login_required
def run_saved(saved_id: int) -> Any:
    from flask import redirect, url_for

    from edrm.saved_searches import get_mine

    found = get_mine(db(), principal(), saved_id)
    return redirect(url_for("search.page", q=found.query, **found.filters))


@bp.post("/search/saved/<int:saved_id>/delete")
@login_required
def delete_saved(saved_id: int) -> Any:
    from flask import redirect, url_for

    from edrm.saved_searches import delete
    from edrm.web.forms import ActionForm

    if ActionForm().validate_on_submit():
        delete(db(), principal(), saved_id)
    return redirect(url_for("search.saved"))
