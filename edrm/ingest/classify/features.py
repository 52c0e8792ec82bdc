"""What the model reads of a document: its text, and for e-mail the structure around it.

An e-mail's body alone is a poor guide to its genre: replies quote whole earlier messages (about
something else), and the telling parts are often the subject, who sent it, to how many people,
and the names of the files attached. `model_text` turns these into one string for the model's
vectorisers: the body with quoted text removed, then marker words that no document uses on its
own (`zzsender…`, `zzrecipients…`, `zzattach…`), the subject and the attachment and file names
split into words. Plain documents get their text and the words of their file name.

Nothing here touches the database or the disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MARK = "zz"  # prefix of the marker words (letters only: the vectoriser's words start with one)
CHAR_SAMPLE = 20_000  # the model's character n-grams read this much of the text

# "On 3 May 2024, at 10:02, Jane Smith <j@x.gov.uk> wrote:" (possibly wrapped onto two lines)
_ATTRIBUTION = re.compile(r"(?im)^[ \t]*On\b[^\n]{0,200}(?:\n[^\n]{0,200})?\bwrote:[ \t]*$")
# Outlook's separators: "-----Original Message-----", or a "From: … Sent: …" header block
_ORIGINAL = re.compile(r"(?im)^[ \t]*-{2,}[ \t]*(?:Original Message|Forwarded message)[ \t]*-{2,}")
_OUTLOOK_HEADER = re.compile(r"(?im)^[ \t]*From:[^\n]*\n(?:[^\n]*\n){0,2}[ \t]*Sent:")
_QUOTED_LINE = re.compile(r"(?m)^[ \t]*>.*(?:\n|$)")
_SUBJECT_PREFIX = re.compile(r"^(?:\s*(?:re|fw|fwd|aw|wg)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_ADDRESS = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")
_NAME_WORDS = re.compile(r"[^\W\d_]+")


def is_email(properties: Mapping[str, str]) -> bool:
    """Whether the properties are an e-mail's (a sender, or a subject with recipients)."""
    return bool(
        properties.get("sender_email")
        or properties.get("sender")
        or (properties.get("subject") and (properties.get("to") or properties.get("cc")))
    )


def without_quoted_text(body: str) -> str:
    """The new part of an e-mail body: everything before the first quoted earlier message
    ("On … wrote:", "-----Original Message-----", an Outlook "From:/Sent:" block), and no
    line that starts with ">". A body that is nothing but a quotation is kept as it is."""
    cut = len(body)
    for pattern in (_ATTRIBUTION, _ORIGINAL, _OUTLOOK_HEADER):
        match = pattern.search(body)
        if match and match.start() < cut:
            cut = match.start()
    new = _QUOTED_LINE.sub("", body[:cut]).strip()
    return new or body.strip()


def recipient_count(properties: Mapping[str, str]) -> int:
    """How many addresses the To and Cc headers name."""
    return sum(len(_ADDRESS.findall(properties.get(key, ""))) for key in ("to", "cc"))


def _recipients_word(count: int) -> str:
    if count <= 1:
        return f"{MARK}recipients{'none' if count == 0 else 'one'}"
    if count <= 4:
        return f"{MARK}recipientsfew"
    return f"{MARK}recipientsmany"


def _sender_words(properties: Mapping[str, str]) -> list[str]:
    found = _ADDRESS.findall(properties.get("sender_email", "") or properties.get("sender", ""))
    if not found:
        return []
    local, domain = found[0].lower().rsplit("@", 1)
    squash = lambda value: re.sub(r"[^a-z]", "", value)  # noqa: E731
    return [f"{MARK}sender{squash(local)}{squash(domain)}", f"{MARK}domain{squash(domain)}"]


def name_words(name: str) -> list[str]:
    """A file name as words: "Invoice_1001-final.pdf" -> invoice, final, and zzextpdf."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    words = [w.lower() for w in _NAME_WORDS.findall(stem.replace("_", " "))]
    if extension.isalnum() and len(extension) <= 5:
        words.append(f"{MARK}ext{extension.lower()}")
    return words


def model_text(
    text: str,
    filename: str = "",
    properties: Mapping[str, str] | None = None,
    attachment_names: Iterable[str] = (),
) -> str:
    """The text the model learns from and classifies: see the module docstring."""
    properties = properties or {}
    if not is_email(properties):
        extra = name_words(filename) if filename else []
        return f"{text}\n\n{' '.join(extra)}" if extra else text
    subject = _SUBJECT_PREFIX.sub("", properties.get("subject", "")).strip()
    markers = [*_sender_words(properties), _recipients_word(recipient_count(properties))]
    if subject != properties.get("subject", "").strip():
        markers.append(f"{MARK}reply")
    attached = [word for name in attachment_names for word in name_words(name)]
    markers.append(f"{MARK}attachments{'yes' if attached else 'no'}")
    parts = [subject, without_quoted_text(text), " ".join(markers), " ".join(attached)]
    return "\n\n".join(part for part in parts if part)


def char_sample(text: str) -> str:
    """What the model's character n-grams read: the start of the text, in lower case. (Here,
    not in `model`, because a saved model names it: see `edrm.ingest.classify`.)"""
    return text[:CHAR_SAMPLE].lower()
