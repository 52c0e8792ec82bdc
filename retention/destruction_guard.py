"""Asking the change guards (edrm.documents.guards: legal holds, destroyed records) before
destroying: disposal asks them when it claims items (retention.claiming) and again for each
chunk inside the transaction that destroys it (retention.destruction_db), so that a hold placed
during a long run stops the rest of it.

A refused item is not destroyed. One whose destruction has not begun goes back to the status it
was claimed from (approved, or transferred), out of its batch, with the refusal as its error.
One whose destruction had begun (its database part done by an earlier run: the record is a
stub already, which the guards would refuse to change) is asked about legal holds only: if one
covers it, it stays `executing` with the refusal, what is left of it (blobs, index entries)
kept until the hold is lifted. Each refusal is audited with the note the
guard gave (`hold.refused`: which holds), naming the item; a refusal without a note is audited
as `disposal.refused`. Refusals for a hold are reported as `held`, others as `failed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from edrm import audit
from edrm.access import Principal
from edrm.documents import guards
from edrm.documents.models import Document
from edrm.errors import RefusedError
from retention.holds import HeldError, refuse_held, refuse_if_held
from retention.models import DisposalItem
from retention.progress import ExecutionResult


def require_hold_guard() -> None:
    """Refuse to destroy anything if the legal-hold guard is not installed (a runtime built
    without the composition root): holds would not be honoured."""
    if not guards.is_registered(refuse_if_held):
        raise RuntimeError(
            "the legal-hold change guard is not installed (build the runtime with "
            "edrm.wiring.build_runtime): nothing is destroyed"
        )


def refuse_guarded(
    session: Session, rows: Sequence[Row[Any]], actor: Principal
) -> dict[int, RefusedError]:
    """Ask the guards about destroying the records of these queue items (rows with id,
    document_id, status, batch_id, progress; locked by the caller); put back and audit the
    refused ones. Returns {item id: refusal}."""
    if not rows:
        return {}
    documents = {
        d.id: d
        for d in session.scalars(
            select(Document).where(Document.id.in_({r.document_id for r in rows}))
        )
    }
    begun = {r.document_id for r in rows if _begun(r)}
    by_document = guards.refusals(
        session, [d for i, d in documents.items() if i not in begun], "destroy", actor
    )
    by_document.update(
        refuse_held(session, [d for i, d in documents.items() if i in begun], "destroy", actor)
    )
    refused = {r.id: by_document[r.document_id] for r in rows if r.document_id in by_document}
    if not refused:
        return {}
    back = [_put_back(row, str(refused[row.id])) for row in rows if row.id in refused]
    session.execute(update(DisposalItem), back)  # by primary key, one row each
    audit.record_many(
        session, (_audit_entry(row, refused[row.id], actor) for row in rows if row.id in refused)
    )
    return refused


def report(result: ExecutionResult, refused: dict[int, RefusedError]) -> None:
    """Refusals for a hold are `held`; any other refusal is a failure, with its reason."""
    for item_id, error in sorted(refused.items()):
        if isinstance(error, HeldError):
            result.held.append(item_id)
        else:
            result.failed.append((item_id, str(error)))


def _begun(row: Any) -> bool:
    return row.status == "executing" and bool((row.progress or {}).get("db"))


def _put_back(row: Any, why: str) -> dict[str, Any]:
    """What a refused item becomes (the values of the UPDATE)."""
    progress = dict(row.progress or {})
    if _begun(row):
        return {
            "id": row.id,
            "status": "executing",
            "batch_id": row.batch_id,
            "last_error": f"{why} (its destruction had begun: it resumes once this is resolved)",
        }
    status = progress.get("from", "approved") if row.status == "executing" else row.status
    return {"id": row.id, "status": status, "batch_id": None, "last_error": why}


def _audit_entry(
    row: Any, error: RefusedError, actor: Principal
) -> tuple[str, str, str, int | str, dict[str, Any]]:
    note = error.audit
    if note is not None and note.entity_id is not None:
        details = {**note.details, "item": row.id}
        return (note.actor, note.action, note.entity_type, note.entity_id, details)
    details = {"item": row.id, "change": "destroy", "error": str(error)}
    return (actor.username, "disposal.refused", "document", row.document_id, details)
