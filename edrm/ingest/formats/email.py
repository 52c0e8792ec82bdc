"""Email: .eml through the standard library (policy=default), Outlook .msg through extract-msg.

The body (plain text preferred, else HTML turned into text) is the document's text; sender,
recipients, subject and date become properties; attachments are returned as `Attachment`s for
the pipeline to ingest as linked child documents. An attached email is one attachment (an .eml
or .msg of its own), not unpacked here.
"""

from __future__ import annotations

import logging
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import olefile
from striprtf.striprtf import rtf_to_text

from edrm.documents.filenames import safe_filename
from edrm.ingest.formats.web import html_to_text
from edrm.ingest.types import (
    Attachment,
    ExtractedPage,
    Extraction,
    IngestConfig,
    RejectedInputError,
)

log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 500
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/csv": ".csv",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/tiff": ".tif",
    "message/rfc822": ".eml",
}


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _email_result(
    body: str, properties: dict[str, str], attachments: list[Attachment], warnings: list[str]
) -> Extraction:
    return Extraction(
        pages=[ExtractedPage(1, body, "text")],
        ocr_images={},
        properties={key: value for key, value in properties.items() if value},
        attachments=attachments,
        page_count=1,
        preview_png=None,
        warnings=warnings,
    )


def _add_attachment(
    attachments: list[Attachment], warnings: list[str], name: str, data: bytes, fallback: str
) -> None:
    if len(attachments) >= MAX_ATTACHMENTS:
        message = f"only the first {MAX_ATTACHMENTS} attachments were kept"
        if message not in warnings:
            warnings.append(message)
        return
    attachments.append(Attachment(safe_filename(name, fallback=fallback), data))


# --- EML --------------------------------------------------------------------------------------


def _header(message: Message, name: str) -> Any:
    """The parsed header, or its raw text if the parser chokes on it, or None."""
    try:
        return message[name]
    except Exception:
        for key, value in message.raw_items():
            if key.lower() == name.lower():
                return _one_line(value)
        return None


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception:  # an unknown charset or a broken transfer encoding: decode by hand
        pass
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    return ""


def _eml_properties(message: EmailMessage) -> dict[str, str]:
    properties: dict[str, str] = {}
    subject = _header(message, "Subject")
    if subject is not None:
        properties["title"] = properties["subject"] = _one_line(subject)
    sender = _header(message, "From")
    if sender is not None:
        properties["sender"] = _one_line(sender)
        addresses = getattr(sender, "addresses", None)
        if addresses:
            properties["sender_email"] = addresses[0].addr_spec
            properties["author"] = addresses[0].display_name or addresses[0].addr_spec
        else:
            name, address = parseaddr(str(sender))
            properties["sender_email"] = address
            properties["author"] = name or address
    for key in ("To", "Cc"):
        value = _header(message, key)
        if value is not None:
            properties[key.lower()] = _one_line(value)
    date = _header(message, "Date")
    moment = getattr(date, "datetime", None)
    if isinstance(moment, datetime):
        properties["sent"] = moment.isoformat()
    message_id = _header(message, "Message-ID")
    if message_id is not None:
        properties["message_id"] = _one_line(message_id)
    return properties


def _leaf_is_attachment(part: EmailMessage, in_related: bool) -> bool:
    if part.is_attachment():
        return True
    if in_related and part["Content-ID"]:
        return False  # a picture the HTML body shows, not something attached
    if part.get_filename():
        return True  # some mailers send attachments as "inline" with a file name
    return part.get_content_maintype() not in ("text", "multipart")


def _collect(
    part: EmailMessage,
    body: Message | None,
    attachments: list[Attachment],
    warnings: list[str],
    in_related: bool = False,
) -> None:
    """Gather the attachments under `part`; one that cannot be read is a warning, not a failure."""
    if part is body:
        return
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        related = part.get_content_type() == "multipart/related"
        for child in part.iter_parts():
            _collect(child, body, attachments, warnings, in_related or related)  # type: ignore[arg-type]
        return
    number = len(attachments) + 1
    try:
        _collect_leaf(part, in_related, number, attachments, warnings)
    except Exception as exc:
        log.info("attachment %d not read: %s", number, exc)
        warnings.append(f"attachment {number} could not be read")


def _collect_leaf(
    part: EmailMessage,
    in_related: bool,
    number: int,
    attachments: list[Attachment],
    warnings: list[str],
) -> None:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":  # an attached email: one attachment of its own
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner else None
        if isinstance(inner_message, Message):
            subject = _header(inner_message, "Subject")
            name = part.get_filename() or f"{_one_line(subject or 'attached message')}.eml"
            fallback = f"attached-message-{number}.eml"
            _add_attachment(attachments, warnings, name, inner_message.as_bytes(), fallback)
        return
    if not _leaf_is_attachment(part, in_related):
        return
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return
    fallback = f"attachment-{number}{_EXTENSIONS.get(content_type, '.bin')}"
    _add_attachment(attachments, warnings, part.get_filename() or fallback, data, fallback)


