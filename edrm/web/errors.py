"""Errors as people and programs read them: HTML error pages for the pages, RFC 9457 problem
details (`application/problem+json`) for every error on the JSON API (`/api/...`).

Every error answer goes through here, whoever raised it: the services' errors (`edrm.errors`),
werkzeug's HTTP errors (routing 404/405, 413 from the upload limit, 429 from throttling …), the
CSRF check, and anything unexpected (500, logged with its traceback, never shown). An API
response that was built by hand with a JSON `{"error": …}` body or as HTML is turned into
problem details on its way out, so no JSON route answers an error in another shape.

A problem's members: `type` ("about:blank": the status code says what kind of problem it is),
`title` (the status's phrase), `status`, `detail` (what went wrong, for the person who asked),
`instance` (the path asked for); plus `error` (the detail again, the key API clients read before
problem details) and any extension members (e.g. the residual `stub` of a destroyed record).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from edrm.errors import EdrmError, GoneError, NotFoundError, RefusedError
from edrm.web.runtime import db, keep_refused_change_audit

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/"
log = logging.getLogger(__name__)

#: Headers an HTTP error carries that its problem-details answer keeps.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
#: Page headings for HTTP errors without a page of their own.
_PAGE_HEADINGS = {
    400: "There is a problem with the request",
    405: "You cannot do that here",
    409: "That conflicts with something already there",
    410: "That is no longer here",
    413: "The file is too large",
    415: "That kind of file cannot be sent here",
    422: "There is a problem with what you sent",
    429: "Too many attempts",
}


def is_api_request() -> bool:
    return request.path == API_PREFIX.rstrip("/") or request.path.startswith(API_PREFIX)


def problem(status: int, detail: str = "", **extra: Any) -> Response:
    """An RFC 9457 problem-details response for this request."""
    title = HTTP_STATUS_CODES.get(status, "Error")
    text = detail or title
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": text,
        "instance": request.path,
        "error": text,
        **extra,
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype=PROBLEM_JSON
    )
    return response


def edrm_status(exc: EdrmError) -> int:
    if isinstance(exc, GoneError):
        return 410
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, RefusedError):
        return 403
    return 400  # InvalidInputError, and any other service error: the input cannot be acted on


def api_edrm_error(exc: EdrmError) -> Response:
    """A service's error as problem details (410 carries the residual stub of the record)."""
    status = edrm_status(exc)
    if isinstance(exc, RefusedError):
        keep_refused_change_audit(exc)
    if isinstance(exc, GoneError):
        return problem(410, str(exc), stub=_stub(exc.document_id))
    return problem(status, str(exc))


def _stub(document_id: int | None) -> dict[str, Any] | None:
    from retention.stubs import stub_as_dict, stub_for

    stub = stub_for(db(), document_id) if document_id is not None else None
    return stub_as_dict(stub) if stub else None


def api_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = problem(status, _http_detail(exc))
    _keep_headers(response, dict(exc.get_headers()))
    return response


def _http_detail(exc: HTTPException) -> str:
    if isinstance(exc, CSRFError):
        return "send the CSRF token in the X-CSRFToken header"
    return exc.description or exc.name


def _keep_headers(response: Response, headers: Any) -> None:
    for name in _KEPT_HEADERS:
        value = headers.get(name)
        if value:
            response.headers[name] = value


def _page(template: str, status: int, **context: Any) -> tuple[str, int]:
    return render_template(template, **context), status


def _http_page(exc: HTTPException) -> Any:
    status = exc.code or 500
    if status == 404:
        return _page("errors/404.html", 404)
    if status == 403:
        return _page("errors/403.html", 403, message="")
    if isinstance(exc, CSRFError):
        return _page("errors/400.html", 400)
    if status >= 500:
        return _page("errors/500.html", status)
    heading = _PAGE_HEADINGS.get(status, HTTP_STATUS_CODES.get(status, "There is a problem"))
    body, code = _page("errors/error.html", status, heading=heading, message=exc.description)
    response = current_app.make_response((body, code))
    _keep_headers(response, dict(exc.get_headers()))
    return response


def _edrm_page(exc: EdrmError) -> Any:
    if isinstance(exc, NotFoundError):
        return _page("errors/404.html", 404)
    if isinstance(exc, RefusedError):
        keep_refused_change_audit(exc)
        return _page("errors/403.html", 403, message=str(exc))
    status = edrm_status(exc)
    heading = _PAGE_HEADINGS[status]
    return _page("errors/error.html", status, heading=heading, message=str(exc))


def _problem_from_response(response: Response) -> Response:
    """A hand-made API error answer (JSON with "error", or HTML) as problem details."""
    extra: dict[str, Any] = {}
    detail = ""
    if response.is_json:
        data = response.get_json(silent=True)
        if isinstance(data, dict):
            detail = str(data.get("detail") or data.get("error") or "")
            extra = {k: v for k, v in data.items() if k not in ("error", "detail", "status")}
            extra = {k: v for k, v in extra.items() if k not in ("type", "title", "instance")}
    converted = problem(response.status_code, detail, **extra)
    _keep_headers(converted, response.headers)
    return converted


def errors_as_problems(response: Response) -> Response:
    """After every request: an API error not yet in problem-details form is put into it."""
    if response.status_code >= 400 and response.mimetype != PROBLEM_JSON and is_api_request():
        return _problem_from_response(response)
    return response


def register_error_handlers(app: Flask) -> None:
    """One handler per kind of error, each answering by where the request went. The 500
    handler is reached only when exceptions do not propagate (not under TESTING, where tests
    see the real exception instead)."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if is_api_request():
            return api_http_error(exc)
        return _http_page(exc)

    @app.errorhandler(EdrmError)
    def edrm_error(exc: EdrmError) -> Any:
        if is_api_request():
            return api_edrm_error(exc)
        return _edrm_page(exc)

    @app.errorhandler(500)
    def server_error(exc: Exception) -> Any:
        original = getattr(exc, "original_exception", None) or exc
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=original)
        if is_api_request():
            return problem(500, "Something went wrong on our side; it has been logged.")
        return _page("errors/500.html", 500)

    app.after_request(errors_as_problems)
