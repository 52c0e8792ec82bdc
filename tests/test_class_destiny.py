"""Class determines destiny (issue 17 part 2): a class or folder no retention rule reaches, own
or inherited, cannot receive records, whichever way a record is filed; `edrm ingest --into` a
place that cannot take it exits 1 with the reason and keeps the file on the triage list; a class
whose rule counts from its folder's closing asks for a folder."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm.documents.filing import NoDestinyError
from edrm.documents.models import Document
from edrm.documents.service import NewDocument, create_document, move_document
from edrm.fileplan.io import parse_csv
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import create_folder, import_rows
from retention.schedule import ensure_schedule
from tests.conftest import Cli, World, file_text, sign_in
from tests.ingest.test_filing import INVOICE_TEXT
from tests.test_api_style import bearer
from tests.test_document_edits import _csrf

NO_RULE = "FIN-GRT-ALL"  # Grant allocations: no rule on it, nor on Grants or Finance
NEEDS_FOLDER = "HR-CASE-GRV"  # Grievance cases: destroyed six years after its folder closes
EXTRA_PLAN = """code,parent,kind,title,description,marking,access,owner_unit,retention,closed
FIN-GRT,FIN,activity,Grants,Grants given,OFFICIAL,,Finance,,false
FIN-GRT-ALL,FIN-GRT,transaction,Grant allocations,Grants given,OFFICIAL,,Finance,,false
HR-CASE-GRV,HR-CASE,transaction,Grievance cases,Grievances,OFFICIAL,,HR,DESTROY-6Y-CLOSED,false
"""


@pytest.fixture
def places(world: World) -> World:
    """The small world, its configured schedule loaded, with a class no rule reaches and a
    class whose rule counts from its folder's closing (with one open folder)."""
    with world.runtime.uow() as s:
        ensure_schedule(s, world.runtime.settings)
        import_rows(s, parse_csv(EXTRA_PLAN))
        create_folder(s, "FIN-GRT-ALL-001", NO_RULE, "Grant allocations 2026")
        create_folder(s, "HR-CASE-GRV-001", NEEDS_FOLDER, "Grievance 2026/1")
    return world


def _post(client: FlaskClient, path: str, data: dict[str, str]) -> Any:
    return client.post(path, data={**data, "csrf_token": _csrf(client, "/triage")})


def _file(world: World, code: str) -> int:
    with world.runtime.uow() as s:
        return file_text(s, world.runtime, code, "A note", actor=world.people["recman"])


def _triage_document(world: World, who: str = "clerk") -> int:
    with world.runtime.uow() as s:
        stored = world.runtime.blobs.put_stream(io.BytesIO(b"A note with no obvious home.\n"))
        return create_document(
            s,
            stored.sha256,
            stored.size,
            "text/plain",
            NewDocument(filename="note.txt", into_code="", title="A note with no obvious home"),
            actor=world.people[who],
            triage=True,
        ).id


def _status(world: World, document_id: int) -> tuple[str, str | None]:
    with world.runtime.uow() as s:
        document = s.get(Document, document_id)
        assert document is not None
        return document.status, document.class_code


def _no_rule_reason(text: str, code: str = NO_RULE) -> bool:
    return code in text and "no retention rule" in text


# --- a class with no retention rule cannot receive records -------------------------------------


def test_filing_into_a_class_with_no_retention_rule_is_refused_naming_the_class(
    places: World,
) -> None:
    """Issue 17 part 2: the filing service refuses a class with no rule, own or inherited,
    with a reason naming the class and saying it has no retention rule; nothing is filed."""
    with pytest.raises(NoDestinyError) as refused:
        _file(places, NO_RULE)
    assert _no_rule_reason(str(refused.value)) and "Grant allocations" in str(refused.value)
    with places.runtime.uow() as s:
        node = s.scalar(select(FilePlanNode).where(FilePlanNode.code == NO_RULE))
        assert node is not None
        assert s.scalars(select(Document).where(Document.node_id == node.id)).all() == []


