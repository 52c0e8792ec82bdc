"""Which change guards the document services and disposal ask (legal holds and destroyed
records), and what filing asks the retention schedule (which rule reaches a class, and
whether it takes records only in its folders)."""

from __future__ import annotations

from disclosure import request_holds
from edrm.documents import filing, guards
from retention.folder_rules import SCHEDULE_FACTS
from retention.holds import refuse_held, refuse_if_held
from retention.queued_guard import refuse_link_if_queued
from retention.request_holds import RetentionRequestHolds
from retention.stubs import refuse_if_destroyed


def install_guards() -> None:
    """Register retention's guards and folder rule (idempotent). Called by every
    `build_runtime`."""
    # While a legal hold covers a document, nothing may change or destroy it (disposal asks
    # about a whole chunk of records at once: `refuse_held`, one query).
    guards.register(refuse_if_held, many=refuse_held)
    # A destroyed record is a residual stub: nothing about it may change any more.
    guards.register(refuse_if_destroyed)
    # A record an open disposal item holds is decided first, then filed in further places.
    guards.register(refuse_link_if_queued)
    # Class determines destiny: filing asks the schedule which rule reaches a class (none: it
    # takes no records) and whether its rule counts from a folder's closing (then it takes
    # records only in its folders).
    filing.register_retention(SCHEDULE_FACTS)
    # Information requests hold their records through retention's legal holds.
    request_holds.install(RetentionRequestHolds())
