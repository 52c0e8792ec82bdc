"""Records management on the JSON API: the legal holds (records managers only).

Calls with an API token need its `records` scope (`edrm.web.api_scopes`). A hold's target (a
record number or file-plan code) is left out: the holds page shows it only where the person may
see it, and the hold's own page is where to look.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field
from spectree import Response as Responses

from edrm.access import require_records_manager
from edrm.web.api import json_api_blueprint
from edrm.web.api_style import PageQuery, Problem, page_of, spec
from edrm.web.runtime import db
from retention.holds import hold_as_dict, list_holds

api = json_api_blueprint("retention_api", __name__)
_SHOWN = ("id", "reason", "authority", "scope", "active", "placed_at", "placed_by", "documents")
ERRORS: dict[str, Any] = {"HTTP_400": Problem, "HTTP_401": Problem, "HTTP_403": Problem}


class HoldsQuery(PageQuery):
    all: str | None = Field(None, description="1: lifted holds too")


class Hold(BaseModel):
    """A legal hold: why, on whose authority, how widely, and how many records it covers."""

    model_config = ConfigDict(extra="allow")
    id: int
    reason: str
    authority: str
    scope: str
    active: bool
    placed_at: str
    placed_by: str
    documents: int


class HoldPage(BaseModel):
    items: list[Hold]
    next: str | None = None
    holds: list[Hold]


@api.get("/holds")
@spec.validate(query=HoldsQuery, resp=Responses(HTTP_200=HoldPage, **ERRORS), tags=["records"])
def api_holds() -> Any:
    """The legal holds in force (?all=1: lifted ones too), newest first"""
    require_records_manager(g.principal, "see legal holds")
    session = db()
    listed = list_holds(session, active_only=request.args.get("all") != "1")
    rows = [{k: v for k, v in hold_as_dict(session, h).items() if k in _SHOWN} for h in listed]
    page = page_of(rows, HoldsQuery.model_validate(request.args.to_dict()))
    return jsonify({**page, "holds": page["items"]})
