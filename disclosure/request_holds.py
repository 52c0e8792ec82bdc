"""The request hold, as disclosure sees it: a narrow interface to retention's legal holds.

Every record in an open request is under its request hold: it cannot be destroyed, moved or
changed (FOIA s.77 makes destroying requested information an offence). Disclosure never imports
retention: it asks the `RequestHolds` the composition root installs (edrm.wiring.guards), which
is retention's implementation (retention.request_holds). Without one installed, adding records
to a request is refused, so no record is ever in a request without its hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from edrm.errors import RefusedError


class RequestHolds(Protocol):
    """What disclosure needs from the legal holds."""

    def hold(
        self,
        session: Session,
        *,
        reference: str,
        document_ids: Sequence[int],
        actor: str,
        hold_id: int | None,
    ) -> int:
        """Put these documents under the request's hold (placing it when `hold_id` is None, or
        re-placing one that was lifted); the hold's id. In the caller's transaction."""
        ...

    def lift(self, session: Session, hold_id: int, *, reason: str, actor: str) -> None:
        """Lift the request's hold (the records are free unless another hold covers them)."""
        ...


_installed: list[RequestHolds] = []


def install(holds: RequestHolds) -> None:
    """Install the implementation (the composition root; idempotent)."""
    _installed[:] = [holds]


def request_holds() -> RequestHolds:
    """The installed implementation; refuses when there is none (a runtime built without the
    composition root would otherwise let records into a request unprotected)."""
    if not _installed:
        raise RefusedError(
            "the request-hold interface is not installed (build the runtime with "
            "edrm.wiring.build_runtime); records cannot be added to a request without their hold"
        )
    return _installed[0]
