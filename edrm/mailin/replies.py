"""The answer to a polled message edrm will not file (the SMTP listener answers with a 550).

Sent from the capture address through the department's relay (`smtp_host`, the one
notifications use: `edrm.smtp`) when it is set; otherwise the refusal is only logged. Never
sent to a message that was itself automatic (a bounce, an out-of-office, a list:
`Headers.auto_submitted`), to one without a sender, or to the capture address itself, so two
robots cannot answer each other for ever.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import make_msgid

from edrm import smtp as relay
from edrm.mailin.message import Headers, is_capture
from edrm.settings import Settings

log = logging.getLogger(__name__)


def refusal(settings: Settings, headers: Headers, reason: str) -> str:
    """Answer the sender of a refused message; returns what was done, in words."""
    to = headers.from_address
    if not to or headers.auto_submitted or is_capture(to, settings.mail_capture_address):
        log.warning("mail: refused a message from <%s> (not answered): %s", to, reason)
        return "not answered"
    if not relay.relay_configured(settings):
        log.warning("mail: refused a message from <%s> (no reply server set): %s", to, reason)
        return "logged"
    reply = EmailMessage()
    sender = settings.mail_capture_address
    reply["From"] = sender
    reply["To"] = to
    reply["Subject"] = f"Not filed: {headers.subject or '(no subject)'}"
    reply["Auto-Submitted"] = "auto-replied"
    reply["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if headers.message_id:
        reply["In-Reply-To"] = headers.message_id
        reply["References"] = headers.message_id
    reply.set_content(
        f"edrm did not file the message you sent to {settings.mail_capture_address}:\n\n"
        f"{reason}.\n\nIf you should be able to file by e-mail, ask an administrator to put"
        " the address you sent it from on your edrm account, then send it again.\n"
    )
    relay.send(settings, reply, from_addr=sender, to_addrs=[to])
    log.warning("mail: refused a message from <%s> (answered): %s", to, reason)
    return "answered"
