"""Issue 17 part 3, multi-filing: a record linked into further classes or folders
(`edrm doc link ID --to CODE`, `unlink`, the API, the record page's "Also filed in" panel)
appears in each location, and a person must satisfy every location's access rule to see it at
all (the strictest wins): page, API, CLI --as, search hits and counts all answer as if it did
not exist."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.access import (
    SYSTEM,
    document_filter,
    may_see_document,
    visibility_for,
    visible_document_ids,
)
from edrm.audit import AuditEvent
from edrm.documents.links import link_document
from edrm.documents.models import Document
from edrm.documents.service import list_in_node
from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import get_node, import_rows
from edrm.search_indexer import apply_outbox, indexed_document
from edrm.search_service import search_documents
from tests.conftest import Cli, World, add_person, sign_in
from tests.test_api_style import bearer

pytestmark = pytest.mark.sqlite_only  # the SQL of each part is run on both in tests/retention

LEGAL = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
LEGAL,,function,Legal services,Law,OFFICIAL,,Legal,,false
LEGAL-CON,LEGAL,activity,Contracts,Contracts under seal,OFFICIAL,legal,Legal,DESTROY-7Y,false
LEGAL-ADV,LEGAL,activity,Legal advice,Advice given,OFFICIAL,,Legal,DESTROY-7Y,false
LEGAL-MISC,LEGAL,activity,Miscellaneous,Nothing retains it,OFFICIAL,,Legal,,false
"""


@pytest.fixture
def legal(world: World) -> World:
    with world.runtime.uow() as s:
        import_rows(s, parse_csv(LEGAL))
        world.people["legalrm"] = add_person(s, "legalrm", "records_manager", "SECRET", ("legal",))
    return world


def _audit(world: World, doc_id: int, action: str) -> list[dict[str, object]]:
    with world.runtime.uow() as s:
        events = s.scalars(
            select(AuditEvent).where(
                AuditEvent.object_id == str(doc_id), AuditEvent.action == action
            )
        )
        return [e.details_dict for e in events]


def _index(world: World) -> None:
    apply_outbox(world.runtime.sessions, world.runtime.search)


def test_a_record_linked_into_a_further_class_appears_in_each_location(
    legal: World, cli: Cli, client: FlaskClient
) -> None:
    invoice = legal.docs["invoice"]

    done = cli("doc", "link", str(invoice), "--to", "LEGAL-ADV", "--as", "clerk", "--json")

    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert (body["id"], body["changed"], body["class_code"]) == (invoice, True, "FIN-AP-INV")
    assert [p["code"] for p in body["also_filed_in"]] == ["LEGAL-ADV"]
    assert body["also_filed_in"][0]["linked_by"] == "clerk"
    assert _audit(legal, invoice, "document.link") == [
        {"to": "LEGAL-ADV", "primary": "FIN-AP-INV-2024"}
    ]
    shown = json.loads(cli("doc", "show", str(invoice), "--as", "clerk", "--json").output)
    assert [p["code"] for p in shown["also_filed_in"]] == ["LEGAL-ADV"]
    assert shown["class_code"] == "FIN-AP-INV"  # its primary place is unchanged
    with legal.runtime.uow() as s:
        clerk = legal.people["clerk"]
        listed, total = list_in_node(s, get_node(s, "LEGAL-ADV"), clerk)
        assert ([d.id for d in listed], total) == ([invoice], 1)
        indexed = indexed_document(s.get(Document, invoice), "")  # type: ignore[arg-type]
        assert indexed.class_codes == ("FIN-AP-INV", "LEGAL-ADV")
    _index(legal)
    with legal.runtime.uow() as s:
        found = search_documents(s, legal.runtime, clerk, "Acme", filters={"class": ["LEGAL-ADV"]})
        assert [h.id for h in found.hits] == [invoice]
        assert found.hits[0].class_code == "FIN-AP-INV"
        every = search_documents(s, legal.runtime, clerk, "Acme")
        counts = {c.value: c.count for c in every.facets["class"]}
        assert counts == {"FIN-AP-INV": 1, "LEGAL-ADV": 1}

    sign_in(client, "clerk")
    browsed = client.get("/fileplan/LEGAL-ADV").text
    assert "Invoice 1001 from Acme Ltd" in browsed
    page = client.get(f"/documents/{invoice}").text
    assert 'id="also-filed-in"' in page and "Legal advice" in page

    again = cli("doc", "link", str(invoice), "--to", "LEGAL-ADV", "--as", "clerk", "--json")
    assert json.loads(again.output)["changed"] is False  # repeated: nothing done twice
    assert len(_audit(legal, invoice, "document.link")) == 1


