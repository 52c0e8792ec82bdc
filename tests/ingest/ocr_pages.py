"""Page images of the layouts that OCR preprocessing can spoil, rendered at test time.

Each page comes with the text printed on it (its ground truth). Used by tests/ingest/test_ocr.py
and bench/quality_ocr.py; nothing here is kept as a binary file.

    for page in rendered_pages():
        page.image.save(folder / f"{page.name}.png", dpi=(DPI, DPI))

Pages are A4 at 150 dpi (small enough for Tesseract to read in about a second): two and three
columns of prose, a ruled table, a table aligned by white space only, a letter turned a quarter
and a half turn, a letter scanned 1.5 degrees askew, a low-contrast photocopy; and pages with the
dark strip a scanner lid leaves, which look sideways to a projection profile.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

DPI = 150
A4 = (1240, 1754)  # pixels at 150 dpi
MARGIN = 110

PROSE = [
    "The council has agreed a new plan for the maintenance of roads and footways across the "
    "district. Work will begin in the spring with the resurfacing of the main routes into the "
    "town centre, followed by repairs to the smaller residential streets during the summer.",
    "Residents who live near the affected streets will receive a letter at least two weeks before "
    "the work starts. The letter will explain how long the work is expected to take, where "
    "vehicles may be parked and how to contact the highways team with any questions.",
    "The cost of the programme is met from the capital budget approved in February. Officers "
    "expect the total to remain within the allocation, although the price of materials has risen "
    "sharply over the last year and the position will be reviewed again in the autumn.",
    "Libraries will open for longer on Saturdays from the first of June. The change follows a "
    "public consultation in which most of those who replied asked for more weekend hours, and it "
    "will be paid for by closing two mornings a week when few people visit.",
    "The planning committee considered eleven applications at its meeting on Tuesday. Nine were "
    "approved with conditions, one was refused because of its effect on the conservation area, "
    "and one was deferred so that the applicant could provide a further survey of the trees.",
    "Schools in the north of the county will share a new transport contract from September. "
    "Parents should check the revised timetable, which changes the pick up times on several "
    "routes by up to ten minutes, and tell the school office if a place is no longer needed.",
    "The annual report on waste collection shows that recycling rates improved for the third year "
    "running. Food waste collections, introduced last April, now reach every household, and the "
    "amount of rubbish sent to landfill fell by almost a fifth compared with the previous year.",
    "Volunteers are needed to help with the river clean up on the last weekend of the month. "
    "Gloves, bags and tools will be provided, and anyone interested should register at the "
    "community centre or telephone the parks office before Friday afternoon.",
]

LETTER = """Dear Mr Patel,
Thank you for your letter of 3 March about the street lights on Mill Lane.
Our engineers inspected the lights last week and found that two of the
lamps had failed and a third was damaged by a falling branch. All three
will be replaced by the end of the month, and the tree will be cut back
so that the branches do not reach the new lamp posts.
If the lights fail again, please report the fault on our website or call
the highways office on 01632 960 218, quoting reference SL/2025/0417.
Yours sincerely,
Helen Marsh, Street Lighting Manager"""

TABLE_HEADER = ["Ward", "Households", "Collections", "Missed", "Recycled (t)"]
TABLE_WARDS = [
    "Abbey",
    "Bridge",
    "Castle",
    "Dean",
    "Eastgate",
    "Fairfield",
    "Greenhill",
    "Harbour",
    "Kingsmead",
    "Longford",
    "Millbrook",
    "Northfield",
]


@dataclass(frozen=True)
class RenderedPage:
    name: str
    layout: str  # "columns", "table", "letter"
    image: Image.Image
    text: str  # what is printed on the page


def font_path(bold: bool = False) -> str:
    """DejaVu Serif (or the first TrueType font fontconfig lists)."""
    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    dejavu = Path("/usr/share/fonts/truetype/dejavu") / name
    if dejavu.exists():
        return str(dejavu)
    if shutil.which("fc-list"):
        listed = subprocess.run(
            ["fc-list", ":lang=en", "file"], capture_output=True, text=True, check=False
        ).stdout
        for line in sorted(listed.splitlines()):
            candidate = line.split(":")[0].strip()
            if candidate.endswith(".ttf"):
                return candidate
    raise FileNotFoundError("no TrueType font on this system to render test pages with")


def _font(points: float, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(bold), round(points * DPI / 72))


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    for chars in range(80, 10, -1):
        lines = textwrap.wrap(text, chars)
        if all(draw.textlength(line, font=font) <= width for line in lines):
            return lines
    return lines


def columns(
    count: int, paragraphs: list[str], title: str, stagger: float = 0.0, height: int = A4[1]
) -> RenderedPage:
    """A headline across the page, then `count` columns of prose.

    With `stagger`, each column starts that fraction of a line lower than the one before, as in a
    magazine whose columns hold pictures and headings: the lines of one column no longer line up
    with those of the next. A smaller `height` gives a shorter page (and columns), quicker to read.
    """
    page = Image.new("L", (A4[0], height), 255)
    draw = ImageDraw.Draw(page)
    head, body = _font(20, bold=True), _font(9.5 if count == 3 else 10.5)
    draw.text((MARGIN, MARGIN), title, font=head, fill=0)
    gutter = 45
    width = (A4[0] - 2 * MARGIN - (count - 1) * gutter) // count
    line_height = round(body.size * 1.35)
    top = MARGIN + round(head.size * 2.2)
    bottom = height - MARGIN
    column, y = 0, top
    printed: list[str] = [title]
    for paragraph in paragraphs:
        for line in _wrap(draw, paragraph, body, width):
            if y + line_height > bottom:
                column, y = column + 1, top + round((column + 1) * stagger * line_height)
            if column >= count:
                break
            draw.text((MARGIN + column * (width + gutter), y), line, font=body, fill=0)
            printed.append(line)
            y += line_height
        y += line_height // 2
    return RenderedPage(f"{count}-column", "columns", page, "\n".join(printed))


def table(ruled: bool) -> RenderedPage:
    """A table of figures by ward under a title: ruled in a grid, or aligned by space only."""
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    head, cell, bold = _font(16, bold=True), _font(10.5), _font(10.5, bold=True)
    title = "Household waste collections by ward, 2024"
    draw.text((MARGIN, MARGIN), title, font=head, fill=0)
    rng = random.Random(7 if ruled else 8)
    rows = [TABLE_HEADER] + [
        [
            ward,
            f"{rng.randint(1200, 9800):,}",
            f"{rng.randint(20000, 99000):,}",
            str(rng.randint(3, 180)),
            f"{rng.uniform(100, 990):.1f}",
        ]
        for ward in TABLE_WARDS
    ]
    widths = [260, 220, 220, 140, 180]
    left, top, height = MARGIN, MARGIN + 110, 70
    for r, row in enumerate(rows):
        y = top + r * height
        x = left
        for c, value in enumerate(row):
            font = bold if r == 0 else cell
            draw.text((x + 16, y + (height - font.size) // 2 - 4), value, font=font, fill=0)
            x += widths[c]
    if ruled:
        right, last = left + sum(widths), top + len(rows) * height
        for r in range(len(rows) + 1):
            draw.line((left, top + r * height, right, top + r * height), fill=0, width=3)
        x = left
        for w in [0, *widths]:
            x += w
            draw.line((x, top, x, last), fill=0, width=3)
    note = "Figures are provisional and will be confirmed in the annual report."
    draw.text((MARGIN, top + len(rows) * height + 50), note, font=cell, fill=0)
    text = "\n".join([title, *("  ".join(row) for row in rows), note])
    return RenderedPage("ruled table" if ruled else "spaced table", "table", page, text)


def letter() -> RenderedPage:
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    font = _font(11)
    y = MARGIN + 60
    for line in LETTER.splitlines():
        draw.text((MARGIN, y), line, font=font, fill=0)
        y += round(font.size * 1.5)
    return RenderedPage("letter", "letter", page, LETTER)


COVER = ["Minutes of the meeting", "held on 4 March 2025"]


def cover() -> RenderedPage:
    """A cover sheet: two lines, too little text for Tesseract's OSD to be sure of anything."""
    page = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(page)
    font = _font(14)
    for n, line in enumerate(COVER):
        draw.text((MARGIN + 40, 300 + n * round(font.size * 1.6)), line, font=font, fill=0)
    return RenderedPage("cover page", "letter", page, "\n".join(COVER))


