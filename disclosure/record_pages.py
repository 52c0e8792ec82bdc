"""A request's record as pages: its content read for redaction (through the document service,
so every read is access-checked and audited), its page count, and a page image for the
redaction page. A scan is read from its searchable PDF/A rendition when it has one (the same page
images, with the words OCR already found as its text layer), so a bundle is built from what the
record page shows as the scan's PDF/A.

Reading writes nothing but the audit entry of the read (`document.download`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from disclosure.page_sources import open_pages
from edrm.access import Principal
from edrm.documents.models import DocumentText
from edrm.documents.service import open_content
from edrm.renditions.models import PDFA, Rendition
from edrm.storage import BlobStore

#: The page image the redaction page draws on is this wide (pixels); boxes are fractions, so
#: any width would do.
PAGE_IMAGE_WIDTH = 900


@dataclass(frozen=True)
class RecordContent:
    document_id: int
    identifier: str
    title: str
    content: bytes
    mime: str
    text: str


def record_content(
    session: Session, blobs: BlobStore, actor: Principal, document_id: int
) -> RecordContent:
    """The current version's bytes and extracted text (NotFoundError if the person may not
    see the record; GoneError if it has been destroyed)."""
    document, version = open_content(session, blobs, document_id, actor=actor)
    text = session.get(DocumentText, document.id)
    sha, mime = version.sha256, version.mime
    rendition = session.scalar(
        select(Rendition).where(Rendition.version_id == version.id, Rendition.kind == PDFA)
    )
    if rendition is not None and blobs.exists(rendition.sha256):
        sha, mime = rendition.sha256, "application/pdf"
    return RecordContent(
        document.id,
        document.identifier,
        document.title,
        blobs.read_bytes(sha),
        mime,
        text.text if text is not None else "",
    )


def page_sizes(record: RecordContent) -> list[tuple[float, float]]:
    """Each page's width and height in points."""
    with open_pages(record.content, record.mime, record.text) as pages:
        return [page.size() for page in pages]


def page_png(record: RecordContent, number: int, width: int = PAGE_IMAGE_WIDTH) -> bytes:
    """Page `number` (1-based) as a PNG `width` pixels wide; IndexError past the last page."""
    with open_pages(record.content, record.mime, record.text) as pages:
        if not 1 <= number <= len(pages):
            raise IndexError(number)
        page = pages[number - 1]
        points_wide = page.size()[0]
        image = page.render(dpi=max(30, round(width * 72 / max(points_wide, 1.0))))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
