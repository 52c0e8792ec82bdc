"""PDF: the text layer of each page through pypdfium2; a page with too little text (a scan) is
rendered to a PNG for OCR instead. A born-digital PDF produces no page images at all.

Damaged files: PDFium rebuilds many broken cross-reference tables by itself. When it cannot open
a file, pypdf (non-strict) tries to read it and write a clean copy for PDFium; when neither can,
the file is rejected as corrupt.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from edrm.ingest.formats.images import page_png, preview_png, save_for_ocr
from edrm.ingest.types import ExtractedPage, Extraction, IngestConfig, RejectedInputError

log = logging.getLogger(__name__)

_PDF_DATE = re.compile(
    r"^D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?\s*(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)
_PROPERTIES = {
    "Title": "title",
    "Author": "author",
    "Subject": "subject",
    "Keywords": "keywords",
    "Creator": "creator",
    "Producer": "producer",
}
PREVIEW_WIDTH = 600


def visible_chars(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


def pdf_date(value: str) -> str | None:
    """A PDF date ("D:20250303093000+01'00'") as ISO 8601, or None if it is not one."""
    found = _PDF_DATE.match(value.strip())
    if not found:
        return None
    year, month, day, hour, minute, second, zulu, sign, tz_hours, tz_minutes = found.groups()
    try:
        moment = datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
        if zulu:
            moment = moment.replace(tzinfo=UTC)
        elif sign:
            offset = timedelta(hours=int(tz_hours), minutes=int(tz_minutes or 0))
            moment = moment.replace(tzinfo=timezone(offset if sign == "+" else -offset))
    except ValueError:
        return None
    return moment.isoformat()


def _properties(document: pdfium.PdfDocument) -> dict[str, str]:
    properties: dict[str, str] = {}
    for key, value in document.get_metadata_dict(skip_empty=True).items():
        value = " ".join(value.replace("\x00", "").split())
        if key in _PROPERTIES and value:
            properties[_PROPERTIES[key]] = value
        elif key in ("CreationDate", "ModDate"):
            moment = pdf_date(value)
            if moment:
                properties["created" if key == "CreationDate" else "modified"] = moment
    return properties


def _repair_with_pypdf(path: Path, workdir: Path) -> Path | None:
    """A clean copy of a PDF PDFium could not open, written by pypdf, or None."""
    # pypdf takes ~0.3 s to import: loaded only for the rare PDF that PDFium cannot open
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise RejectedInputError("encrypted", "the PDF is password-protected")
        if len(reader.pages) == 0:
            return None
        target = workdir / "repaired.pdf"
        PdfWriter(clone_from=reader).write(target)
    except RejectedInputError:
        raise
    except Exception as exc:  # pypdf could not make sense of it either
        log.info("pypdf could not repair the PDF: %s", exc)
        return None
    return target


def _has_eof_marker(path: Path) -> bool:
    with path.open("rb") as stream:
        stream.seek(max(0, path.stat().st_size - 4096))
        return b"%%EOF" in stream.read()


def open_pdf(path: Path, workdir: Path, warnings: list[str]) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise RejectedInputError("encrypted", "the PDF is password-protected") from None
        first_error = str(exc)
    repaired = _repair_with_pypdf(path, workdir)
    if repaired is not None:
        try:
            document = pdfium.PdfDocument(repaired)
        except pdfium.PdfiumError:
            pass
        else:
            warnings.append("the PDF was damaged; it was repaired before reading")
            return document
    if not _has_eof_marker(path):
        raise RejectedInputError(
            "corrupt", "the PDF could not be read: it is truncated (it has no end-of-file marker)"
        )
    reason = first_error.removeprefix("Failed to load document ").strip("(). ")
    raise RejectedInputError(
        "corrupt", f"the PDF could not be read: it is damaged beyond repair ({reason})"
    )


def _render_scale(page: pdfium.PdfPage, dpi: int, max_pixels: int) -> float:
    width, height = page.get_size()
    width, height = max(width, 1.0), max(height, 1.0)
    scale = dpi / 72
    if width * height * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width * height))
        # PDFium rounds the bitmap's sides up
        while scale > 0.01 and math.ceil(width * scale) * math.ceil(height * scale) > max_pixels:
            scale *= 0.99
    return scale


def _render_for_ocr(
    page: pdfium.PdfPage, number: int, config: IngestConfig, workdir: Path, warnings: list[str]
) -> Path:
    dpi = config.ocr.dpi
    scale = _render_scale(page, dpi, config.limits.max_image_pixels)
    if scale < dpi / 72 * 0.99:
        warnings.append(
            f"page {number} was rendered at {scale * 72:.0f} dpi to stay within the pixel limit"
        )
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        image = bitmap.to_pil()
        return save_for_ocr(image, page_png(workdir, number))
    finally:
        bitmap.close()


def _preview(page: pdfium.PdfPage, config: IngestConfig) -> bytes:
    width, _height = page.get_size()
    scale = min(PREVIEW_WIDTH / max(width, 1.0), 2.0)
    scale = min(scale, _render_scale(page, 72 * scale, config.limits.max_image_pixels))
    bitmap = page.render(scale=scale)
    try:
        return preview_png(bitmap.to_pil())
    finally:
        bitmap.close()


def extract_pdf(path: Path, config: IngestConfig, workdir: Path) -> Extraction:
    warnings: list[str] = []
    document = open_pdf(path, workdir, warnings)
    try:
        count = len(document)
        if count == 0:
            raise RejectedInputError("corrupt", "the PDF could not be read: it has no pages")
        if count > config.limits.max_pages:
            raise RejectedInputError(
                "too_many_pages",
                f"the PDF has {count:,} pages; the limit is {config.limits.max_pages:,}",
            )
        properties = _properties(document)
        pages: list[ExtractedPage] = []
        ocr_images: dict[int, Path] = {}
        preview: bytes | None = None
        unreadable = 0
        for index in range(count):
            number = index + 1
            try:
                page = document[index]
            except pdfium.PdfiumError:
                warnings.append(f"page {number} could not be read")
                unreadable += 1
                continue
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_bounded()
                finally:
                    textpage.close()
                if visible_chars(text) >= config.ocr.min_text_layer_chars:
                    pages.append(ExtractedPage(number, text, "text"))
                else:
                    ocr_images[number] = _render_for_ocr(page, number, config, workdir, warnings)
                if preview is None:
                    preview = _preview(page, config)
            finally:
                page.close()
        if unreadable == count:
            raise RejectedInputError(
                "corrupt", "the PDF could not be read: none of its pages can be loaded"
            )
    finally:
        document.close()
    return Extraction(
        pages=pages,
        ocr_images=ocr_images,
        properties=properties,
        attachments=[],
        page_count=count,
        preview_png=preview,
        warnings=warnings,
    )
