"""Classifier suggestions are trimmed as they are read: each reader is offered only the classes
they may see and file into, on the triage list, the document page, the API and the CLI, while
the stored suggestions stay whole for the next reader."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from edrm.access import suggestable_codes
from edrm.fileplan.service import close_folder, create_folder
from edrm.ingest.worker import Worker
from tests.conftest import PASSWORD, Cli, World, add_person, sign_in
from tests.ingest import fixtures

# Two classes' evidence in one text, so neither is sure enough to file it: it waits on the
# uploader's triage list with both suggested. HR-CASE-DIS is open to the hr group only.
RULES = """
[settings]
evidence_scale = 3.0
rule_smoothing = 0.1

[[rule]]
class = "FIN-AP-INV"
keywords = ["invoice", "remittance"]

[[rule]]
class = "HR-CASE-DIS"
keywords = ["grievance", "disciplinary"]
"""
TEXT = b"An invoice and a remittance advice, and a note of a grievance and a disciplinary.\n"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    return {**settings_overrides, "config_dir": fixtures.config_dir_with_rules(tmp_path, RULES)}


@pytest.fixture
def document_id(client: FlaskClient, world: World) -> int:
    """The clerk's upload, on the clerk's triage list with both classes suggested."""
    token = base64.b64encode(f"clerk:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {token}"}
    response = client.post(
        "/api/v1/documents",
        data={"files": (io.BytesIO(TEXT), "mixed.txt")},
        headers=headers,
        content_type="multipart/form-data",
    )
    with Worker(world.runtime) as worker:
        while worker.run_one():
            pass
    job = client.get(f"/api/v1/jobs/{response.json['job_id']}", headers=headers).json
    assert job["outcome"] == "triage", job
    return int(job["document_id"])


def _codes(suggestions: list[dict[str, Any]]) -> set[str]:
    return {s["class_code"] for s in suggestions}


def test_a_records_manager_in_the_group_is_offered_every_stored_suggestion(
    cli: Cli, document_id: int
) -> None:
    shown = json.loads(cli("doc", "show", str(document_id), "--as", "recman", "--json").stdout)
    assert _codes(shown["suggestions"]) == {"FIN-AP-INV", "HR-CASE-DIS"}


def test_suggestions_name_only_classes_the_reader_may_see_in_the_cli(
    cli: Cli, document_id: int
) -> None:
    shown = json.loads(cli("doc", "show", str(document_id), "--as", "clerk", "--json").stdout)
    assert _codes(shown["suggestions"]) == {"FIN-AP-INV"}
    (item,) = json.loads(cli("triage", "list", "--as", "clerk", "--json").stdout)
    assert _codes(item["suggestions"]) == {"FIN-AP-INV"}


def test_suggestions_name_only_classes_the_reader_may_see_in_the_api(
    client: FlaskClient, document_id: int
) -> None:
    token = base64.b64encode(f"clerk:{PASSWORD}".encode()).decode()
    shown = client.get(
        f"/api/v1/documents/{document_id}", headers={"Authorization": f"Basic {token}"}
    ).json
    assert _codes(shown["suggestions"]) == {"FIN-AP-INV"}


def test_suggestions_name_only_classes_the_reader_may_see_on_the_pages(
    client: FlaskClient, document_id: int
) -> None:
    sign_in(client, "clerk")
    for path in (f"/documents/{document_id}", "/triage"):
        page = client.get(path).text
        assert "FIN-AP-INV" in page, path
        assert "HR-CASE-DIS" not in page, path


def test_a_closed_folder_or_a_class_above_the_clearance_is_not_offered(world: World) -> None:
    rt = world.runtime
    with rt.uow() as s:
        create_folder(s, "FIN-AP-INV-OLD", "FIN-AP-INV", "Old invoices")
        close_folder(s, "FIN-AP-INV-OLD")
        junior = add_person(s, "hrjunior", "civil_servant", "OFFICIAL", ("hr",))
        codes = {"FIN-AP-INV", "FIN-AP-INV-OLD", "HR-CASE-DIS", "FIN", "NO-SUCH-CLASS"}
        assert suggestable_codes(s, world.people["clerk"], codes) == {"FIN-AP-INV"}
        # In the group, but HR-CASE-DIS holds OFFICIAL-SENSITIVE material.
        assert suggestable_codes(s, junior, codes) == {"FIN-AP-INV"}
        # In the group and cleared for it.
        offered = suggestable_codes(s, world.people["hrofficer"], codes)
        assert offered == {"FIN-AP-INV", "HR-CASE-DIS"}
