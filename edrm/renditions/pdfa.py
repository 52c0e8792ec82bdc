"""PDF/A-2b with fpdf2: a searchable rendition of page images (an invisible text layer from the
words OCR already read, nothing recognised twice), the settings every PDF/A here needs (an sRGB
OutputIntent from Pillow's built-in profile, XMP naming pdfaid part 2 conformance B, embedded
fonts only) and a check of those with pikepdf (`pdfa_facts`).

The bytes depend only on the inputs (the dates are given, never "now"), so a job done again
after a crash makes the very same blob.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

from edrm.ingest.types import OcrWord

COMPLIANCE = "PDF/A-2B"
TEXT_FONTS = (  # embedded for the invisible text: any TrueType font with a Unicode cmap
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)


class NoFontError(RuntimeError):
    """No TrueType font to embed is installed: PDF/A forbids the unembedded core fonts."""


@dataclass(frozen=True)
class RenditionPage:
    """One page image and the words read on it (pixels of the image turned by `rotation`)."""

    image: Path
    rotation: int = 0
    size: tuple[int, int] = (0, 0)  # (0, 0): the image's own
    dpi: int = 300
    words: tuple[OcrWord, ...] = ()


@dataclass(frozen=True)
class PdfaFacts:
    part: str | None
    conformance: str | None
    output_intent: bool
    fonts: tuple[tuple[str, bool], ...]  # (name, embedded?) for every font of every page

    @property
    def fonts_embedded(self) -> bool:
        return all(embedded for _, embedded in self.fonts)


def text_font() -> Path:
    for path in TEXT_FONTS:
        if path.is_file():
            return path
    raise NoFontError("no TrueType font (DejaVu Sans or Liberation Sans) is installed")


@cache
def srgb_profile() -> bytes:
    """Little CMS's sRGB profile, its header's creation date (bytes 24-35) made a fixed one:
    otherwise every process would make different bytes, and so a different rendition."""
    import struct

    from PIL import ImageCms

    made = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    made[24:36] = struct.pack(">6H", 2000, 1, 1, 0, 0, 0)
    return bytes(made)


def new_pdfa(cls: Any = None, **options: Any) -> Any:
    """An FPDF (or subclass `cls`) in PDF/A-2b mode with the sRGB OutputIntent."""
    from fpdf import FPDF
    from fpdf.enums import OutputIntentSubType
    from fpdf.output import PDFICCProfile

    pdf = (cls or FPDF)(enforce_compliance=COMPLIANCE, **options)
    pdf.add_output_intent(
        OutputIntentSubType.PDFA,
        output_condition_identifier="sRGB IEC61966-2.1",
        output_condition="sRGB",
        registry_name="http://www.color.org",
        dest_output_profile=PDFICCProfile(srgb_profile(), 3, "DeviceRGB"),
        info="sRGB IEC61966-2.1",
    )
    return pdf


def identify(pdf: Any, title: str, created: datetime) -> None:
    """The document's title and dates, and XMP naming it PDF/A-2b (made here, with `created`
    as every date, so that the same inputs give the same bytes)."""
    when = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(UTC)
    pdf.creation_date = when
    pdf.set_title(title)
    pdf.set_creator("edrm")
    pdf.set_producer("edrm (fpdf2)")
    stamp = when.isoformat(timespec="seconds")
    pdf.set_xmp_metadata(
        "\n".join(
            [
                '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
                ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
                '  <rdf:Description rdf:about=""',
                '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
                '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
                '    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"',
                '    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"',
                f'    xmp:CreatorTool="edrm" xmp:CreateDate="{stamp}"',
                f'    xmp:ModifyDate="{stamp}" xmp:MetadataDate="{stamp}"',
                '    pdf:Producer="edrm (fpdf2)">',
                "   <pdfaid:part>2</pdfaid:part>",
                "   <pdfaid:conformance>B</pdfaid:conformance>",
                "   <dc:title><rdf:Alt>",
                f'    <rdf:li xml:lang="x-default">{escape(title)}</rdf:li>',
                "   </rdf:Alt></dc:title>",
                "  </rdf:Description>",
                " </rdf:RDF>",
                "</x:xmpmeta>",
            ]
        )
    )


def searchable_pdfa(pages: list[RenditionPage], title: str, created: datetime) -> bytes:
    """A PDF/A-2b with one page per image, each page the image at its size (pixels / dpi) and
    over it, invisible, each OCR word in its box: searchable and selectable text."""
    from fpdf.enums import TextMode

    pdf = new_pdfa(unit="pt")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("OcrText", "", str(text_font()))
    identify(pdf, title, created)
    for page in pages:
        image, (width_px, height_px) = _page_image(pdf, page)
        scale = 72.0 / (page.dpi or 300)
        width, height = width_px * scale, height_px * scale
        pdf.add_page(format=(width, height))
        pdf.image(image, 0, 0, width, height)
        pdf.text_mode = TextMode.INVISIBLE
        words = page.words
        for index, word in enumerate(words):
            following = words[index + 1] if index + 1 < len(words) else None
            # a space after each word but a line's last (the next word starts to its left)
            spaced = following is not None and following.left > word.left
            _word(pdf, word, scale, spaced)
        pdf.text_mode = TextMode.FILL
        pdf.set_stretching(100)
    return bytes(pdf.output())


def _page_image(pdf: Any, page: RenditionPage) -> tuple[Any, tuple[int, int]]:
    """The image as fpdf2 takes it (the file itself when not turned: a plain PNG's compressed
    rows go into the PDF as they are) and its size in pixels."""
    from PIL import Image

    if not page.rotation and page.size != (0, 0):
        _png_as_is(pdf, page.image)
        return str(page.image), page.size
    with Image.open(page.image) as source:
        source.load()
        image = source.copy()
    if page.rotation:
        turn = {
            90: Image.Transpose.ROTATE_270,
            180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_90,
        }
        image = image.transpose(turn[page.rotation])
    return image, image.size


def _png_as_is(pdf: Any, path: Path) -> None:
    """Put a non-interlaced 8-bit grey or RGB PNG's image data (zlib-compressed rows with PNG
    filters, what PDF's FlateDecode with /Predictor 15 reads) in fpdf2's image cache, so that
    fpdf2 neither decodes nor compresses it again: the page images the pipeline wrote for OCR
    are such PNGs, and recompressing a 300 dpi scan costs about as long as a quarter of its OCR.
    Anything else is left to fpdf2."""
    from fpdf.image_datastructures import RasterImageInfo

    cache = pdf.image_cache.images
    if str(path) in cache:
        return
    with path.open("rb") as source:
        data = source.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return
    position, parts = 8, []
    width = height = channels = 0
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            channels = {0: 1, 2: 3}.get(colour, 0) if depth == 8 and not interlace else 0
            if not channels:
                return
        elif kind in (b"tRNS", b"iCCP"):
            return  # transparency or a profile of its own: fpdf2 knows what to do
        elif kind == b"IDAT":
            parts.append(body)
        elif kind == b"IEND":
            break
    if not (width and height and parts):
        return
    info = RasterImageInfo()
    info.update(
        {
            "data": b"".join(parts),
            "w": width,
            "h": height,
            "cs": "DeviceGray" if channels == 1 else "DeviceRGB",
            "iccp": None,
            "bpc": 8,
            "dpn": channels,
            "f": "FlateDecode",
            "inverted": False,
            "dp": f"/Predictor 15 /Colors {channels} /Columns {width}",
            "i": len(cache) + 1,
            "usages": 0,  # fpdf2 counts the use that image() makes
            "iccp_i": None,
        }
    )
    cache[str(path)] = info


def _word(pdf: Any, word: OcrWord, scale: float, spaced: bool) -> None:
    """One word, its height the box's, stretched to the box's width, on the box's bottom (and
    a space after it when `spaced`, in the gap to the next word: text tools then see one)."""
    text = word.text.strip()
    if not text or word.width <= 0 or word.height <= 0:
        return
    size = max(1.0, word.height * scale)
    pdf.set_font("OcrText", size=size)
    pdf.set_stretching(100)
    natural = pdf.get_string_width(text)
    if natural > 0:
        pdf.set_stretching(max(1.0, min(1000.0, 100.0 * word.width * scale / natural)))
    pdf.text(word.left * scale, (word.top + word.height) * scale, text + " " if spaced else text)


def pdfa_facts(data: bytes) -> PdfaFacts:
    """What the XMP says (pdfaid part and conformance), whether there is an OutputIntent, and
    whether every font of every page (descendant fonts included) has its font file embedded."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        meta = pdf.open_metadata()
        part, conformance = meta.get("pdfaid:part"), meta.get("pdfaid:conformance")
        intent = "/OutputIntents" in pdf.Root and len(pdf.Root.OutputIntents) > 0
        fonts: dict[str, bool] = {}
        for page in pdf.pages:
            resources: Any = page.obj.get("/Resources", {})
            for font in dict(resources.get("/Font", {})).values():
                for each in [font, *list(font.get("/DescendantFonts", []))]:
                    descriptor = each.get("/FontDescriptor")
                    if descriptor is None:
                        if "/DescendantFonts" in each:
                            continue  # a Type0 font: its descendant holds the file
                        fonts[str(each.get("/BaseFont"))] = False
                        continue
                    embedded = any(
                        k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
                    )
                    fonts[str(each.get("/BaseFont"))] = embedded
    return PdfaFacts(
        str(part) if part is not None else None,
        str(conformance) if conformance is not None else None,
        intent,
        tuple(sorted(fonts.items())),
    )