def extract_eml(path: Path, config: IngestConfig) -> Extraction:
    with path.open("rb") as stream:
        message = BytesParser(policy=policy.default).parse(stream)
    assert isinstance(message, EmailMessage)
    warnings: list[str] = []
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        body = _part_text(body_part)
        if body_part.get_content_subtype() == "html":
            body, _ = html_to_text(body)
    attachments: list[Attachment] = []
    _collect(message, body_part, attachments, warnings)
    return _email_result(body, _eml_properties(message), attachments, warnings)


# --- MSG --------------------------------------------------------------------------------------


def _check_outlook(path: Path) -> None:
    """An OLE compound file is an Outlook message, or an encrypted Office file, or not ours."""
    if not olefile.isOleFile(str(path)):
        raise RejectedInputError("corrupt", "the Outlook message could not be read")
    with olefile.OleFileIO(str(path)) as ole:
        if ole.exists("EncryptedPackage"):
            raise RejectedInputError("encrypted", "the Office document is password-protected")
        if not ole.exists("__properties_version1.0"):
            raise RejectedInputError(
                "not_allowed",
                "the file is an OLE compound document that is not an Outlook message, "
                "which edrm does not accept",
            )


def _msg_attachments(msg: Any, attachments: list[Attachment], warnings: list[str]) -> None:
    for number, attachment in enumerate(_msg_value(msg, "attachments") or [], start=1):
        try:
            _msg_attachment(number, attachment, attachments, warnings)
        except Exception as exc:
            log.info("attachment %d not read: %s", number, exc)
            warnings.append(f"attachment {number} could not be read")


def _msg_attachment(
    number: int, attachment: Any, attachments: list[Attachment], warnings: list[str]
) -> None:
    from extract_msg.msg_classes import MSGFile  # heavy library: see extract_msg_file

    name = (
        getattr(attachment, "longFilename", None)
        or getattr(attachment, "shortFilename", None)
        or getattr(attachment, "displayName", None)
        or f"attachment-{number}.bin"
    )
    data = getattr(attachment, "data", None)
    if isinstance(data, MSGFile):  # an attached Outlook message: one attachment of its own
        subject = _one_line(getattr(data, "subject", None) or "attached message")
        fallback = f"attached-message-{number}.msg"
        _add_attachment(attachments, warnings, f"{subject}.msg", data.exportBytes(), fallback)
    elif isinstance(data, bytes):
        _add_attachment(attachments, warnings, name, data, f"attachment-{number}.bin")
    else:
        warnings.append(f"attachment {number} could not be read")


def _msg_value(msg: Any, name: str) -> Any:
    try:
        return getattr(msg, name, None)
    except Exception as exc:
        log.info("Outlook message %s not read: %s", name, exc)
        return None


def _rtf_body(msg: Any) -> str:
    """The text of a message whose only body is (compressed) RTF."""
    rtf = _msg_value(msg, "rtfBody")
    if not isinstance(rtf, bytes) or not rtf:
        return ""
    return str(rtf_to_text(rtf.decode("latin-1"), errors="replace"))


def extract_msg_file(path: Path, config: IngestConfig) -> Extraction:
    _check_outlook(path)
    # extract_msg takes ~0.3 s to import: loaded only when an Outlook message is read
    import extract_msg
    from extract_msg.enums import ErrorBehavior

    msg = extract_msg.openMsg(
        str(path), strict=False, errorBehavior=ErrorBehavior.ATTACH_SUPPRESS_ALL
    )
    try:
        warnings: list[str] = []
        # extract-msg derives missing bodies from the RTF one, which can fail on its own
        body = _msg_value(msg, "body") or ""
        if not body.strip():
            html = _msg_value(msg, "htmlBody")
            if html:
                body, _ = html_to_text(html)
        if not body.strip():
            body = _rtf_body(msg)
        properties: dict[str, str] = {}
        subject = _msg_value(msg, "subject")
        if subject:
            properties["title"] = properties["subject"] = _one_line(subject)
        sender = _msg_value(msg, "sender")
        if sender:
            properties["sender"] = _one_line(sender)
            name, address = parseaddr(str(sender))
            properties["sender_email"] = address
            properties["author"] = name or address
        for key in ("to", "cc"):
            value = _msg_value(msg, key)
            if value:
                properties[key] = _one_line(value)
        moment = _msg_value(msg, "date")
        if isinstance(moment, datetime):
            properties["sent"] = moment.isoformat()
        message_id = _msg_value(msg, "messageId")
        if message_id:
            properties["message_id"] = _one_line(message_id)
        attachments: list[Attachment] = []
        _msg_attachments(msg, attachments, warnings)
    finally:
        msg.close()
    return _email_result(body, properties, attachments, warnings)
