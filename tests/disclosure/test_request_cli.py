"""`edrm request …`: the command-line contract (keys and options) and its one-line errors."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.conftest import Cli, World
from tests.disclosure.helpers import today_is, with_officers


@pytest.fixture
def office(world: World) -> World:
    return with_officers(world)


def _open(cli: Cli, *extra: str) -> dict:  # type: ignore[type-arg]
    result = cli(
        "request", "open", "--type", "foi", "--received", "2026-11-16",
        "--requester", "Jane Requester", "--summary", "Invoices", "--as", "iro", "--json", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_request_commands_keep_their_contract(cli: Cli, office: World) -> None:
    with today_is(date(2026, 12, 1)):
        opened = _open(cli)
        assert opened == {
            "id": opened["id"],
            "reference": "FOI-2026-0001",
            "due": "2026-12-15",
            "status": "open",
        }
        rid = str(opened["id"])
        added = cli("request", "add", rid, "--doc", str(office.docs["invoice"]),
                    "--doc", str(office.docs["old"]), "--as", "iro")  # fmt: skip
        assert added.exit_code == 0 and "added 2 record(s)" in added.output
        asked = cli("request", "clarify", rid, "--asked", "2026-11-18", "--as", "iro")
        assert asked.exit_code == 0 and "clock stopped" in asked.output
        listed = json.loads(cli("request", "list", "--json", "--as", "iro").stdout)
        assert [r["due"] for r in listed] == [None]
        answered = cli("request", "clarify", rid, "--answered", "2026-11-20", "--as", "iro")
        assert answered.exit_code == 0 and "due 2026-12-21" in answered.output
        extended = cli("request", "extend", rid, "--to", "2027-01-05", "--reason", "PIT")
        assert extended.exit_code == 0, extended.output
        due = cli("request", "list", "--due-before", "2027-01-06", "--json", "--as", "iro")
        assert [r["reference"] for r in json.loads(due.stdout)] == ["FOI-2026-0001"]
        early = cli("request", "list", "--due-before", "2027-01-05", "--json", "--as", "iro")
        assert json.loads(early.stdout) == []
        shown = json.loads(cli("request", "show", rid, "--json", "--as", "iro").stdout)
        assert shown["status"] == "extended" and shown["due"] == "2027-01-05"
        assert [r["document_id"] for r in shown["records"]] == [
            office.docs["invoice"],
            office.docs["old"],
        ]
        assert shown["hold"]["active"] is True
        assert [e["kind"] for e in shown["events"]] == [
            "open", "add", "clarify.asked", "clarify.answered", "extend",
        ]  # fmt: skip
        closed = cli("request", "close", rid, "--outcome", "not-held", "--as", "iro")
        assert closed.exit_code == 0 and "closed FOI-2026-0001" in closed.output
        text = cli("request", "show", rid, "--as", "iro")
        assert "FOI-2026-0001  Closed  was due 2027-01-05" in text.output
        assert "left" not in text.output  # a closed request's clock no longer runs


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["request", "show", "999", "--as", "iro"], "request 999 not found"),
        (["request", "show", "1", "--as", "clerk"], "information requests not found"),
        (["request", "extend", "1", "--to", "2027-03-01", "--reason", "x"], "at most 20"),
        (["request", "extend", "1", "--to", "someday", "--reason", "x"], "must be a date"),
        (["request", "clarify", "1", "--as", "iro"], "exactly one of --asked and --answered"),
        (["request", "add", "1", "--doc", "3", "--as", "iro"], "document 3 not found"),
        (["request", "list", "--due-before", "2026-13-01"], "--due-before must be a date"),
    ],
)
def test_errors_are_one_clear_line_and_exit_1(
    cli: Cli, office: World, args: list[str], message: str
) -> None:
    with today_is(date(2026, 12, 1)):
        _open(cli)
        result = cli(*args)
    assert result.exit_code == 1, result.output
    assert result.output.count("\n") == 1 and result.output.startswith("edrm: error: ")
    assert message in result.output


def test_a_subject_access_search_from_the_command_line(cli: Cli, office: World) -> None:
    with today_is(date(2026, 12, 1)):
        opened = _open(cli)
        found = cli("request", "search", str(opened["id"]), "--query", "Acme", "--add-all",
                    "--as", "iro", "--json")  # fmt: skip
        assert found.exit_code == 0, found.output
        body = json.loads(found.stdout)
        assert body["total"] == 1 and body["added"] == [office.docs["invoice"]]
        refused = cli("request", "search", str(opened["id"]), "--query", "Acme", "--as", "iro2")
        assert refused.exit_code == 1 and "run as its case officer, iro" in refused.output
