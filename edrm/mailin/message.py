"""Reading a received message (pure): its transmission headers, who it is from, the class it
asks for (a plus-address or a code in the subject) and the key that makes it filed once."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

SMTP, IMAP = "smtp", "imap"
#: "[FIN-AP-INV]" in a subject: letters and digits in parts joined by hyphens.
_SUBJECT_CODE = re.compile(r"\[\s*([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)\s*\]")
#: Headers a mailbox's server may say the message was delivered to (for a plus-address).
_DELIVERED = ("Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class Received:
    """A message as it arrived: its bytes and, by SMTP, the envelope it came in."""

    raw: bytes
    via: str  # smtp | imap
    envelope_sender: str = ""
    envelope_recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class Headers:
    """What a message says about its own sending, as received (one line each)."""

    from_header: str = ""
    from_address: str = ""
    to_header: str = ""
    cc_header: str = ""
    date_header: str = ""
    sent_at: datetime | None = None
    message_id: str = ""
    subject: str = ""
    distribution: list[dict[str, str]] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    auto_submitted: bool = False  # a bounce, an out-of-office or a list: never answered


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _raw_header(message: Message, name: str) -> str:
    """The header's value decoded where it can be, as received where it cannot."""
    try:
        value = message[name]
    except Exception:
        value = next((v for k, v in message.raw_items() if k.lower() == name.lower()), None)
    return _one_line(value) if value is not None else ""


def _sent_at(date: str) -> datetime | None:
    if not date:
        return None
    try:
        moment = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_headers(raw: bytes) -> Headers:
    """The transmission headers of a message (its body is not read here)."""
    message = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    values = {
        name: _raw_header(message, name)
        for name in ("From", "To", "Cc", "Date", "Message-ID", "Subject")
    }
    distribution = [
        {"field": name.lower(), "name": display, "address": address}
        for name in ("To", "Cc")
        for display, address in getaddresses([values[name]])
        if address
    ]
    delivered = [
        address
        for name in _DELIVERED
        for _, address in getaddresses([_raw_header(message, name)])
        if address
    ]
    auto = _raw_header(message, "Auto-Submitted").lower()
    precedence = _raw_header(message, "Precedence").lower()
    return Headers(
        from_header=values["From"],
        from_address=parseaddr(values["From"])[1],
        to_header=values["To"],
        cc_header=values["Cc"],
        date_header=values["Date"],
        sent_at=_sent_at(values["Date"]),
        message_id=values["Message-ID"],
        subject=values["Subject"],
        distribution=distribution,
        delivered_to=delivered,
        auto_submitted=(auto not in ("", "no")) or precedence in ("bulk", "list", "junk"),
    )


def split_address(address: str) -> tuple[str, str, str]:
    """(local part, +tag, domain) of an address, lower-cased but for the tag."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    base, plus, tag = local.partition("+")
    return base.lower(), tag if plus else "", domain.lower()


def is_capture(address: str, capture: str) -> bool:
    """Whether `address` is the capture address, with or without a +tag."""
    if not capture:
        return False
    local, _, domain = split_address(address)
    want_local, _, want_domain = split_address(capture)
    return bool(local) and (local, domain) == (want_local, want_domain)


def plus_code(addresses: list[str] | tuple[str, ...], capture: str) -> str | None:
    """The class a plus-address names (records+FIN-AP-INV@… → "FIN-AP-INV"), if any."""
    for address in addresses:
        _, tag, _ = split_address(address)
        if tag and is_capture(address, capture):
            return tag.strip().upper()
    return None


def subject_codes(subject: str) -> list[str]:
    """Codes in brackets in the subject, in order ("[FIN-AP-INV] invoice" → ["FIN-AP-INV"])."""
    return [m.group(1).upper() for m in _SUBJECT_CODE.finditer(subject)]


def title_without(subject: str, code: str | None) -> str:
    """The subject as a title, without the "[CODE]" that chose its class."""
    if code:
        subject = re.sub(rf"\[\s*{re.escape(code)}\s*\]", " ", subject, count=1, flags=re.I)
    return _one_line(subject)


def receipt_key(headers: Headers, raw: bytes) -> str:
    """What makes a message filed once: its Message-ID, else the hash of its bytes."""
    if headers.message_id:
        return headers.message_id
    return f"sha256:{hashlib.sha256(raw).hexdigest()}"


def recipients_for_plus(received: Received, headers: Headers) -> list[str]:
    """Where to look for a plus-address: the SMTP envelope, else the delivery headers and the
    addresses the message was sent to."""
    if received.envelope_recipients:
        return list(received.envelope_recipients)
    return [*headers.delivered_to, *(d["address"] for d in headers.distribution)]
