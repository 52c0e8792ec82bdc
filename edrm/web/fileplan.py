"""Browsing the file plan: the tree, and a node's page with what the person may see in it.

A class or folder page lists its records through the search service, as the person, with the
same filters (and counts) as the search page; if the search engine cannot answer, it lists the
documents filed directly in the node from the database, without filters."""

from __future__ import annotations

from math import ceil
from typing import Any

from flask import Blueprint, render_template, request

from edrm.access import get_visible_node, visible_node_ids
from edrm.documents.service import list_in_node
from edrm.fileplan.service import tree
from edrm.search_names import filter_names
from edrm.search_service import BROWSE_FACETS, browse_filters, browse_node, hit_documents
from edrm.web.auth import login_required, principal
from edrm.web.params import page_arg
from edrm.web.runtime import db, rt
from edrm.web.search import FACET_LABELS
from search.base import MAX_PAGE_DEPTH, SearchError

bp = Blueprint("fileplan", __name__, url_prefix="/fileplan")
PER_PAGE = 25
BROWSABLE = ("activity", "transaction", "folder")  # the kinds that hold documents


@bp.route("/")
@login_required
def index() -> str:
    roots = tree(db(), principal(), include_folders=False)
    return render_template("fileplan/tree.html", roots=roots)


@bp.route("/<path:code>")
@login_required
def node(code: str) -> str:
    who = principal()
    session = db()
    current = get_visible_node(session, who, code)
    visible = visible_node_ids(session, who)
    children = [c for c in current.children if c.id in visible]
    page = min(page_arg(), MAX_PAGE_DEPTH // PER_PAGE)
    chosen = {name: request.args.getlist(name) for name in BROWSE_FACETS}
    chosen = {name: values for name, values in chosen.items() if values}
    context: dict[str, Any] = {"result": None, "error": None, "documents": [], "total": 0}
    if current.kind_value in BROWSABLE:
        try:
            result = browse_node(session, rt(), who, current, chosen, page=page, per_page=PER_PAGE)
        except SearchError as exc:
            chosen = {}
            documents, total = list_in_node(session, current, who, page=page, per_page=PER_PAGE)
            context.update(error=str(exc), documents=documents, total=total)
        else:
            documents = hit_documents(session, who, result.hits)
            context.update(result=result, documents=documents, total=result.total)
            shown = {name: [c.value for c in counts] for name, counts in result.facets.items()}
            context["names"] = filter_names(session, who, shown)
    pages = min(max(ceil(context["total"] / PER_PAGE), 1), MAX_PAGE_DEPTH // PER_PAGE)
    return render_template(
        "fileplan/node.html",
        node=current,
        breadcrumbs=current.path()[:-1],
        children=children,
        filters=chosen,
        search_filters=browse_filters(current, chosen) if current.kind_value in BROWSABLE else {},
        labels=FACET_LABELS,
        page=page,
        pages=pages,
        **context,
    )
