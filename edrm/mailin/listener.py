"""The SMTP listener (aiosmtpd) behind `edrm mail serve`: takes mail for the capture address.

Each step refuses what edrm will not file, with a 550 that says why: an envelope sender that is
no one's account (MAIL FROM), a recipient that is not the capture address (RCPT TO: it relays
nothing), a From that is no one's account or not the envelope sender's (DATA). A message is
answered 250 only once `receive.store` has committed it (see its crash story); a failure to
store it is a 451, so the sending server tries again later.

It does not check SPF or DKIM: it is meant to sit behind the department's mail relay, which
does, on an address only that relay can reach.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller

from edrm.mailin.message import SMTP, Received, is_capture
from edrm.mailin.receive import store
from edrm.mailin.senders import SenderRefused, account_for
from edrm.runtime import Runtime

log = logging.getLogger(__name__)


def _reply_text(text: str) -> str:
    """SMTP replies are one line of ASCII."""
    return " ".join(text.split()).encode("ascii", "replace").decode("ascii")


@dataclass
class CaptureHandler:
    """The aiosmtpd handler: its hooks run the database work in a thread, off the event loop."""

    runtime: Runtime

    @property
    def capture(self) -> str:
        return self.runtime.settings.mail_capture_address

    def _sender_problem(self, address: str) -> str | None:
        try:
            with self.runtime.uow() as session:
                account_for(session, address, what="envelope sender")
        except SenderRefused as exc:
            return str(exc)
        return None

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        problem = await asyncio.to_thread(self._sender_problem, address)
        if problem:
            log.warning("mail: refused MAIL FROM <%s>: %s", address, problem)
            return f"550 5.7.1 {_reply_text(problem)}"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not is_capture(address, self.capture):
            return (
                f"550 5.1.1 <{_reply_text(address)}> is not this edrm's capture address "
                f"({self.capture or 'none is set'}); it files mail and relays nothing"
            )
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        received = Received(
            raw=raw if isinstance(raw, bytes) else str(raw).encode("utf-8"),
            via=SMTP,
            envelope_sender=envelope.mail_from or "",
            envelope_recipients=tuple(envelope.rcpt_tos),
        )
        try:
            stored = await asyncio.to_thread(store, self.runtime, received)
        except SenderRefused as exc:
            log.warning("mail: refused a message from <%s>: %s", envelope.mail_from, exc)
            return f"550 5.7.1 {_reply_text(str(exc))}"
        except Exception:
            log.exception("mail: could not store a message from <%s>", envelope.mail_from)
            return "451 4.3.0 edrm could not store the message just now; try again later"
        if stored.again:
            return f"250 2.0.0 already received (ingest job {stored.job_id})"
        return f"250 2.0.0 received for filing as {stored.filed_as} (ingest job {stored.job_id})"


def start_listener(runtime: Runtime, host: str, port: int) -> Controller:
    """Listen on host:port in a thread of its own; `.stop()` ends it."""
    limit = runtime.settings.mail_max_message_mb * 1024 * 1024
    controller = Controller(
        CaptureHandler(runtime),
        hostname=host,
        port=port,
        data_size_limit=limit,
        server_hostname=runtime.settings.service_name,
        ready_timeout=10,
    )
    controller.start()
    return controller
