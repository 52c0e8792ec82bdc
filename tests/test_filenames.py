"""File names from uploads are made safe to keep, show and download, never empty."""

from __future__ import annotations

import pytest

from edrm.documents.filenames import MAX_LENGTH, safe_filename, title_from_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/var/tmp/report.pdf", "report.pdf"),
        ("C:\\Users\\ann\\report.pdf", "report.pdf"),
    ],
)
def test_directories_are_stripped(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_control_characters_are_replaced() -> None:
    result = safe_filename("bad\x00name\x07with\nbreaks\x1f.txt")
    assert result.endswith(".txt")
    assert all(ord(c) >= 32 and c != "\x7f" for c in result)


def test_characters_windows_forbids_are_replaced() -> None:
    result = safe_filename('a<b>c:d"e|f?g*h.txt')
    assert not set('<>:"|?*') & set(result)
    assert result.endswith(".txt")


@pytest.mark.parametrize("name", ["CON.txt", "con", "nul.", "LPT1.log", "com3.tar.gz", "CON .txt"])
def test_reserved_device_names_are_changed(name: str) -> None:
    result = safe_filename(name)
    base = result.split(".", 1)[0].rstrip(" ").lower()
    assert base not in {"con", "nul", "lpt1", "com3"}


def test_names_that_merely_start_like_a_reserved_name_are_kept() -> None:
    assert safe_filename("console.txt") == "console.txt"
    assert safe_filename("com10.txt") == "com10.txt"


def test_a_long_name_is_shortened_keeping_the_extension() -> None:
    result = safe_filename("x" * 500 + ".pdf")
    assert len(result) <= MAX_LENGTH == 200
    assert result.endswith(".pdf")
    assert result.startswith("xxx")


def test_a_long_name_without_an_extension_is_shortened() -> None:
    assert len(safe_filename("y" * 500)) <= 200


@pytest.mark.parametrize("name", ["...", "", "\x00", "   ", "/", "///", "_._"])
def test_the_result_is_never_empty(name: str) -> None:
    result = safe_filename(name)
    assert result
    assert result == "document"


def test_a_fallback_name_can_be_given() -> None:
    assert safe_filename("", fallback="scan") == "scan"


def test_unicode_letters_are_kept() -> None:
    assert safe_filename("Café menu.docx") == "Café menu.docx"
    assert safe_filename("Straße – Übersicht.pdf") == "Straße – Übersicht.pdf"


def test_decomposed_unicode_is_normalised() -> None:
    assert safe_filename("Cafe\u0301.txt") == "Caf\u00e9.txt"


def test_runs_of_whitespace_become_one_space() -> None:
    assert safe_filename("  annual   report  2024 .pdf ") == "annual report 2024.pdf"


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("annual_report_2024.pdf", "Annual report 2024"),
        ("Café menu.docx", "Café menu"),
        ("minutes.final.docx", "Minutes.final"),
        ("noextension", "Noextension"),
        ("__.txt", "Untitled document"),
    ],
)
def test_title_from_filename(name: str, title: str) -> None:
    assert title_from_filename(name) == title
