"""Responses and the disclosure log: letters from templates filed as records with the bundle,
one response per request, refusals citing exemptions (and the public interest test for the
qualified ones), and a log of answered FOI/EIR requests — never SARs, never the requester."""

from __future__ import annotations

import io

import pypdf
import pytest
from sqlalchemy import select

from disclosure.disclosure_log import log_csv, log_entries, published_bundle
from disclosure.redaction_config import load_redaction_config
from disclosure.redactions import approve, propose
from disclosure.responses import respond, set_published
from edrm.documents.models import Document
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.runtime import Runtime
from tests.disclosure.bundle_checks import assert_absent
from tests.disclosure.redaction_samples import SECRET
from tests.disclosure.redaction_world import (
    RedactionWorld,
    add_to_request,
    make_world,
    open_request,
)


@pytest.fixture
def rw(runtime: Runtime) -> RedactionWorld:
    return make_world(runtime)


def _text(rt: Runtime, document_id: int) -> str:
    with rt.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None and document.is_record
        data = rt.blobs.read_bytes(document.latest.sha256)
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_a_partly_granted_response_files_the_letter_and_the_bundle_and_can_be_published(
    rw: RedactionWorld,
) -> None:
    rt = rw.runtime
    config = load_redaction_config(rt.settings)
    with rt.uow() as s:
        ids = [
            propose(
                s,
                config,
                actor=rw.people["officer"],
                request_id=rw.request_id,
                document_id=document_id,
                exemption="s43",
                term=SECRET,
            ).id
            for document_id in rw.docs.values()
        ]
    with rt.uow() as s:
        for rid in ids:
            approve(s, rw.people["second"], rid)
    with rt.uow() as s, pytest.raises(InvalidInputError, match="public interest"):
        respond(
            s, rt.blobs, config, actor=rw.people["officer"], request_id=rw.request_id, letter="part"
        )
    with rt.uow() as s:
        sent = respond(
            s,
            rt.blobs,
            config,
            actor=rw.people["officer"],
            request_id=rw.request_id,
            letter="part",
            public_interest="Disclosure would harm the supplier's position in a live tender.",
            publish=True,
        )
        letter_id, bundle_id = sent.letter.id, sent.bundle.id  # type: ignore[union-attr]
        assert sent.letter.node.code == "INFO-IM-FOI"  # type: ignore[union-attr]
    letter = _text(rt, letter_id)
    assert "FOI-2026-0001" in letter and "s43: Commercial interests (qualified)" in letter
    assert "live tender" in letter and "internal review" in letter
    with rt.uow() as s:
        bundle = rt.blobs.read_bytes(s.get(Document, bundle_id).latest.sha256)  # type: ignore[union-attr]
    assert_absent(bundle, SECRET)
    with rt.uow() as s, pytest.raises(RefusedError, match="already been answered"):
        respond(
            s,
            rt.blobs,
            config,
            actor=rw.people["officer"],
            request_id=rw.request_id,
            letter="granted",
        )
    with rt.uow() as s:
        entries = log_entries(s)
        assert [(e.reference, e.outcome, e.exemptions, e.published) for e in entries] == [
            ("FOI-2026-0001", "part", ["s43"], True)
        ]
        assert published_bundle(s, rt.blobs, "foi-2026-0001") == bundle
        text = log_csv(entries, "/disclosure-log/{reference}.pdf")
        assert "A. Requester" not in text and "requester@example.org" not in text
        assert "/disclosure-log/FOI-2026-0001.pdf" in text
        set_published(s, rw.people["officer"], rw.request_id, False)
    with rt.uow() as s, pytest.raises(NotFoundError):
        published_bundle(s, rt.blobs, "FOI-2026-0001")


def test_subject_access_requests_never_appear_in_the_disclosure_log(rw: RedactionWorld) -> None:
    rt = rw.runtime
    config = load_redaction_config(rt.settings)
    sar = open_request(rt, rw.people["officer"], kind="sar")
    add_to_request(rt, sar, rw.docs["scan"], rw.people["officer"])
    with rt.uow() as s, pytest.raises(InvalidInputError, match="published"):
        respond(
            s,
            rt.blobs,
            config,
            actor=rw.people["officer"],
            request_id=sar,
            letter="granted",
            publish=True,
        )
    with rt.uow() as s:
        respond(s, rt.blobs, config, actor=rw.people["officer"], request_id=sar, letter="granted")
    with rt.uow() as s:
        respond(
            s,
            rt.blobs,
            config,
            actor=rw.people["second"],
            request_id=rw.request_id,
            letter="not-held",
        )
    with rt.uow() as s:
        assert [e.reference for e in log_entries(s)] == ["FOI-2026-0001"]
        assert all(not e.published for e in log_entries(s))


def test_each_letter_follows_its_template(rw: RedactionWorld) -> None:
    from datetime import date

    from disclosure.letters import LetterFacts, letter_text

    config = load_redaction_config(rw.runtime.settings)
    base = dict(
        kind="foi",
        reference="FOI-2026-0009",
        received=date(2026, 11, 2),
        sent=date(2026, 11, 20),
        summary="Minutes",
        addressee="A. Requester",
    )
    texts = {
        letter: " ".join(
            letter_text(
                LetterFacts(
                    letter=letter,
                    exemptions=[config.exemption("s31")],
                    public_interest="PIT.",
                    **base,
                )  # type: ignore[arg-type]
            )
        )
        for letter in ("granted", "part", "refused", "not-held", "vexatious")
    }
    assert "is enclosed" in texts["granted"] and "s31" not in texts["granted"]
    assert (
        "s31: Law enforcement (qualified)" in texts["refused"]
        and "Public interest test" in texts["refused"]
    )
    assert "section 1(1)(a)" in texts["not-held"]
    assert "section 14(1)" in texts["vexatious"]
    eir = " ".join(letter_text(LetterFacts(letter="vexatious", **{**base, "kind": "eir"})))  # type: ignore[arg-type]
    assert "regulation 12(4)(b)" in eir


def test_a_refusal_must_cite_an_exemption_and_only_handlers_respond(rw: RedactionWorld) -> None:
    rt = rw.runtime
    config = load_redaction_config(rt.settings)
    with rt.uow() as s, pytest.raises(InvalidInputError, match="cites at least one"):
        respond(
            s,
            rt.blobs,
            config,
            actor=rw.people["officer"],
            request_id=rw.request_id,
            letter="refused",
        )
    with rt.uow() as s, pytest.raises(NotFoundError):
        respond(
            s,
            rt.blobs,
            config,
            actor=rw.people["clerk"],
            request_id=rw.request_id,
            letter="granted",
        )
    with rt.uow() as s:
        sent = respond(
            s,
            rt.blobs,
            config,
            actor=rw.people["recman"],
            request_id=rw.request_id,
            letter="refused",
            exemptions=["s40"],
        )
        assert sent.bundle is None and sent.response.exemptions == ["s40"]
        assert s.scalar(select(Document.id).where(Document.doc_type == "Disclosure bundle")) is None
