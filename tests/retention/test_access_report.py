"""Issue 17 part 4: the access report — who viewed, previewed or downloaded which record, per
record, per person and per period, for records managers, trimmed to what they may see, and
exportable as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from edrm import clock
from edrm.audit.access_report import AccessQuery, access_report
from edrm.errors import RefusedError
from tests.conftest import Cli, World, file_text, sign_in
from tests.retention.disposal_helpers import store_preview

pytestmark = pytest.mark.sqlite_only  # the audit trail and access are tested on both engines


def _report(rm: World, who: str = "recman", **query: Any) -> list[tuple[str, str, int]]:
    with rm.runtime.uow() as s:
        found = access_report(s, AccessQuery(**query), viewer=rm.people[who])
    return [(a.person, a.access, a.document_id) for a in found.accesses]


def _look(client: FlaskClient, who: str, *paths: str) -> None:
    sign_in(client, who)
    for path in paths:
        assert client.get(path).status_code == 200, path
    client.post("/sign-out")


def test_downloads_and_views_of_restricted_records_are_reported_newest_first(
    world: World, client: FlaskClient
) -> None:
    invoice, bank = world.docs["invoice"], world.docs["sensitive"]
    _look(client, "analyst", f"/documents/{invoice}", f"/documents/{bank}")
    _look(client, "clerk", f"/documents/{invoice}/download")

    assert _report(world) == [
        ("clerk", "downloaded", invoice),
        ("analyst", "viewed", bank),  # OFFICIAL-SENSITIVE: always recorded
    ]  # the view of the OFFICIAL invoice is not in the trail by default


class TestWithEveryViewAudited:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, Any]) -> dict[str, Any]:
        return {**settings_overrides, "audit_all_views": True}

    def test_every_view_and_preview_is_reported(self, world: World, client: FlaskClient) -> None:
        invoice = world.docs["invoice"]
        store_preview(world.runtime, invoice, b"\x89PNG a preview")
        _look(client, "clerk", f"/documents/{invoice}", f"/documents/{invoice}/preview.png")

        assert _report(world) == [("clerk", "previewed", invoice), ("clerk", "viewed", invoice)]


def test_an_access_to_a_record_beyond_the_records_manager_is_neither_listed_nor_counted(
    world: World, client: FlaskClient
) -> None:
    rt = world.runtime
    with rt.uow() as s:
        secret = file_text(s, rt, "FIN-AP-INV", "Top secret supplier", marking="TOP SECRET")
    _look(client, "admin", f"/documents/{secret}", f"/documents/{world.docs['sensitive']}")

    assert _report(world) == [("admin", "viewed", world.docs["sensitive"])]
    with rt.uow() as s:
        found = access_report(s, AccessQuery(), viewer=world.people["recman"])
    assert [r["person"] for r in found.by_person()] == ["admin"]
    assert [r["document_id"] for r in found.by_document()] == [world.docs["sensitive"]]
    assert found.by_person()[0]["total"] == 1


def test_the_report_is_by_record_by_person_and_by_period(world: World, client: FlaskClient) -> None:
    invoice, bank = world.docs["invoice"], world.docs["sensitive"]
    _look(client, "analyst", f"/documents/{bank}", f"/documents/{invoice}/download")
    _look(client, "recman", f"/documents/{bank}")

    assert _report(world, document_id=bank) == [
        ("recman", "viewed", bank),
        ("analyst", "viewed", bank),
    ]
    assert _report(world, person="analyst") == [
        ("analyst", "downloaded", invoice),
        ("analyst", "viewed", bank),
    ]
    today = clock.now().date()
    assert len(_report(world, date_from=today, date_to=today)) == 3
    assert _report(world, date_to=today - timedelta(days=1)) == []


def test_only_records_managers_may_see_the_report(world: World, client: FlaskClient) -> None:
    with world.runtime.uow() as s, pytest.raises(RefusedError):
        access_report(s, AccessQuery(), viewer=world.people["analyst"])
    sign_in(client, "analyst")
    assert client.get("/records-management/access").status_code == 403


def test_the_page_lists_the_accesses_and_exports_them_all_as_csv(
    world: World, client: FlaskClient
) -> None:
    bank = world.docs["sensitive"]
    _look(client, "analyst", f"/documents/{bank}", f"/documents/{bank}/download")
    sign_in(client, "recman")

    page = client.get("/records-management/access?person=analyst")
    assert page.status_code == 200
    assert "Supplier bank details" in page.text and "Downloaded" in page.text

    exported = client.get("/records-management/access?person=analyst&format=csv")
    assert exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["person"], r["access"], r["document_id"]) for r in rows] == [
        ("analyst", "downloaded", str(bank)),
        ("analyst", "viewed", str(bank)),
    ]
    assert rows[0]["marking"] == "OFFICIAL-SENSITIVE" and rows[0]["version"] == "1"


def test_a_bad_date_or_record_number_is_named_on_the_page(
    world: World, client: FlaskClient
) -> None:
    sign_in(client, "recman")
    page = client.get("/records-management/access?from=31/03/2025&document=abc")
    assert page.status_code == 400
    assert "Enter the date as year-month-day" in page.text
    assert "Enter the record&#39;s number" in page.text or "Enter the record's number" in page.text


def test_the_cli_reports_as_json_and_writes_csv(
    world: World, client: FlaskClient, cli: Cli, tmp_path: Any
) -> None:
    bank = world.docs["sensitive"]
    _look(client, "analyst", f"/documents/{bank}")

    shown = cli("audit", "access", "--as", "recman", "--json")
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert set(body) == {"accesses", "by_document", "by_person", "truncated"}
    assert [(a["person"], a["access"]) for a in body["accesses"]] == [("analyst", "viewed")]
    out = tmp_path / "access.csv"
    written = cli("audit", "access", "--as", "recman", "--csv", str(out))
    assert written.exit_code == 0 and "1 accesses written" in written.output
    assert out.read_text().splitlines()[0].startswith("at,person,access,document_id")

    refused = cli("audit", "access", "--as", "analyst")
    assert refused.exit_code == 1
    assert (
        refused.output.strip() == "edrm: error: only records managers may see who looked at records"
    )
