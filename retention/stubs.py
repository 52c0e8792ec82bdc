"""Residual stubs: what remains of a destroyed record (identifier, title, class and folder,
marking, dates, rule and authority, who approved it, when and by whom it was destroyed), enough
to prove what it was and who disposed of it.

The database part of destruction (retention.destruction_db) writes a stub with `stub_row`, in
the same transaction that marks the document `destroyed`, and never twice for one record.
A destroyed record's stub cannot be changed (`refuse_if_destroyed`, a change guard the wiring
registers with edrm.documents.guards).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.documents.models import Document
from edrm.errors import RefusedError
from retention.models import DisposalDecision, ResidualStub


def refuse_if_destroyed(
    session: Session, document: Document, change: str, actor: Principal
) -> None:
    """A change guard (edrm.documents.guards): nothing may change a destroyed record's stub."""
    if document.status == "destroyed":
        raise RefusedError(
            f"document {document.id} has been destroyed: only its residual stub remains, "
            f"and it cannot be changed ({change})"
        )


def stub_for(session: Session, document_id: int) -> ResidualStub | None:
    return session.get(ResidualStub, document_id)


def stub_as_dict(stub: ResidualStub) -> dict[str, Any]:
    return {
        "document_id": stub.document_id,
        "identifier": stub.identifier,
        "title": stub.title,
        "class_code": stub.class_code,
        "folder_code": stub.folder_code,
        "marking": stub.marking,
        "created_at": stub.created_at.isoformat(),
        "declared_at": stub.declared_at.isoformat() if stub.declared_at else None,
        "rule": stub.rule_code,
        "authority": stub.authority,
        "approvers": stub.approvers,
        "destroyed_at": stub.destroyed_at.isoformat(),
        "destroyed_by": stub.destroyed_by,
        "batch_id": stub.batch_id,
        "note": stub.note,
    }


def approvals(session: Session, item_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Every approval of these queue items, oldest first: what a stub keeps of its reviews."""
    approvers: dict[int, list[dict[str, Any]]] = {}
    for d in session.execute(
        select(
            DisposalDecision.item_id,
            DisposalDecision.stage,
            DisposalDecision.decided_by,
            DisposalDecision.decided_at,
            DisposalDecision.reason,
        )
        .where(
            DisposalDecision.item_id.in_(item_ids),
            DisposalDecision.decision == "approve",
        )
        .order_by(DisposalDecision.id)
    ):
        approvers.setdefault(d.item_id, []).append(
            {
                "by": d.decided_by,
                "at": d.decided_at.isoformat(),
                "stage": d.stage,
                "reason": d.reason,
            }
        )
    return approvers


def stub_row(
    item: Any,
    doc: Any,
    folder_code: str | None,
    *,
    authority: str,
    approvers: list[dict[str, Any]],
    destroyed_at: datetime,
    actor: Principal,
    note: str,
) -> dict[str, Any]:
    """The residual_stubs row of one record (`item`: its queue item; `doc`: its document)."""
    return {
        "document_id": doc.id,
        "identifier": doc.identifier,
        "title": doc.title,
        "class_code": item.class_code,
        "folder_code": folder_code,
        "marking": doc.marking_value,
        "created_at": doc.created_at,
        "declared_at": doc.declared_at,
        "rule_code": item.rule_code,
        "authority": authority,
        "approvers": approvers,
        "destroyed_at": destroyed_at,
        "destroyed_by": actor.username,
        "batch_id": item.batch_id,
        "note": note,
    }
