"""The file plan, triage and saved searches on the JSON API: browse the plan, make and close
folders, list the documents waiting for a class and file them, keep searches to run again.

Each call goes to the service the pages use, as the caller: the plan shows only the nodes the
person may see (`edrm.access`), and a node they may not see answers 404 as one that is not there.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from spectree import Response as Responses

from edrm import saved_searches
from edrm.access import get_visible_document, get_visible_node
from edrm.documents.service import list_in_node
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import TreeNode, close_folder, create_folder, tree
from edrm.ingest.triage import confirm, offered_minimum, triage_items
from edrm.web import api_models as m
from edrm.web.api import ERRORS, document_view, json_api_blueprint
from edrm.web.api_style import (
    PageQuery,
    Problem,
    decode_cursor,
    json_body,
    next_link,
    page_of,
    spec,
)
from edrm.web.runtime import db, rt

api = json_api_blueprint("fileplan_api", __name__)
MADE = {**ERRORS, "HTTP_422": Problem}


def _query(model: type[PageQuery]) -> Any:
    return model.model_validate(request.args.to_dict())


def node_as_dict(node: FilePlanNode) -> dict[str, Any]:
    return {
        "code": node.code,
        "title": node.title,
        "kind": node.kind_value,
        "parent": node.parent.code if node.parent is not None else None,
        "closed": node.closed,
        "marking": node.marking_value,
        "description": node.description,
    }


def _flat(nodes: list[TreeNode], parent: str | None, into: list[dict[str, Any]]) -> None:
    for n in nodes:
        into.append(
            {
                "code": n.code,
                "title": n.title,
                "kind": n.kind,
                "parent": parent,
                "closed": n.closed,
                "marking": n.marking,
            }
        )
        _flat(n.children, n.code, into)


@api.get("/fileplan")
@spec.validate(query=m.TreeQuery, resp=Responses(HTTP_200=m.NodePage, **ERRORS), tags=["file plan"])
def plan() -> Any:
    """The file plan as you may see it, parents before their children (?folders=false: none)"""
    wanted = _query(m.TreeQuery)
    rows: list[dict[str, Any]] = []
    _flat(tree(db(), g.principal, include_folders=wanted.folders), None, rows)
    return page_of(rows, wanted)


@api.get("/fileplan/<code>")
@spec.validate(resp=Responses(HTTP_200=m.Node, **ERRORS), tags=["file plan"])
def node(code: str) -> Any:
    """One node of the plan"""
    return node_as_dict(get_visible_node(db(), g.principal, code))


@api.get("/fileplan/<code>/documents")
@spec.validate(
    query=PageQuery, resp=Responses(HTTP_200=m.DocumentPage, **ERRORS), tags=["file plan"]
)
def documents(code: str) -> Any:
    """The documents filed directly in a node that you may see, newest first"""
    wanted = _query(PageQuery)
    session = db()
    current = get_visible_node(session, g.principal, code)
    offset = decode_cursor(wanted.cursor)
    page = offset // wanted.limit + 1
    found, total = list_in_node(session, current, g.principal, page=page, per_page=wanted.limit)
    start = (page - 1) * wanted.limit
    return {
        "items": [document_view(d.id) for d in found],
        "next": next_link(start, wanted.limit, total > start + wanted.limit),
    }


@api.post("/fileplan/<code>/folders")
@spec.validate(json=m.NewFolder, resp=Responses(HTTP_201=m.Node, **MADE), tags=["file plan"])
def new_folder(code: str) -> Any:
    """Make a folder in a class (or in a folder) you may file into"""
    session = db()
    get_visible_node(session, g.principal, code)  # 404 before anything is read
    wanted = json_body(m.NewFolder)
    made = create_folder(session, wanted.code, code, wanted.title, actor=g.principal)
    return node_as_dict(made), 201


@api.post("/fileplan/<code>/close")
@spec.validate(resp=Responses(HTTP_200=m.Node, **ERRORS), tags=["file plan"])
def close(code: str) -> Any:
    """Close a folder: nothing more can be filed in it (records managers)"""
    session = db()
    get_visible_node(session, g.principal, code)
    return node_as_dict(close_folder(session, code, actor=g.principal))


@api.get("/triage")
@spec.validate(query=PageQuery, resp=Responses(HTTP_200=m.TriagePage, **ERRORS), tags=["triage"])
def triage() -> Any:
    """Your documents waiting for a class (records managers: everyone's), with suggestions"""
    items = triage_items(db(), g.principal, min_confidence=offered_minimum(rt().settings))
    return page_of(items, _query(PageQuery))


@api.post("/triage/<int:document_id>/confirm")
@spec.validate(json=m.TriageConfirm, resp=Responses(HTTP_200=m.Document, **ERRORS), tags=["triage"])
def file_triaged(document_id: int) -> Any:
    """File a waiting document in the class or folder you choose"""
    get_visible_document(db(), g.principal, document_id)  # 404 before anything is read
    wanted = json_body(m.TriageConfirm)
    confirm(db(), document_id, wanted.to, actor=g.principal)
    db().flush()
    return document_view(document_id)


def saved_as_dict(saved: saved_searches.SavedSearch) -> dict[str, Any]:
    return {
        "id": saved.id,
        "name": saved.name,
        "query": saved.query,
        "filters": saved.filters or {},
        "created_at": saved.created_at.isoformat(),
    }


@api.get("/saved-searches")
@spec.validate(
    query=PageQuery, resp=Responses(HTTP_200=m.SavedSearchPage, **ERRORS), tags=["search"]
)
def list_saved() -> Any:
    """Your saved searches, by name"""
    rows = [saved_as_dict(s) for s in saved_searches.mine(db(), g.principal)]
    return page_of(rows, _query(PageQuery))


@api.post("/saved-searches")
@spec.validate(
    json=m.SavedSearchIn, resp=Responses(HTTP_201=m.SavedSearchOut, **MADE), tags=["search"]
)
def save_search() -> Any:
    """Keep a search (its words and filters) to run again"""
    wanted = json_body(m.SavedSearchIn)
    made = saved_searches.save(db(), g.principal, wanted.name, wanted.query, wanted.filters)
    db().flush()
    return saved_as_dict(made), 201


@api.get("/saved-searches/<int:saved_id>")
@spec.validate(resp=Responses(HTTP_200=m.SavedSearchOut, **ERRORS), tags=["search"])
def get_saved(saved_id: int) -> Any:
    """One of your saved searches (run it with GET /search?q=…&facet=…)"""
    return saved_as_dict(saved_searches.get_mine(db(), g.principal, saved_id))


@api.delete("/saved-searches/<int:saved_id>")
@spec.validate(resp=Responses(HTTP_204=None, **ERRORS), tags=["search"])
def delete_saved(saved_id: int) -> Any:
    """Forget one of your saved searches"""
    saved_searches.delete(db(), g.principal, saved_id)
    return "", 204
