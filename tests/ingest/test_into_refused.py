"""A file sent `--into` a class that does not exist is kept on its filer's triage list, and the
person is told why, naming the code (issue 12, item 11)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

from flask.testing import FlaskClient

from edrm.ingest.worker import Worker
from tests.conftest import PASSWORD, Cli, World


def test_ingest_into_a_code_that_does_not_exist_exits_1_and_says_why_naming_the_code(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    """Issue 12 item 11: `edrm ingest --into NO-SUCH` refuses the code with a reason that names
    it, exits 1, and the file is on the person's triage list (nothing is lost)."""
    note = tmp_path / "note.txt"
    note.write_text("A note about paying a supplier.\n", encoding="utf-8")
    result = cli("ingest", str(note), "--into", "NO-SUCH", "--as", "clerk", "--json")
    assert result.exit_code == 1
    line = json.loads(result.stdout.splitlines()[0])
    assert line["status"] == "triage" and line["document_id"]
    assert "'NO-SUCH'" in line["error"] and "triage list" in line["error"]
    assert line["error_reason"] == "into_refused"
    assert {"path", "class_code", "confidence", "job_id"} <= set(line)
    listed = json.loads(cli("triage", "list", "--as", "clerk", "--json").stdout)
    assert line["document_id"] in [item["id"] for item in listed]


def test_ingest_into_a_class_that_exists_has_no_error_and_exits_0(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    """Issue 12 item 11: a good `--into` is unchanged: filed, no error, exit 0."""
    note = tmp_path / "note.txt"
    note.write_text("A note about paying a supplier.\n", encoding="utf-8")
    result = cli("ingest", str(note), "--into", "FIN-AP-INV", "--as", "clerk", "--json")
    assert result.exit_code == 0
    line = json.loads(result.stdout.splitlines()[0])
    assert (line["status"], line["class_code"], line["error"]) == ("filed", "FIN-AP-INV", None)


def test_the_upload_result_says_why_an_unknown_code_was_refused(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 11: the web upload's job carries the same `error`, naming the code, and
    the document waits on the uploader's triage list."""
    headers = {"Authorization": "Basic " + base64.b64encode(f"clerk:{PASSWORD}".encode()).decode()}
    job_id = client.post(
        "/api/v1/documents",
        data={
            "files": (io.BytesIO(b"A note about paying a supplier."), "note.txt"),
            "into": "NOPE",
        },
        headers=headers,
        content_type="multipart/form-data",
    ).json["job_id"]  # type: ignore[index]
    with Worker(world.runtime) as worker:
        while worker.run_one():
            pass
    job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json
    assert (job["status"], job["outcome"]) == ("done", "triage")  # type: ignore[index]
    assert "'NOPE'" in job["error"] and "triage list" in job["error"]  # type: ignore[index]


def test_a_class_the_person_may_not_file_into_reads_like_one_that_does_not_exist(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    """Issue 12 item 11: the reason does not reveal a class hidden from the person."""
    note = tmp_path / "note.txt"
    note.write_text("A note.\n", encoding="utf-8")
    hidden = json.loads(
        cli("ingest", str(note), "--into", "HR-CASE-DIS", "--as", "clerk", "--json").stdout
    )
    other = tmp_path / "other.txt"
    other.write_text("Another note.\n", encoding="utf-8")
    missing = json.loads(
        cli("ingest", str(other), "--into", "HR-CASE-XYZ", "--as", "clerk", "--json").stdout
    )
    assert hidden["error"].split(": ", 1)[1].replace("HR-CASE-DIS", "X") == (
        missing["error"].split(": ", 1)[1].replace("HR-CASE-XYZ", "X")
    )
