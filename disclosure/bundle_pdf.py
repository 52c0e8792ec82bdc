"""The disclosure bundle as a file: a NEW PDF made of page images with the approved redactions
burned in, and a fresh invisible text layer read from the redacted images.

    pdf = build_bundle(parts, title="FOI-2026-0001 disclosure bundle")

For every page of every part (one part per record):
1. the page is rendered (pypdfium2 or Pillow, see page_sources) at `dpi`;
2. its boxes are the approved area redactions on that page and every occurrence of every
   approved term (redaction_boxes: text layer and OCR words);
3. the pixels of each box (grown by PAD pixels, so no anti-aliased edge of a glyph survives)
   are REPLACED with solid black, and the exemption code is written on it in white;
4. Tesseract reads the redacted image; a term still read there (an occurrence neither search
   found) is boxed and burned too, and the page read again, up to RECHECKS times;
5. the page goes into the new PDF as that image only, with the words Tesseract read placed over
   it as invisible text (so the bundle is searchable), minus any word that touches a box or
   reads as a redacted term.
Nothing of the original file is copied: no text, font, metadata, annotation, attachment,
JavaScript or form; the document information says only the title given and "edrm".

Pure: bytes in, bytes out; the caller writes the file (see disclosure.bundle_export).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final

from disclosure.page_sources import Box, open_pages
from disclosure.redaction_boxes import Word, matching_words, normalised, ocr_words, term_boxes

if TYPE_CHECKING:
    from fpdf import FPDF
    from PIL import Image, ImageFont

DEFAULT_DPI: Final = 200
PAD: Final = 2
RECHECKS: Final = 2
_FONT_FILES: Final = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
)


@dataclass(frozen=True)
class AreaRedaction:
    box: Box
    code: str


@dataclass(frozen=True)
class TermRedaction:
    term: str
    code: str


@dataclass
class BundlePart:
    """One record in the bundle: its content and its approved redactions."""

    label: str
    content: bytes
    mime: str
    text: str = ""
    areas: list[AreaRedaction] = field(default_factory=list)
    terms: list[TermRedaction] = field(default_factory=list)


@dataclass
class BundleReport:
    records: int = 0
    pages: int = 0
    boxes: int = 0
    by_code: dict[str, int] = field(default_factory=dict)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    for path in _FONT_FILES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def burn(image: Image.Image, boxes: Sequence[AreaRedaction]) -> Image.Image:
    """A copy of `image` with each box's pixels replaced by black, labelled with its code."""
    from PIL import ImageDraw

    burned = image.convert("RGB").copy()
    draw = ImageDraw.Draw(burned)
    for redaction in boxes:
        left, top, right, bottom = redaction.box.pixels(burned.size, pad=PAD)
        if right <= left or bottom <= top:
            continue
        draw.rectangle((left, top, right - 1, bottom - 1), fill=(0, 0, 0))
    for redaction in boxes:  # labels after every box, so an overlapping box cannot hide one
        left, top, right, bottom = redaction.box.pixels(burned.size, pad=PAD)
        _label(draw, redaction.code, (left, top, right, bottom))
    return burned


