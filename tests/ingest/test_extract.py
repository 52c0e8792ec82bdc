"""Extract: text, page images for OCR, properties and attachments, from files built by the tests;
and every hostile input rejected with its reason (or read safely), never a crash.

OCR itself is not run here: scans are asserted to produce page images, born-digital files none.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from edrm.ingest.extract import extract
from edrm.ingest.formats import office as office_module
from edrm.ingest.formats import pdf as pdf_module
from edrm.ingest.sniff import DOCX, ODT, sniff
from edrm.ingest.types import Extraction, IngestConfig, RejectedInputError, Sniffed
from tests.ingest import fixtures

CONFIG = fixtures.config()


def run(
    tmp_path: Path, data: bytes, name: str, config: IngestConfig = CONFIG
) -> tuple[Extraction, Path]:
    """Sniff and extract `data` uploaded as `name`; return the extraction and the work dir."""
    path = fixtures.write(tmp_path, data)
    workdir = tmp_path / "work"
    return extract(path, sniff(path, name, config), config, workdir), workdir


def rejected(
    tmp_path: Path, data: bytes, name: str, config: IngestConfig = CONFIG
) -> RejectedInputError:
    with pytest.raises(RejectedInputError) as caught:
        run(tmp_path, data, name, config)
    return caught.value


def as_sniffed(mime: str, extension: str = "") -> Sniffed:
    """What sniff would say, for reaching extract with bytes sniff would have turned away."""
    return Sniffed(mime, mime, extension, (extension,), False)


def text_of(result: Extraction) -> str:
    return "\n".join(page.text for page in result.pages)


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# --- PDF --------------------------------------------------------------------------------------


def test_a_born_digital_pdf_gives_its_text_layer_and_no_page_images(tmp_path: Path) -> None:
    result, workdir = run(tmp_path, fixtures.born_digital_pdf(2), "letter.pdf")
    assert [page.number for page in result.pages] == [1, 2]
    assert all(page.source == "text" for page in result.pages)
    assert "Reference: DRM/2025/0042" in result.pages[0].text
    assert "This is page 2 of 2." in result.pages[1].text
    assert result.ocr_images == {}
    assert not list(workdir.glob("*.png"))
    assert result.page_count == 2


def test_pdf_properties_come_from_its_metadata(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.born_digital_pdf(1), "letter.pdf")
    assert result.properties["title"] == "Retention schedule review"
    assert result.properties["author"] == "Ann Archivist"
    assert result.properties["created"] == "2025-03-03T09:30:00+00:00"


def test_a_pdf_has_a_small_preview_of_its_first_page(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.born_digital_pdf(1), "letter.pdf")
    assert result.preview_png is not None
    width, height = png_size(result.preview_png)
    assert width <= 600
    assert height > width  # A4, portrait


def test_a_scanned_pdf_page_is_rendered_for_ocr_at_the_configured_dpi(tmp_path: Path) -> None:
    result, workdir = run(tmp_path, fixtures.scanned_pdf(1), "scan.pdf")
    assert result.pages == []
    assert list(result.ocr_images) == [1]
    image_path = result.ocr_images[1]
    assert image_path.parent == workdir
    with Image.open(image_path) as image:
        assert image.format == "PNG"
        assert image.size == pytest.approx((827, 1169), abs=2)  # A4 at 100 dpi
    assert result.preview_png is not None


def test_only_the_scanned_pages_of_a_mixed_pdf_go_to_ocr(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.scanned_pdf(1, with_text_page=True), "mixed.pdf")
    assert [page.number for page in result.pages] == [1]
    assert list(result.ocr_images) == [2]
    assert result.page_count == 2


def test_a_page_with_less_text_than_the_threshold_is_treated_as_a_scan(tmp_path: Path) -> None:
    config = fixtures.with_ocr(CONFIG, min_text_layer_chars=10_000)
    result, _ = run(tmp_path, fixtures.born_digital_pdf(1), "letter.pdf", config)
    assert result.pages == []
    assert list(result.ocr_images) == [1]


def test_a_rendered_page_stays_within_the_pixel_limit(tmp_path: Path) -> None:
    config = fixtures.with_ocr(fixtures.config(max_image_pixels=200_000), dpi=300)
    result, _ = run(tmp_path, fixtures.scanned_pdf(1), "scan.pdf", config)
    width, height = Image.open(result.ocr_images[1]).size
    assert width * height <= 200_000
    assert any("pixel limit" in warning for warning in result.warnings)


def test_a_password_protected_pdf_is_rejected_as_encrypted(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.encrypted_pdf(), "secret.pdf")
    assert error.reason == "encrypted"
    assert str(error) == "the PDF is password-protected"


def test_a_truncated_pdf_is_rejected_as_corrupt(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.truncated_pdf(), "cut.pdf")
    assert error.reason == "corrupt"
    assert "truncated" in str(error)


def test_a_pdf_with_a_broken_cross_reference_table_is_repaired(tmp_path: Path) -> None:
    good, _ = run(tmp_path, fixtures.born_digital_pdf(2), "good.pdf")
    repaired, _ = run(tmp_path, fixtures.broken_xref_pdf(), "broken.pdf")
    assert text_of(repaired) == text_of(good)
    assert repaired.ocr_images == {}


def test_a_pdf_damaged_beyond_repair_is_rejected_as_corrupt(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.garbage_pdf(), "garbage.pdf")
    assert error.reason == "corrupt"
    assert str(error).startswith("the PDF could not be read")


def test_pypdf_repairs_a_pdf_pdfium_cannot_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fixtures.write(tmp_path, fixtures.born_digital_pdf(1))
    real = pdfium.PdfDocument

    def pdfium_refusing_the_original(source: object, *args: object) -> pdfium.PdfDocument:
        if Path(str(source)) == path:
            raise pdfium.PdfiumError("Failed to load document (PDFium: Data format error).", 3)
        return real(source, *args)

    monkeypatch.setattr(pdf_module.pdfium, "PdfDocument", pdfium_refusing_the_original)
    result = extract(path, sniff(path, "x.pdf", CONFIG), CONFIG, tmp_path / "work")
    assert "Reference: DRM/2025/0042" in text_of(result)
    assert any("repaired" in warning for warning in result.warnings)


def test_a_pdf_over_the_page_limit_is_rejected(tmp_path: Path) -> None:
    error = rejected(
        tmp_path, fixtures.born_digital_pdf(3), "long.pdf", fixtures.config(max_pages=2)
    )
    assert error.reason == "too_many_pages"
    assert "3 pages" in str(error)


# --- images -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (fixtures.png, "scan.png"),
        (fixtures.jpeg, "photo.jpg"),
        (fixtures.bmp, "scan.bmp"),
    ],
)
def test_an_image_becomes_one_page_image_for_ocr_and_a_preview(
    tmp_path: Path, make: Callable[[], bytes], name: str
) -> None:
    result, _ = run(tmp_path, make(), name)
    assert result.pages == []
    assert list(result.ocr_images) == [1]
    assert Image.open(result.ocr_images[1]).format == "PNG"
    assert result.page_count == 1
    assert result.preview_png is not None
    assert png_size(result.preview_png)[0] <= 600


def test_every_page_of_a_multi_page_tiff_goes_to_ocr(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.tiff(3), "scan.tif")
    assert list(result.ocr_images) == [1, 2, 3]
    assert result.page_count == 3
    assert len({path.read_bytes() for path in result.ocr_images.values()}) == 3


def test_a_gif_gives_its_first_frame_only(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.gif(3), "anim.gif")
    assert list(result.ocr_images) == [1]
    assert result.page_count == 1


def test_a_photo_is_turned_upright_from_its_exif_orientation(tmp_path: Path) -> None:
    data = fixtures.jpeg(exif_orientation=6)
    assert png_size(data) == (1100, 850)  # stored on its side
    result, _ = run(tmp_path, data, "photo.jpg")
    assert Image.open(result.ocr_images[1]).size == (850, 1100)


def test_a_tiff_with_one_corrupt_page_gives_the_others(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.tiff_with_corrupt_page(3, corrupt=2), "scan.tif")
    assert list(result.ocr_images) == [1, 3]
    assert result.page_count == 3
    assert result.warnings == ["page 2 could not be read"]


def test_an_all_white_page_is_still_sent_to_ocr(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.white_png(), "blank.png")
    assert list(result.ocr_images) == [1]
    assert result.pages == []


def test_a_truncated_jpeg_is_rejected_as_corrupt(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.truncated_jpeg(), "photo.jpg")
    assert error.reason == "corrupt"
    assert str(error).startswith("the image could not be read: image file is truncated")


def test_truncated_images_are_not_loaded_globally() -> None:
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_a_decompression_bomb_png_is_rejected(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.bomb_png(), "bomb.png")
    assert error.reason == "bomb"
    assert "400,000,000 pixels" in str(error)


def test_an_image_just_over_the_pixel_limit_is_rejected_too(tmp_path: Path) -> None:
    # 935,000 pixels against a limit of 600,000: Pillow only warns between 1× and 2× its limit
    error = rejected(
        tmp_path, fixtures.png(), "scan.png", fixtures.config(max_image_pixels=600_000)
    )
    assert error.reason == "bomb"


def test_a_tiff_over_the_page_limit_is_rejected(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.tiff(3), "scan.tif", fixtures.config(max_pages=2))
    assert error.reason == "too_many_pages"


# --- office -----------------------------------------------------------------------------------


def test_a_docx_gives_headers_body_tables_and_footers_in_order(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.docx(), "minutes.docx")
    assert text_of(result).split("\n") == [
        "OFFICIAL-SENSITIVE",
        "Minutes of the board",
        "The board met on 3 March 2025 to review the file plan.",
        "Action\tOwner",
        "Close the 2019 files\tRecords team",
        "Closing paragraph after the table.",
        "Page footer text",
    ]
    assert result.page_count == 1
    assert result.preview_png is None


def test_docx_properties_come_from_its_core_properties(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.docx(), "minutes.docx")
    assert result.properties["title"] == "Board minutes"
    assert result.properties["author"] == "Ann Archivist"
    assert result.properties["created"].startswith("2025-03-03T09:30:00")


def test_an_xlsx_gives_each_sheet_under_its_name_as_tab_separated_rows(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.xlsx(), "budget.xlsx")
    assert text_of(result).split("\n") == [
        "Summary",
        "Item\tAmount",
        "Storage\t1200",
        "Scanning\t350.5",
        "",
        "Notes",
        "Approved by the board",
    ]
    assert result.properties["title"] == "Budget 2025"
    assert result.properties["author"] == "Finance Team"


def test_an_xlsx_claiming_billions_of_cells_reads_only_the_real_ones(tmp_path: Path) -> None:
    started = time.monotonic()
    result, _ = run(tmp_path, fixtures.xlsx_forged_dimension(10_000), "budget.xlsx")
    lines = text_of(result).split("\n")
    assert lines[:3] == ["Summary", "row 1", "row 2"]
    assert lines.count("row 10000") == 1
    # trusting the forged size pads each row to 16,384 cells: over 20 seconds here
    assert time.monotonic() - started < 10


def test_an_odt_gives_headings_paragraphs_and_tables(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.odt(), "policy.odt")
    assert text_of(result).split("\n") == [
        "Records policy",
        "All records are kept for seven years.",
        "Finance\t7 years",
    ]
    assert result.properties == {
        "title": "Policy draft",
        "author": "Ann Archivist",
        "created": "2025-03-03T09:30:00",
    }


def test_an_ods_with_a_million_repeated_empty_rows_gives_only_its_cells(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.ods(), "assets.ods")
    assert text_of(result).split("\n") == ["Assets", "Asset\tValue", "Scanner\t900"]
    assert result.properties["title"] == "Asset register"


def test_a_zip_bomb_docx_is_rejected_before_it_is_opened(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.zip_bomb_docx(100), "minutes.docx")
    assert error.reason == "bomb"
    assert "expands" in str(error)


def test_an_office_file_expanding_past_the_limit_is_rejected(tmp_path: Path) -> None:
    error = rejected(
        tmp_path, fixtures.docx(), "minutes.docx", fixtures.config(max_expanded_bytes=20_000)
    )
    assert error.reason == "bomb"
    assert "expands to more than" in str(error)


def test_a_password_protected_odt_is_rejected_as_encrypted(tmp_path: Path) -> None:
    error = rejected(tmp_path, fixtures.encrypted_odt(), "policy.odt")
    assert error.reason == "encrypted"


def test_an_encrypted_office_file_reaching_extract_is_rejected_as_encrypted(tmp_path: Path) -> None:
    path = fixtures.write(tmp_path, fixtures.encrypted_docx())
    with pytest.raises(RejectedInputError) as caught:
        extract(path, as_sniffed("application/CDFV2", "docx"), CONFIG, tmp_path / "work")
    assert caught.value.reason == "encrypted"


def test_random_bytes_taken_for_a_docx_are_rejected_as_corrupt(tmp_path: Path) -> None:
    path = fixtures.write(tmp_path, fixtures.random_bytes())
    with pytest.raises(RejectedInputError) as caught:
        extract(path, as_sniffed(DOCX, "docx"), CONFIG, tmp_path / "work")
    assert caught.value.reason == "corrupt"
    assert str(caught.value).startswith("the Word document could not be read")


def test_a_docx_with_broken_xml_is_rejected_as_corrupt(tmp_path: Path) -> None:
    source = zipfile.ZipFile(io.BytesIO(fixtures.docx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for info in source.infolist():
            data = source.read(info.filename)
            broken.writestr(info, data[:200] if info.filename == "word/document.xml" else data)
    error = rejected(tmp_path, out.getvalue(), "minutes.docx")
    assert error.reason == "corrupt"
    assert str(error).startswith("the Word document could not be read: ")


# --- email ------------------------------------------------------------------------------------


def test_an_eml_gives_its_plain_body_and_header_properties(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.eml(), "mail.eml")
    assert text_of(result) == "Please find the schedule attached.\nIt applies from 3 March 2025."
    assert result.properties == {
        "title": "Retention schedule for 2025",
        "subject": "Retention schedule for 2025",
        "sender": "Ann Archivist <ann@example.gov.uk>",
        "sender_email": "ann@example.gov.uk",
        "author": "Ann Archivist",
        "to": "Records Team <records@example.gov.uk>",
        "sent": "2025-03-03T09:30:00+00:00",
        "message_id": "<fixture-1@example.gov.uk>",
    }


def test_an_eml_gives_its_attachments(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.eml(), "mail.eml")
    assert [attachment.filename for attachment in result.attachments] == [
        "schedule.pdf",
        "data.csv",
    ]
    assert result.attachments[0].data.startswith(b"%PDF")
    assert result.attachments[1].data == b"a,b\n1,2\n"


def test_an_html_only_eml_gives_its_text_without_scripts(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.eml(html_only=True), "mail.eml")
    assert text_of(result) == "Please find the schedule attached."


def test_an_attached_email_is_one_attachment(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.eml_with_attached_message(), "fwd.eml")
    assert text_of(result) == "Forwarding the message below."
    [attached] = result.attachments
    assert attached.filename == "Retention schedule for 2025.eml"
    assert b"The original message." in attached.data


def test_an_eml_libmagic_calls_text_is_still_read_as_email(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.headerless_eml(), "figures.eml")
    assert text_of(result) == "The figures are in."
    assert result.properties["title"] == "Quarterly figures"


def test_an_outlook_msg_gives_its_body_properties_and_attachment(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.msg(), "minutes.msg")
    assert text_of(result) == "The minutes are attached.\nPlease file them."
    assert result.properties["title"] == "Outlook minutes"
    assert result.properties["author"] == "Ann Archivist"
    assert result.properties["sender_email"] == "ann@example.gov.uk"
    assert result.properties["to"] == "Records Team <records@example.gov.uk>"
    assert result.properties["sent"] == "2025-03-03T09:30:00+00:00"
    [attachment] = result.attachments
    assert attachment.filename == "actions.csv"
    assert attachment.data == b"Item,Owner\nClose files,Records\n"


def test_an_outlook_msg_with_only_an_rtf_body_gives_its_text(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.msg(rtf_only=True), "minutes.msg")
    assert text_of(result) == "The minutes are in the café."
    assert result.properties["title"] == "Outlook minutes"


def test_an_ole_file_that_is_not_a_message_is_not_read_as_one(tmp_path: Path) -> None:
    path = fixtures.write(tmp_path, fixtures.ole_not_msg())
    with pytest.raises(RejectedInputError) as caught:
        extract(path, as_sniffed("application/CDFV2", "msg"), CONFIG, tmp_path / "work")
    assert caught.value.reason == "not_allowed"


# --- web and text -----------------------------------------------------------------------------


def test_html_gives_its_visible_text_and_nothing_from_scripts(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.html(), "page.html")
    text = text_of(result)
    assert "Guidance on records" in text
    assert "Keep records for seven years." in text
    for hidden in ("INJECTED", "evil.example", "color: red", "NOSCRIPT", "hidden comment", "alert"):
        assert hidden not in text
    assert result.properties == {"title": "Published guidance", "author": "Comms Team"}


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (fixtures.utf8_txt, "Café résumé: the naïve façade — “quoted” £200 ✓"),
        (fixtures.latin1_txt, "Café résumé: the naïve façade of the Zürich office, £200 in total."),
        (fixtures.cp1251_txt, "Привет, мир! Это тестовый документ на русском языке."),
        (fixtures.utf16_txt, "Notes in UTF-16 with a byte-order mark: café ✓"),
    ],
)
def test_text_is_decoded_in_its_own_encoding(
    tmp_path: Path, make: Callable[[], bytes], expected: str
) -> None:
    result, _ = run(tmp_path, make(), "notes.txt")
    assert text_of(result) == expected
    assert result.preview_png is None


def test_nul_bytes_are_removed_from_text(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.nul_txt(), "notes.txt")
    assert text_of(result) == "Meeting notes for the board\nSecond line of notes here."


def test_csv_and_markdown_are_read_as_text(tmp_path: Path) -> None:
    csv, _ = run(tmp_path, fixtures.csv(), "people.csv")
    markdown, _ = run(tmp_path, fixtures.markdown(), "readme.md")
    assert text_of(csv).startswith("Name,Department,Phone\nAnn,Records,0123")
    assert text_of(markdown).startswith("# Heading\n\nSome *emphasis*")


def test_rtf_gives_its_text_in_its_code_page(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.rtf(), "memo.rtf")
    assert text_of(result) == "Rich text about the café budget.\nSecond paragraph."


def test_text_is_cut_at_the_limit_with_a_warning(tmp_path: Path) -> None:
    result, _ = run(tmp_path, fixtures.csv(), "people.csv", fixtures.config(max_text_chars=30))
    assert text_of(result) == fixtures.csv().decode()[:30]
    assert result.warnings == ["the text was cut at 30 characters"]


def test_a_pdf_is_cut_at_the_text_limit_across_pages(tmp_path: Path) -> None:
    config = fixtures.config(max_text_chars=250)
    result, _ = run(tmp_path, fixtures.born_digital_pdf(3), "letter.pdf", config)
    assert sum(len(page.text) for page in result.pages) == 250
    assert result.page_count == 3
    assert "the text was cut at 250 characters" in result.warnings


def test_an_empty_text_page_is_marked_as_having_no_text(tmp_path: Path) -> None:
    result, _ = run(tmp_path, b"\x00\x00 \n\t\n", "blank.txt")
    assert [(page.text, page.source) for page in result.pages] == [("", "none")]


# --- failures ---------------------------------------------------------------------------------


def test_an_unexpected_library_error_becomes_a_corrupt_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> Extraction:
        raise ValueError("unexpected end of\n   data")

    monkeypatch.setattr(office_module, "extract_odf", broken)
    error = rejected(tmp_path, fixtures.odt(), "policy.odt")
    assert error.reason == "corrupt"
    assert str(error) == "the OpenDocument text could not be read: unexpected end of data"


def test_keyboard_interrupt_is_never_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> Extraction:
        raise KeyboardInterrupt

    monkeypatch.setattr(office_module, "extract_odf", interrupted)
    path = fixtures.write(tmp_path, fixtures.odt())
    with pytest.raises(KeyboardInterrupt):
        extract(path, as_sniffed(ODT, "odt"), CONFIG, tmp_path / "work")


def test_a_type_extract_cannot_read_is_rejected(tmp_path: Path) -> None:
    path = fixtures.write(tmp_path, fixtures.elf())
    with pytest.raises(RejectedInputError) as caught:
        extract(path, as_sniffed("application/x-pie-executable"), CONFIG, tmp_path / "work")
    assert caught.value.reason == "not_allowed"


def test_a_black_and_white_page_preview_is_a_greyscale_png_of_the_same_page(tmp_path: Path) -> None:
    """A page of black text is previewed in grey (the same pixels, fewer bytes); a page in
    colour keeps its colours."""
    from PIL import Image

    from edrm.ingest.formats.images import preview_png

    page = Image.new("RGB", (300, 400), "white")
    page.paste((40, 40, 40), (20, 20, 280, 60))
    grey = Image.open(io.BytesIO(preview_png(page)))
    assert grey.mode == "L"
    assert grey.getpixel((30, 30)) == 40 and grey.getpixel((5, 5)) == 255
    page.paste((200, 30, 30), (20, 100, 280, 140))
    colour = Image.open(io.BytesIO(preview_png(page)))
    assert colour.mode == "RGB"
    assert colour.getpixel((30, 110)) == (200, 30, 30)
