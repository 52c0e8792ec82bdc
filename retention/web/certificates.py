"""The certificates pages: every disposal batch and the certificate of destruction (or, for
records transferred to the archive, the transfer receipt) filed for it, and one batch with the
records it lists. A certificate or record the person may not see is
shown as withheld (no title or identifier); a batch's records still add up to its count."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from edrm.access import visible_document_ids
from edrm.errors import NotFoundError
from edrm.web.auth import principal
from edrm.web.forms import ActionForm
from edrm.web.runtime import db, rt
from retention import certificates as certificate_service
from retention.certificate_facts import audit_range, checksums, transfer_facts
from retention.disposal_config import load_config
from retention.models import DisposalBatch, DisposalItem, ResidualStub


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/certificates", view_func=certificates, methods=["GET"])
    bp.add_url_rule("/certificates/<int:batch_id>", view_func=batch, methods=["GET"])


def certificates() -> str:
    session = db()
    batches = certificate_service.batches(session)
    issued = {c["batch_id"]: c for c in certificate_service.list_certificates(session)}
    visible = visible_document_ids(
        session, principal(), [c["certificate_document_id"] for c in issued.values()]
    )
    return render_template(
        "retention/certificates.html",
        batches=batches,
        issued=issued,
        certificate_visible={b: c["certificate_document_id"] in visible for b, c in issued.items()},
        form=ActionForm(),
    )


def batch(batch_id: int) -> str:
    session = db()
    found = session.get(DisposalBatch, batch_id)
    if found is None:
        raise NotFoundError(f"disposal batch {batch_id} not found")
    who = principal()
    records = certificate_service.batch_records(session, batch_id, viewer=who)
    certificate = found.certificate_document_id
    archive = load_config(rt().settings).archive_name
    shown = [r["document_id"] for r in records if not r["withheld"]]
    stubs = {
        s.document_id: s
        for s in session.scalars(select(ResidualStub).where(ResidualStub.batch_id == batch_id))
        if s.document_id in shown
    }
    return render_template(
        "retention/certificate.html",
        batch=found,
        stubs=stubs,
        checksums=checksums(session, shown),
        audit_range=audit_range(session, batch_id, _documents(batch_id)),
        transfer=transfer_facts(session, batch_id, archive) if found.action == "transfer" else None,
        records=records,
        withheld_count=sum(1 for r in records if r["withheld"]),
        certificate_visible=certificate is not None
        and bool(visible_document_ids(session, who, [certificate])),
    )


def _documents(batch_id: int) -> list[int]:
    return list(
        db().scalars(select(DisposalItem.document_id).where(DisposalItem.batch_id == batch_id))
    )
