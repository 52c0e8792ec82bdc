"""Reading what a certificate states about a finished batch: its residual stubs, the authority
of each rule, the SHA-256 of every version of each record's content (the version rows outlive
the bytes), the first and last audit sequence numbers of the destruction (from the batch's
claim to its last record destroyed), and, for a batch of transferred records, the transfer it
finished and the archive's receipt."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import Principal
from edrm.audit import AuditEvent
from edrm.documents.models import DocumentVersion
from edrm.people.models import User
from retention.certificate_content import Certificate, TransferFacts, approvals
from retention.models import (
    DisposalBatch,
    DisposalItem,
    ResidualStub,
    RetentionRule,
    Transfer,
    TransferItem,
)


def certificate_for(
    session: Session,
    batch: DisposalBatch,
    *,
    actor: Principal,
    archive: str = "the archive",
) -> Certificate:
    stubs = list(
        session.scalars(
            select(ResidualStub)
            .where(ResidualStub.batch_id == batch.id)
            .order_by(ResidualStub.identifier, ResidualStub.document_id)
        )
    )
    codes = {s.rule_code for s in stubs}
    authorities = {s.rule_code: s.authority for s in stubs}
    for code, authority in session.execute(
        select(RetentionRule.code, RetentionRule.authority).where(RetentionRule.code.in_(codes))
    ):
        authorities[code] = authorities.get(code) or authority
    doc_ids = [s.document_id for s in stubs]
    usernames = {batch.created_by, actor.username} | {s.destroyed_by for s in stubs}
    usernames |= {str(a["by"]) for s in stubs for a in approvals(s)}
    return Certificate(
        batch_id=batch.id,
        action=batch.action,
        created_at=batch.created_at,
        created_by=batch.created_by,
        completed_at=clock.now(),
        executed_by=actor.username,
        stubs=stubs,
        authorities=authorities,
        checksums=checksums(session, doc_ids),
        audit_range=audit_range(session, batch.id, doc_ids),
        transfer=transfer_facts(session, batch.id, archive) if batch.action == "transfer" else None,
        people=full_names(session, usernames),
    )


def full_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """The full names of the people a certificate names, by username."""
    return {
        username: name
        for username, name in session.execute(
            select(User.username, User.full_name).where(User.username.in_(sorted(usernames)))
        )
        if name
    }


def checksums(session: Session, document_ids: list[int]) -> dict[int, list[str]]:
    """Each record's versions' SHA-256, oldest version first."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(document_ids), 900):
        part = document_ids[start : start + 900]
        for document_id, sha in session.execute(
            select(DocumentVersion.document_id, DocumentVersion.sha256)
            .where(DocumentVersion.document_id.in_(part))
            .order_by(DocumentVersion.document_id, DocumentVersion.number)
        ):
            out.setdefault(document_id, []).append(sha)
    return out


def audit_range(session: Session, batch_id: int, document_ids: list[int]) -> tuple[int, int] | None:
    """(first, last) audit sequence numbers of the batch's destruction: its claim
    (`disposal.batch`) to the last `disposal.destroy` of its records after it."""
    first = session.scalar(
        select(func.min(AuditEvent.seq)).where(
            AuditEvent.action == "disposal.batch",
            AuditEvent.object_type == "disposal_batch",
            AuditEvent.object_id == str(batch_id),
        )
    )
    if first is None:
        return None
    last = first
    ids = [str(i) for i in document_ids]
    for start in range(0, len(ids), 900):
        found = session.scalar(
            select(func.max(AuditEvent.seq)).where(
                AuditEvent.seq >= first,
                AuditEvent.action == "disposal.destroy",
                AuditEvent.object_type == "document",
                AuditEvent.object_id.in_(ids[start : start + 900]),
            )
        )
        if found is not None and found > last:
            last = found
    return int(first), int(last)


def transfer_facts(session: Session, batch_id: int, archive: str) -> TransferFacts:
    """The transfer(s) whose records this batch removed locally."""
    transfers = list(
        session.scalars(
            select(Transfer)
            .where(
                Transfer.id.in_(
                    select(TransferItem.transfer_id)
                    .join(DisposalItem, DisposalItem.id == TransferItem.item_id)
                    .where(DisposalItem.batch_id == batch_id)
                )
            )
            .order_by(Transfer.id)
        )
    )
    confirmed = [t.confirmed_at for t in transfers if t.confirmed_at]
    return TransferFacts(
        archive=archive,
        bag_ids=[t.bag_id for t in transfers],
        receipts=[t.receipt or "" for t in transfers],
        confirmed_at=max(confirmed) if confirmed else None,
    )
