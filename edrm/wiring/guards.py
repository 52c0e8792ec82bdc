"""Which change guards the document services ask: legal holds and destroyed records."""

from __future__ import annotations

from edrm.documents import guards
from retention.holds import refuse_if_held
from retention.stubs import refuse_if_destroyed


def install_guards() -> None:
    """Register retention's guards (idempotent). Called by every `build_runtime`."""
    # While a legal hold covers a document, the document services refuse to change it.
    guards.register(refuse_if_held)
    # A destroyed record is a residual stub: nothing about it may change any more.
    guards.register(refuse_if_destroyed)
