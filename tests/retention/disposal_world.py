"""Records put in the disposal queue the way the scheduler does it: by the real sweep (for the
pages' tests and the browser test; the world itself comes from disposal_helpers)."""

from __future__ import annotations

from datetime import date

from edrm.access import SYSTEM
from edrm.runtime import Runtime

LONG_AFTER = date(2040, 1, 1)  # every invoice (DESTROY-7Y from creation) is due by then


def queue_due(runtime: Runtime, as_of: date = LONG_AFTER) -> list[int]:
    """Run the sweep as the nightly job would; the new queue items' ids."""
    from retention.sweep import sweep

    with runtime.uow() as s:
        return sweep(s, as_of=as_of, actor=SYSTEM).queued
