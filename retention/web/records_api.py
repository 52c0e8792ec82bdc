"""Records management on the JSON API: the legal holds (records managers only).

Calls with an API token need its `records` scope (`edrm.web.api_scopes`). A hold's target (a
record number or file-plan code) is left out: the holds page shows it only where the person may
see it, and the hold's own page is where to look.
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from edrm.access import require_records_manager
from edrm.web.api import json_api_blueprint
from edrm.web.runtime import db
from retention.holds import hold_as_dict, list_holds

api = json_api_blueprint("retention_api", __name__)
_SHOWN = ("id", "reason", "authority", "scope", "active", "placed_at", "placed_by", "documents")


@api.get("/holds")
def api_holds() -> Any:
    """The legal holds in force (?all=1: lifted ones too), newest first."""
    require_records_manager(g.principal, "see legal holds")
    session = db()
    listed = list_holds(session, active_only=request.args.get("all") != "1")
    rows = [{k: v for k, v in hold_as_dict(session, h).items() if k in _SHOWN} for h in listed]
    return jsonify({"holds": rows})
