"""The personal-data detector: identifiers of people found in text, with where they are and
every way each may be written (so a subject access search can look for all of them).

    ni_number   National Insurance numbers as HMRC allocates them (and QQ, its test prefix)
    email       e-mail addresses
    uk_phone    UK phone numbers, checked by `phonenumbers` (Google's libphonenumber data),
                plus Ofcom's ranges kept for drama and examples (07700 900xxx, 01632 960xxx …)
    postcode    full UK postcodes whose area (the leading letters) exists
    nhs_number  NHS numbers: ten digits whose modulus 11 check digit is right, with a context
                word ("NHS", "patient", "hospital" …) nearby, since one 10-digit number in 11 passes
                the check by chance

The ingest pipeline's metadata step counts them (`count_pii`, the document's personal-data
indicators); disclosure's subject access search turns what an officer types about a person
into search terms (`find_identifiers`, `Identifier.forms`). Pure functions, no state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How much of a document is scanned (the metadata step's bound).
SCAN_CHARS = 1_000_000

# National Insurance numbers as HMRC allocates them: the first letter is not D, F, I, Q, U or V;
# the second is not D, F, I, O, Q, U or V; BG, GB, KN, NK, NT, TN and ZZ are never used; the
# suffix is A-D. Written in capitals, with or without spaces. QQ is also counted: it is the
# prefix HMRC keeps for examples and test data (the demo corpus uses it), and a QQ number in a
# document still shows that someone put NI-shaped personal data there.
_NI = re.compile(
    r"\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]|QQ) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])\b"
)
_NI_NEVER = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Candidates: +44 or 0, then the rest of a UK number with spaces or hyphens between digit groups;
# `phonenumbers` then decides whether each is a real UK number.
_PHONE = re.compile(r"(?<![\w+])(?:\+44[ ]?(?:\(0\)[ ]?)?|\(?0)(?:\d[ \-)]?){8,9}\d(?!\w)")
#: Ofcom's numbers for drama and examples (national form prefixes): phone numbers in every
#: sense that matters here, though never connected, so `phonenumbers` calls them invalid.
_DRAMA = ("07700900", "01632960", "08081570", "09098790", "03069990")
# Full postcodes: outward code (A9, A99, A9A, AA9, AA99, AA9A or GIR) and inward code; capitals,
# or lower case with the space (a lower-case run of letters and digits is too often something
# else).
POSTCODE_PATTERN = re.compile(
    r"\b(?:[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?)|GIR)"
    r" ?\d[ABD-HJLNP-UW-Z]{2}\b"
)
_POSTCODE_LOWER = re.compile(
    r"\b[a-pr-uwyz](?:\d[a-hjkpstuw\d]?|[a-hk-y]\d[abehmnprvwxy\d]?) \d[abd-hjlnp-uw-z]{2}\b"
)
#: The postcode areas of the UK (and GIR 0AA), so that "XY1 2AB" is not a postcode.
POSTCODE_AREAS = frozenset(
    [
        "AB",
        "AL",
        "B",
        "BA",
        "BB",
        "BD",
        "BF",
        "BH",
        "BL",
        "BN",
        "BR",
        "BS",
        "BT",
        "BX",
        "CA",
        "CB",
        "CF",
        "CH",
        "CM",
        "CO",
        "CR",
        "CT",
        "CV",
        "CW",
        "DA",
        "DD",
        "DE",
        "DG",
        "DH",
        "DL",
        "DN",
        "DT",
        "DY",
        "E",
        "EC",
        "EH",
        "EN",
        "EX",
        "FK",
        "FY",
        "G",
        "GL",
        "GU",
        "GY",
        "HA",
        "HD",
        "HG",
        "HP",
        "HR",
        "HS",
        "HU",
        "HX",
        "IG",
        "IM",
        "IP",
        "IV",
        "JE",
        "KA",
        "KT",
        "KW",
        "KY",
        "L",
        "LA",
        "LD",
        "LE",
        "LL",
        "LN",
        "LS",
        "LU",
        "M",
        "ME",
        "MK",
        "ML",
        "N",
        "NE",
        "NG",
        "NN",
        "NP",
        "NR",
        "NW",
        "OL",
        "OX",
        "PA",
        "PE",
        "PH",
        "PL",
        "PO",
        "PR",
        "RG",
        "RH",
        "RM",
        "S",
        "SA",
        "SE",
        "SG",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SP",
        "SR",
        "SS",
        "ST",
        "SW",
        "SY",
        "TA",
        "TD",
        "TF",
        "TN",
        "TQ",
        "TR",
        "TS",
        "TW",
        "UB",
        "W",
        "WA",
        "WC",
        "WD",
        "WF",
        "WN",
        "WR",
        "WS",
        "WV",
        "YO",
        "ZE",
        "GIR",
    ]
)
_NHS = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
_NHS_CONTEXT = re.compile(
    r"\b(?:NHS|CHI|patient|hospital|GP|surgery|clinic|health|medical|trust)\b", re.IGNORECASE
)
NHS_CONTEXT_CHARS = 60

KINDS = ("ni_number", "email", "uk_phone", "postcode", "nhs_number")


@dataclass(frozen=True)
class Identifier:
    """One identifier found: its kind, its normal form, the ways it may be written, where."""

    kind: str
    value: str
    forms: tuple[str, ...]
    start: int
    end: int


def nhs_check_digit_ok(digits: str) -> bool:
    """The NHS number's modulus 11 check: weights 10 to 2 on the first nine digits; 11 minus the
    remainder is the check digit (11 becomes 0; 10 means no valid number)."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def uk_phone(candidate: str) -> str:
    """The national form (0…, digits only) of a UK phone number, or "" when it is not one."""
    import phonenumbers  # its metadata loads on first use

    digits = re.sub(r"\D", "", candidate)
    if candidate.startswith("+44"):
        digits = "0" + digits[2:].removeprefix("0")
    if len(digits) not in (10, 11) or not digits.startswith("0"):
        return ""
    if digits.startswith(_DRAMA):
        return digits
    try:
        number = phonenumbers.parse(digits, "GB")
    except phonenumbers.NumberParseException:
        return ""
    return digits if phonenumbers.is_valid_number(number) else ""


