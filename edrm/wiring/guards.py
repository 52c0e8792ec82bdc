"""Which change guards the document services and disposal ask: legal holds and destroyed
records."""

from __future__ import annotations

from edrm.documents import guards
from retention.holds import refuse_held, refuse_if_held
from retention.stubs import refuse_if_destroyed


def install_guards() -> None:
    """Register retention's guards (idempotent). Called by every `build_runtime`."""
    # While a legal hold covers a document, nothing may change or destroy it (disposal asks
    # about a whole chunk of records at once: `refuse_held`, one query).
    guards.register(refuse_if_held, many=refuse_held)
    # A destroyed record is a residual stub: nothing about it may change any more.
    guards.register(refuse_if_destroyed)
