"""Response letters from templates: granted, partly granted, refused (the exemptions cited,
and the public interest test for the qualified ones), information not held, and vexatious.

    text = letter_text(LetterFacts(...))      the letter as plain paragraphs
    pdf = letter_pdf(text, title)             the same as an A4 PDF (filed as a record)

The wording follows each regime: FOIA 2000 (s.1, s.14, s.17), the EIR 2004 (reg. 5, 12(4)(a),
12(4)(b), 14) and UK GDPR Article 15 for subject access (where "vexatious" is "manifestly
unfounded or excessive", Article 12(5)). Pure: no database, no files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from disclosure.redaction_config import Exemption

_LAW = {
    "foi": "the Freedom of Information Act 2000",
    "eir": "the Environmental Information Regulations 2004",
    "sar": "Article 15 of the UK General Data Protection Regulation",
}
_OPENING: dict[str, str | dict[str, str]] = {
    "granted": "We hold the information you asked for, and it is enclosed.",
    "part": (
        "We hold the information you asked for. Some of it is enclosed; the rest is withheld "
        "under the exemptions set out below, and is shown as black boxes labelled with the "
        "exemption applied."
    ),
    "refused": (
        "We hold the information you asked for, but it is withheld under the exemptions set "
        "out below."
    ),
    "not-held": {
        "foi": "We do not hold the information you asked for (section 1(1)(a) of the Act).",
        "eir": "We do not hold the information you asked for (regulation 12(4)(a)).",
        "sar": "We do not process any personal data about you beyond what is set out here.",
    },
    "vexatious": {
        "foi": (
            "We are not obliged to answer your request because it is vexatious "
            "(section 14(1) of the Act)."
        ),
        "eir": (
            "We are refusing your request because it is manifestly unreasonable "
            "(regulation 12(4)(b))."
        ),
        "sar": (
            "We are refusing your request because it is manifestly unfounded or excessive "
            "(Article 12(5) UK GDPR)."
        ),
    },
}
_RIGHTS = {
    "foi": (
        "If you are unhappy with this response you may ask for an internal review within 40 "
        "working days of this letter. If you are still unhappy after the review you may "
        "complain to the Information Commissioner's Office (ico.org.uk)."
    ),
    "eir": (
        "You may ask us to reconsider this response within 40 working days (regulation 11). "
        "If you are still unhappy you may complain to the Information Commissioner's Office "
        "(ico.org.uk)."
    ),
    "sar": (
        "If you are unhappy with this response you may complain to us, and to the Information "
        "Commissioner's Office (ico.org.uk); you may also seek to enforce your rights through "
        "the courts."
    ),
}


@dataclass(frozen=True)
class LetterFacts:
    letter: str  # granted | part | refused | not-held | vexatious
    kind: str  # foi | eir | sar
    reference: str
    received: dt.date
    sent: dt.date
    summary: str
    addressee: str
    exemptions: Sequence[Exemption] = ()
    public_interest: str = ""
    records: int = 0


def _sentence(text: str) -> str:
    text = text.strip() or "(see your request)"
    return text if text[-1] in ".!?)" else f"{text}."


def letter_text(facts: LetterFacts) -> list[str]:
    """The letter's paragraphs, in order."""
    chosen = _OPENING[facts.letter]
    opening: str = chosen[facts.kind] if isinstance(chosen, dict) else chosen
    paragraphs = [
        facts.sent.strftime("%-d %B %Y"),
        f"Our reference: {facts.reference}",
        f"Dear {facts.addressee or 'requester'},",
        f"Thank you for your request of {facts.received.strftime('%-d %B %Y')}, which we have "
        f"handled under {_LAW[facts.kind]}. You asked for: {_sentence(facts.summary)}",
        opening,
    ]
    if facts.letter in ("granted", "part") and facts.records:
        paragraphs.append(f"The enclosed bundle holds {facts.records} record(s).")
    if facts.letter in ("part", "refused") and facts.exemptions:
        paragraphs.append("Exemptions applied:")
        paragraphs.extend(
            f"- {e.code}: {e.title}{' (qualified)' if e.qualified else ''}"
            for e in facts.exemptions
        )
        if any(e.qualified for e in facts.exemptions):
            paragraphs.append(
                "Public interest test. The exemptions above marked as qualified apply only "
                "where the public interest in withholding the information outweighs the "
                "public interest in disclosing it. " + facts.public_interest.strip()
            )
    paragraphs.append(_RIGHTS[facts.kind])
    paragraphs.append("Yours sincerely,")
    paragraphs.append("Information Rights Team")
    return paragraphs


def letter_pdf(paragraphs: Sequence[str], title: str) -> bytes:
    """The letter on A4 (Helvetica 11 pt)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_title(title)
    pdf.set_producer("edrm")
    pdf.set_creator("edrm")
    pdf.set_margins(64, 64, 64)
    pdf.set_auto_page_break(True, margin=64)
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for paragraph in paragraphs:
        text = paragraph.encode("latin-1", "replace").decode("latin-1")
        pdf.multi_cell(0, 15, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
    return bytes(pdf.output())
