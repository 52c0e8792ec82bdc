"""Sniff: the real type from the bytes (real libmagic), the allowlist, and extension mismatches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from edrm.ingest.sniff import DOCX, ODS, ODT, XLSX, file_extension, sniff
from edrm.ingest.types import RejectedInputError
from tests.ingest import fixtures

CONFIG = fixtures.config()


def rejection(tmp_path: Path, data: bytes, name: str, **limits: int) -> RejectedInputError:
    config = fixtures.config(**limits) if limits else CONFIG
    with pytest.raises(RejectedInputError) as caught:
        sniff(fixtures.write(tmp_path, data), name, config)
    return caught.value


@pytest.mark.parametrize(
    ("make", "name", "mime"),
    [
        (fixtures.born_digital_pdf, "letter.pdf", "application/pdf"),
        (fixtures.png, "scan.png", "image/png"),
        (fixtures.jpeg, "photo.jpg", "image/jpeg"),
        (fixtures.tiff, "scan.tiff", "image/tiff"),
        (fixtures.bmp, "scan.bmp", "image/bmp"),
        (fixtures.gif, "anim.gif", "image/gif"),
        (fixtures.docx, "minutes.docx", DOCX),
        (fixtures.xlsx, "budget.xlsx", XLSX),
        (fixtures.odt, "policy.odt", ODT),
        (fixtures.ods, "assets.ods", ODS),
        (fixtures.eml, "mail.eml", "message/rfc822"),
        (fixtures.msg, "mail.msg", "application/vnd.ms-outlook"),
        (fixtures.html, "page.html", "text/html"),
        (fixtures.utf8_txt, "notes.txt", "text/plain"),
        (fixtures.latin1_txt, "notes.txt", "text/plain"),
        (fixtures.csv, "people.csv", "text/csv"),
        (fixtures.markdown, "readme.md", "text/plain"),
        (fixtures.rtf, "memo.rtf", "text/rtf"),
    ],
)
def test_each_accepted_format_is_recognised_with_its_extension(
    tmp_path: Path, make: Callable[[], bytes], name: str, mime: str
) -> None:
    sniffed = sniff(fixtures.write(tmp_path, make()), name, CONFIG)
    assert sniffed.mime == mime
    assert sniffed.description
    assert sniffed.extension == name.rsplit(".", 1)[1]
    assert sniffed.extension in sniffed.expected_extensions
    assert not sniffed.extension_mismatch


def test_a_pdf_named_docx_is_taken_as_a_pdf_with_the_mismatch_recorded(tmp_path: Path) -> None:
    sniffed = sniff(fixtures.write(tmp_path, fixtures.born_digital_pdf()), "report.docx", CONFIG)
    assert sniffed.mime == "application/pdf"
    assert sniffed.extension == "docx"
    assert sniffed.expected_extensions == ("pdf",)
    assert sniffed.extension_mismatch


def test_a_name_without_an_extension_is_no_mismatch(tmp_path: Path) -> None:
    sniffed = sniff(fixtures.write(tmp_path, fixtures.born_digital_pdf()), "README", CONFIG)
    assert sniffed.extension == ""
    assert not sniffed.extension_mismatch


def test_an_email_libmagic_calls_plain_text_fits_its_eml_name(tmp_path: Path) -> None:
    sniffed = sniff(fixtures.write(tmp_path, fixtures.headerless_eml()), "figures.eml", CONFIG)
    assert sniffed.mime == "text/plain"
    assert not sniffed.extension_mismatch


def test_text_with_nul_bytes_is_taken_as_text(tmp_path: Path) -> None:
    sniffed = sniff(fixtures.write(tmp_path, fixtures.nul_txt()), "notes.txt", CONFIG)
    assert sniffed.mime == "text/plain"
    assert "NUL" in sniffed.description
    assert not sniffed.extension_mismatch


def test_text_ending_in_a_dos_end_of_file_mark_is_taken_as_text(tmp_path: Path) -> None:
    data = b"Minutes of the meeting held on 3 March 2025.\r\n\x1a"
    sniffed = sniff(fixtures.write(tmp_path, data), "minutes.txt", CONFIG)
    assert sniffed.mime == "text/plain"
    assert "control characters" in sniffed.description


def test_text_libmagic_takes_for_source_code_is_taken_as_text(tmp_path: Path) -> None:
    sniffed = sniff(fixtures.write(tmp_path, fixtures.c_like_txt()), "notes.txt", CONFIG)
    assert sniffed.mime == "text/x-c"
    assert not sniffed.extension_mismatch


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    error = rejection(tmp_path, b"", "empty.pdf")
    assert error.reason == "empty"
    assert "empty" in str(error)


def test_a_file_over_the_size_limit_is_rejected(tmp_path: Path) -> None:
    error = rejection(tmp_path, fixtures.born_digital_pdf(), "big.pdf", max_file_bytes=1000)
    assert error.reason == "too_large"
    assert "limit" in str(error)


def test_an_executable_named_pdf_is_rejected_saying_what_it_is(tmp_path: Path) -> None:
    error = rejection(tmp_path, fixtures.elf(), "invoice.pdf")
    assert error.reason == "not_allowed"
    assert str(error).startswith("the file is an ELF")
    assert str(error).endswith("which edrm does not accept")


def test_random_bytes_named_docx_are_rejected(tmp_path: Path) -> None:
    error = rejection(tmp_path, fixtures.random_bytes(), "minutes.docx")
    assert error.reason == "not_allowed"
    assert "unrecognised binary data" in str(error)


def test_an_ole_file_that_is_not_an_outlook_message_is_rejected(tmp_path: Path) -> None:
    error = rejection(tmp_path, fixtures.ole_not_msg(), "mail.msg")
    assert error.reason == "not_allowed"


def test_a_password_protected_office_document_is_rejected_as_encrypted(tmp_path: Path) -> None:
    error = rejection(tmp_path, fixtures.encrypted_docx(), "secret.docx")
    assert error.reason == "encrypted"
    assert str(error) == "the Office document is password-protected"


def test_a_rejection_message_never_names_the_file(tmp_path: Path) -> None:
    error = rejection(tmp_path, fixtures.elf(), "secret-plans.pdf")
    assert "secret-plans" not in str(error)


@pytest.mark.parametrize(
    ("name", "extension"),
    [
        ("../../etc/passwd.pdf", "pdf"),
        ("..\\..\\windows\\report.PDF", "pdf"),
        ("a" * 250 + ".pdf", "pdf"),
        ("bad\x00name\x07with\nbreaks.pdf", "pdf"),
        ("report.pd\x07f", ""),
        ("report\udcff\udcfe.pdf", "pdf"),  # undecodable bytes, as os.fsdecode gives them
        (".pdf", ""),
        ("archive.", ""),
        ("", ""),
        ("name.averyveryverylongextension", ""),
    ],
)
def test_the_extension_is_read_safely_from_any_name(name: str, extension: str) -> None:
    assert file_extension(name) == extension


@pytest.mark.parametrize(
    "name", ["../../../tmp/x.pdf", "\x1b[31mred\x1b[0m.pdf", "é" * 300 + ".pdf", "\x00"]
)
def test_hostile_names_are_sniffed_like_any_other(tmp_path: Path, name: str) -> None:
    sniffed = sniff(fixtures.write(tmp_path, fixtures.born_digital_pdf()), name, CONFIG)
    assert sniffed.mime == "application/pdf"
    assert sniffed.extension in ("pdf", "")


def test_text_libmagic_takes_for_a_plotter_file_is_text_when_named_as_text(
    tmp_path: Path,
) -> None:
    """Real data (issue 15): a paper's abstract beginning "IN;" was refused as "a Hewlett-Packard
    Graphics Language" file."""
    data = b"IN;SP1 is how a plotter file begins, but this is a note about plotters.\n"
    sniffed = sniff(fixtures.write(tmp_path, data), "abstract.txt", CONFIG)
    assert (sniffed.mime, sniffed.extension_mismatch) == ("text/plain", False)
    assert "Hewlett-Packard" in sniffed.description