def test_unlinking_takes_the_record_out_of_that_location_only(legal: World, cli: Cli) -> None:
    invoice = legal.docs["invoice"]
    cli("doc", "link", str(invoice), "--to", "LEGAL-ADV", "--as", "clerk")

    done = cli("doc", "unlink", str(invoice), "--from", "LEGAL-ADV", "--as", "clerk", "--json")

    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["also_filed_in"] == []
    assert _audit(legal, invoice, "document.unlink") == [{"from": "LEGAL-ADV"}]
    with legal.runtime.uow() as s:
        assert list_in_node(s, get_node(s, "LEGAL-ADV"), SYSTEM) == ([], 0)
        assert [d.id for d in list_in_node(s, get_node(s, "FIN-AP-INV-2024"), SYSTEM)[0]] == [
            invoice
        ]
    again = cli("doc", "unlink", str(invoice), "--from", "LEGAL-ADV", "--as", "clerk", "--json")
    assert json.loads(again.output)["changed"] is False
    primary = cli("doc", "unlink", str(invoice), "--from", "FIN-AP-INV-2024", "--as", "clerk")
    assert primary.exit_code == 1 and "move it instead" in primary.output


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("LEGAL-MISC", "(LEGAL-MISC) has no retention rule"),  # a class nothing retains
        ("FIN-AP-INV-2019", "is closed"),
        ("FIN", "is a function"),
        ("NO-SUCH-CLASS", "not found"),
        ("FIN-AP-INV-2024", "filed in 'FIN-AP-INV-2024' already"),
        ("LEGAL-CON", "not found"),  # the clerk may not see it, so may not file there
    ],
)
def test_linking_is_refused_where_filing_would_be(
    legal: World, cli: Cli, code: str, reason: str
) -> None:
    done = cli("doc", "link", str(legal.docs["invoice"]), "--to", code, "--as", "clerk")

    assert done.exit_code == 1
    assert reason in done.output
    assert _audit(legal, legal.docs["invoice"], "document.link") == []


def test_only_whoever_may_change_the_record_may_link_it(legal: World, cli: Cli) -> None:
    done = cli("doc", "link", str(legal.docs["invoice"]), "--to", "LEGAL-ADV", "--as", "analyst")

    assert done.exit_code == 1
    assert "you may not link document" in done.output


def test_a_person_allowed_in_the_primary_class_but_not_in_a_linked_class_sees_nothing(
    legal: World, cli: Cli, client: FlaskClient
) -> None:
    rt, clerk, legalrm = legal.runtime, legal.people["clerk"], legal.people["legalrm"]
    invoice = legal.docs["invoice"]  # filed by the clerk in FIN-AP-INV-2024, open to all staff
    with rt.uow() as s:
        link_document(s, invoice, "LEGAL-CON", actor=legalrm)  # open to the legal group only
    _index(legal)

    with rt.uow() as s:
        document = s.get(Document, invoice)
        assert document is not None
        assert not may_see_document(clerk, document) and may_see_document(legalrm, document)
        assert visible_document_ids(s, clerk, [invoice]) == set()
        assert invoice not in set(s.scalars(select(Document.id).where(document_filter(s, clerk))))
        assert invoice in set(s.scalars(select(Document.id).where(document_filter(s, legalrm))))
        indexed = indexed_document(document, "")
        assert not visibility_for(s, clerk).allows(indexed)
        assert visibility_for(s, legalrm).allows(indexed)
        assert list_in_node(s, get_node(s, "FIN-AP-INV-2024"), clerk) == ([], 0)
        for text in ("Acme", ""):
            result = search_documents(s, rt, clerk, text, filters={"class": ["FIN-AP-INV"]})
            assert invoice not in {h.id for h in result.hits}, text
            assert result.total == (1 if text == "" else 0), text  # the other FIN-AP-INV one
        hidden = search_documents(s, rt, clerk, "Acme")
        assert (hidden.total, hidden.hits) == (0, ())
        assert all(counts == () for counts in hidden.facets.values())
        seen = search_documents(s, rt, legalrm, "Acme")
        assert [h.id for h in seen.hits] == [invoice]

    shown = cli("doc", "show", str(invoice), "--as", "clerk", "--json")
    missing = cli("doc", "show", "999999", "--as", "clerk", "--json")
    assert (shown.exit_code, missing.exit_code) == (missing.exit_code, missing.exit_code)
    assert shown.output.replace(str(invoice), "N") == missing.output.replace("999999", "N")

    auth = bearer(legal, "clerk", "read")
    api = client.get(f"/api/v1/documents/{invoice}", headers=auth)
    assert api.status_code == 404
    assert client.get("/api/v1/documents/999999", headers=auth).status_code == 404
    searched = client.get("/api/v1/search?q=Acme", headers=auth).get_json()
    assert searched["total"] == 0

    sign_in(client, "clerk")
    assert client.get(f"/documents/{invoice}").status_code == 404
    browsed = client.get("/fileplan/FIN-AP-INV-2024").text
    assert "Invoice 1001 from Acme Ltd" not in browsed
    found = client.get("/search?q=Acme").text
    assert "Invoice 1001" not in found
    assert re.search(r'class="edrm-total">0<', found) or "No records" in found


