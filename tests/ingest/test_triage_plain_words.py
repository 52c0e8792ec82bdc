"""The triage list in words a civil servant understands: classes by name, reasons as sentences,
no near-0% suggestions, and no class chosen for the person by default (issue 12, item 4)."""

from __future__ import annotations

import io
import json
import re

from flask.testing import FlaskClient

from edrm.access import Principal
from edrm.documents.service import NewDocument, create_document
from edrm.ingest.classify.reasons import plain_reason, plain_reasons
from edrm.ingest.models import DocumentSuggestion
from edrm.runtime import Runtime
from tests.conftest import Cli, World, sign_in

RULE_REASON = "rules: keywords invoice, VAT; phrases 'purchase order'; model: class not learnt yet"
MODEL_REASON = "rules: no match; model 55%: terms supplier, payment"


def _on_triage(
    runtime: Runtime, owner: Principal, suggestions: list[tuple[str, float, str]]
) -> int:
    """A document on `owner`'s triage list with these stored suggestions, best first."""
    with runtime.uow() as s:
        stored = runtime.blobs.put_stream(io.BytesIO(b"A note about money.\n"))
        document = create_document(
            s,
            stored.sha256,
            stored.size,
            "text/plain",
            NewDocument(filename="note.txt", into_code="", title="A note about money"),
            actor=owner,
            triage=True,
        )
        for rank, (code, confidence, reason) in enumerate(suggestions, start=1):
            s.add(
                DocumentSuggestion(
                    document_id=document.id,
                    rank=rank,
                    class_code=code,
                    confidence=confidence,
                    reason=reason,
                )
            )
        return document.id


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_triage_buttons_name_the_class_and_show_its_code_as_secondary_text(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: "File in Supplier invoices", not "File in FIN-AP-INV"; the code is
    small secondary text beside it."""
    _on_triage(world.runtime, world.people["clerk"], [("FIN-AP-INV", 0.6, RULE_REASON)])
    sign_in(client, "clerk")
    page = client.get("/triage").text
    assert "File in Supplier invoices</button>" in page
    assert "File in FIN-AP-INV" not in page
    assert re.search(r'<span class="[^"]*edrm-secondary[^"]*">FIN-AP-INV</span>', page)


def test_suggestion_reasons_read_as_plain_sentences_on_the_triage_list(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: the reasons say "Mentions 'invoice' and 'VAT'" and "Similar to
    documents already filed here", never "rules: keywords…; model 55%: terms…"."""
    _on_triage(
        world.runtime,
        world.people["clerk"],
        [("FIN-AP-INV", 0.6, RULE_REASON), ("SEC-OPS-INC", 0.3, MODEL_REASON)],
    )
    sign_in(client, "clerk")
    page = client.get("/triage").text
    assert "Mentions &#39;invoice&#39; and &#39;VAT&#39;." in page
    assert "Contains the phrase &#39;purchase order&#39;." in page
    assert "Similar to documents already filed here." in page
    assert "rules:" not in page and "model 55%" not in page and "terms supplier" not in page


def test_a_stored_reason_reads_as_sentences_and_the_model_says_how_confident_it_is() -> None:
    """Issue 12 item 4: the readable form of every part of a stored reason."""
    reason = (
        r"rules: keywords invoice; pattern INV-\d{2,4} (INV-1234); sender ap@acme.example; "
        "file name invoice*; model 91%: terms invoice, vat"
    )
    assert plain_reasons(reason) == [
        "Mentions 'invoice'.",
        "Has a reference like 'INV-1234'.",
        "Sent by ap@acme.example, whose mail is filed here.",
        "Its file name is like those of documents filed here.",
        "Similar to documents already filed here (91% confident).",
    ]
    assert plain_reason("rules: no match; model: none trained") == ""
    assert plain_reason("written by hand") == "written by hand"


def test_the_cli_keeps_the_reason_and_adds_its_readable_form(cli: Cli, world: World) -> None:
    """Issue 12 item 4: `edrm triage list --json` keeps `reason` as stored and adds
    `reason_text` and `class_title`."""
    _on_triage(world.runtime, world.people["clerk"], [("FIN-AP-INV", 0.6, MODEL_REASON)])
    items = json.loads(cli("triage", "list", "--as", "clerk", "--json").stdout)
    offered = items[0]["suggestions"][0]
    assert offered["reason"] == MODEL_REASON
    assert offered["reason_text"] == "Similar to documents already filed here (55% confident)."
    assert offered["class_title"] == "Supplier invoices"


def test_suggestions_below_the_minimum_confidence_are_not_offered(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: a 0% (or 2%) suggestion is not offered; the minimum is
    `min_confidence` in ingest.toml (5% as shipped)."""
    _on_triage(
        world.runtime,
        world.people["clerk"],
        [("FIN-AP-INV", 0.6, RULE_REASON), ("SEC-OPS-INC", 0.02, MODEL_REASON)],
    )
    sign_in(client, "clerk")
    page = client.get("/triage").text
    assert "File in Supplier invoices" in page
    assert "File in Security incidents" not in page and "2% sure" not in page


def test_the_class_list_starts_with_a_blank_choose_a_class_option(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: the "choose a class" list does not default to the first class."""
    document_id = _on_triage(world.runtime, world.people["clerk"], [])
    sign_in(client, "clerk")
    page = client.get("/triage").text
    select = re.search(rf'<select[^>]*id="class-{document_id}".*?</select>', page, re.S)
    assert select
    first = re.search(r"<option([^>]*)>([^<]*)</option>", select.group(0))
    assert first and first.group(2) == "Choose a class"
    assert 'value=""' in first.group(1) and "selected" in first.group(1)
    assert "Supplier invoices (FIN-AP-INV)" in select.group(0)


def test_filing_with_no_class_chosen_is_refused_with_an_error_summary_linked_to_the_list(
    client: FlaskClient, world: World, runtime: Runtime
) -> None:
    """Issue 12 item 4: pressing "File it here" with nothing chosen files nothing and shows
    the GOV.UK error summary, its link going to that document's class list."""
    document_id = _on_triage(world.runtime, world.people["clerk"], [])
    sign_in(client, "clerk")
    token = _csrf(client.get("/triage").text)
    answer = client.post(f"/triage/{document_id}", data={"csrf_token": token, "class_code": ""})
    assert answer.status_code == 400
    page = answer.text
    assert "govuk-error-summary" in page and "There is a problem" in page
    assert f'href="#class-{document_id}">Choose the class to file it in</a>' in page
    assert f'id="class-{document_id}-error"' in page and "govuk-select--error" in page
    assert page.count("<title>Error: ") == 1
    from edrm.documents.models import Document

    with runtime.uow() as s:
        assert s.get(Document, document_id).status == "triage"  # type: ignore[union-attr]


def test_filing_from_the_triage_list_names_the_class_it_went_to(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: the confirmation names the class, not only its code."""
    document_id = _on_triage(world.runtime, world.people["clerk"], [])
    sign_in(client, "clerk")
    token = _csrf(client.get("/triage").text)
    answer = client.post(
        f"/triage/{document_id}",
        data={"csrf_token": token, "class_code": "FIN-AP-INV"},
        follow_redirects=True,
    )
    assert "in Supplier invoices (FIN-AP-INV)." in answer.text


def test_a_documents_own_page_names_its_suggested_classes_and_says_why_in_plain_words(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: a document's page lists its suggested classes by name, with the
    classifier's reason as a sentence, not "rules: keywords…"."""
    document_id = _on_triage(
        world.runtime,
        world.people["clerk"],
        [
            (
                "FIN-AP-INV",
                0.55,
                "rules: keywords invoice, vat; " + MODEL_REASON[len("rules: no match; ") :],
            )
        ],
    )
    sign_in(client, "clerk")
    page = client.get(f"/documents/{document_id}").text
    suggested = page[page.index("Suggested classes") :]
    assert "Supplier invoices" in suggested
    assert "rules:" not in suggested and "keywords" not in suggested
