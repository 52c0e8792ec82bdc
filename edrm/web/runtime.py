"""Per-request access to the runtime and the request's unit of work.

The session is committed before the response leaves (so a failed commit becomes an error
page, never a false success) and rolled back for error responses.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from flask import Flask, current_app, g, has_request_context, request, send_file
from flask.wrappers import Response as FlaskResponse
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from edrm.audit import keep_refusal
from edrm.db import READS_FIRST, StaleReadError
from edrm.documents.models import Document, DocumentVersion
from edrm.renditions.models import Rendition
from edrm.runtime import Runtime


def rt() -> Runtime:
    return current_app.extensions["edrm"]


#: Requests that only look: their transaction begins by reading (edrm.db.READS_FIRST).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db() -> Session:
    """The request's session (one unit of work per request). A GET's transactions begin by
    reading, so it never queues behind a writer on SQLite; `start_again_writing_first` is what
    happens when such a request then needs to write and cannot."""
    if "db" not in g:
        runtime = rt()
        if has_request_context() and request.method in SAFE_METHODS:
            g.db = runtime.sessions(bind=runtime.engine.execution_options(**{READS_FIRST: True}))
        else:
            g.db = runtime.sessions()
    return g.db


def end_sign_in_transaction() -> None:
    """Who is asking is known: what was read and noted to find out (a session's or a token's
    last use) is committed now, so that a change does not hold SQLite's write lock while its
    request body arrives and its files are stored. The view's own transaction begins at its
    first statement."""
    session: Session | None = g.get("db")
    if session is not None and session.in_transaction():
        session.commit()


def start_again_writing_first() -> None:
    """The request read, then could not write (edrm.db.StaleReadError): nothing of it was
    committed. Its transaction is rolled back, and the next one holds the write lock from its
    first statement, so the request's second run cannot meet the same refusal."""
    g.writes_first = True
    session: Session | None = g.get("db")
    if session is not None:
        session.rollback()
        session.bind = rt().engine  # its next transaction begins IMMEDIATE


class EdrmFlask(Flask):
    """Flask, with a GET that read and then could not write run once more, writing first.

    Crash story: the first run's transaction rolled back (it wrote nothing), and its response
    was never sent, so the person sees only the second run's answer; a GET does nothing outside
    the database that a second run would do twice."""

    def full_dispatch_request(self) -> FlaskResponse:
        try:
            return super().full_dispatch_request()
        except StaleReadError:
            if g.get("writes_first"):  # pragma: no cover - a writing transaction is not stale
                raise
            start_again_writing_first()
            return super().full_dispatch_request()


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


def send_rendition(document: Document, rendition: Rendition) -> Response:
    """A rendition's bytes as a private, uncached attachment named after the version it
    renders ("scan.pdfa.pdf")."""
    stem = PurePosixPath(document.latest.filename).stem or "document"
    response = send_file(
        rt().blobs.path(rendition.sha256),
        mimetype=rendition.mime,
        as_attachment=True,
        download_name=f"{stem}.{rendition.kind}.pdf",
        etag=rendition.sha256,
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
