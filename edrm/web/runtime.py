"""Per-request access to the runtime and the request's unit of work.

The session is committed before the response leaves (so a failed commit becomes an error
page, never a false success) and rolled back for error responses.
"""

from __future__ import annotations

from flask import current_app, g, send_file
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from edrm.audit import keep_refusal
from edrm.documents.models import DocumentVersion
from edrm.runtime import Runtime


def rt() -> Runtime:
    return current_app.extensions["edrm"]


def db() -> Session:
    """The request's session (one unit of work per request)."""
    if "db" not in g:
        g.db = rt().sessions()
    return g.db


def keep_refused_change_audit(exc: BaseException) -> None:
    """A refusal carrying an audit note is audited even though the request rolls back."""
    if getattr(exc, "audit", None) is None:
        return
    session: Session | None = g.get("db")
    if session is not None:
        session.rollback()
    keep_refusal(rt().sessions, exc)


def send_version(version: DocumentVersion) -> Response:
    """A version's bytes as a private, uncached attachment (pages and API alike)."""
    response = send_file(
        rt().blobs.path(version.sha256),
        mimetype=version.mime or "application/octet-stream",
        as_attachment=True,
        download_name=version.filename,
        etag=version.sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def commit_request_session(response: Response) -> Response:
    session: Session | None = g.get("db")
    if session is not None:
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
    return response


def close_request_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()