def _noisy(image: Image.Image, sigma: float, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, sigma, (image.height, image.width))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def low_contrast(image: Image.Image) -> Image.Image:
    """A faint photocopy: grey text (about 150) on a grey page (about 205), blurred and noisy."""
    faint = image.point(lambda v: 150 + v * 55 // 255)
    return _noisy(faint.filter(ImageFilter.GaussianBlur(0.7)), 6, 3)


def coarse(image: Image.Image) -> Image.Image:
    """A faint page scanned at a quarter of the resolution (halved twice) and scaled back up:
    Tesseract's default segmentation reads the cells of a table confidently but drops a third
    of them."""
    size = image.size
    for _ in range(2):
        half = image.resize((size[0] // 2, size[1] // 2), Image.Resampling.BILINEAR)
        image = half.resize(size, Image.Resampling.BILINEAR)
    return _noisy(image.point(lambda v: 90 + v * 150 // 255), 6, 4)


def scanner_edge(image: Image.Image) -> Image.Image:
    """The dark strip a scanner lid leaves along the left edge: it makes the page look sideways
    to a projection profile (the profile across the page is sharper than along it)."""
    edged = image.copy()
    ImageDraw.Draw(edged).rectangle((0, 0, 20, image.height), fill=0)
    return edged


def variants() -> list[tuple[str, Callable[[], RenderedPage]]]:
    """Name and maker of every rendered page, cheapest first."""

    def derived(
        name: str, make: Callable[[], RenderedPage], change: Callable[[Image.Image], Image.Image]
    ) -> Callable[[], RenderedPage]:
        def build() -> RenderedPage:
            base = make()
            return RenderedPage(name, base.layout, change(base.image), base.text)

        return build

    def two() -> RenderedPage:
        return columns(2, PROSE[:6], "District News: Roads, Libraries and Planning")

    def three() -> RenderedPage:
        return columns(3, PROSE, "Council Bulletin for Residents")

    def magazine() -> RenderedPage:
        return columns(3, PROSE, "Council Bulletin for Residents", stagger=0.5)

    return [
        ("2-column", two),
        ("3-column", three),
        (
            "3-column staggered, scanner edge",
            derived("3-column staggered, scanner edge", magazine, scanner_edge),
        ),
        ("ruled table", lambda: table(True)),
        ("spaced table", lambda: table(False)),
        (
            "spaced table, scanner edge",
            derived("spaced table, scanner edge", lambda: table(False), scanner_edge),
        ),
        (
            "spaced table, coarse scan",
            derived("spaced table, coarse scan", lambda: table(False), coarse),
        ),
        ("cover page, scanner edge", derived("cover page, scanner edge", cover, scanner_edge)),
        ("letter turned 90", derived("letter turned 90", letter, _quarter)),
        ("letter turned 180", derived("letter turned 180", letter, _half)),
        ("2-column skewed 1.5", derived("2-column skewed 1.5", two, _skew)),
        (
            "ruled table low contrast",
            derived("ruled table low contrast", lambda: table(True), low_contrast),
        ),
    ]


def _quarter(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.ROTATE_90)  # a quarter turn anticlockwise


def _half(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.ROTATE_180)


def _skew(image: Image.Image) -> Image.Image:
    return image.rotate(1.5, resample=Image.Resampling.BICUBIC, fillcolor=255)


def rendered_pages(names: list[str] | None = None) -> list[RenderedPage]:
    """The rendered pages (all of them, or those named)."""
    return [make() for name, make in variants() if names is None or name in names]
