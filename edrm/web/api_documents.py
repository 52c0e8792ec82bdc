"""Documents on the JSON API beyond upload and read (`edrm.web.api`): change the metadata (with
If-Match and a reason), declare as a record, move, and list versions, renditions and relations.

Each call goes to the same service the document pages use (`edrm.documents.service`), as the
caller, so access, guards (holds, closed folders, records) and the audit trail are theirs.
"""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from flask import g, request, send_file
from spectree import Response as Responses

from edrm.access import get_visible_document
from edrm.documents import service
from edrm.documents.links import link_document, unlink_document
from edrm.errors import GoneError, InvalidInputError, NotFoundError
from edrm.renditions.service import open_rendition, renditions_of
from edrm.web import api_models as m
from edrm.web.api import ERRORS, document_view, json_api_blueprint
from edrm.web.api_idempotency import idempotent
from edrm.web.api_style import (
    PageQuery,
    Problem,
    etag_of,
    json_body,
    page_of,
    require_if_match,
    spec,
    streamed,
    tagged,
)
from edrm.web.runtime import db, rt, send_rendition

api = json_api_blueprint("documents_api", __name__)
CHANGE_ERRORS = {**ERRORS, "HTTP_412": Problem, "HTTP_428": Problem, "HTTP_422": Problem}


def _answer(document_id: int) -> Any:
    db().flush()
    data = document_view(document_id)
    _note_look(document_id, "view")
    return tagged(data, etag_of(data))


def _note_look(document_id: int, kind: str) -> None:
    """Audit the look as the pages do (edrm.documents.service.note_view)."""
    document = get_visible_document(db(), g.principal, document_id)
    service.note_view(db(), document, g.principal, kind=kind, every=rt().settings.audit_all_views)


@api.patch("/documents/<int:document_id>")
@spec.validate(
    json=m.MetadataChange,
    headers=m.IfMatchHeaders,
    resp=Responses(HTTP_200=m.Document, **CHANGE_ERRORS),
    tags=["documents"],
)
def patch_document(document_id: int) -> Any:
    """Change a document's descriptive metadata, saying why (If-Match: its ETag)

    Only the members sent change; the reason is kept in the audit trail with the old and new
    values. A stale ETag answers 412, none 428.
    """
    require_if_match(etag_of(document_view(document_id)))
    change = json_body(m.MetadataChange)
    fields = change.model_dump(exclude_none=True, exclude={"reason"})
    service.update_metadata(db(), document_id, fields, actor=g.principal, reason=change.reason)
    return _answer(document_id)


@api.post("/documents/<int:document_id>/declare")
@spec.validate(resp=Responses(HTTP_200=m.Document, **ERRORS), tags=["documents"])
def declare(document_id: int) -> Any:
    """Declare the document a record (it then cannot be changed or deleted except by its rule)"""
    service.declare_record(db(), document_id, actor=g.principal)
    return _answer(document_id)


@api.post("/documents/<int:document_id>/move")
@spec.validate(json=m.Move, resp=Responses(HTTP_200=m.Document, **ERRORS), tags=["documents"])
def move(document_id: int) -> Any:
    """Move (re-file) the document to another class or folder, with a reason for the audit"""
    get_visible_document(db(), g.principal, document_id)  # 404 before anything is read
    wanted = json_body(m.Move)
    service.move_document(db(), document_id, wanted.to, actor=g.principal, reason=wanted.reason)
    return _answer(document_id)


@api.post("/documents/<int:document_id>/links")
@spec.validate(json=m.Place, resp=Responses(HTTP_200=m.Document, **ERRORS), tags=["documents"])
def link(document_id: int) -> Any:
    """File the record in a further class or folder too (multi-filing; repeating it is harmless)"""
    get_visible_document(db(), g.principal, document_id)  # 404 before anything is read
    wanted = json_body(m.Place)
    link_document(db(), document_id, wanted.code, actor=g.principal)
    return _answer(document_id)


@api.delete("/documents/<int:document_id>/links/<path:code>")
@spec.validate(resp=Responses(HTTP_200=m.Document, **ERRORS), tags=["documents"])
def unlink(document_id: int, code: str) -> Any:
    """Take the record out of a further class or folder it is filed in"""
    unlink_document(db(), document_id, code, actor=g.principal)
    return _answer(document_id)


