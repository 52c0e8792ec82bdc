"""Every request: an id (a safe incoming X-Request-Id, or a new one) returned in the
response's X-Request-Id header and written into the log lines and audit entries of the
request (`edrm.request_context`); one log line when it ends (`edrm.request`: method, path,
route, status, duration); and the HTTP counters by route, the Flask endpoint — never the raw
path, so the number of series stays bounded.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable
from werkzeug.wrappers import Response

from edrm import metrics, request_context

log = logging.getLogger("edrm.request")
HEADER = "X-Request-Id"
NO_ROUTE = "(unmatched)"


def install(app: Flask) -> None:
    """Before every other hook of the app (the id is there for all of them), after all of them
    on the way out (the status is final)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.before_request(_who)  # after the signed-in person is loaded
    app.after_request_funcs.setdefault(None, []).insert(0, _finish)
    app.teardown_request(_end)


def _begin() -> None:
    if "request_context_token" in g:  # the same request run again (edrm.web.runtime.EdrmFlask)
        return
    g.request_started = time.perf_counter()
    g.request_id = request_context.request_id_from(request.headers.get(HEADER))
    g.request_context_token = request_context.begin(g.request_id)
    context = request_context.current()
    if context is not None:
        context.route = request.endpoint or NO_ROUTE


def _person() -> str:
    """The signed-in person's username as already loaded: never a query (after a rollback an
    attribute would load again, and on SQLite that takes the write lock)."""
    user = g.get("user")
    if user is None:
        return ""
    try:
        loaded = inspect(user).dict
    except NoInspectionAvailable:
        return ""
    return str(loaded.get("username") or "")


def _who() -> None:
    context = request_context.current()
    if context is not None:
        context.user = _person()


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a request that failed before the first hook
        return response
    response.headers[HEADER] = request_id
    route = request.endpoint or NO_ROUTE
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    context = request_context.current()
    if context is not None and not context.user:
        context.user = _person()  # signed in by the API's own hook (a token)
    metrics.http_request(route, request.method, response.status_code, seconds)
    log.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
    return response


def _end(_exc: BaseException | None) -> None:
    token = g.pop("request_context_token", None)
    if token is not None:
        request_context.end(token)
