"""OCR quality for bench/quality.py (issue 15 part 3): edrm's OCR against raw Tesseract, per page.

    PYTHONPATH=$PWD .venv/bin/python bench/quality.py --part ocr [--data DIR] [--quick]

Pages: the real scans in DIR/ocr-samples (each .tif beside its ground-truth .txt) and the pages
rendered by tests/ingest/ocr_pages.py (two and three columns, staggered columns with a scanner
edge, ruled and space-aligned tables, letters turned 90 and 180 degrees, a skewed page and a
low-contrast table), written as PNG files at 150 dpi.

edrm reads each file as the ingest pipeline does: sniff, extract (which writes the page image
for OCR) and OcrEngine.recognise with the shipped settings. The baseline is raw Tesseract,
`pytesseract.image_to_string` with its defaults on the same file. For every page: word F1
(higher is better) and character error rate (lower); then the means, and the number of pages
edrm reads worse than raw Tesseract by more than 0.05 word F1 (the baseline for that is 0).
--quick leaves out the two long UNLV scans and half of the rendered pages.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytesseract
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from quality_figures import Figure  # noqa: E402

from edrm.ingest.extract import extract  # noqa: E402
from edrm.ingest.ocr import OcrEngine  # noqa: E402
from edrm.ingest.quality import cer, word_f1  # noqa: E402
from edrm.ingest.sniff import sniff  # noqa: E402
from edrm.ingest.types import load_ingest_config  # noqa: E402
from edrm.settings import DEFAULT_CONFIG_DIR  # noqa: E402
from tests.ingest.ocr_pages import DPI, rendered_pages  # noqa: E402

WORSE_BY: float = 0.05
QUICK_SAMPLES = ("phototest",)
QUICK_RENDERED = (
    "2-column",
    "3-column staggered, scanner edge",
    "ruled table",
    "spaced table, scanner edge",
    "letter turned 90",
)


def _pages(data: Path, quick: bool, folder: Path) -> list[tuple[str, Path, str]]:
    """(name, image file, ground truth) for every page measured."""
    pages: list[tuple[str, Path, str]] = []
    samples = data / "ocr-samples"
    if samples.is_dir():
        for image in sorted(samples.glob("*.tif")):
            truth = image.with_suffix(".txt")
            if truth.exists() and (not quick or image.stem in QUICK_SAMPLES):
                pages.append((image.stem, image, truth.read_text(encoding="utf-8")))
    else:
        print(f"  (no {samples}: rendered pages only)", file=sys.stderr)
    for page in rendered_pages(list(QUICK_RENDERED) if quick else None):
        path = folder / f"rendered-{len(pages)}.png"
        page.image.save(path, dpi=(DPI, DPI))
        pages.append((page.name, path, page.text))
    return pages


def _edrm_reads(paths: list[Path], folder: Path) -> list[str]:
    """The text of each file as the ingest pipeline's sniff, extract and OCR give it."""
    config = load_ingest_config(DEFAULT_CONFIG_DIR / "ingest.toml")
    images: list[Path] = []
    for n, path in enumerate(paths):
        extraction = extract(path, sniff(path, path.name, config), config, folder / f"work-{n}")
        images.append(extraction.ocr_images[min(extraction.ocr_images)])
    with OcrEngine(config.ocr) as engine:
        return [result.text for result in engine.recognise(images)]


def measure(data: Path, quick: bool) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="edrm-quality-ocr-") as tmp:
        folder = Path(tmp)
        pages = _pages(data, quick, folder)
        edrm = _edrm_reads([path for _, path, _ in pages], folder)
        raw = []
        for _, path, _ in pages:
            with Image.open(path) as image:
                raw.append(pytesseract.image_to_string(image))
    figures: list[Figure] = []
    f1s, raw_f1s, cers, raw_cers = [], [], [], []
    for (name, _, truth), ours, theirs in zip(pages, edrm, raw, strict=True):
        f1s.append(word_f1(truth, ours))
        raw_f1s.append(word_f1(truth, theirs))
        cers.append(cer(truth, ours))
        raw_cers.append(cer(truth, theirs))
        figures.append(Figure("ocr", f"word F1 {name}", f1s[-1], "raw Tesseract", raw_f1s[-1]))
        figures.append(
            Figure("ocr", f"CER {name}", cers[-1], "raw Tesseract", raw_cers[-1], "lower")
        )
    count = len(pages)
    worse = sum(ours < theirs - WORSE_BY for ours, theirs in zip(f1s, raw_f1s, strict=True))
    figures += [
        Figure(
            "ocr", f"mean word F1 ({count} pages)", sum(f1s) / count, "raw", sum(raw_f1s) / count
        ),
        Figure(
            "ocr",
            f"mean CER ({count} pages)",
            sum(cers) / count,
            "raw",
            sum(raw_cers) / count,
            "lower",
        ),
        Figure(
            "ocr",
            f"pages worse than raw by > {WORSE_BY} word F1",
            worse,
            "none",
            0,
            "lower",
        ),
    ]
    return figures
