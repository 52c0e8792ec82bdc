"""Pages and JSON endpoints: the leavers side of the knowledge service."""

from __future__ import annotations

from flask import Blueprint

from edrm.web.api import json_api_blueprint

bp = Blueprint("leavers", __name__)
api = json_api_blueprint("leavers_api", __name__)
