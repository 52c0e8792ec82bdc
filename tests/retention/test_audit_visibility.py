"""The audit search as one person sees it: entries about a record, folder or class the viewer
may not see are neither shown nor counted, HR's events (leavers, harvest plans and sessions,
the HR import) are for HR alone, and the CLI's `audit log --as` answers the same."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import audit
from edrm.access import Principal
from edrm.audit import AuditEvent
from edrm.audit.search import AuditQuery, search_audit
from edrm.documents.models import Document
from tests.conftest import World, add_person, file_text, sign_in

pytestmark = pytest.mark.sqlite_only

SECRET_TITLE = "Operation Nightjar source report"
SECRET_FILE = "nightjar-source-report.txt"
SECRET_BODY = "Nightjar met the source on Tuesday.\n"
SECRET_SHA = hashlib.sha256(SECRET_BODY.encode()).hexdigest()


@pytest.fixture
def trail(world: World) -> World:
    """The small world plus a SECRET record filed, viewed and moved; an OFFICIAL records
    manager; and a leaver registered by HR."""
    from harvest.leavers import register_leaver

    with world.runtime.uow() as s:
        world.people["offrm"] = add_person(s, "offrm", "records_manager", "OFFICIAL")
        world.docs["nightjar"] = file_text(
            s,
            world.runtime,
            "SEC-OPS-INC",
            SECRET_TITLE,
            marking="SECRET",
            body=SECRET_BODY,
            filename=SECRET_FILE,
        )
    with world.runtime.uow() as s:
        _view(s, world.docs["nightjar"], "recman")
        register_leaver(
            s,
            "analyst",
            date(2031, 5, 30),
            successor="clerk",
            reason="Secondment",
            actor=world.people["hrofficer"],
        )
    return world


def _view(session: Any, document_id: int, who: str) -> None:
    """A view of a record, as the document pages note it."""
    audit.record(session, who, "document.view", "document", document_id, {"marking": "SECRET"})


def _trail_text(client: FlaskClient, query: str = "") -> str:
    page = client.get(f"/records-management/audit{query}")
    assert page.status_code == 200
    text = page.text
    return text[text.index("<h1") :]


def test_audit_search_as_an_official_records_manager_does_not_show_a_secret_documents_title_filename_or_checksum(  # noqa: E501
    client: FlaskClient, trail: World
) -> None:
    sign_in(client, "recman")  # SECRET: sees it all
    cleared = _trail_text(client)
    assert SECRET_TITLE in cleared and SECRET_FILE in cleared and SECRET_SHA in cleared
    sign_in(client, "offrm")
    for query in ("", "?object_type=document", f"?object_id={trail.docs['nightjar']}"):
        page = _trail_text(client, query)
        assert SECRET_TITLE not in page and SECRET_FILE not in page and SECRET_SHA not in page
    assert "Invoice 1001 from Acme Ltd" in _trail_text(client)  # what they may see is there
    own = _trail_text(client, f"?object_type=document&object_id={trail.docs['nightjar']}")
    assert 'id="audit-empty"' in own  # not counted either: "No entries match"


def test_audit_search_hides_a_view_of_a_hidden_record_but_not_the_viewers_own_sign_in(
    client: FlaskClient, trail: World
) -> None:
    sign_in(client, "offrm")
    page = _trail_text(client, "?actor=recman")  # recman's one entry: the view
    assert 'id="audit-empty"' in page
    own = _trail_text(client, "?actor=offrm")
    assert "login" in own[own.index('id="audit-entries"') :]


def test_a_records_manager_outside_hr_sees_no_leaver_events(
    client: FlaskClient, trail: World
) -> None:
    sign_in(client, "recman")  # a records manager, in the hr group but not in HR
    page = _trail_text(client)
    assert "leaver.register" not in page
    assert "2031-05-30" not in page and '"successor"' not in page
    assert "leaver.register" not in _trail_text(client, "?action=leaver.register")
    assert "leaver." not in _trail_text(client, "?object_type=leaver")


def test_the_system_sees_hr_events_in_the_trail(trail: World) -> None:
    from edrm.access import SYSTEM

    with trail.runtime.uow() as s:
        found = search_audit(s, AuditQuery(action="leaver."), viewer=SYSTEM)
    assert [e.action for e in found.entries] == ["leaver.register"]


def test_hidden_entries_are_skipped_not_counted_so_each_page_is_full(trail: World) -> None:
    """Fifty hidden entries between visible ones: every page still has `limit` entries the
    viewer may see, and paging reaches the oldest of them."""
    with trail.runtime.uow() as s:
        for _ in range(50):
            _view(s, trail.docs["nightjar"], "recman")
            _view(s, trail.docs["invoice"], "recman")
    viewer = trail.people["offrm"]
    seen: list[AuditEvent] = []
    before = None
    with trail.runtime.uow() as s:
        while True:
            query = AuditQuery(action="document.view", before_seq=before)
            page = search_audit(s, query, viewer=viewer, limit=7)
            assert len(page.entries) == 7 or page.older_than is None
            seen += page.entries
            if page.older_than is None:
                break
            before = page.older_than
        invoice_views = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "document.view",
                AuditEvent.object_id == str(trail.docs["invoice"]),
            )
        ).all()
    assert {e.object_id for e in seen} == {str(trail.docs["invoice"])}
    assert len(seen) == len(invoice_views) == 50


def test_the_filter_lists_no_hr_actions_to_someone_outside_hr(
    client: FlaskClient, trail: World
) -> None:
    sign_in(client, "recman")
    page = _trail_text(client)
    assert '<option value="leaver.register"' not in page
    assert '<option value="document.view"' in page


def test_the_older_entries_link_carries_only_the_searchs_own_parameters(
    client: FlaskClient, trail: World
) -> None:
    with trail.runtime.uow() as s:
        for _ in range(60):
            _view(s, trail.docs["invoice"], "recman")
    sign_in(client, "recman")
    page = client.get(
        "/records-management/audit?action=document.view&_external=1&_scheme=javascript&_anchor=x"
    )
    assert page.status_code == 200
    link = page.text[page.text.index("Older entries") - 200 : page.text.index("Older entries")]
    assert "action=document.view" in link and "before=" in link
    assert "javascript" not in link and "_external" not in link and "_anchor" not in link


def _log(cli: Any, *args: str) -> Any:
    return cli("audit", "log", "--limit", "500", "--json", *args)


def test_audit_log_as_an_official_records_manager_hides_the_secret_record(
    cli: Any, trail: World
) -> None:
    everything = json.loads(_log(cli).output)
    assert any(r.get("details", {}).get("title") == SECRET_TITLE for r in everything)
    assert any(r["action"] == "leaver.register" for r in everything)
    shown = _log(cli, "--as", "offrm").output
    assert SECRET_TITLE not in shown and SECRET_FILE not in shown and SECRET_SHA not in shown
    assert "leaver.register" not in shown
    assert "Invoice 1001 from Acme Ltd" in shown


def test_audit_log_as_someone_who_is_not_a_records_manager_is_refused(
    cli: Any, trail: World
) -> None:
    result = cli("audit", "log", "--as", "clerk")
    assert result.exit_code == 1
    assert "only records managers see the audit trail" in result.output


def test_an_audit_entry_about_a_folder_one_may_not_see_is_hidden(trail: World) -> None:
    """recman (in the hr group) files into HR-CASE-DIS; a records manager outside the group
    sees neither the filing nor the folder's creation."""
    from edrm.fileplan.service import create_folder

    with trail.runtime.uow() as s:
        create_folder(s, "HR-CASE-DIS-2025", "HR-CASE-DIS", "Discipline cases 2025")
        outsider: Principal = add_person(s, "outrm", "records_manager", "TOP SECRET")
    with trail.runtime.uow() as s:
        shown = search_audit(s, AuditQuery(), viewer=outsider, limit=500).entries
        discipline = s.get(Document, trail.docs["discipline"])
        assert discipline is not None
    assert not [e for e in shown if "HR-CASE" in e.object_id + e.details]
    assert str(trail.docs["discipline"]) not in {e.object_id for e in shown}
