"""Scheduled jobs of e-mail in (config/jobs.toml): plain functions taking the runtime and
returning a short result text."""

from __future__ import annotations

from edrm.runtime import Runtime


def scheduled_poll(runtime: Runtime) -> str:
    """The mail-in-poll job: one pass over the capture mailbox, when one is configured."""
    if not runtime.settings.mail_imap_host or not runtime.settings.mail_capture_address:
        return "skipped: no capture mailbox configured (mail_capture_address, mail_imap_host)"
    from edrm.mailin.mailbox import poll  # IMAPClient only where a mailbox is polled

    return poll(runtime).summary()