def test_a_folder_of_a_class_with_no_rule_cannot_receive_records_either(places: World) -> None:
    """Issue 17 part 2: a folder inherits its class's (missing) rule: refused, naming it."""
    with pytest.raises(NoDestinyError) as refused:
        _file(places, "FIN-GRT-ALL-001")
    assert _no_rule_reason(str(refused.value), "FIN-GRT-ALL-001")


def test_a_rule_inherited_from_a_class_above_is_the_class_own(places: World) -> None:
    """Issue 17 part 2: Discipline cases has no rule of its own but inherits Employee
    relations' (and a folder its class's): both receive records."""
    assert _status(places, _file(places, "HR-CASE-DIS")) == ("filed", "HR-CASE-DIS")
    assert _status(places, _file(places, "FIN-AP-INV-2024")) == ("filed", "FIN-AP-INV")


def test_a_rule_the_schedule_does_not_have_is_no_rule(places: World) -> None:
    """Issue 17 part 2: a class naming a rule that the loaded schedule lacks has no destiny."""
    with places.runtime.uow() as s:
        node = s.scalar(select(FilePlanNode).where(FilePlanNode.code == NO_RULE))
        assert node is not None
        node.retention_rule = "NOT-IN-THE-SCHEDULE"
    with pytest.raises(NoDestinyError) as refused:
        _file(places, NO_RULE)
    assert _no_rule_reason(str(refused.value))


def test_moving_a_record_into_a_class_with_no_rule_is_refused(places: World) -> None:
    """Issue 17 part 2: re-filing is filing: a move into a class with no rule is refused and
    the record stays where it was."""
    invoice = places.docs["invoice"]
    with pytest.raises(NoDestinyError) as refused, places.runtime.uow() as s:
        move_document(s, invoice, NO_RULE, actor=places.people["recman"], reason="Misfiled")
    assert _no_rule_reason(str(refused.value))
    assert _status(places, invoice) == ("filed", "FIN-AP-INV")


def test_triage_filing_on_the_cli_refuses_a_class_with_no_rule(places: World, cli: Cli) -> None:
    """Issue 17 part 2: `edrm triage file` refuses it with the reason; the document waits."""
    waiting = _triage_document(places)
    result = cli("triage", "file", str(waiting), "--to", NO_RULE, "--as", "clerk")
    assert result.exit_code != 0
    assert _no_rule_reason(result.output)
    assert _status(places, waiting) == ("triage", None)


def test_the_triage_page_says_beside_the_document_that_its_class_has_no_rule(
    places: World, client: FlaskClient
) -> None:
    """Issue 17 part 2: the triage page answers 400 with the reason linked to the document's
    class list, and the document is still on the list."""
    waiting = _triage_document(places)
    sign_in(client, "clerk")
    answer = _post(client, f"/triage/{waiting}", {"class_code": NO_RULE})
    assert answer.status_code == 400
    assert _no_rule_reason(answer.text) and f'href="#class-{waiting}"' in answer.text
    assert _status(places, waiting) == ("triage", None)


def test_the_api_refuses_to_file_a_triage_document_in_a_class_with_no_rule(
    places: World, client: FlaskClient
) -> None:
    """Issue 17 part 2: the API's triage confirm answers a 400 problem with the reason."""
    waiting = _triage_document(places)
    auth = bearer(places, "clerk", "read", "write")
    answer = client.post(f"/api/v1/triage/{waiting}/confirm", json={"to": NO_RULE}, headers=auth)
    assert answer.status_code == 400
    assert _no_rule_reason(answer.text)
    assert _status(places, waiting) == ("triage", None)


# --- `edrm ingest --into` a place that cannot take it ------------------------------------------