def _phone_forms(national: str) -> tuple[str, ...]:
    import phonenumbers

    try:
        number = phonenumbers.parse(national, "GB")
        spaced = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        intl = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:  # pragma: no cover - digits already checked
        spaced = intl = national
    return tuple(dict.fromkeys((spaced, national, intl, "+44" + national[1:])))


def _postcode_area(code: str) -> str:
    return re.match(r"[A-Z]+", code.upper()).group(0)  # type: ignore[union-attr]


def _nhs_in_context(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - NHS_CONTEXT_CHARS) : start]
    after = text[end : end + NHS_CONTEXT_CHARS]
    return bool(_NHS_CONTEXT.search(before) or _NHS_CONTEXT.search(after))


def find_identifiers(text: str, *, context_free_nhs: bool = False) -> list[Identifier]:
    """Every identifier in `text` (up to SCAN_CHARS), in order of where it starts.
    `context_free_nhs` accepts an NHS number without a context word (for what an officer types
    into a search box, which is known to be about a person)."""
    sample = text[:SCAN_CHARS]
    found: list[Identifier] = []
    for m in _NI.finditer(sample):
        if m.group(1) in _NI_NEVER:
            continue
        value = "".join(m.groups())
        spaced = f"{value[:2]} {value[2:4]} {value[4:6]} {value[6:8]} {value[8]}"
        found.append(Identifier("ni_number", value, (value, spaced), m.start(), m.end()))
    for m in _EMAIL.finditer(sample):
        value = m.group(0).lower()
        found.append(Identifier("email", value, (value,), m.start(), m.end()))
    for m in _PHONE.finditer(sample):
        national = uk_phone(m.group(0))
        if national:
            found.append(
                Identifier("uk_phone", national, _phone_forms(national), m.start(), m.end())
            )
    postcodes = [*POSTCODE_PATTERN.finditer(sample), *_POSTCODE_LOWER.finditer(sample)]
    for m in postcodes:
        code = m.group(0).upper()
        if _postcode_area(code) not in POSTCODE_AREAS:
            continue
        value = code.replace(" ", "")
        spaced = f"{value[:-3]} {value[-3:]}"
        found.append(Identifier("postcode", value, (spaced, value), m.start(), m.end()))
    for m in _NHS.finditer(sample):
        digits = "".join(m.groups())
        if not nhs_check_digit_ok(digits):
            continue
        if not context_free_nhs and not _nhs_in_context(sample, m.start(), m.end()):
            continue
        spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        found.append(Identifier("nhs_number", digits, (spaced, digits), m.start(), m.end()))
    found.sort(key=lambda i: (i.start, i.kind))
    return found


def count_pii(text: str) -> dict[str, int]:
    """How many distinct identifiers of each kind (the metadata step's indicators)."""
    seen: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for identifier in find_identifiers(text):
        seen[identifier.kind].add(identifier.value)
    return {kind: len(values) for kind, values in seen.items()}
