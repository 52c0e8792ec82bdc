"""Where a term lies on a page: every occurrence, from the page's text layer (a born-digital PDF)
and from Tesseract's word boxes on the rendered page (a scan, a picture inside a PDF page, a
turned page). Both are always asked and their boxes joined: a born-digital page can carry a
scanned signature block, and a scan can carry an invisible OCR layer that misreads a name.

Matching is generous on purpose, since a missed occurrence is a leak and an extra box is not:
any case; in the text layer any substring (PDFium's search); in OCR words punctuation around a
word is ignored and a one-word term matches inside a longer word ("Smith" in "Smithson's").
Pure: reads images, writes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from disclosure.page_sources import Box, Page

if TYPE_CHECKING:
    from PIL import Image

# Pages are read for word boxes at this resolution (Tesseract's best range is 200-300 dpi).
OCR_DPI: Final = 200
# Words Tesseract reads with less confidence than this are still boxes (a smudged name is still
# a name); only its "no text here" rows (-1) are dropped.
_EDGE: Final = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    line: tuple[int, int, int]  # (block, paragraph, line): words of one line sit together


def normalised(text: str) -> str:
    return _EDGE.sub("", text.casefold())


def ocr_words(image: Image.Image, page: int, language: str = "eng") -> list[Word]:
    """Tesseract's words on `image`, with their boxes as fractions of the image."""
    import pytesseract

    data = pytesseract.image_to_data(
        image.convert("L"), lang=language, output_type=pytesseract.Output.DICT
    )
    width, height = image.size
    words: list[Word] = []
    for i, text in enumerate(data["text"]):
        if not text or not text.strip() or float(data["conf"][i]) < 0:
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        w, h = int(data["width"][i]), int(data["height"][i])
        words.append(
            Word(
                text,
                Box(page, left / width, top / height, w / width, h / height),
                (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i])),
            )
        )
    return words


def _joined(boxes: list[Box]) -> Box:
    x0 = min(b.x for b in boxes)
    y0 = min(b.y for b in boxes)
    x1 = max(b.x + b.w for b in boxes)
    y1 = max(b.y + b.h for b in boxes)
    return Box(boxes[0].page, x0, y0, x1 - x0, y1 - y0)


def matching_words(words: list[Word], term: str) -> list[Box]:
    """Boxes of the runs of `words` that read as `term` (see the module docstring)."""
    tokens = [normalised(t) for t in term.split()]
    tokens = [t for t in tokens if t]
    if not tokens:
        return []
    seen = [normalised(w.text) for w in words]
    if len(tokens) == 1:
        return [w.box for w, text in zip(words, seen, strict=True) if tokens[0] in text]
    found: list[Box] = []
    n = len(tokens)
    for start in range(len(words) - n + 1):
        run = seen[start : start + n]
        if (
            run[0].endswith(tokens[0])
            and run[-1].startswith(tokens[-1])
            and run[1:-1] == tokens[1:-1]
        ):
            # A term broken over two lines is boxed line by line.
            lines: dict[tuple[int, int, int], list[Box]] = {}
            for word in words[start : start + n]:
                lines.setdefault(word.line, []).append(word.box)
            found.extend(_joined(boxes) for boxes in lines.values())
    return found


def term_boxes(page: Page, term: str, image: Image.Image | None = None) -> list[Box]:
    """Every occurrence of `term` on `page`: its text layer's and its OCR words' boxes.
    `image` is the page rendered at OCR_DPI when the caller has it already."""
    boxes = page.text_layer_boxes(term)
    picture = image if image is not None else page.render(OCR_DPI)
    boxes.extend(matching_words(ocr_words(picture, page.number), term))
    return boxes
