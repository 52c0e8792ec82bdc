"""The `edrm` command line, run in-process against the test's data directory and database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from edrm.cli import main as cli_main
from edrm.settings import load_settings
from tests.conftest import PASSWORD, SMALL_PLAN_CSV, Cli, World

REQUIRED_KEYS = {
    "id",
    "title",
    "class_code",
    "folder_code",
    "marking",
    "is_record",
    "versions",
    "metadata",
}
CONTENT = b"Invoice 1001 from Acme Ltd\n\nAmount due: 120.00 GBP\n"


def _ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def _json(result: Result) -> Any:
    return json.loads(_ok(result).stdout)


def _one_error_line(result: Result) -> str:
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("edrm: error: ")
    return lines[0]


@pytest.fixture
def planned(cli: Cli, tmp_path: Path) -> Cli:
    """The CLI on a database holding the small plan (imported through the CLI)."""
    plan = tmp_path / "plan.csv"
    plan.write_text(SMALL_PLAN_CSV, encoding="utf-8")
    result = _ok(cli("fileplan", "import", str(plan)))
    assert "9 created, 0 updated, 0 unchanged" in result.stdout
    return cli


@pytest.fixture
def invoice(tmp_path: Path) -> Path:
    path = tmp_path / "invoice-1001.txt"
    path.write_bytes(CONTENT)
    return path


def _add(cli: Cli, path: Path, into: str = "FIN-AP-INV", *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = _json(cli("doc", "add", str(path), "--into", into, "--json", *extra))
    return data


def _fresh_home_cli(tmp_path: Path) -> Cli:
    """A CLI on a brand-new, empty SQLite data directory."""
    fresh = Cli(load_settings({"home": str(tmp_path / "fresh")}, environ={}))
    fresh.env["EDRM_DATABASE_URL"] = ""
    return fresh


# --- init ---------------------------------------------------------------------------------------


def test_init_on_a_new_data_directory_creates_it_and_then_says_up_to_date(
    tmp_path: Path,
) -> None:
    fresh = _fresh_home_cli(tmp_path)
    first = _ok(fresh("init"))
    assert "ready (schema none ->" in first.stdout
    assert (tmp_path / "fresh" / "edrm.db").is_file()
    assert (tmp_path / "fresh" / "blobs").is_dir()
    second = _ok(fresh("init"))
    assert "up to date" in second.stdout


def test_init_twice_on_the_database_is_safe(cli: Cli) -> None:
    _ok(cli("init"))
    assert "up to date" in _ok(cli("init")).stdout
    assert "intact" in _ok(cli("audit", "verify")).stdout


def test_commands_on_an_uninitialised_home_say_to_run_edrm_init(tmp_path: Path) -> None:
    fresh = _fresh_home_cli(tmp_path)
    for args in (("user", "list"), ("fileplan", "show"), ("doc", "show", "1"), ("audit", "verify")):
        line = _one_error_line(fresh(*args))
        assert "run `edrm init`" in line, args


# --- people -------------------------------------------------------------------------------------


def test_user_add_reads_the_password_from_stdin_and_user_list_shows_the_person(cli: Cli) -> None:
    added = _ok(
        cli(
            "user",
            "add",
            "ann",
            "--role",
            "records_manager",
            "--clearance",
            "SECRET",
            "--group",
            "hr",
            "--group",
            "legal",
            "--full-name",
            "Ann Example",
            "--password-stdin",
            input=f"{PASSWORD}\n",
        )
    )
    assert "added ann (records_manager, SECRET)" in added.stdout
    people = _json(cli("user", "list", "--json"))
    assert people == [
        {
            "username": "ann",
            "full_name": "Ann Example",
            "role": "records_manager",
            "clearance": "SECRET",
            "groups": ["hr", "legal"],
            "active": True,
            "kind": "person",
        }
    ]


def test_a_bad_role_is_one_error_line_without_a_traceback(cli: Cli) -> None:
    result = cli(
        "user",
        "add",
        "bob",
        "--role",
        "wizard",
        "--clearance",
        "OFFICIAL",
        "--password-stdin",
        input=f"{PASSWORD}\n",
    )
    line = _one_error_line(result)
    assert "unknown role 'wizard'" in line
    assert _json(cli("user", "list", "--json")) == []


def test_a_short_password_is_refused(cli: Cli) -> None:
    result = cli(
        "user",
        "add",
        "bob",
        "--role",
        "civil_servant",
        "--clearance",
        "OFFICIAL",
        "--password-stdin",
        input="short\n",
    )
    assert "password" in _one_error_line(result)


def test_user_add_without_password_stdin_is_refused(cli: Cli) -> None:
    result = cli("user", "add", "bob", "--role", "civil_servant", "--clearance", "OFFICIAL")
    assert "--password-stdin" in _one_error_line(result)


# --- documents ----------------------------------------------------------------------------------


def test_doc_add_then_doc_show_gives_the_required_keys(planned: Cli, invoice: Path) -> None:
    added = _add(planned, invoice)
    assert set(added) >= REQUIRED_KEYS
    shown = _json(planned("doc", "show", str(added["id"]), "--json"))
    assert set(shown) >= REQUIRED_KEYS
    assert shown["id"] == added["id"]
    assert shown["title"] == "Invoice-1001"
    assert shown["class_code"] == "FIN-AP-INV"
    assert shown["folder_code"] is None
    assert shown["marking"] == "OFFICIAL"
    assert shown["is_record"] is False
    assert [v["number"] for v in shown["versions"]] == [1]
    assert shown["versions"][0]["size"] == len(CONTENT)
    assert shown["metadata"]["identifier"] == f"EDRM-{added['id']:07d}"


def test_doc_add_takes_a_title_and_a_marking(planned: Cli, invoice: Path) -> None:
    added = _add(planned, invoice, "FIN-AP-INV", "--title", "Acme 1001", "--marking", "SECRET")
    assert added["title"] == "Acme 1001"
    assert added["marking"] == "SECRET"


def test_doc_add_of_a_missing_file_is_one_error_line(planned: Cli, tmp_path: Path) -> None:
    line = _one_error_line(
        planned("doc", "add", str(tmp_path / "nope.txt"), "--into", "FIN-AP-INV")
    )
    assert "no such file" in line


def test_doc_add_into_an_unknown_class_is_one_error_line(planned: Cli, invoice: Path) -> None:
    line = _one_error_line(planned("doc", "add", str(invoice), "--into", "NOPE"))
    assert "not found" in line


def test_doc_get_writes_the_identical_bytes(planned: Cli, invoice: Path, tmp_path: Path) -> None:
    added = _add(planned, invoice)
    target = tmp_path / "copy.txt"
    result = _ok(planned("doc", "get", str(added["id"]), "-o", str(target)))
    assert "version 1" in result.stdout
    assert target.read_bytes() == CONTENT


def test_doc_declare_makes_the_document_a_record(planned: Cli, invoice: Path) -> None:
    doc_id = str(_add(planned, invoice)["id"])
    assert "declared a record" in _ok(planned("doc", "declare", doc_id)).stdout
    shown = _json(planned("doc", "show", doc_id, "--json"))
    assert shown["is_record"] is True
    assert shown["declared_by"] == "system"


def test_doc_move_files_the_document_elsewhere(planned: Cli, invoice: Path) -> None:
    doc_id = str(_add(planned, invoice)["id"])
    _ok(planned("folder", "create", "FIN-AP-INV-2024", "--under", "FIN-AP-INV", "--title", "2024"))
    assert (
        "moved to FIN-AP-INV-2024"
        in _ok(planned("doc", "move", doc_id, "--to", "FIN-AP-INV-2024")).stdout
    )
    shown = _json(planned("doc", "show", doc_id, "--json"))
    assert shown["folder_code"] == "FIN-AP-INV-2024"
    assert shown["class_code"] == "FIN-AP-INV"


def test_doc_show_as_someone_without_clearance_says_not_found(cli: Cli, world: World) -> None:
    secret = world.docs["secret"]
    hidden = cli("doc", "show", str(secret), "--json", "--as", "clerk")
    assert "not found" in _one_error_line(hidden)
    assert hidden.stdout == ""
    missing_id = max(world.docs.values()) + 1000
    missing = cli("doc", "show", str(missing_id), "--as", "clerk")
    assert hidden.stderr.replace(str(secret), "N") == missing.stderr.replace(str(missing_id), "N")


def test_doc_show_as_someone_cleared_shows_the_document(cli: Cli, world: World) -> None:
    shown = _json(cli("doc", "show", str(world.docs["secret"]), "--json", "--as", "recman"))
    assert shown["marking"] == "SECRET"


def test_doc_get_as_someone_without_clearance_writes_nothing(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    target = tmp_path / "leak.txt"
    result = cli("doc", "get", str(world.docs["secret"]), "-o", str(target), "--as", "clerk")
    assert "not found" in _one_error_line(result)
    assert not target.exists()


def test_acting_as_an_unknown_person_is_one_error_line(cli: Cli, world: World) -> None:
    line = _one_error_line(cli("doc", "show", str(world.docs["invoice"]), "--as", "nobody"))
    assert "nobody" in line


# --- file plan and folders ----------------------------------------------------------------------


def test_fileplan_show_json_lists_the_tree(planned: Cli) -> None:
    roots = _json(planned("fileplan", "show", "--json"))
    assert [r["code"] for r in roots] == ["FIN", "HR", "SEC"]
    fin = roots[0]
    assert set(fin) == {"code", "title", "kind", "marking", "closed", "description", "children"}
    assert fin["kind"] == "function"
    assert fin["children"][0]["code"] == "FIN-AP"
    assert fin["children"][0]["children"][0]["code"] == "FIN-AP-INV"


def test_fileplan_show_as_a_person_hides_restricted_classes(cli: Cli, world: World) -> None:
    roots = _json(cli("fileplan", "show", "--json", "--as", "clerk"))
    hr = next(r for r in roots if r["code"] == "HR")
    assert hr["children"] == []


def test_fileplan_show_prints_an_indented_tree(planned: Cli) -> None:
    lines = _ok(planned("fileplan", "show")).stdout.splitlines()
    assert lines[0] == "FIN  Finance"
    assert "  FIN-AP  Accounts payable" in lines
    assert "  HR-CASE  Employee relations (OFFICIAL-SENSITIVE)" in lines


def test_fileplan_import_of_a_bad_file_names_the_row_and_changes_nothing(
    planned: Cli, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(SMALL_PLAN_CSV + "X-1,NOPE,activity,Broken,,OFFICIAL,,,,false\n")
    line = _one_error_line(planned("fileplan", "import", str(bad)))
    assert "row 11 (X-1): unknown parent 'NOPE'" in line
    exported = _ok(planned("fileplan", "export", "--format", "csv")).stdout
    assert "X-1" not in exported
    assert len(exported.splitlines()) == 1 + 9


def test_folder_create_and_close(planned: Cli, invoice: Path) -> None:
    created = _ok(
        planned("folder", "create", "FIN-AP-INV-2019", "--under", "FIN-AP-INV", "--title", "2019")
    )
    assert "folder FIN-AP-INV-2019 created under FIN-AP-INV" in created.stdout
    assert "closed" in _ok(planned("folder", "close", "FIN-AP-INV-2019")).stdout
    roots = _json(planned("fileplan", "show", "--json"))
    inv = roots[0]["children"][0]["children"][0]
    assert inv["children"] == [
        {
            "code": "FIN-AP-INV-2019",
            "title": "2019",
            "kind": "folder",
            "marking": "OFFICIAL",
            "closed": True,
            "description": "",
            "children": [],
        }
    ]
    refused = planned("doc", "add", str(invoice), "--into", "FIN-AP-INV-2019")
    assert "closed" in _one_error_line(refused)


def test_folder_create_under_a_function_is_one_error_line(planned: Cli) -> None:
    result = planned("folder", "create", "FIN-2025", "--under", "FIN", "--title", "x")
    assert "not a function" in _one_error_line(result)


def test_folder_close_as_a_civil_servant_is_refused(cli: Cli, world: World) -> None:
    result = cli("folder", "close", "FIN-AP-INV-2024", "--as", "clerk")
    assert "records managers" in _one_error_line(result)


# --- audit --------------------------------------------------------------------------------------


def test_audit_verify_passes_after_a_session_of_commands(
    planned: Cli, invoice: Path, tmp_path: Path
) -> None:
    _ok(
        planned(
            "user",
            "add",
            "ann",
            "--role",
            "civil_servant",
            "--clearance",
            "OFFICIAL",
            "--password-stdin",
            input=f"{PASSWORD}\n",
        )
    )
    doc_id = str(_add(planned, invoice, "FIN-AP-INV", "--as", "ann")["id"])
    _ok(planned("folder", "create", "FIN-AP-INV-2024", "--under", "FIN-AP-INV", "--title", "2024"))
    _ok(planned("doc", "move", doc_id, "--to", "FIN-AP-INV-2024", "--as", "ann"))
    _ok(planned("doc", "declare", doc_id, "--as", "ann"))
    _ok(planned("doc", "get", doc_id, "-o", str(tmp_path / "out.txt"), "--as", "ann"))
    _ok(planned("folder", "close", "FIN-AP-INV-2024"))
    result = _ok(planned("audit", "verify", "--json"))
    verdict = json.loads(result.stdout)
    assert verdict["ok"] is True
    everything = _json(planned("audit", "log", "--limit", "1000", "--json"))
    assert verdict["checked"] == len(everything)  # every entry, none skipped
    log = _json(planned("audit", "log", "--limit", "6", "--json"))
    assert [e["action"] for e in log] == [
        "folder.close",
        "document.download",
        "document.declare",
        "document.move",
        "folder.create",
        "document.create",
    ]
    assert {e["actor"] for e in log[1:4]} == {"ann"}


def test_help_lists_the_commands() -> None:
    result = _ok(CliRunner().invoke(cli_main, ["--help"]))
    for command in ("init", "user", "fileplan", "folder", "doc", "audit"):
        assert f"  {command} " in result.stdout, command
