"""Pages and JSON endpoints: the directory side of the knowledge service."""

from __future__ import annotations

from flask import Blueprint

from edrm.web.api import json_api_blueprint

bp = Blueprint("directory", __name__)
api = json_api_blueprint("directory_api", __name__)
