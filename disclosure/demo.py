"""The demo's information request: a FOI request of the demo's information-rights officer
(ioakes) holding two records, with a term redaction proposed and waiting for a second person,
so that every redaction page has something to show."""

from __future__ import annotations

from sqlalchemy import select

from disclosure.bundles import add_records
from disclosure.loader import load_config
from disclosure.models import InformationRequest
from disclosure.redaction_config import load_redaction_config
from disclosure.redactions import propose
from disclosure.requests import open_request
from edrm import clock
from edrm.access import visible_document_ids
from edrm.documents.models import Document
from edrm.errors import NotFoundError
from edrm.people.service import principal_for
from edrm.runtime import Runtime

OFFICER = "ioakes"


def load_demo_requests(runtime: Runtime) -> str:
    """Idempotent: opens the demo request once (when the officer exists and no request does)."""
    with runtime.uow() as session:
        if session.scalar(select(InformationRequest.id).limit(1)) is not None:
            return "a request exists already"
        try:
            officer = principal_for(session, OFFICER)
        except NotFoundError:  # the demo's people were not loaded
            return f"no {OFFICER}"
        candidates = list(
            session.scalars(
                select(Document.id)
                .where(Document.status == "filed")
                .order_by(Document.id)
                .limit(50)
            )
        )
        visible = sorted(visible_document_ids(session, officer, candidates))[:2]
        if not visible:
            return "no records the officer may see"
        request = open_request(
            session,
            officer,
            kind="foi",
            received=clock.now().date(),
            requester="Demo Requester",
            summary="Correspondence about the grant scheme (demo)",
            config=load_config(runtime.settings),
        )
        add_records(session, officer, request.id, visible)
        first = session.get(Document, visible[0])
        term = (first.title.split() or ["grant"])[0] if first is not None else "grant"
        propose(
            session,
            load_redaction_config(runtime.settings),
            actor=officer,
            request_id=request.id,
            document_id=visible[0],
            exemption="s40",
            term=term,
            note="A name (demo)",
        )
        return f"{request.reference} opened with {len(visible)} records and a proposed redaction"
