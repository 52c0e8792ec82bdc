"""Turning a notification row into an e-mail: a plain subject, a plain-text body and a link.

Titles are looked up here, at sending time, and only for the documents the recipient may see
now (`edrm.access.may_see_document`, as the documents' own pages ask); a document they may not
see is left out as if it did not exist, and a notification left with nothing to say is not
sent at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal, may_see_document
from edrm.documents.models import Document
from edrm.notifications.kinds import BY_NAME, DAILY_DIGEST
from edrm.notifications.models import Notification
from edrm.people.models import User
from edrm.settings import Settings

PREFERENCES_PATH = "/account/notifications"


@dataclass(frozen=True)
class Message:
    """One e-mail to one person."""

    notification_id: int
    to: str
    name: str
    subject: str
    body: str
    link: str  # the absolute address the e-mail points to
    digest: bool = False  # the daily digest (GOV.UK Notify may use its own template)


@dataclass(frozen=True)
class Skip:
    """A notification that is not sent, and why."""

    reason: str


@dataclass(frozen=True)
class _Section:
    heading: str
    text: str
    lines: tuple[str, ...]
    link: str


def base_url(settings: Settings) -> str:
    """Where links in e-mails point: mail_link_base_url, or this server's own address."""
    configured = settings.mail_link_base_url.strip().rstrip("/")
    return configured or f"http://{settings.host}:{settings.port}"


def build_message(session: Session, settings: Settings, row: Notification) -> Message | Skip:
    """The e-mail for one notification (a digest lists the notifications folded into it)."""
    user = session.scalar(select(User).where(User.username == row.recipient))
    if user is None or not user.active:
        return Skip("no such active person")
    if not user.email.strip():
        return Skip("no e-mail address")
    principal = Principal.of(user)
    base = base_url(settings)
    if row.kind == DAILY_DIGEST:
        items = session.scalars(
            select(Notification).where(Notification.digest_id == row.id).order_by(Notification.id)
        )
        sections = [s for s in (_section(session, principal, base, i) for i in items) if s]
        if not sections:
            return Skip("nothing the person may see")
        subject = (
            f"{settings.service_name}: {len(sections)} "
            f"{'thing is' if len(sections) == 1 else 'things are'} waiting for you"
        )
        link = f"{base}/"
    else:
        section = _section(session, principal, base, row)
        if section is None:
            return Skip("nothing the person may see")
        sections = [section]
        subject = section.heading
        link = section.link
    name = user.full_name or user.username
    body = _body(name, sections, base)
    return Message(
        row.id, user.email.strip(), name, subject, body, link, digest=row.kind == DAILY_DIGEST
    )


def _section(
    session: Session, principal: Principal, base: str, row: Notification
) -> _Section | None:
    documents = [
        d
        for d in (session.get(Document, i) for i in row.document_ids or [])
        if d is not None and d.status != "destroyed" and may_see_document(principal, d)
    ]
    if row.document_ids and not documents:
        return None
    lines = tuple(
        f"- {d.title}{f' ({d.identifier})' if d.identifier else ''}: {base}/documents/{d.id}"
        for d in documents
    )
    if row.link:
        link = f"{base}{row.link}"
    elif documents:
        link = f"{base}/documents/{documents[0].id}"
    else:
        link = f"{base}/"
    return _Section(BY_NAME[row.kind].subject, row.summary, lines, link)


def _body(name: str, sections: list[_Section], base: str) -> str:
    parts = [f"Hello {name},", ""]
    for section in sections:
        if len(sections) > 1:
            parts += [section.heading, "-" * len(section.heading)]
        parts.append(section.text)
        if section.lines:
            parts += ["", *section.lines]
        parts += ["", f"Open: {section.link}", ""]
    parts += [
        "You get these e-mails because of your notification settings. Change them at",
        f"{base}{PREFERENCES_PATH}",
    ]
    return "\n".join(parts) + "\n"
