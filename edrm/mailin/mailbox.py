"""The IMAP mailbox poller behind `edrm mail poll` and the mail-in-poll job (`jobs`; IMAPClient).

One pass reads every message in `mail_imap_folder`, oldest first, and for each: stores it
(`receive.store`, committed), then moves it to `mail_imap_filed_folder`; a message from
someone with no account is answered (`replies.refusal`) and moved to
`mail_imap_refused_folder`; one that cannot be stored just now is left where it is for the
next pass. Crash story: storing comes before moving, so a pass killed in between leaves a
message in the folder that is already stored; the next pass recognises it by its receipt key
and only moves it (it is never filed twice). A refusal is answered before it is moved, so a
crash there may answer it twice but never leaves it unanswered.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]

from edrm.errors import InvalidInputError
from edrm.mailin import replies
from edrm.mailin.message import IMAP, Received, read_headers
from edrm.mailin.receive import store
from edrm.mailin.senders import SenderRefused
from edrm.runtime import Runtime
from edrm.settings import Settings

log = logging.getLogger(__name__)
BATCH = 200  # messages a pass takes at most (the rest wait for the next)


@dataclass
class PollResult:
    filed: list[int] = field(default_factory=list)  # ingest jobs of messages taken
    again: int = 0  # stored by an earlier pass, only moved now
    refused: int = 0
    left: int = 0  # could not be stored now: left for the next pass

    def summary(self) -> str:
        return (
            f"{len(self.filed)} message(s) taken for filing, {self.again} already taken, "
            f"{self.refused} refused, {self.left} left for the next pass"
        )


def _connect(settings: Settings) -> IMAPClient:
    if not settings.mail_imap_host or not settings.mail_imap_user:
        raise InvalidInputError(
            "no mailbox to poll: set mail_imap_host and mail_imap_user (and the password in "
            "EDRM_MAIL_IMAP_PASSWORD or EDRM_MAIL_IMAP_PASSWORD_FILE)"
        )
    client = IMAPClient(
        settings.mail_imap_host,
        port=settings.mail_imap_port,
        ssl=settings.mail_imap_ssl,
        timeout=60,
    )
    client.login(settings.mail_imap_user, settings.mail_imap_password)
    return client


def _move(client: IMAPClient, uid: int, folder: str) -> None:
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.delete_messages([uid])
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:
        client.expunge()


def _ensure_folders(client: IMAPClient, *names: str) -> None:
    for name in names:
        if not client.folder_exists(name):
            client.create_folder(name)


def poll(runtime: Runtime) -> PollResult:
    """One pass over the mailbox (see the crash story above)."""
    settings = runtime.settings
    result = PollResult()
    client = _connect(settings)
    try:
        _ensure_folders(client, settings.mail_imap_filed_folder, settings.mail_imap_refused_folder)
        client.select_folder(settings.mail_imap_folder)
        for uid in sorted(client.search(["NOT", "DELETED"]))[:BATCH]:
            _take(runtime, client, uid, result)
    finally:
        try:
            client.logout()
        except Exception:
            log.debug("mail: IMAP logout failed", exc_info=True)
    return result


def _take(runtime: Runtime, client: IMAPClient, uid: int, result: PollResult) -> None:
    settings = runtime.settings
    fetched: dict[Any, Any] = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
    raw = fetched.get(b"BODY[]")
    if not isinstance(raw, bytes):
        result.left += 1
        return
    try:
        stored = store(runtime, Received(raw=raw, via=IMAP))
    except SenderRefused as exc:
        _refuse(settings, client, uid, raw, str(exc), result)
        return
    except Exception:
        log.exception("mail: message %s in the mailbox could not be stored; left there", uid)
        result.left += 1
        return
    _move(client, uid, settings.mail_imap_filed_folder)
    if stored.again:
        result.again += 1
    else:
        result.filed.append(stored.job_id)


def _refuse(
    settings: Settings, client: IMAPClient, uid: int, raw: bytes, reason: str, result: PollResult
) -> None:
    try:
        replies.refusal(settings, read_headers(raw), reason)
    except Exception:
        log.exception("mail: could not answer refused message %s; left for the next pass", uid)
        result.left += 1
        return
    _move(client, uid, settings.mail_imap_refused_folder)
    result.refused += 1
