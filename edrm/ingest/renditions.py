"""The rendition step: while the file's page images are still in the work folder, a scan's
searchable PDF/A-2b (its page images with the words OCR read on them as an invisible text
layer: nothing is recognised twice), or an office file's PDF when LibreOffice is installed.

Writes only blobs (content-addressed; the same inputs give the same bytes), so a crash leaves
nothing to undo: the file step records the rendition in the transaction that files the
document. A rendition that cannot be made never stops the document being filed: the reason is
its rendition note (and a log line).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from edrm.ingest.extract import EXCEL, IMAGE, OD_SHEET, OD_TEXT, PDF, RTF, WORD, family_for
from edrm.ingest.types import (
    Extraction,
    MadeRendition,
    OcrResult,
    RejectedInputError,
    Sniffed,
)
from edrm.storage import BlobStore

log = logging.getLogger(__name__)

OFFICE = (WORD, EXCEL, OD_TEXT, OD_SHEET, RTF)


def is_scan(sniffed: Sniffed, extraction: Extraction) -> bool:
    """An image, or a PDF every page of which was read by OCR (no text layer of its own)."""
    try:
        family = family_for(sniffed)
    except RejectedInputError:
        return False
    if family is IMAGE:
        return bool(extraction.ocr_images)
    return family is PDF and bool(extraction.ocr_images) and not extraction.pages


def make_renditions(
    source: Path,
    name: str,
    sniffed: Sniffed,
    extraction: Extraction,
    results: dict[int, OcrResult],
    blobs: BlobStore,
    created: datetime,
    default_dpi: int,
) -> tuple[list[MadeRendition], str | None]:
    """The renditions of the file at `source` (its bytes in the blob store) and, when one it
    should have could not be made, why."""
    try:
        family = family_for(sniffed)
    except RejectedInputError:
        return [], None
    try:
        if is_scan(sniffed, extraction):
            data = _scan_pdfa(name, extraction, results, created, default_dpi)
            stored = blobs.put_bytes(data)
            return [MadeRendition("pdfa", stored.sha256, stored.size)], None
        if family in OFFICE:
            return _office(source, name, blobs)
    except Exception as exc:  # a rendition never stops the filing
        note = f"the rendition could not be made: {type(exc).__name__}: {exc}"[:300]
        log.warning("%s (%s)", note, name)
        return [], note
    return [], None


def _scan_pdfa(
    name: str,
    extraction: Extraction,
    results: dict[int, OcrResult],
    created: datetime,
    default_dpi: int,
) -> bytes:
    from edrm.renditions.pdfa import RenditionPage, searchable_pdfa

    pages = []
    for number in sorted(extraction.ocr_images):
        result = results.get(number)
        image = extraction.ocr_images[number]
        if result is None or result.size == (0, 0):  # a blank page: the image, no words
            pages.append(RenditionPage(image, dpi=default_dpi))
            continue
        pages.append(RenditionPage(image, result.rotation, result.size, result.dpi, result.words))
    title = extraction.properties.get("title") or name
    return searchable_pdfa(pages, title, created)


def _office(source: Path, name: str, blobs: BlobStore) -> tuple[list[MadeRendition], str | None]:
    from edrm.renditions.office import NO_CONVERTER, converter, office_pdf

    program = converter()
    if program is None:
        log.info("%s (%s)", NO_CONVERTER, name)
        return [], NO_CONVERTER
    stored = blobs.put_bytes(office_pdf(source, name, program))
    return [MadeRendition("pdf", stored.sha256, stored.size)], None
