"""Change guards: other packages (retention's legal holds) may forbid a change to a document.

The core cannot know why a document is frozen, so it asks every registered guard before it
destroys, moves, re-files, changes the content or metadata of, or declares a document. A guard
raises `RefusedError` (with an `AuditNote`, so the refusal is audited even though the change's
own transaction rolls back). The composition root registers the guards.

A change made to many documents in one transaction (destruction, chunk by chunk) asks them all
at once with `refusals`, which raises nothing: it answers which documents are refused and why,
so that the change goes ahead for the others. A guard may give a form for many documents
(`many`, e.g. one query for a whole chunk); without one, it is asked document by document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.documents.models import Document
from edrm.errors import RefusedError

# What a guard is asked about: "destroy", "move", "file", "content", "metadata", "declare".
ChangeGuard = Callable[[Session, Document, str, Principal], None]
# The same question for many documents: {document id: its refusal} for the refused ones.
ManyGuard = Callable[[Session, Sequence[Document], str, Principal], Mapping[int, RefusedError]]
_guards: list[tuple[ChangeGuard, ManyGuard | None]] = []


def register(guard: ChangeGuard, *, many: ManyGuard | None = None) -> None:
    """Register a guard (idempotent), optionally with its form for many documents, which must
    refuse exactly the documents that `guard` refuses, for the same reasons."""
    for index, (known, _many) in enumerate(_guards):
        if known is guard:
            _guards[index] = (guard, many)
            return
    _guards.append((guard, many))


def is_registered(guard: ChangeGuard) -> bool:
    return any(known is guard for known, _many in _guards)


def check(session: Session, document: Document, change: str, actor: Principal) -> None:
    """Raise if any guard forbids `change` to `document`."""
    for guard, _many in _guards:
        guard(session, document, change, actor)


def refusals(
    session: Session, documents: Sequence[Document], change: str, actor: Principal
) -> dict[int, RefusedError]:
    """Which of these documents some guard forbids `change` to: {document id: the first
    refusal}, raising nothing. The callers audit each refusal (its `audit` note) themselves,
    since their transaction goes on with the other documents."""
    refused: dict[int, RefusedError] = {}
    for guard, many in _guards:
        todo = [d for d in documents if d.id not in refused]
        if not todo:
            break
        if many is not None:
            refused.update(many(session, todo, change, actor))
            continue
        for document in todo:
            try:
                guard(session, document, change, actor)
            except RefusedError as exc:
                refused[document.id] = exc
    return refused
