"""Change guards: other packages (retention's legal holds) may forbid a change to a document.

The core cannot know why a document is frozen, so it asks every registered guard before it
destroys, moves, re-files, changes the content or metadata of, or declares a document. A guard
raises `RefusedError` (with an `AuditNote`, so the refusal is audited even though the change's
own transaction rolls back). The composition root registers the guards.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.documents.models import Document

# What a guard is asked about: "destroy", "move", "file", "content", "metadata", "declare".
ChangeGuard = Callable[[Session, Document, str, Principal], None]
_guards: list[ChangeGuard] = []


def register(guard: ChangeGuard) -> None:
    if guard not in _guards:
        _guards.append(guard)


def check(session: Session, document: Document, change: str, actor: Principal) -> None:
    """Raise if any guard forbids `change` to `document`."""
    for guard in _guards:
        guard(session, document, change, actor)
