"""The redaction commands, exactly as the issue's contract gives them: `edrm redact propose DOC
--request ID (--term TEXT | --page N --box X,Y,W,H) --exemption CODE --as USER --json` gives
{"id": …}; `approve RID --as USER` is refused for the proposer; `reject RID --reason R`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edrm.runtime import Runtime
from tests.conftest import Cli
from tests.disclosure.bundle_checks import assert_absent
from tests.disclosure.redaction_samples import SECRET
from tests.disclosure.redaction_world import RedactionWorld, make_world


@pytest.fixture
def rw(runtime: Runtime) -> RedactionWorld:
    return make_world(runtime)


def _propose(cli: Cli, rw: RedactionWorld, *what: str, doc: str = "pdf") -> int:
    done = cli(
        "redact",
        "propose",
        str(rw.docs[doc]),
        "--request",
        str(rw.request_id),
        *what,
        "--as",
        "officer",
        "--json",
    )
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["status"] == "proposed"
    return int(out["id"])


def test_propose_approve_and_reject_from_the_command_line(rw: RedactionWorld, cli: Cli) -> None:
    term = _propose(cli, rw, "--term", SECRET, "--exemption", "s40")
    area = _propose(cli, rw, "--page", "1", "--box", "72,100,200,30", "--exemption", "s43")
    fraction = _propose(
        cli, rw, "--page", "1", "--box", "0.1,0.1,0.2,0.05", "--exemption", "reg12-4-b", doc="scan"
    )
    own = cli("redact", "approve", str(term), "--as", "officer")
    assert own.exit_code == 1
    assert own.output.strip().splitlines() == [
        f"edrm: error: you proposed redaction {term}: a second person must approve it"
    ]
    assert cli("redact", "approve", str(term), "--as", "second").exit_code == 0
    rejected = cli("redact", "reject", str(area), "--reason", "already public", "--as", "second")
    assert rejected.exit_code == 0, rejected.output
    listed = cli("redact", "list", str(rw.request_id), "--as", "recman", "--json")
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows[term]["status"] == "approved" and rows[area]["status"] == "rejected"
    box = rows[area]["box"]
    assert round(box["x"] * 595.28) == 72 and round(box["w"] * 595.28) == 200
    assert rows[fraction]["box"]["w"] == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--term", "x", "--page", "1", "--box", "0,0,1,1"], "either --term, or --page and --box"),
        (["--page", "1"], "needs both --page and --box"),
        (["--page", "4", "--box", "0,0,0.5,0.5"], "page 4 does not exist"),
        (["--term", "x", "--exemption-x"], "No such option"),
    ],
)
def test_bad_redaction_commands_fail_with_one_line(
    rw: RedactionWorld, cli: Cli, args: list[str], message: str
) -> None:
    extra = [] if "--exemption-x" in args else ["--exemption", "s40"]
    done = cli(
        "redact",
        "propose",
        str(rw.docs["pdf"]),
        "--request",
        str(rw.request_id),
        *args,
        *extra,
        "--as",
        "officer",
    )
    assert done.exit_code != 0 and message in done.output


def test_the_redact_commands_tell_others_nothing(rw: RedactionWorld, cli: Cli) -> None:
    done = cli(
        "redact",
        "propose",
        str(rw.docs["pdf"]),
        "--request",
        str(rw.request_id),
        "--term",
        SECRET,
        "--exemption",
        "s40",
        "--as",
        "clerk",
    )
    assert done.exit_code == 1 and "not found" in done.output


def test_request_export_writes_the_bundle_with_the_approved_redactions(
    rw: RedactionWorld, cli: Cli, tmp_path: Path
) -> None:
    target = tmp_path / "FOI-2026-0001.pdf"
    pdf_term = _propose(cli, rw, "--term", SECRET, "--exemption", "s40")
    refused = cli("request", "export", str(rw.request_id), "-o", str(target), "--as", "officer")
    assert refused.exit_code == 1 and "proposed redaction(s) not yet approved" in refused.output
    assert not target.exists()
    scan_term = _propose(cli, rw, "--term", SECRET, "--exemption", "s40", doc="scan")
    for rid in (pdf_term, scan_term):
        assert cli("redact", "approve", str(rid), "--as", "second").exit_code == 0
    done = cli(
        "request", "export", str(rw.request_id), "-o", str(target), "--as", "second", "--json"
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["pages"] == 2
    assert_absent(target.read_bytes(), SECRET)
    hidden = cli("request", "export", str(rw.request_id), "-o", str(target), "--as", "clerk")
    assert hidden.exit_code == 1 and "not found" in hidden.output
