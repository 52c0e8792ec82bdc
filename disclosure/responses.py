"""Sending the response to a request: the letter (disclosure.letters) and, when information is
released, the disclosure bundle (disclosure.bundle_export), both filed as declared records in
the class config/redaction.toml names (`response_class`), linked to each other; the request
becomes `responded`; the officer chooses whether the bundle is published in the disclosure log.

Crash story: the letter's and the bundle's bytes go to the blob store first (content-addressed:
a crash after that leaves only unreferenced blobs, no record); then, in the caller's one
transaction, both records, the response row, the status change and the audit entry — all or
nothing. A request has at most one response (its primary key), so a retried send is refused
and files nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from disclosure.bundle_export import bundle_for
from disclosure.letters import LetterFacts, letter_pdf, letter_text
from disclosure.models import InformationRequest
from disclosure.redaction_config import Exemption, RedactionConfig
from disclosure.redaction_models import LETTERS, RequestResponse
from disclosure.redactions import redactions_for, request_for
from disclosure.requests import set_status
from edrm import audit, clock
from edrm.access import SYSTEM, Principal
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, create_document, declare_record
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.storage import BlobStore

#: The letters that release information, and so go with a bundle.
RELEASING = ("granted", "part")


@dataclass(frozen=True)
class Sent:
    letter: Document
    bundle: Document | None
    response: RequestResponse


def _file(
    session: Session,
    blobs: BlobStore,
    config: RedactionConfig,
    content: bytes,
    *,
    filename: str,
    title: str,
    doc_type: str,
    creator: str,
    extra: dict[str, Any],
) -> Document:
    stored = blobs.put_bytes(content)
    try:
        document = create_document(
            session,
            stored.sha256,
            stored.size,
            "application/pdf",
            NewDocument(
                filename=filename,
                title=title,
                into_code=config.response_class,
                creator=creator,
                doc_type=doc_type,
            ),
            actor=SYSTEM,
            extra=extra,
        )
    except NotFoundError:
        raise InvalidInputError(
            f"the responses' class {config.response_class!r} is not in the file plan "
            "(set response_class in config/redaction.toml)"
        ) from None
    declare_record(session, document.id, actor=SYSTEM)
    return document


def _cited(
    session: Session, actor: Principal, config: RedactionConfig, request_id: int, extra: list[str]
) -> list[Exemption]:
    codes = {r.exemption for r in redactions_for(session, actor, request_id, status="approved")}
    codes.update(config.exemption(code).code for code in extra)
    return sorted((config.exemption(c) for c in codes), key=lambda e: e.code)


def _refuse_unless_complete(
    kind: str, letter: str, cited: list[Exemption], public_interest: str, publish: bool
) -> None:
    if letter in ("part", "refused") and not cited:
        raise InvalidInputError("a refusal cites at least one exemption")
    qualified = any(e.qualified for e in cited)
    if letter in ("part", "refused") and qualified and not public_interest.strip():
        raise InvalidInputError("a qualified exemption is cited: set out the public interest test")
    if publish and (letter not in RELEASING or kind == "sar"):
        raise InvalidInputError("only a FOI or EIR bundle that releases information is published")


def _file_bundle(
    session: Session,
    blobs: BlobStore,
    config: RedactionConfig,
    actor: Principal,
    request: InformationRequest,
) -> tuple[Document, int]:
    """The bundle filed as a record, and how many records it holds."""
    data, report = bundle_for(session, blobs, config, actor=actor, request_id=request.id)
    document = _file(
        session,
        blobs,
        config,
        data,
        filename=f"{request.reference}-bundle.pdf",
        title=f"{request.reference}: disclosure bundle",
        doc_type="Disclosure bundle",
        creator=actor.username,
        extra={"info_request": request.id, "disclosure_bundle": True},
    )
    return document, report.records


def _file_letter(
    session: Session,
    blobs: BlobStore,
    config: RedactionConfig,
    actor: Principal,
    request: InformationRequest,
    letter: str,
    cited: list[Exemption],
    public_interest: str,
    records: int,
) -> Document:
    facts = LetterFacts(
        letter=letter,
        kind=request.kind,
        reference=request.reference,
        received=request.received_on,
        sent=clock.now().date(),
        summary=request.summary,
        addressee=request.requester_name,
        exemptions=cited,
        public_interest=public_interest,
        records=records,
    )
    return _file(
        session,
        blobs,
        config,
        letter_pdf(letter_text(facts), f"{request.reference} response"),
        filename=f"{request.reference}-response.pdf",
        title=f"{request.reference}: response ({letter})",
        doc_type="Response letter",
        creator=actor.username,
        extra={"info_request": request.id, "response_letter": letter},
    )


def respond(
    session: Session,
    blobs: BlobStore,
    config: RedactionConfig,
    *,
    actor: Principal,
    request_id: int | str,
    letter: str,
    exemptions: list[str] | None = None,
    public_interest: str = "",
    publish: bool = False,
) -> Sent:
    """Send the response (see the module docstring)."""
    request = request_for(session, actor, request_id)
    letter = (letter or "").strip().lower()
    if letter not in LETTERS:
        raise InvalidInputError(f"unknown letter {letter!r} (use one of: {', '.join(LETTERS)})")
    if session.get(RequestResponse, request.id) is not None:
        raise RefusedError(f"request {request.reference} has already been answered")
    cited = _cited(session, actor, config, request.id, exemptions or [])
    _refuse_unless_complete(request.kind, letter, cited, public_interest, publish)
    bundle_doc, records = None, 0
    if letter in RELEASING:
        bundle_doc, records = _file_bundle(session, blobs, config, actor, request)
    sent = clock.now()
    letter_doc = _file_letter(
        session, blobs, config, actor, request, letter, cited, public_interest, records
    )
    if bundle_doc is not None:
        letter_doc.relations = [{"type": "has_part", "document_id": bundle_doc.id}]
        bundle_doc.relations = [{"type": "part_of", "document_id": letter_doc.id}]
    response = RequestResponse(
        request_id=request.id,
        letter=letter,
        letter_document_id=letter_doc.id,
        bundle_document_id=bundle_doc.id if bundle_doc else None,
        exemptions=[e.code for e in cited],
        public_interest=public_interest.strip(),
        published=publish,
        details={},
        sent_at=sent,
        sent_by=actor.username,
    )
    session.add(response)
    if request.status != "responded":
        set_status(session, actor, request.id, "responded", note=f"response sent ({letter})")
    session.flush()
    audit.record(
        session,
        actor.username,
        "request.respond",
        "info_request",
        request.id,
        {
            "letter": letter_doc.id,
            "bundle": bundle_doc.id if bundle_doc else None,
            "kind": letter,
            "exemptions": response.exemptions,
            "published": publish,
        },
    )
    return Sent(letter_doc, bundle_doc, response)


def set_published(
    session: Session, actor: Principal, request_id: int | str, published: bool
) -> RequestResponse:
    """Publish (or withdraw) the response's bundle in the disclosure log (audited)."""
    request = request_for(session, actor, request_id)
    response = session.get(RequestResponse, request.id)
    if response is None:
        raise RefusedError(f"request {request.reference} has not been answered yet")
    if published and (response.bundle_document_id is None or request.kind == "sar"):
        raise InvalidInputError("only a FOI or EIR bundle that releases information is published")
    if response.published != published:
        response.published = published
        audit.record(
            session,
            actor.username,
            "request.publish" if published else "request.unpublish",
            "info_request",
            request.id,
            {"bundle": response.bundle_document_id},
        )
    return response
