"""The department's outgoing mail relay: one way to hand a message to it, for every part of
edrm that sends mail (notifications, and the answer to a refused capture message).

The relay is `smtp_host`:`smtp_port`, with STARTTLS (`smtp_starttls`) and a login (`smtp_user`,
password from EDRM_SMTP_PASSWORD or EDRM_SMTP_PASSWORD_FILE) when configured. `send` returns once
the relay has accepted the message; it raises smtplib.SMTPException or OSError otherwise.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage

from edrm.settings import Settings


def relay_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send(
    settings: Settings,
    mail: EmailMessage,
    *,
    from_addr: str | None = None,
    to_addrs: Sequence[str] | None = None,
) -> None:
    s = settings
    with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
        if s.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        smtp.send_message(mail, from_addr=from_addr, to_addrs=to_addrs)