@api.get("/documents/<int:document_id>/versions")
@spec.validate(
    query=PageQuery, resp=Responses(HTTP_200=m.VersionPage, **ERRORS), tags=["documents"]
)
def versions(document_id: int) -> Any:
    """The document's versions, oldest first (the bytes: /content?version=N)"""
    rows = document_view(document_id)["versions"]
    return page_of(rows, PageQuery.model_validate(request.args.to_dict()))


@api.post("/documents/<int:document_id>/versions")
@spec.validate(
    form=m.VersionForm,
    headers=m.NewVersionHeaders,
    resp=Responses(HTTP_201=m.Version, **CHANGE_ERRORS),
    tags=["documents"],
    skip_validation=True,
)
def new_version(document_id: int) -> Any:
    """Upload new content for a document that is not yet a record (multipart field `file`)

    Send `If-Match` with the document's ETag (412 when it changed since, 428 without), and an
    `Idempotency-Key` to make a retry safe: the same key and file answer as the first time.
    """

    def add() -> tuple[dict[str, Any], int]:
        require_if_match(etag_of(document_view(document_id)))
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInputError("no file: send it as multipart form field 'file'")
        service.add_version(
            db(),
            rt().blobs,
            document_id,
            cast(BinaryIO, upload.stream),
            upload.filename or "upload",
            actor=g.principal,
        )
        db().flush()
        return document_view(document_id)["versions"][-1], 201

    return idempotent(add)


@api.get("/documents/<int:document_id>/relations")
@spec.validate(
    query=PageQuery, resp=Responses(HTTP_200=m.RelationPage, **ERRORS), tags=["documents"]
)
def relations(document_id: int) -> Any:
    """The documents this one is linked to (only those you may see)"""
    session = db()
    document = get_visible_document(session, g.principal, document_id)
    shown = []
    for link in document.relations or []:
        try:
            get_visible_document(session, g.principal, int(link["document_id"]))
        except (NotFoundError, KeyError, TypeError, ValueError):
            continue
        shown.append({"type": str(link.get("type", "")), "document_id": int(link["document_id"])})
    return page_of(shown, PageQuery.model_validate(request.args.to_dict()))


def _preview_sha(document_id: int) -> str | None:
    document = get_visible_document(db(), g.principal, document_id)
    if document.status == "destroyed":
        raise GoneError(f"document {document_id} has been destroyed", document_id=document_id)
    sha = (document.extra or {}).get("preview_sha256")
    return sha if sha and rt().blobs.exists(sha) else None


@api.get("/documents/<int:document_id>/renditions")
@spec.validate(
    resp=Responses(HTTP_200=m.Renditions, HTTP_410=Problem, **ERRORS), tags=["documents"]
)
def renditions(document_id: int) -> Any:
    """The renditions made at ingest: the first-page preview, when there is one, and a scan's
    searchable PDF/A (an office file's PDF where LibreOffice is installed), with their checksums"""
    items: list[dict[str, Any]] = []
    base = request.base_url.rstrip("/")
    if _preview_sha(document_id):
        items.append({"kind": "preview", "mime": "image/png", "url": f"{base}/preview"})
    latest = get_visible_document(db(), g.principal, document_id).latest.id
    for found in renditions_of(db(), document_id):
        if found.version_id == latest:
            url = f"{base}/{found.kind}"
            items.append({**found.describe(), "mime": found.mime, "url": url})
    return {"items": items}


@api.get("/documents/<int:document_id>/renditions/<kind>")
@streamed(
    resp=Responses(HTTP_200=None, HTTP_410=Problem, **ERRORS),
    tags=["documents"],
)
def rendition(document_id: int, kind: str) -> Any:
    """A rendition of the latest version (`pdfa`: a scan's searchable PDF/A-2b), audited as a
    download"""
    document, found = open_rendition(db(), rt().blobs, document_id, kind, g.principal)
    return send_rendition(document, found)


@api.get("/documents/<int:document_id>/renditions/preview")
@streamed(
    resp=Responses(HTTP_200=None, HTTP_410=Problem, **ERRORS),
    tags=["documents"],
)
def preview(document_id: int) -> Any:
    """The first-page preview (PNG)"""
    sha = _preview_sha(document_id)
    if sha is None:
        raise NotFoundError(f"document {document_id} has no preview")
    _note_look(document_id, "preview")
    response = send_file(rt().blobs.path(sha), mimetype="image/png", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
