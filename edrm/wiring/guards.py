"""Which change guards the document services and disposal ask (legal holds and destroyed
records), and which folder rules filing asks (classes whose retention needs a folder)."""

from __future__ import annotations

from disclosure import request_holds
from edrm.documents import filing, guards
from retention.folder_rules import needs_folder
from retention.holds import refuse_held, refuse_if_held
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
    # A class whose rule counts from a folder's closing takes records only in its folders.
    filing.register_folder_rule(needs_folder)
    # Information requests hold their records through retention's legal holds.
    request_holds.install(RetentionRequestHolds())
