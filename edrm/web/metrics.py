"""GET /metrics: the Prometheus text format (`edrm.metrics`, and the database's gauges read
now: `edrm.wiring.observability`).

Not for the public, and not for a browser session either: the scraper sends
`Authorization: Bearer <metrics_token>` (the setting), or an administrator's API token that has
the `admin` scope. Anything else answers 401 (403 for a valid token without the scope or
whose person is not an administrator). Being on 127.0.0.1 is not enough: behind a reverse
proxy on the same machine every request comes from there.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, g, request
from werkzeug.wrappers import Response

from edrm import metrics
from edrm.people.service import may_administer
from edrm.web.api_scopes import authenticate_bearer, invalid_token
from edrm.web.errors import problem
from edrm.web.runtime import db, rt
from edrm.wiring.observability import database_collector

bp = Blueprint("metrics", __name__)
TOKEN_PREFIX = "edrm_"


def _refusal() -> Response | None:
    """None when the caller may read the metrics, else the answer that refuses them."""
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        response = problem(401, "send the metrics token or an API token (Authorization: Bearer …)")
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    configured = rt().settings.metrics_token
    if configured and hmac.compare_digest(auth.token.encode(), configured.encode()):
        return None
    if not auth.token.startswith(TOKEN_PREFIX):
        return invalid_token("this is not the metrics token")
    refused: Response | None = authenticate_bearer(auth.token)
    if refused is not None:
        return refused
    if not may_administer(g.principal):
        return problem(403, "only an administrator's token may read the metrics")
    return None


@bp.route("/metrics")
def metrics_page() -> Any:
    refused = _refusal()
    if refused is not None:
        return refused
    body = metrics.exposition([database_collector(rt(), db())])
    return Response(body, mimetype=None, content_type=metrics.CONTENT_TYPE)
