"""Quality on real data (issue 15): experts, OCR and classification, each beside its baseline.

    .venv/bin/python bench/quality.py [--part experts|ocr|classify ...] [--data DIR] [--quick]

Every figure is measured through the product's own services (or its CLI, as a person runs it) and
printed beside a plain baseline computed in the same run on the same split: a TF-IDF profile for
expert finding, raw Tesseract for OCR, TF-IDF + linear SVM for classification. Nothing asserts.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the parts, quality_*.py
sys.path.insert(0, str(HERE.parent))  # first: bench/search.py must not hide the search package

from quality_figures import Figure, table  # noqa: E402

PARTS = ("experts", "ocr", "classify")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", action="append", choices=PARTS)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--quick", action="store_true", help="a small sample of each set")
    args = parser.parse_args()
    figures: list[Figure] = []
    for part in args.part or PARTS:
        module = importlib.import_module(f"quality_{part}")
        part_figures = module.measure(args.data, args.quick)
        print(table(part_figures), flush=True)
        print()
        figures.extend(part_figures)
    print(table(figures))


if __name__ == "__main__":
    main()
