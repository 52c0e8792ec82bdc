"""Senders: how a Message leaves edrm. SMTP (smtplib, with STARTTLS and a login when
configured) or GOV.UK Notify (notifications-python-client) when notify_api_key is set; neither
when smtp_host is empty and there is no Notify key (notifications are then recorded, not sent).

A sender's `send` returns once the server has accepted the message and raises SendError
otherwise; delivery marks a notification sent only after that.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any, Protocol

from edrm import smtp as relay
from edrm.notifications.message import Message
from edrm.settings import Settings


class SendError(Exception):
    """The message was not accepted (the text says why); it will be tried again."""


class Sender(Protocol):
    channel: str

    def send(self, message: Message) -> None: ...


class SmtpSender:
    channel = "smtp"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def email(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.mail_from
        mail["To"] = formataddr((message.name, message.to))
        mail["Subject"] = message.subject
        mail["Message-ID"] = make_msgid(domain="edrm.notifications")
        # The same on every attempt: a mail system (or a person) can tell a repeat.
        mail["X-Edrm-Notification"] = str(message.notification_id)
        mail.set_content(message.body)
        return mail

    def send(self, message: Message) -> None:
        try:
            relay.send(self.settings, self.email(message))
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"{type(exc).__name__}: {exc}"[:500]) from None


def notify_payload(message: Message, template_id: str) -> dict[str, Any]:
    """The arguments of NotificationsAPIClient.send_email_notification for one message. The
    template holds ((subject)), ((body)) and ((link)); the reference is the notification id."""
    return {
        "email_address": message.to,
        "template_id": template_id,
        "personalisation": {
            "name": message.name,
            "subject": message.subject,
            "body": message.body,
            "link": message.link,
        },
        "reference": f"edrm-notification-{message.notification_id}",
    }


class NotifySender:
    channel = "notify"

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        if client is None:
            from notifications_python_client.notifications import NotificationsAPIClient

            client = NotificationsAPIClient(settings.notify_api_key)
        self.client = client

    def template_for(self, message: Message) -> str:
        s = self.settings
        if message.digest and s.notify_digest_template_id:
            return s.notify_digest_template_id
        return s.notify_template_id

    def send(self, message: Message) -> None:
        from notifications_python_client.errors import APIError

        payload = notify_payload(message, self.template_for(message))
        try:
            self.client.send_email_notification(**payload)
        except (APIError, OSError) as exc:
            raise SendError(f"GOV.UK Notify: {exc}"[:500]) from None


def sender_for(settings: Settings) -> Sender | None:
    """The configured sender: GOV.UK Notify when a key is set, else SMTP when smtp_host is set,
    else None (notifications are recorded but not sent)."""
    if settings.notify_api_key:
        return NotifySender(settings)
    if settings.smtp_host:
        return SmtpSender(settings)
    return None


def describe(settings: Settings) -> str:
    """One line for the CLI and the pages: how (or whether) notifications are sent."""
    if settings.notify_api_key:
        return "e-mail is sent through GOV.UK Notify"
    if settings.smtp_host:
        return f"e-mail is sent by SMTP through {settings.smtp_host}:{settings.smtp_port}"
    return (
        "e-mail is not set up (no smtp_host and no notify_api_key): notifications are "
        "recorded but not sent"
    )
