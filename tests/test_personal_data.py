"""The personal-data detector (edrm.personal_data): NHS numbers by their modulus 11 check and a
context word, UK phone numbers checked by phonenumbers, postcodes by their area, and the ways
each may be written (for subject access searches)."""

from __future__ import annotations

from edrm.personal_data import count_pii, find_identifiers, nhs_check_digit_ok


def test_nhs_numbers_need_the_modulus_11_check_digit() -> None:
    assert nhs_check_digit_ok("9434765919")  # the NHS's own example
    assert not nhs_check_digit_ok("9434765918")
    assert not nhs_check_digit_ok("123456789")
    # 000000006?: 6 x 2 = 12, remainder 1, 11 - 1 = 10: no check digit fits
    assert not any(nhs_check_digit_ok(f"000000006{d}") for d in "0123456789")


def test_nhs_numbers_are_counted_with_a_context_word_only() -> None:
    text = "Patient NHS number 943 476 5919 seen at the clinic."
    assert count_pii(text)["nhs_number"] == 1
    assert count_pii("Invoice 943 476 5919 paid.")["nhs_number"] == 0  # no context: not counted
    assert count_pii("NHS no. 943 476 5918")["nhs_number"] == 0  # bad check digit
    assert count_pii("NHS: 9434765919 and again 943-476-5919")["nhs_number"] == 1
    (found,) = [i for i in find_identifiers(text) if i.kind == "nhs_number"]
    assert found.forms == ("943 476 5919", "9434765919")


def test_phone_numbers_are_checked_by_phonenumbers() -> None:
    assert count_pii("Ring 020 1234 5678 or 07123 456789.")["uk_phone"] == 2
    # a number shaped like a UK one but in no allocated range
    assert count_pii("Ring 01000 000000 or 0600 000 0000.")["uk_phone"] == 0
    # Ofcom's drama ranges are phone numbers too
    assert count_pii("Ring 07700 900123.")["uk_phone"] == 1
    (phone,) = find_identifiers("Call +44 20 7946 0604 now")
    assert phone.value == "02079460604"
    assert "020 7946 0604" in phone.forms and "+442079460604" in phone.forms


def test_postcodes_need_a_real_area_and_may_be_lower_case_with_the_space() -> None:
    assert count_pii("SW1A 1AA, sw1a 2aa, XY1 2AB, QX12 3AB")["postcode"] == 2
    found = [i for i in find_identifiers("Write to M1 1AE") if i.kind == "postcode"]
    assert [i.forms for i in found] == [("M1 1AE", "M11AE")]


def test_identifiers_come_with_their_written_forms_in_order() -> None:
    text = "Jane (QQ123456C, jane@example.org) lives at CA13 9PL."
    kinds = [(i.kind, i.value) for i in find_identifiers(text)]
    assert kinds == [
        ("ni_number", "QQ123456C"),
        ("email", "jane@example.org"),
        ("postcode", "CA139PL"),
    ]
    assert find_identifiers(text)[0].forms == ("QQ123456C", "QQ 12 34 56 C")
