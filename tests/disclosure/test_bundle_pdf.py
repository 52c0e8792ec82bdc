"""Redaction that really removes: the bundle built from page images with the boxes burned in
keeps no trace of a redacted word, for a born-digital PDF and for a scan."""

from __future__ import annotations

import hashlib

from disclosure.bundle_pdf import AreaRedaction, BundlePart, TermRedaction, build_bundle, burn
from disclosure.page_sources import Box, open_pages
from disclosure.redaction_boxes import term_boxes
from tests.disclosure.bundle_checks import assert_absent, extracted_text, ocr_of_pages
from tests.disclosure.redaction_samples import (
    SECRET,
    born_digital_pdf,
    scan_png,
    scanned_pdf,
)


def _bundle(content: bytes, mime: str, **kwargs: object) -> bytes:
    part = BundlePart("record 1", content, mime, terms=[TermRedaction(SECRET, "s40")], **kwargs)  # type: ignore[arg-type]
    data, report = build_bundle([part], title="FOI-2026-0001 disclosure bundle")
    assert report.by_code["s40"] >= 2
    return data


def test_redaction_of_a_born_digital_pdf_leaves_no_trace() -> None:
    original = born_digital_pdf()
    before = hashlib.sha256(original).hexdigest()
    assert SECRET in extracted_text(original)  # the original has it in its text and metadata
    bundle = _bundle(original, "application/pdf")
    assert_absent(bundle, SECRET)
    kept = extracted_text(bundle)
    assert "budget for next year" in kept  # the fresh text layer keeps what was not redacted
    assert "finance team" in ocr_of_pages(bundle)
    assert hashlib.sha256(original).hexdigest() == before


def test_redaction_of_a_scan_leaves_no_trace() -> None:
    for content, mime in ((scan_png(), "image/png"), (scanned_pdf(), "application/pdf")):
        bundle = _bundle(content, mime)
        assert_absent(bundle, SECRET)
        assert "budget" in extracted_text(bundle)


def test_an_area_redaction_burns_the_pixels_and_labels_the_box() -> None:
    with open_pages(scan_png(), "image/png") as pages:
        image = pages[0].render(100)
        box = Box(1, 0.1, 0.1, 0.4, 0.05)
        burned = burn(image, [AreaRedaction(box, "s43")])
        left, top, right, bottom = box.pixels(burned.size)
        inside = burned.crop((left, top, right, bottom)).convert("L")
        histogram = inside.histogram()
        # solid black, apart from the white label
        assert histogram[0] > 0.7 * sum(histogram)
        assert sum(histogram[200:]) > 0


def test_term_boxes_come_from_the_text_layer_and_from_ocr() -> None:
    with open_pages(born_digital_pdf(), "application/pdf") as pages:
        assert len(pages[0].text_layer_boxes(SECRET)) == 2
    with open_pages(scan_png(), "image/png") as pages:
        assert pages[0].text_layer_boxes(SECRET) == []
        boxes = term_boxes(pages[0], SECRET.lower())
        assert len(boxes) == 2
        assert all(0 < b.x < 1 and 0 < b.y < 0.3 for b in boxes)


def test_an_area_given_in_points_covers_the_same_part_of_the_page() -> None:
    box = Box.from_points(1, 59.5, 84.2, 297.6, 42.1, (595.28, 841.89))
    assert round(box.x, 3) == 0.1 and round(box.y, 3) == 0.1 and round(box.w, 2) == 0.5