def _label(draw: object, code: str, area: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = area
    width, height = right - left, bottom - top
    size = max(6, min(int(height * 0.7), 48))
    font = _font(size)
    while size > 6 and draw.textlength(code, font=font) > width - 2:  # type: ignore[attr-defined]
        size -= 1
        font = _font(size)
    draw.text(  # type: ignore[attr-defined]
        (left + width / 2, top + height / 2), code, fill=(255, 255, 255), font=font, anchor="mm"
    )


def _readable_words(words: list[Word], boxes: list[Box], terms: Sequence[str]) -> list[Word]:
    banned = {normalised(t) for term in terms for t in term.split()} - {""}
    kept = []
    for word in words:
        text = normalised(word.text)
        if any(word.box.intersects(box) for box in boxes):
            continue
        if any(b in text for b in banned):
            continue
        kept.append(word)
    return kept


def _redacted_page(
    image: Image.Image, areas: list[AreaRedaction], terms: Sequence[TermRedaction], page: int
) -> tuple[Image.Image, list[Word], list[AreaRedaction]]:
    """Step 3-4 of the module docstring: the burned image, its readable words, and its boxes."""
    boxes = list(areas)
    burned = burn(image, boxes)
    words = ocr_words(burned, page)
    for _ in range(RECHECKS):
        missed = [
            AreaRedaction(box, t.code) for t in terms for box in matching_words(words, t.term)
        ]
        if not missed:
            break
        boxes.extend(missed)
        burned = burn(image, boxes)
        words = ocr_words(burned, page)
    kept = _readable_words(words, [b.box for b in boxes], [t.term for t in terms])
    return burned, kept, boxes


def _compact(image: Image.Image) -> Image.Image:
    """Greyscale when the page has no colour (a third of the size in the file)."""
    from PIL import ImageChops

    grey = image.convert("L")
    if ImageChops.difference(grey.convert("RGB"), image).getbbox() is None:
        return grey
    return image


def _place_page(
    pdf: FPDF, image: Image.Image, size: tuple[float, float], words: list[Word]
) -> None:
    from fpdf.enums import TextMode

    width, height = size
    pdf.add_page(format=(width, height))
    pdf.image(_compact(image), x=0, y=0, w=width, h=height)
    pdf.text_mode = TextMode.INVISIBLE
    for word in words:
        text = word.text.encode("latin-1", "replace").decode("latin-1")
        box_w, box_h = word.box.w * width, word.box.h * height
        if box_h <= 0 or box_w <= 0:
            continue
        pdf.set_font("helvetica", size=max(1.0, box_h))
        natural = pdf.get_string_width(text)
        pdf.set_stretching(100.0 * box_w / natural if natural > 0 else 100.0)
        pdf.text(word.box.x * width, (word.box.y + word.box.h) * height - box_h * 0.2, text)
    pdf.set_stretching(100.0)
    pdf.text_mode = TextMode.FILL


def _cover(pdf: FPDF, title: str, lines: Sequence[str]) -> None:
    pdf.add_page(format="A4")
    pdf.set_font("helvetica", style="B", size=16)
    pdf.multi_cell(
        0, 24, title.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("helvetica", size=11)
    for line in lines:
        pdf.multi_cell(
            0,
            16,
            line.encode("latin-1", "replace").decode("latin-1"),
            new_x="LMARGIN",
            new_y="NEXT",
        )


def build_bundle(
    parts: Sequence[BundlePart],
    *,
    title: str,
    cover: Sequence[str] = (),
    dpi: int = DEFAULT_DPI,
    now: dt.datetime | None = None,
) -> tuple[bytes, BundleReport]:
    """The bundle's bytes and what went into it (see the module docstring)."""
    from fpdf import FPDF

    pdf = FPDF(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(56, 56, 56)
    pdf.set_title(title)
    pdf.set_producer("edrm")
    pdf.set_creator("edrm")
    pdf.set_creation_date(now or dt.datetime.now(dt.UTC))
    if cover:
        _cover(pdf, title, cover)
    report = BundleReport()
    for part in parts:
        report.records += 1
        with open_pages(part.content, part.mime, part.text) as pages:
            for page in pages:
                image = page.render(dpi)
                areas = [a for a in part.areas if a.box.page == page.number]
                for term in part.terms:
                    areas.extend(
                        AreaRedaction(box, term.code) for box in term_boxes(page, term.term, image)
                    )
                burned, words, boxes = _redacted_page(image, areas, part.terms, page.number)
                _place_page(pdf, burned, page.size(), words)
                report.pages += 1
                report.boxes += len(boxes)
                for box in boxes:
                    report.by_code[box.code] = report.by_code.get(box.code, 0) + 1
    return bytes(pdf.output()), report
