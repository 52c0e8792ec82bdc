"""Bearer tokens on the JSON API: who the token is, which scopes a call needs, and the per-token
request limit (issue 13 part 2).

A token acts with its person's access (the same Principal as their signed-in session), narrowed
by its scopes. Every call needs `read` (GET, HEAD, OPTIONS) or `write` (anything else); a call
in an area needs that area's scope as well: the one table below says which, per blueprint, with
per-endpoint exceptions. A call outside the token's scopes answers 403; an unknown, expired or
revoked token, or one whose person is deactivated, 401 with `WWW-Authenticate: Bearer
error="invalid_token"`. Token calls are not sign-ins (no sign-in audit entry, no password hash);
what they do is audited by the services as for anyone.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app, g, request
from werkzeug.wrappers import Response

from edrm.access import Principal
from edrm.people.tokens import InvalidTokenError, authenticate
from edrm.web.errors import problem
from edrm.web.runtime import db, end_sign_in_transaction, rt

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: The area scope a blueprint's API calls need besides read/write. Records-management API
#: routes need `records`, HR's (leavers and their plans) `hr`, administration `admin`.
BLUEPRINT_SCOPES: dict[str, str] = {
    "retention_api": "records",
    "leavers_api": "hr",
    "admin_api": "admin",
    "webhooks_api": "admin",
    # issue 14 part 4: GET /metrics with an administrator's token
    "metrics": "admin",
}
#: Exceptions for one endpoint (endpoint name → area scope, or "" for none).
ENDPOINT_SCOPES: dict[str, str] = {}


def needed_scopes(endpoint: str | None, method: str) -> set[str]:
    """The scopes a token needs to call this endpoint with this method."""
    needed = {"read" if method.upper() in READ_METHODS else "write"}
    if endpoint:
        blueprint = endpoint.rpartition(".")[0]
        area = ENDPOINT_SCOPES.get(endpoint, BLUEPRINT_SCOPES.get(blueprint, ""))
        if area:
            needed.add(area)
    return needed


class TokenRateLimit:
    """Requests per token per minute, counted in this process (a fixed one-minute window)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: dict[int, tuple[int, int]] = {}

    def allow(self, token_id: int) -> int:
        """0 when the call may go ahead, else the seconds until the window ends."""
        now = time.monotonic()
        minute = int(now // 60)
        with self._lock:
            if len(self._windows) > 10_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == minute}
            start, count = self._windows.get(token_id, (minute, 0))
            if start != minute:
                start, count = minute, 0
            if count >= self.per_minute:
                return max(1, int((minute + 1) * 60 - now))
            self._windows[token_id] = (start, count + 1)
            return 0


def _rate_limit() -> TokenRateLimit:
    limiter = current_app.extensions.get("edrm_token_limit")
    if limiter is None:
        limiter = TokenRateLimit(rt().settings.api_token_requests_per_minute)
        current_app.extensions["edrm_token_limit"] = limiter
    return limiter


def invalid_token(detail: str) -> Response:
    response = problem(401, detail)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def authenticate_bearer(presented: str) -> Any:
    """Sign the request in as the token's person, or the answer that refuses it."""
    session = db()
    try:
        token = authenticate(session, presented, address=request.remote_addr or "")
    except InvalidTokenError as exc:
        return invalid_token(str(exc))
    # The last use is kept whatever this call answers, and the lock is not held meanwhile.
    end_sign_in_transaction()
    wait = _rate_limit().allow(token.id)
    if wait:
        response = problem(429, "Too many requests with this token. Try again in a minute.")
        response.headers["Retry-After"] = str(wait)
        return response
    missing = needed_scopes(request.endpoint, request.method) - set(token.scopes)
    if missing:
        names = ", ".join(sorted(missing))
        return problem(403, f"this token does not have the scope this needs ({names})")
    g.user, g.principal, g.api_token = token.user, Principal.of(token.user), token
    return None
