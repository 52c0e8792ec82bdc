"""Benchmark for renditions: what a scan's searchable PDF/A-2b adds to its ingest. Prints
figures; asserts nothing.

    .venv/bin/python bench/renditions.py [--count 6] [--processes N] [--rounds 2]

Over N degraded A4 scans at 300 dpi (bench/ingest.py's pages), in the same process:
(a) the reference: OcrEngine pages per second (what the pipeline does to a scan anyway);
(b) building the rendition from those pages and the words OCR read (no second recognition):
    seconds per page, one page at a time as the pipeline does it, and (b) as a share of (a)'s
    seconds per page on one core — what the rendition adds to each scan's reading;
then the rendition's size beside the scans' PNG size, and the PDF/A facts (XMP pdfaid, every
font embedded) of the one made.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # before bench/, whose search.py would hide the search package
sys.path.insert(1, str(ROOT / "bench"))

from ingest import generate_pages  # noqa: E402

from edrm.ingest.ocr import OcrEngine  # noqa: E402
from edrm.ingest.types import OcrSettings  # noqa: E402
from edrm.renditions.pdfa import RenditionPage, pdfa_facts, searchable_pdfa  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=6)
    parser.add_argument("--processes", type=int, default=0, help="0 = one per core")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    processes = args.processes or os.cpu_count() or 1
    when = datetime(2026, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory(prefix="edrm-bench-renditions-") as scratch:
        paths = generate_pages(Path(scratch), args.count, 300, "png")
        ocr_seconds, build_seconds = [], []
        made = b""
        with OcrEngine(OcrSettings(processes=processes)) as engine:
            engine.recognise(paths[:1])  # warm: Tesseract's first start, the imports
            searchable_pdfa([RenditionPage(paths[0])], "warm", when)
            for _ in range(args.rounds):
                started = time.perf_counter()
                results = engine.recognise(paths)
                ocr_seconds.append(time.perf_counter() - started)
                started = time.perf_counter()
                for path, r in zip(paths, results, strict=True):
                    page = RenditionPage(path, r.rotation, r.size, r.dpi, r.words)
                    made = searchable_pdfa([page], path.name, when)
                build_seconds.append(time.perf_counter() - started)
        n = len(paths)
        ocr = statistics.median(ocr_seconds)
        build = statistics.median(build_seconds)
        ocr_core = ocr * processes / n  # seconds of one core per page
        print(f"pages: {n} A4 scans at 300 dpi, {processes} OCR process(es), {args.rounds} rounds")
        print(f"(a) reference: OcrEngine {n / ocr:.2f} pages/s ({ocr_core:.2f} core-s/page)")
        print(f"(b) rendition build: {build / n:.3f} s/page")
        print(f"(b) / (a) per page on one core: {build / n / ocr_core:.1%}")
        png = statistics.mean(p.stat().st_size for p in paths)
        print(f"size: rendition {len(made):,} bytes for its page; the scan's PNG {png:,.0f} bytes")
        facts = pdfa_facts(made)
        print(
            f"PDF/A: pdfaid part {facts.part} conformance {facts.conformance}, "
            f"OutputIntent {facts.output_intent}, fonts embedded {facts.fonts_embedded}"
        )


if __name__ == "__main__":
    main()
