"""The JSON API (v1): submit documents for ingest, follow jobs, read documents.

Callers authenticate with the signed-in session (and then must send the CSRF token in the
X-CSRFToken header for changes), with an API token (`Authorization: Bearer edrm_…`, narrowed
by its scopes: `edrm.web.api_scopes`), or with HTTP Basic credentials (older scripts).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request
from flask_wtf.csrf import CSRFError, validate_csrf
from spectree import Response as Responses
from werkzeug.exceptions import HTTPException
from wtforms import ValidationError

from edrm.access import Principal, get_visible_document
from edrm.documents.contributors import submission_hints
from edrm.documents.links import links_as_list
from edrm.documents.representation import document_as_dict
from edrm.errors import EdrmError, InvalidInputError, NotFoundError
from edrm.ingest import jobs
from edrm.ingest.models import IngestJob
from edrm.ingest.pipeline import document_ingest_view
from edrm.people.throttle import Lockout
from edrm.web import api_models as m
from edrm.web.api_idempotency import idempotent
from edrm.web.api_scopes import authenticate_bearer
from edrm.web.api_style import Problem, decode_cursor, etag_of, next_link, spec, streamed, tagged
from edrm.web.auth import attempt_sign_in
from edrm.web.errors import api_edrm_error, api_http_error, problem
from edrm.web.params import int_arg, optional_int_arg, page_arg
from edrm.web.runtime import db, rt, send_version

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(status: int, message: str) -> Any:
    return problem(status, message)


@bp.before_request
def _authenticate() -> Any:
    auth = request.authorization
    if auth is not None and auth.type == "bearer":
        return authenticate_bearer(auth.token or "")
    if auth is not None and auth.type == "basic":
        result = attempt_sign_in(auth.username or "", auth.password or "")
        if result.lockout is not None:
            return _too_many_attempts(result.lockout)
        user = result.user
        if user is None:
            return _error(401, "the username or password is not right")
        g.user, g.principal, g.api_basic = user, Principal.of(user), True
        return None
    if g.get("principal") is None:
        return _error(401, "sign in, or send an API token (Authorization: Bearer …)")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except (ValidationError, CSRFError):
            return _error(400, "send the CSRF token in the X-CSRFToken header")
    return None


def _too_many_attempts(lockout: Lockout) -> Any:
    """429 with Retry-After and an RFC 9457 problem body (plus the API's usual "error")."""
    detail = lockout.message()
    body = {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": detail,
        "error": detail,
    }
    response = jsonify(body)
    response.status_code = 429
    response.mimetype = "application/problem+json"
    response.headers["Retry-After"] = str(lockout.seconds_left())
    return response


@bp.errorhandler(EdrmError)
def _edrm_error(exc: EdrmError) -> Any:
    return api_edrm_error(exc)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Any:
    return api_http_error(exc)


def json_api_blueprint(name: str, import_name: str) -> Blueprint:
    """Another area's JSON endpoints under /api/v1, authenticated and answering errors as
    this API does (exempt it from form CSRF: the X-CSRFToken header is checked instead)."""
    api = Blueprint(name, import_name, url_prefix="/api/v1")
    api.before_request(_authenticate)
    api.register_error_handler(EdrmError, _edrm_error)
    api.register_error_handler(HTTPException, _http_error)
    return api


def job_as_dict(job: IngestJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "outcome": job.outcome,
        "filename": job.safe_name,
        "original_name": job.original_name,
        "size": job.size,
        "attempts": job.attempts,
        "document_id": job.document_id,
        "class_code": job.class_code,
        "confidence": job.confidence,
        "error_reason": job.error_reason,
        # Why it failed, or why it is not where it was sent (it waits on the triage list).
        "error": job.reported_error,
        "created_at": job.created_at.isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def submit_uploads(source: str, *, commit: bool = True) -> list[IngestJob]:
    """Store each uploaded file and queue its job (committed before the answer, by the caller
    when `commit` is False)."""
    files = [f for f in request.files.getlist("files") + request.files.getlist("file") if f]
    if not files:
        raise InvalidInputError("no files: send them as multipart form field 'files'")
    into = (request.form.get("into") or "").strip() or None
    marking = (request.form.get("marking") or "").strip() or None
    batch = jobs.new_batch()
    session = db()
    hints = submission_hints(
        session, request.form.getlist("creator"), request.form.getlist("contributor")
    )
    submitted = []
    for upload in files:
        job = jobs.submit(
            session,
            rt().blobs,
            upload.stream,
            upload.filename or "upload",
            jobs.Submission(
                submitted_by=g.principal.username,
                source=source,
                batch=batch,
                into_code=into,
                marking=marking,
                hints=hints,
            ),
        )
        submitted.append(job)
    if commit:
        session.commit()
    return submitted


ERRORS = {"HTTP_400": Problem, "HTTP_401": Problem, "HTTP_403": Problem, "HTTP_404": Problem}


@bp.post("/documents")
@spec.validate(
    form=m.UploadForm,
    headers=m.UploadHeaders,
    resp=Responses(HTTP_202=m.Submitted, **ERRORS),
    tags=["documents"],
    skip_validation=True,
)
def post_documents() -> Any:
    """Upload files for ingest (multipart field `files`); each becomes a job

    Send `Idempotency-Key` to make a retry safe: the same key with the same files answers as
    the first time, and nothing is submitted twice (the same key with other files: 422).
    """
    return idempotent(_submit)


def _submit() -> tuple[dict[str, Any], int]:
    submitted = submit_uploads("api", commit=False)
    body: dict[str, Any] = {"jobs": [job_as_dict(j) for j in submitted]}
    if len(submitted) == 1:
        body["job_id"] = submitted[0].id
    return body, 202


@bp.get("/jobs/<int:job_id>")
@spec.validate(resp=Responses(HTTP_200=m.Job, **ERRORS), tags=["documents"])
def get_job(job_id: int) -> Any:
    """An ingest job: where one uploaded file has got to"""
    job = db().get(IngestJob, job_id)
    principal: Principal = g.principal
    if job is None or (job.submitted_by != principal.username and not principal.manages_records):
        raise NotFoundError(f"job {job_id} not found")
    return jsonify(job_as_dict(job))


def document_view(document_id: int) -> dict[str, Any]:
    """A document as the API shows it to this person (404 for what they may not see)."""
    document = get_visible_document(db(), g.principal, document_id)
    data = document_as_dict(document)
    data.update(document_ingest_view(db(), document, g.principal))
    data["also_filed_in"] = links_as_list(document)
    if document.status == "destroyed":
        from retention.stubs import stub_as_dict, stub_for

        stub = stub_for(db(), document.id)
        data["stub"] = stub_as_dict(stub) if stub else None
    return data


@bp.get("/documents/<int:document_id>")
@spec.validate(resp=Responses(HTTP_200=m.Document, **ERRORS), tags=["documents"])
def get_document(document_id: int) -> Any:
    """A document's metadata, versions and place (its ETag is what an update sends as If-Match)"""
    data = document_view(document_id)
    return tagged(data, etag_of(data))


@bp.get("/documents/<int:document_id>/content")
@streamed(
    query=m.ContentQuery,
    resp=Responses(HTTP_200=None, HTTP_410=Problem, **ERRORS),
    tags=["documents"],
)
def get_content(document_id: int) -> Any:
    """The bytes of the latest version (or ?version=N); 410 Gone once destroyed"""
    from edrm.documents.service import open_content

    runtime = rt()
    _doc, chosen = open_content(
        db(),
        runtime.blobs,
        document_id,
        actor=g.principal,
        version=optional_int_arg("version"),
    )
    return send_version(chosen)


@bp.get("/search")
@spec.validate(
    query=m.SearchQuery,
    resp=Responses(HTTP_200=m.SearchPage, HTTP_503=Problem, **ERRORS),
    tags=["search"],
)
def search() -> Any:
    """Search what you may see: ?q=…&facet=NAME:VALUE (repeatable)&sort=relevance|date

    Paged by `cursor`/`limit` (`items`, `next`); `hits` and `total` are kept for older clients,
    which may still send `page` and `per_page`.
    """
    from edrm.search_service import result_as_dict, search_documents
    from search.base import SearchError

    filters: dict[str, list[str]] = {}
    for value in request.args.getlist("facet"):
        name, sep, wanted = value.partition(":")
        if not sep:
            raise InvalidInputError(f"facet {value!r}: use NAME:VALUE, e.g. facet=class:FIN-AP-INV")
        filters.setdefault(name, []).append(wanted)
    if request.args.get("cursor") or "limit" in request.args:
        limit = int_arg("limit", 20)
        page = decode_cursor(request.args.get("cursor")) // limit + 1
    else:
        page, limit = page_arg(), int_arg("per_page", 20)
    try:
        result = search_documents(
            db(),
            rt(),
            g.principal,
            request.args.get("q", ""),
            filters=filters,
            page=page,
            per_page=limit,
            sort="date" if request.args.get("sort") == "date" else "relevance",
        )
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    except SearchError as exc:
        return _error(503, str(exc))
    body = result_as_dict(result)
    offset = (page - 1) * limit
    body["items"] = body["hits"]
    body["next"] = next_link(offset, limit, result.total > offset + limit)
    return jsonify(body)
