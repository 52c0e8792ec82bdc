"""Shared pieces of the notification tests: a real SMTP server on 127.0.0.1 (aiosmtpd) that
keeps every message it accepts and can be stopped and started again, e-mail addresses for
everyone, and the outbox read back."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from edrm.notifications.models import Notification
from edrm.people.models import User
from edrm.runtime import Runtime

BASE = "https://edrm.test"


@dataclass
class Mailbox:
    """What the SMTP server accepted, in order; `stop()`/`start()` take it down and back up
    on the same port."""

    handler: Any
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]

    def recipients(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Mailbox]:
    messages: list[EmailMessage] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            messages.append(parsed)  # type: ignore[arg-type]
            return "250 Message accepted for delivery"

    box = Mailbox(Handler(), _free_port(), messages)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Mailbox:
    smtp_server.messages.clear()
    return smtp_server


@pytest.fixture(name="settings_overrides")
def smtp_settings(home: Path, database_url: str, smtp_server: Mailbox) -> dict[str, Any]:
    """The test settings (see conftest) sending through the test's SMTP server."""
    return {
        "home": str(home),
        "database_url": database_url,
        "cookie_secure": False,
        "secret_key": "test-secret-key",
        **smtp_overrides(smtp_server),
    }


def smtp_overrides(box: Mailbox) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": box.port,
        "smtp_starttls": False,
        "mail_from": "edrm <records@edrm.test>",
        "mail_link_base_url": BASE,
        "notification_backoff_seconds": 60,
    }


def give_everyone_an_address(rt: Runtime) -> None:
    """username@example.gov.uk for every account."""
    with rt.uow() as s:
        s.execute(update(User).values(email=User.username.concat("@example.gov.uk")))


def address(username: str) -> str:
    return f"{username}@example.gov.uk"


def outbox(rt: Runtime) -> list[Notification]:
    with rt.uow() as s:
        rows = list(s.scalars(select(Notification).order_by(Notification.id)))
        s.expunge_all()
        return rows


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the e-mail has no plain-text body"
    return str(body.get_content())