def _ingest_into(cli: Cli, tmp_path: Path, code: str, who: str = "clerk") -> dict[str, object]:
    note = tmp_path / f"note-{code}.txt"
    note.write_text("A note about a visitor at the front desk.\n", encoding="utf-8")
    result = cli("ingest", str(note), "--into", code, "--as", who, "--json")
    assert result.exit_code == 1, result.output
    line: dict[str, object] = json.loads(result.stdout.splitlines()[0])
    assert line["status"] == "triage" and line["error_reason"] == "into_refused"
    listed = json.loads(cli("triage", "list", "--as", who, "--json").stdout)
    assert line["document_id"] in [item["id"] for item in listed]  # nothing is lost
    return line


def test_ingest_into_a_class_with_no_rule_exits_1_naming_it_and_keeps_the_file_on_triage(
    places: World, cli: Cli, tmp_path: Path
) -> None:
    """Issue 17 part 2: `edrm ingest --into` a class with no rule: exit 1, the reason in the
    file's `error`, and the file on the person's triage list."""
    line = _ingest_into(cli, tmp_path, NO_RULE)
    assert _no_rule_reason(str(line["error"])) and "triage list" in str(line["error"])


def test_ingest_into_a_closed_folder_exits_1_and_keeps_the_file_on_triage(
    places: World, cli: Cli, tmp_path: Path
) -> None:
    """Issue 17 part 2: `--into` a closed folder is refused the same way, saying it is closed
    (a code that does not exist and a class one may not file into: tests/ingest/
    test_into_refused.py)."""
    line = _ingest_into(cli, tmp_path, "FIN-AP-INV-2019")
    assert "'FIN-AP-INV-2019'" in str(line["error"]) and "closed" in str(line["error"])


@pytest.mark.slow
def test_the_real_edrm_ingest_process_refuses_every_place_that_cannot_take_a_file(
    places: World, tmp_path: Path
) -> None:
    """Issue 17 part 2, end to end: the `edrm` program itself (a process of its own), sent
    `--into` a class with no rule, a code that does not exist, a closed folder and a class the
    person may not file into, exits 1 each time with the reason in `error`, and every file is
    on the person's triage list."""
    settings = places.runtime.settings
    env = {
        **os.environ,
        "EDRM_HOME": str(settings.home),
        "EDRM_DATABASE_URL": settings.database_url,
        "EDRM_SECRET_KEY": "test-secret-key",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }

    def edrm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "edrm", *args], env=env, capture_output=True, text=True
        )

    causes = {
        NO_RULE: "no retention rule",
        "NO-SUCH": "no class or folder that you can file into",
        "FIN-AP-INV-2019": "closed",
        "HR-CASE-DIS": "no class or folder that you can file into",
    }
    kept = []
    for code, cause in causes.items():
        note = tmp_path / f"{code}.txt"
        note.write_text(f"A note sent to {code}.\n", encoding="utf-8")
        done = edrm(
            "ingest", str(note), "--into", code, "--as", "clerk", "--json", "--processes", "1"
        )
        assert done.returncode == 1, done.stderr
        line = json.loads(done.stdout.splitlines()[0])
        assert f"'{code}'" in line["error"] and cause in line["error"], line["error"]
        kept.append(line["document_id"])
    listed = json.loads(edrm("triage", "list", "--as", "clerk", "--json").stdout)
    assert set(kept) <= {item["id"] for item in listed}


# --- a class whose rule counts from its folder's closing asks for a folder ---------------------


def test_filing_straight_into_a_class_whose_rule_needs_a_folder_asks_for_a_folder(
    places: World,
) -> None:
    """Issue 17 part 2: where the rule's trigger is the folder's closing, filing into the
    class itself is refused with a reason saying to choose one of its folders; its folder
    takes the record."""
    with pytest.raises(NoDestinyError) as refused:
        _file(places, NEEDS_FOLDER)
    assert refused.value.field == "folder_code"
    assert "Choose a folder in Grievance cases" in str(refused.value)
    assert "counts from the day its folder is closed" in str(refused.value)
    assert _status(places, _file(places, "HR-CASE-GRV-001")) == ("filed", NEEDS_FOLDER)