def test_the_api_links_and_unlinks(legal: World, client: FlaskClient) -> None:
    invoice = legal.docs["invoice"]
    auth = bearer(legal, "clerk", "read", "write")

    linked = client.post(
        f"/api/v1/documents/{invoice}/links", json={"code": "LEGAL-ADV"}, headers=auth
    )

    assert linked.status_code == 200, linked.get_json()
    assert [p["code"] for p in linked.get_json()["also_filed_in"]] == ["LEGAL-ADV"]
    refused = client.post(
        f"/api/v1/documents/{invoice}/links", json={"code": "LEGAL-MISC"}, headers=auth
    )
    assert refused.status_code == 400
    assert "no retention rule" in refused.get_json()["detail"]
    unlinked = client.delete(f"/api/v1/documents/{invoice}/links/LEGAL-ADV", headers=auth)
    assert unlinked.status_code == 200
    assert unlinked.get_json()["also_filed_in"] == []


def test_the_record_page_links_and_unlinks(legal: World, client: FlaskClient) -> None:
    invoice = legal.docs["invoice"]
    sign_in(client, "clerk")
    page = client.get(f"/documents/{invoice}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    assert '<option value="LEGAL-ADV">' in page
    assert 'value="LEGAL-CON"' not in page  # not hers to file into
    assert 'value="LEGAL-MISC"' not in page  # no retention rule

    linked = client.post(
        f"/documents/{invoice}/links", data={"code": "LEGAL-ADV", "csrf_token": token.group(1)}
    )
    assert linked.status_code == 302
    page = client.get(f"/documents/{invoice}").text
    assert "Also filed in LEGAL-ADV." in page
    assert re.search(r'id="links".*Legal advice', page, re.S)

    refused = client.post(
        f"/documents/{invoice}/links", data={"code": "LEGAL-MISC", "csrf_token": token.group(1)}
    )
    assert refused.status_code == 302
    assert "has no retention rule" in client.get(f"/documents/{invoice}").text

    client.post(
        f"/documents/{invoice}/links/remove",
        data={"code": "LEGAL-ADV", "csrf_token": token.group(1)},
    )
    page = client.get(f"/documents/{invoice}").text
    assert "No longer filed in LEGAL-ADV." in page and 'id="links"' not in page


def test_moving_a_record_into_a_place_it_is_linked_into_leaves_it_filed_there_once(
    legal: World, cli: Cli
) -> None:
    invoice = legal.docs["invoice"]
    cli("doc", "link", str(invoice), "--to", "LEGAL-ADV", "--as", "clerk")

    moved = cli("doc", "move", str(invoice), "--to", "LEGAL-ADV", "--as", "clerk")

    assert moved.exit_code == 0, moved.output
    shown = json.loads(cli("doc", "show", str(invoice), "--as", "clerk", "--json").output)
    assert (shown["class_code"], shown["also_filed_in"]) == ("LEGAL-ADV", [])
    with legal.runtime.uow() as s:
        assert list_in_node(s, get_node(s, "LEGAL-ADV"), SYSTEM)[1] == 1


def test_an_audit_entry_of_a_link_names_the_places_so_only_those_who_see_them_see_it() -> None:
    from edrm.audit.subjects import subject_of

    linked = subject_of("document.link", "document", "7", {"to": "LEGAL-CON", "primary": "F-1"})
    unlinked = subject_of("document.unlink", "document", "7", {"from": "LEGAL-CON"})
    destroyed = subject_of("disposal.destroy", "document", "7", {"unlinked_from": ["LEGAL-CON"]})

    assert linked.nodes == {"LEGAL-CON", "F-1"} and linked.documents == {7}
    assert unlinked.nodes == destroyed.nodes == {"LEGAL-CON"}


def test_a_place_records_are_linked_into_keeps_its_kind(legal: World) -> None:
    from edrm.errors import InvalidInputError

    header = LEGAL.splitlines()[0]
    row = "LEGAL-ADV-OP,LEGAL-ADV,{kind},Opinions,Counsel's opinions,OFFICIAL,,Legal,,false"
    with legal.runtime.uow() as s:
        import_rows(s, parse_csv(f"{header}\n{row.format(kind='transaction')}\n"))
        link_document(s, legal.docs["invoice"], "LEGAL-ADV-OP", actor=SYSTEM)

    with pytest.raises(InvalidInputError, match="cannot change the kind"), legal.runtime.uow() as s:
        import_rows(s, parse_csv(f"{header}\n{row.format(kind='folder')}\n"))
