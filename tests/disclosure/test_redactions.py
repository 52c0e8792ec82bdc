"""Redactions on a request's records: proposed by term or area with an exemption, approved by a
second person (never the proposer), audited, and burned into the exported bundle so that no
trace of a redacted word survives; the records themselves are unchanged."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from disclosure.bundle_export import bundle_for
from disclosure.page_sources import Box
from disclosure.redaction_config import load_redaction_config
from disclosure.redactions import Area, approve, propose, redactions_for, reject
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.runtime import Runtime
from tests.disclosure.bundle_checks import assert_absent, extracted_text
from tests.disclosure.redaction_samples import SECRET
from tests.disclosure.redaction_world import RedactionWorld, make_world


@pytest.fixture
def rw(runtime: Runtime) -> RedactionWorld:
    return make_world(runtime)


def _propose(rw: RedactionWorld, by: str = "officer", **what: object) -> int:
    config = load_redaction_config(rw.runtime.settings)
    with rw.runtime.uow() as s:
        redaction = propose(
            s,
            config,
            actor=rw.people[by],
            request_id=rw.request_id,
            **{"document_id": rw.docs["pdf"], "exemption": "s40", **what},  # type: ignore[arg-type]
        )
        return redaction.id


def test_the_proposer_cannot_approve_their_own_redaction(rw: RedactionWorld) -> None:
    rid = _propose(rw, term=SECRET)
    with rw.runtime.uow() as s, pytest.raises(RefusedError, match="second person"):
        approve(s, rw.people["officer"], rid)
    with rw.runtime.uow() as s:
        assert approve(s, rw.people["second"], rid).status == "approved"
    with rw.runtime.uow() as s, pytest.raises(RefusedError, match="already approved"):
        approve(s, rw.people["recman"], rid)


def test_a_rejection_needs_a_reason_and_is_final(rw: RedactionWorld) -> None:
    rid = _propose(rw, term="budget")
    with rw.runtime.uow() as s, pytest.raises(InvalidInputError, match="reason"):
        reject(s, rw.people["second"], rid, " ")
    with rw.runtime.uow() as s:
        assert reject(s, rw.people["second"], rid, "already published").reason == (
            "already published"
        )
    with rw.runtime.uow() as s, pytest.raises(RefusedError):
        approve(s, rw.people["recman"], rid)


def test_each_step_is_audited(rw: RedactionWorld) -> None:
    rid = _propose(rw, box=Box(1, 0.1, 0.1, 0.2, 0.05), note="name of a junior official")
    with rw.runtime.uow() as s:
        approve(s, rw.people["second"], rid)
    with rw.runtime.uow() as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.action.like("redaction.%")).order_by(AuditEvent.seq)
        ).all()
        assert [(e.action, e.actor) for e in events] == [
            ("redaction.propose", "officer"),
            ("redaction.approve", "second"),
        ]
        assert events[0].details_dict["box"]["page"] == 1
        assert events[0].details_dict["exemption"] == "s40"


def test_an_unknown_exemption_a_missing_page_and_a_record_outside_the_request_are_refused(
    rw: RedactionWorld, runtime: Runtime
) -> None:
    with pytest.raises(InvalidInputError, match="unknown exemption"):
        _propose(rw, term=SECRET, exemption="s99")
    with pytest.raises(InvalidInputError, match="page 3 does not exist"):
        Area.parse(3, "0.1,0.1,0.2,0.2").box([(595.0, 842.0)])
    with pytest.raises(InvalidInputError, match="X,Y,W,H"):
        Area.parse(1, "1,2,three")
    points = Area.parse(1, "59.5,84.2,297.5,42.1").box([(595.0, 842.0)])
    assert round(points.x, 2) == 0.1 and round(points.w, 2) == 0.5
    from tests.conftest import file_text

    with runtime.uow() as s:
        other = file_text(s, runtime, "FIN-AP-INV", "Not in the request")
    with pytest.raises(InvalidInputError, match="not in request"):
        _propose(rw, term=SECRET, document_id=other)


def test_people_who_do_not_handle_requests_find_no_redactions(rw: RedactionWorld) -> None:
    rid = _propose(rw, term=SECRET)
    with rw.runtime.uow() as s:
        with pytest.raises(NotFoundError):
            approve(s, rw.people["clerk"], rid)
        with pytest.raises(NotFoundError):
            redactions_for(s, rw.people["clerk"], rw.request_id)
    with pytest.raises(NotFoundError):
        _propose(rw, by="clerk", term=SECRET)


def test_the_exported_bundle_keeps_no_trace_and_the_records_are_unchanged(
    rw: RedactionWorld,
) -> None:
    rt = rw.runtime
    config = load_redaction_config(rt.settings)
    term = _propose(rw, term=SECRET)
    scan_term = _propose(rw, term=SECRET, document_id=rw.docs["scan"], exemption="s43")
    area = _propose(rw, box=Box(1, 0.0, 0.0, 1.0, 0.05), exemption="s31")
    with rt.uow() as s, pytest.raises(RefusedError, match="proposed redaction"):
        bundle_for(s, rt.blobs, config, actor=rw.people["officer"], request_id=rw.request_id)
    with rt.uow() as s:
        before = {d: s.get(Document, d).latest.sha256 for d in rw.docs.values()}  # type: ignore[union-attr]
        for rid in (term, scan_term, area):
            approve(s, rw.people["second"], rid)
    with rt.uow() as s:
        data, report = bundle_for(
            s, rt.blobs, config, actor=rw.people["officer"], request_id=rw.request_id
        )
    assert report.pages == 2 and {"s40", "s43", "s31"} <= set(report.by_code)
    assert_absent(data, SECRET)
    assert "finance team" in extracted_text(data)
    with rt.uow() as s:
        for document_id, sha in before.items():
            version = s.get(Document, document_id).latest  # type: ignore[union-attr]
            assert version.sha256 == sha
            assert hashlib.sha256(rt.blobs.read_bytes(sha)).hexdigest() == sha
        export = s.scalars(select(AuditEvent).where(AuditEvent.action == "request.export")).one()
        assert export.details_dict["sha256"] == hashlib.sha256(data).hexdigest()
        assert sorted(export.details_dict["documents"]) == sorted(rw.docs.values())


def test_a_scan_is_redacted_from_its_searchable_pdfa_rendition(rw: RedactionWorld) -> None:
    from disclosure.record_pages import record_content
    from edrm import clock
    from edrm.renditions.models import PDFA, Rendition
    from tests.disclosure.redaction_samples import born_digital_pdf

    rt, pdf = rw.runtime, born_digital_pdf()
    with rt.uow() as s:
        scan = s.get(Document, rw.docs["scan"])
        assert scan is not None
        original = record_content(s, rt.blobs, rw.people["officer"], scan.id)
        assert original.mime == "image/png"
        stored = rt.blobs.put_bytes(pdf)
        s.add(
            Rendition(
                document_id=scan.id,
                version_id=scan.latest.id,
                kind=PDFA,
                sha256=stored.sha256,
                size=stored.size,
                created_at=clock.now(),
            )
        )
    with rt.uow() as s:
        read = record_content(s, rt.blobs, rw.people["officer"], rw.docs["scan"])

    assert (read.mime, read.content) == ("application/pdf", pdf)
