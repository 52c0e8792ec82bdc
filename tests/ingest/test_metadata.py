"""The metadata step: title, UK dates, author, references, language, marking, personal data."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
import regex

from edrm.errors import InvalidInputError
from edrm.ingest.metadata import (
    ReferencePattern,
    count_pii,
    extract_metadata,
    find_author,
    find_date,
    find_marking,
    find_references,
    find_title,
    load_metadata_config,
)
from edrm.ingest.types import DocumentMetadata
from edrm.settings import DEFAULT_CONFIG_DIR

CONFIG = DEFAULT_CONFIG_DIR / "metadata.toml"


@pytest.fixture(scope="module")
def patterns() -> list[ReferencePattern]:
    return load_metadata_config(CONFIG)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "metadata.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    ["3 March 2025", "03/03/2025", "3rd March 2025", "2025-03-03", "3 Mar 2025", "March 3, 2025"],
)
def test_uk_date_formats_are_read(written: str) -> None:
    assert find_date(f"Some notes\nDate: {written}\n", {}) == date(2025, 3, 3)


def test_slashed_date_is_day_first() -> None:
    assert find_date("Date: 04/03/2025", {}) == date(2025, 3, 4)


def test_letter_date_standing_alone_near_the_top_is_chosen() -> None:
    text = (
        "Our ref: MC2019/14381\n\nHelen McAllister MP\nHouse of Commons\n\n28 October 2019\n\n"
        "Dear Helen,\n\nThank you for your letter of 6 October 2019.\n"
    )
    assert find_date(text, {}) == date(2019, 10, 28)


def test_labelled_date_wins_over_an_earlier_unlabelled_one() -> None:
    text = "TAX INVOICE\nPayment expected by 30 April 2025\nInvoice date: 2 March 2025\n"
    assert find_date(text, {}) == date(2025, 3, 2)


def test_first_date_in_the_text_when_none_is_labelled() -> None:
    text = "Chronology\n\n08/02/2023  Case opened.\n20/02/2023  Meeting held.\n"
    assert find_date(text, {}) == date(2023, 2, 8)


def test_impossible_date_is_skipped() -> None:
    assert find_date("Date: 31/02/2025\nThen 5 May 2025 happened.", {}) == date(2025, 5, 5)


def test_date_falls_back_to_the_properties() -> None:
    assert find_date("no dates here", {"created": "2024-05-06T10:00:00Z"}) == date(2024, 5, 6)


def test_no_date_anywhere_is_none() -> None:
    assert find_date("no dates here", {}) is None


# --- title ------------------------------------------------------------------------------------


def test_title_comes_from_the_properties_when_meaningful() -> None:
    title = find_title("HEADING", {"title": "Flood resilience review"}, "x.docx")
    assert title == "Flood resilience review"


@pytest.mark.parametrize(
    "placeholder", ["Microsoft Word - draft3.docx", "Untitled", "", "Document1"]
)
def test_placeholder_property_titles_are_ignored(placeholder: str) -> None:
    assert find_title("Flood resilience review\n\nText.", {"title": placeholder}, "a.docx") == (
        "Flood resilience review"
    )


def test_title_skips_marking_department_and_field_lines() -> None:
    text = (
        "OFFICIAL-SENSITIVE\n\nDEPARTMENT FOR RESILIENCE AND REGIONAL SERVICES\n"
        "SECURITY INCIDENT REPORT SI-2019-0182\n\nAuthor: Stuart MacLeod\nDate: 17 June 2019\n"
    )
    assert find_title(text, {}, "x.txt") == "SECURITY INCIDENT REPORT SI-2019-0182"


def test_letter_title_is_the_subject_line_after_the_salutation() -> None:
    text = (
        "Department for Resilience and Regional Services\n14 Marsham Walk, London SW1P 4DF\n\n"
        "Mr Robert Haldane\n29 Doherty Avenue\nCaldbeck Vale YO1 6ZD\n\n21 July 2022\n\n"
        "Dear Mr Haldane,\n\nYour complaint: stage 1 response\n\nThank you for contacting us.\n"
    )
    assert find_title(text, {}, "x.txt") == "Your complaint: stage 1 response"


def test_email_subject_is_the_title() -> None:
    text = "From: A <a@b.gov.uk>\nTo: C <c@b.gov.uk>\nSubject: Invoice INV-20988 on hold\n\nHi"
    assert find_title(text, {}, "mail.eml") == "Invoice INV-20988 on hold"


def test_markdown_heading_is_the_title() -> None:
    text = "OFFICIAL\n\n# Departmental Board: minutes\n\n**Meeting:** DB(19)08\n"
    assert find_title(text, {}, "x.md") == "Departmental Board: minutes"


def test_title_falls_back_to_the_file_name() -> None:
    text = "Directorate,Cost centre,Budget line\nPolicy,PD100,Staff costs\n"
    assert find_title(text, {}, "budget_2019-20.csv") == "budget 2019-20"


# --- author -----------------------------------------------------------------------------------


def test_author_comes_from_the_properties() -> None:
    assert find_author("Yours sincerely,\n\nBen Jones", {"author": "Fiona Nowak"}) == "Fiona Nowak"


def test_sender_property_gives_the_name_without_the_address() -> None:
    assert find_author("", {"sender": "Jane Smith <jane.smith@drrs.gov.uk>"}) == "Jane Smith"


def test_author_from_an_author_line() -> None:
    assert find_author("REPORT\n\nAuthor: Alice Smith, Policy Directorate\n", {}) == "Alice Smith"


def test_author_from_a_signature() -> None:
    text = "Dear Sir,\n\nThank you.\n\nYours sincerely,\n\nBen Jones\nComplaints Manager\n"
    assert find_author(text, {}) == "Ben Jones"


def test_no_author_is_empty() -> None:
    assert find_author("Just some text without anyone's name.", {}) == ""


# --- references -------------------------------------------------------------------------------


def test_references_are_unique_and_in_order_found(patterns: list[ReferencePattern]) -> None:
    text = (
        "Invoice INV-25278 against PO-4537651604 under CON-2020-0117.\n"
        "See also CASE-2024-00123, TND-2019-46 and FOI2023/00641; INV-25278 again.\n"
    )
    assert find_references(text, patterns) == [
        "INV-25278",
        "PO-4537651604",
        "CON-2020-0117",
        "CASE-2024-00123",
        "TND-2019-46",
        "FOI2023/00641",
    ]


def test_reference_inside_a_longer_code_is_not_found(patterns: list[ReferencePattern]) -> None:
    assert find_references("Folder CASE-OPS-GRT-2024-00123", patterns) == []


def test_catastrophic_reference_pattern_gives_up_without_hanging() -> None:
    text = "INV-1 " + "a" * 5000 + "!"
    with pytest.raises(TimeoutError):  # the pattern really is catastrophic on this text
        regex.search(r"(a|aa)+$", text, timeout=0.05)
    slow = [ReferencePattern("slow", r"(a|aa)+$"), ReferencePattern("inv", r"\bINV-\d+\b")]
    started = time.perf_counter()
    found = find_references(text, slow)
    assert found == ["INV-1"]
    assert time.perf_counter() - started < 2


def test_default_metadata_config_loads(patterns: list[ReferencePattern]) -> None:
    assert {"invoice", "case", "tender", "foi", "contract"} <= {p.name for p in patterns}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("name = 'bad'\nregex = '(unclosed'", "reference 1 (bad): regex does not compile"),
        ("name = 'Bad Name'\nregex = 'x'", "reference 1: name must be"),
        ("name = 'empty'\nregex = 'a*'", "reference 1 (empty): regex matches the empty string"),
        ("name = 'x'\nregex = 'x'\ncolour = 'red'", "reference 1: unknown key(s) colour"),
        ("name = 'x'", "reference 1 (x): regex must be"),
    ],
)
def test_bad_metadata_config_names_the_entry(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_metadata_config(write(tmp_path, f"[[reference]]\n{entry}\n"))


def test_repeated_reference_name_is_an_error(tmp_path: Path) -> None:
    text = "[[reference]]\nname = 'x'\nregex = 'a'\n[[reference]]\nname = 'x'\nregex = 'b'\n"
    with pytest.raises(InvalidInputError, match="reference 2: name 'x' repeats"):
        load_metadata_config(write(tmp_path, text))


# --- language ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The flood alleviation scheme will protect five hundred homes in the valley.", "en"),
        ("Mae'r cynllun lliniaru llifogydd yn diogelu pum cant o gartrefi yn y dyffryn.", "cy"),
        ("Le programme de protection contre les inondations protège cinq cents maisons.", "fr"),
    ],
)
def test_language_is_detected(text: str, language: str) -> None:
    meta = extract_metadata(text, {}, "a.txt", 1, [])
    assert meta.language == language


@pytest.mark.parametrize("text", ["", "INV-1234", "12/03/2025 £400.00", "Hello there"])
def test_too_little_text_is_undetermined(text: str) -> None:
    assert extract_metadata(text, {}, "a.txt", 1, []).language == "und"


# --- protective marking -----------------------------------------------------------------------


def test_official_sensitive_header_is_found() -> None:
    assert find_marking("OFFICIAL-SENSITIVE\n\nHR FORM\n\nOFFICIAL-SENSITIVE\n") == (
        "OFFICIAL-SENSITIVE"
    )


def test_official_sensitive_with_a_space_is_found() -> None:
    assert find_marking("Official Sensitive: Personal\nNotes follow.") == "OFFICIAL-SENSITIVE"


def test_official_in_ordinary_prose_is_not_a_marking() -> None:
    assert find_marking("This is an official letter about official statistics.") is None


def test_secret_in_ordinary_prose_is_not_a_marking() -> None:
    assert find_marking("The secret of a good filing scheme is simplicity.") is None


def test_official_alone_on_a_line_is_a_marking_in_any_case() -> None:
    assert find_marking("Official\n\nMinutes of the meeting.") == "OFFICIAL"


def test_highest_marking_printed_wins() -> None:
    text = "OFFICIAL\n\nAnnex B is TOP SECRET and held separately.\n\nSECRET\n"
    assert find_marking(text) == "TOP SECRET"


def test_no_marking_is_none() -> None:
    assert find_marking("Minutes of the meeting held on Tuesday.") is None


# --- personal data ----------------------------------------------------------------------------


def test_pii_keys_are_exactly_the_five() -> None:
    assert set(count_pii("")) == {"ni_number", "email", "uk_phone", "postcode", "nhs_number"}


def test_ni_numbers_follow_hmrc_prefix_rules_but_count_qq() -> None:
    text = (
        "QQ 12 34 56 C and AB123456A are NI numbers; DA 12 34 56 A (D first), "
        "AO 12 34 56 A (O second), GB 12 34 56 A (never issued) and AB 12 34 56 E are not. "
        "QQ123456C is the first one again."
    )
    assert count_pii(text)["ni_number"] == 2


def test_email_addresses_are_counted_once_each() -> None:
    text = "Write to foi@drrs.gov.uk or Jane.Smith@example.co.uk; FOI@drrs.gov.uk again."
    assert count_pii(text)["email"] == 2


def test_uk_phone_numbers_landline_and_mobile_are_counted() -> None:
    text = (
        "Call 020 7946 0604, +44 20 7946 0605, 07700 900123, +44 (0)7700 900124 or "
        "0117 496 0277. Not phones: 01/12/2019, account 17627678, PO-4537651604, 12345."
    )
    assert count_pii(text)["uk_phone"] == 5


def test_full_uk_postcodes_are_counted() -> None:
    text = "SW1P 4DF, M1 1AE, NP10 8ZZ, CA13 9PL and SW1P4DF again. Not: E10877, SW1P, A49."
    assert count_pii(text)["postcode"] == 4


# --- the whole step ---------------------------------------------------------------------------


def test_extract_metadata_on_a_personnel_form(patterns: list[ReferencePattern]) -> None:
    text = (
        "OFFICIAL-SENSITIVE\n\n"
        "Department for Resilience and Regional Services: People Directorate\n"
        "HR FORM: CHANGE OF PERSONAL DETAILS\n\nEmployee name: Martin O'Neill\n"
        "Staff number: E10877\nNational Insurance number: QQ 16 18 59 C\n"
        "Line manager: Tomasz Ellison (tomasz.ellison@drrs.gov.uk)\nDate of form: 19 July 2019\n\n"
        "1. New home address: 51 McAllister Road, Lowmoor LS2 8NW\n"
        "2. New personal telephone: 07700 900860\n\nOFFICIAL-SENSITIVE\n"
    )
    meta = extract_metadata(text, {}, "E10877 change.txt", 1, patterns)
    assert meta == DocumentMetadata(
        title="HR FORM: CHANGE OF PERSONAL DETAILS",
        document_date=date(2019, 7, 19),
        author="",
        references=["E10877"],
        language="en",
        page_count=1,
        marking_found="OFFICIAL-SENSITIVE",
        pii={"ni_number": 1, "email": 1, "uk_phone": 1, "postcode": 1, "nhs_number": 0},
    )
