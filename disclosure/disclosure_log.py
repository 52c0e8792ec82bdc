"""The disclosure log: the answered FOI and EIR requests (never subject access requests), with
the bundle where the officer chose to publish it. Nothing about the requester appears in it.

Anyone signed in may read the log, and download a published bundle through it (a published
bundle is public information: redacted, with a fresh text layer); everything else about the
requests stays with those who handle them. Reading writes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from disclosure.models import InformationRequest
from disclosure.redaction_models import RequestResponse
from edrm.documents.models import Document
from edrm.errors import NotFoundError
from edrm.storage import BlobStore

#: Request types the log lists.
LOGGED_KINDS = ("foi", "eir")
COLUMNS = (
    "reference",
    "type",
    "received",
    "answered",
    "summary",
    "outcome",
    "exemptions",
    "bundle",
)


@dataclass(frozen=True)
class LogEntry:
    request_id: int
    reference: str
    kind: str
    received: date
    answered: date
    summary: str
    outcome: str
    exemptions: list[str]
    published: bool

    def as_row(self, bundle_url: str = "") -> dict[str, str]:
        return {
            "reference": self.reference,
            "type": self.kind.upper(),
            "received": self.received.isoformat(),
            "answered": self.answered.isoformat(),
            "summary": self.summary,
            "outcome": self.outcome,
            "exemptions": " ".join(self.exemptions),
            "bundle": bundle_url if self.published else "",
        }


def log_entries(session: Session, *, limit: int = 500, offset: int = 0) -> list[LogEntry]:
    """The answered FOI and EIR requests, the latest answer first."""
    rows = session.execute(
        select(InformationRequest, RequestResponse)
        .join(RequestResponse, RequestResponse.request_id == InformationRequest.id)
        .where(InformationRequest.kind.in_(LOGGED_KINDS))
        .order_by(RequestResponse.sent_at.desc(), InformationRequest.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        LogEntry(
            request.id,
            request.reference,
            request.kind,
            request.received_on,
            response.sent_at.date(),
            request.summary,
            response.letter,
            list(response.exemptions),
            response.published and response.bundle_document_id is not None,
        )
        for request, response in rows
    ]


def log_csv(entries: list[LogEntry], bundle_url: str = "") -> str:
    """The log as CSV; `bundle_url` has `{reference}` where the reference goes."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for entry in entries:
        writer.writerow(entry.as_row(bundle_url.format(reference=entry.reference)))
    return out.getvalue()


def published_bundle(session: Session, blobs: BlobStore, reference: str) -> bytes:
    """The published bundle of a logged request; NotFoundError for anything unpublished."""
    found = session.execute(
        select(RequestResponse)
        .join(InformationRequest, RequestResponse.request_id == InformationRequest.id)
        .where(InformationRequest.reference == reference.strip().upper())
        .where(InformationRequest.kind.in_(LOGGED_KINDS))
        .where(RequestResponse.published.is_(True))
    ).scalar_one_or_none()
    if found is None or found.bundle_document_id is None:
        raise NotFoundError(f"no published bundle for {reference}")
    document = session.get(Document, found.bundle_document_id)
    if document is None or document.status == "destroyed":
        raise NotFoundError(f"no published bundle for {reference}")
    return blobs.read_bytes(document.latest.sha256)
