"""The certificates of destruction page: every disposal batch and the certificate filed for it."""

from __future__ import annotations

from flask import Blueprint, render_template

from edrm.web.forms import ActionForm
from edrm.web.runtime import db
from retention import certificates as certificate_service


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/certificates", view_func=certificates, methods=["GET"])


def certificates() -> str:
    session = db()
    batches = certificate_service.batches(session)
    issued = {c["batch_id"]: c for c in certificate_service.list_certificates(session)}
    return render_template(
        "retention/certificates.html", batches=batches, issued=issued, form=ActionForm()
    )
