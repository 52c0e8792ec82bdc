"""Browsing the file plan: the tree, and a node's page with what the person may see in it."""

from __future__ import annotations

from math import ceil

from flask import Blueprint, render_template, request

from edrm.access import get_visible_node, visible_node_ids
from edrm.documents.service import list_in_node
from edrm.fileplan.service import tree
from edrm.web.auth import login_required, principal
from edrm.web.runtime import db

bp = Blueprint("fileplan", __name__, url_prefix="/fileplan")
PER_PAGE = 25


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
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    documents, total = list_in_node(session, current, who, page=page, per_page=PER_PAGE)
    return render_template(
        "fileplan/node.html",
        node=current,
        breadcrumbs=current.path()[:-1],
        children=children,
        documents=documents,
        total=total,
        page=page,
        pages=max(ceil(total / PER_PAGE), 1),
    )