def test_ingest_into_a_class_that_needs_a_folder_says_to_choose_one(
    places: World, cli: Cli, tmp_path: Path
) -> None:
    """Issue 17 part 2: `edrm ingest --into` such a class: exit 1, `error` says to choose a
    folder of the class, and the file waits on the triage list."""
    line = _ingest_into(cli, tmp_path, NEEDS_FOLDER, who="recman")
    assert "Choose a folder in Grievance cases" in str(line["error"])


def test_the_triage_page_asks_for_a_folder_where_the_class_needs_one(
    places: World, client: FlaskClient
) -> None:
    """Issue 17 part 2: filing from the triage page into such a class goes to its folder
    step, which says why a folder is needed and offers no "not in a folder"."""
    waiting = _triage_document(places, "recman")
    sign_in(client, "recman")
    answer = _post(client, f"/triage/{waiting}", {"class_code": NEEDS_FOLDER})
    assert answer.status_code == 302 and "/move/folder" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).text
    assert "counts from the day its folder is closed" in page
    assert "Grievance 2026/1" in page and "Not in a folder" not in page
    assert _status(places, waiting) == ("triage", None)


def test_a_class_the_classifier_chose_that_needs_a_folder_leaves_the_file_on_triage(
    places: World, cli: Cli, tmp_path: Path
) -> None:
    """Issue 17 part 2: a confident classifier does not file into the class itself either:
    the file waits on the triage list (its folder chosen there). That is not the person's
    error: no `error`, exit 0."""
    with places.runtime.uow() as s:
        invoices = s.scalar(select(FilePlanNode).where(FilePlanNode.code == "FIN-AP-INV"))
        assert invoices is not None
        invoices.retention_rule = "DESTROY-6Y-CLOSED"
    invoice = tmp_path / "invoice.txt"
    invoice.write_text(INVOICE_TEXT, encoding="utf-8")
    result = cli("ingest", str(invoice), "--as", "clerk", "--json")
    assert result.exit_code == 0, result.output
    line = json.loads(result.stdout.splitlines()[0])
    assert (line["status"], line["error"]) == ("triage", None)
    with places.runtime.uow() as s:
        document = s.get(Document, line["document_id"])
        assert document is not None and document.status == "triage"
        assert "Choose a folder in Supplier invoices" in document.extra["filing_refused"]


def test_the_move_page_refuses_a_class_with_no_rule_at_its_first_step(
    places: World, client: FlaskClient
) -> None:
    """Issue 17 part 2: moving (or filing) on the document's pages: the class step answers
    400 with the reason beside the class field; the record stays where it was."""
    invoice = places.docs["invoice"]
    sign_in(client, "recman")
    answer = client.post(
        f"/documents/{invoice}/move",
        data={"class_code": NO_RULE, "csrf_token": _csrf(client, f"/documents/{invoice}/move")},
    )
    assert answer.status_code == 400
    assert _no_rule_reason(answer.text) and 'href="#class_code"' in answer.text
    assert _status(places, invoice) == ("filed", "FIN-AP-INV")


def test_the_api_refuses_to_move_a_record_into_a_class_with_no_rule(
    places: World, client: FlaskClient
) -> None:
    """Issue 17 part 2: the API's move answers a 400 problem with the reason."""
    invoice = places.docs["invoice"]
    auth = bearer(places, "recman", "read", "write")
    answer = client.post(
        f"/api/v1/documents/{invoice}/move", json={"to": NO_RULE, "reason": "x"}, headers=auth
    )
    assert answer.status_code == 400, answer.text
    assert _no_rule_reason(answer.text)
    assert _status(places, invoice) == ("filed", "FIN-AP-INV")