def test_a_plotter_file_named_as_a_plotter_file_keeps_its_type(tmp_path: Path) -> None:
    error = rejection(tmp_path, b"IN;SP1;PU0,0;PD100,100;\n", "drawing.hpgl")
    assert "Hewlett-Packard Graphics Language" in str(error)


@pytest.mark.parametrize(
    "data",
    [
        b"Hello world\nsecond line\n",
        "Caf\u00e9 na\u00efve \u00a3 10\n".encode(),
        "\ufeffHello there\n".encode(),
        "Caf\u00e9 \u00a3 10\n".encode("latin-1"),
        b"line,text\n1,hello\n2,world\n3,again\n",
        b"<!doctype html><html><head><title>x</title></head><body><p>hi</p></body></html>",
        b"Hello\r\nWorld\r\n",
        b"#include <stdio.h>\nint main(){}\n",
        b"From: a@example.org\nTo: b@example.org\nSubject: hi\n\nbody\n",
        "Hello, UTF-16 text\n".encode("utf-16"),
    ],
)
def test_the_type_read_from_the_description_is_the_one_libmagic_gives(
    tmp_path: Path, data: bytes
) -> None:
    """One libmagic call where the description names the type: the same type as asking."""
    import magic

    path = fixtures.write(tmp_path, data)
    sniffed = sniff(path, "notes.txt", CONFIG)
    asked = magic.from_file(str(path), mime=True)
    assert sniffed.mime == asked or (sniffed.mime == "text/plain" and asked.startswith("text/"))
    assert sniffed.description == magic.from_file(str(path))


def test_a_born_digital_pdf_is_described_and_typed_by_one_call(tmp_path: Path) -> None:
    path = fixtures.write(tmp_path, fixtures.born_digital_pdf())
    sniffed = sniff(path, "letter.pdf", CONFIG)
    assert sniffed.mime == "application/pdf"
    assert sniffed.description.startswith("PDF document")
