"""The pages of a record as redaction sees them: each page's size, its image at a resolution, and
(for a PDF with a text layer) where a term's characters lie on it.

    with open_pages(content, mime, text) as pages:
        for page in pages:
            image = page.render(dpi=200)
            boxes = page.text_layer_boxes("Smith")

Coordinates everywhere in redaction are FRACTIONS of the displayed page (0-1), origin at the
top-left corner, y downwards: a box `Box(page=1, x=0.1, y=0.2, w=0.3, h=0.05)` covers the same
part of the page at any resolution, in the UI's page image as in the bundle's 200 dpi render.
(`Box.from_points` turns PDF points — 1/72 inch, origin top-left — into fractions.)

What is read:
- a PDF through pypdfium2 (its own pages; the text layer through its text page);
- an image (PNG, JPEG, TIFF with every frame, GIF, BMP, WebP) through Pillow, at its own dpi;
- anything else through its extracted text, typeset on A4 pages by fpdf2 and then read as a PDF
  (the bundle shows what edrm extracted, never the original file's bytes).
Reading writes nothing.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    from PIL import Image

# Long side limit of a rendered page, in pixels: a poster-sized page is rendered at less than
# the asked resolution rather than allocating gigabytes.
MAX_PAGE_PIXELS: Final = 40_000_000
IMAGE_TYPES: Final = (
    "image/png",
    "image/jpeg",
    "image/tiff",
    "image/gif",
    "image/bmp",
    "image/webp",
)
DEFAULT_IMAGE_DPI: Final = 300


@dataclass(frozen=True)
class Box:
    """A rectangle on page `page` (1-based), in fractions of the page, origin top-left."""

    page: int
    x: float
    y: float
    w: float
    h: float

    @classmethod
    def from_points(
        cls, page: int, x: float, y: float, w: float, h: float, size: tuple[float, float]
    ) -> Box:
        width, height = size
        return cls(page, x / width, y / height, w / width, h / height).clipped()

    def clipped(self) -> Box:
        x0, y0 = max(0.0, self.x), max(0.0, self.y)
        x1, y1 = min(1.0, self.x + self.w), min(1.0, self.y + self.h)
        return Box(self.page, x0, y0, max(0.0, x1 - x0), max(0.0, y1 - y0))

    def pixels(self, size: tuple[int, int], pad: int = 0) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) in an image of `size`, rounded outwards, grown by `pad`."""
        width, height = size
        left = max(0, math.floor(self.x * width) - pad)
        top = max(0, math.floor(self.y * height) - pad)
        right = min(width, math.ceil((self.x + self.w) * width) + pad)
        bottom = min(height, math.ceil((self.y + self.h) * height) + pad)
        return left, top, right, bottom

    def intersects(self, other: Box) -> bool:
        return (
            self.page == other.page
            and self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def as_dict(self) -> dict[str, float | int]:
        return {"page": self.page, "x": self.x, "y": self.y, "w": self.w, "h": self.h}


class Page(Protocol):
    number: int

    def size(self) -> tuple[float, float]:
        """Width and height in points (1/72 inch), as displayed."""
        ...

    def render(self, dpi: int) -> Image.Image:
        """The page as an RGB image at (at most) `dpi`."""
        ...

    def text_layer_boxes(self, term: str) -> list[Box]:
        """Every occurrence of `term` (any case) in the page's text layer; [] without one."""
        ...


class UnreadableContentError(ValueError):
    """The record's content cannot be shown as pages (damaged, encrypted, empty)."""


def _scale(size: tuple[float, float], dpi: int) -> float:
    width, height = max(size[0], 1.0), max(size[1], 1.0)
    scale = dpi / 72
    if width * height * scale * scale > MAX_PAGE_PIXELS:
        scale = math.sqrt(MAX_PAGE_PIXELS / (width * height)) * 0.99
    return scale


@dataclass
class PdfPage:
    number: int
    page: object  # pypdfium2.PdfPage

    def size(self) -> tuple[float, float]:
        width, height = self.page.get_size()  # type: ignore[attr-defined]
        return float(width), float(height)

    def render(self, dpi: int) -> Image.Image:
        # Forms are drawn (what a reader sees); annotations' own text never reaches the bundle,
        # which holds only these pixels.
        bitmap = self.page.render(scale=_scale(self.size(), dpi), may_draw_forms=True)  # type: ignore[attr-defined]
        try:
            return bitmap.to_pil().convert("RGB")
        finally:
            bitmap.close()

    def text_layer_boxes(self, term: str) -> list[Box]:
        if not term.strip() or self.page.get_rotation() != 0:  # type: ignore[attr-defined]
            # A turned page's text layer is in unturned coordinates: OCR of the rendered page
            # (redaction_boxes) finds the term there instead.
            return []
        width, height = self.size()
        textpage = self.page.get_textpage()  # type: ignore[attr-defined]
        boxes: list[Box] = []
        try:
            searcher = textpage.search(term.strip(), match_case=False, match_whole_word=False)
            try:
                while (found := searcher.get_next()) is not None:
                    index, count = found
                    for i in range(textpage.count_rects(index, count)):
                        left, bottom, right, top = textpage.get_rect(i)
                        boxes.append(
                            Box(
                                self.number,
                                left / width,
                                (height - top) / height,
                                (right - left) / width,
                                (top - bottom) / height,
                            ).clipped()
                        )
            finally:
                searcher.close()
        finally:
            textpage.close()
        return boxes


@dataclass
class ImagePage:
    number: int
    image: Image.Image
    dpi: int

    def size(self) -> tuple[float, float]:
        return self.image.width * 72 / self.dpi, self.image.height * 72 / self.dpi

    def render(self, dpi: int) -> Image.Image:
        from PIL import Image

        factor = min(1.0, dpi / self.dpi)
        image = self.image.convert("RGB")
        if factor < 1.0:
            image = image.resize(
                (max(1, round(image.width * factor)), max(1, round(image.height * factor))),
                Image.Resampling.LANCZOS,
            )
        return image

    def text_layer_boxes(self, term: str) -> list[Box]:
        return []


def _image_dpi(image: Image.Image) -> int:
    try:
        dpi = round(float(image.info["dpi"][0]))
    except (KeyError, TypeError, ValueError, IndexError):
        return DEFAULT_IMAGE_DPI
    return dpi if 70 <= dpi <= 2400 else DEFAULT_IMAGE_DPI


def _image_pages(content: bytes) -> list[Page]:
    from PIL import Image, ImageOps, ImageSequence

    try:
        source = Image.open(io.BytesIO(content))
        frames = [ImageOps.exif_transpose(frame.copy()) for frame in ImageSequence.Iterator(source)]
    except Exception as exc:  # Pillow raises many kinds of error on broken files
        raise UnreadableContentError(f"the image cannot be read ({type(exc).__name__})") from None
    dpi = _image_dpi(source)
    return [ImagePage(n, frame, dpi) for n, frame in enumerate(frames, start=1)]


def typeset_text(text: str) -> bytes:
    """Plain text on A4 pages (Helvetica 10 pt): the pages of a record that has no page images
    of its own (a Word file, an e-mail, a spreadsheet), as edrm extracted it."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(True, margin=56)
    pdf.set_margins(56, 56, 56)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    safe = text.encode("latin-1", "replace").decode("latin-1") or " "
    pdf.multi_cell(0, 13, safe, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@contextmanager
def open_pages(content: bytes, mime: str, text: str = "") -> Iterator[Sequence[Page]]:
    """The pages of `content` (see the module docstring for what is read, and how)."""
    if mime in IMAGE_TYPES:
        yield _image_pages(content)
        return
    import pypdfium2 as pdfium

    pdf_bytes = content if mime == "application/pdf" else typeset_text(text)
    try:
        document = pdfium.PdfDocument(pdf_bytes)
    except pdfium.PdfiumError as exc:
        raise UnreadableContentError(f"the PDF cannot be read ({exc})") from None
    try:
        if len(document) == 0:
            raise UnreadableContentError("the PDF has no pages")
        yield [PdfPage(i + 1, document[i]) for i in range(len(document))]
    finally:
        document.close()
