"""Scenario 15: a whole retention cycle through the command line — file plan and schedule,
holds placed and lifted, the sweep, two-stage review, destruction with its certificate, transfer
to the archive and its confirmation — and the audit trail still verifies afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import bagit

from edrm.settings import DEFAULT_CONFIG_DIR
from tests.conftest import PASSWORD, Cli

AS_OF = "2060-01-01"  # far enough ahead that every record filed today has fallen due
LATER = "2099-01-01"  # beyond AS_OF: kept records stay out of the queue


def run(cli: Cli, *args: str, input: str | None = None) -> str:
    result = cli(*args, input=input)
    assert result.exit_code == 0, f"edrm {' '.join(args)}:\n{result.output}"
    return result.output


def run_json(cli: Cli, *args: str) -> Any:
    return json.loads(run(cli, *args, "--json"))


def file_doc(cli: Cli, tmp_path: Path, into: str, title: str) -> int:
    source = tmp_path / f"{title.replace(' ', '-').lower()}.txt"
    source.write_text(f"{title}\n\nThe text of {title}.\n", encoding="utf-8")
    return int(run_json(cli, "doc", "add", str(source), "--into", into, "--title", title)["id"])


def queue(cli: Cli) -> dict[int, dict[str, Any]]:
    """The open and closed queue items by document id (the newest item of each record)."""
    items: dict[int, dict[str, Any]] = {}
    for item in sorted(run_json(cli, "disposal", "list", "--status", "all"), key=lambda i: i["id"]):
        items[item["document_id"]] = item
    return items


def test_audit_verify_passes_after_a_full_cycle_of_holds_reviews_destruction_and_transfer(
    cli: Cli, tmp_path: Path
) -> None:
    # The default file plan; its retention schedule (config/retention.toml) loads on first use.
    run(cli, "fileplan", "import", str(DEFAULT_CONFIG_DIR / "fileplan.toml"))
    for name in ("recman", "dro"):
        run(
            cli,
            *("user", "add", name, "--role", "records_manager", "--clearance", "SECRET"),
            "--password-stdin",
            input=PASSWORD + "\n",
        )
    run(cli, "folder", "create", "IT-SVC-INC-2025", "--under", "IT-SVC-INC", "--title", "2025")
    destroyed = file_doc(cli, tmp_path, "IT-SVC-INC", "Printer outage")  # DESTROY-2Y
    held = file_doc(cli, tmp_path, "IT-SVC-INC-2025", "Server room flood")  # DESTROY-2Y
    rejected = file_doc(cli, tmp_path, "IT-SVC-INC", "Network breach")  # DESTROY-2Y
    extended = file_doc(cli, tmp_path, "IT-SVC-INC", "Lost laptop")  # DESTROY-2Y
    transferred = file_doc(cli, tmp_path, "COMMS-MED-PR", "Minister opens bridge")  # transfer

    # Two holds on one record: the sweep leaves it alone until the last is lifted.
    on_doc = run_json(
        cli, "hold", "place", "--reason", "FOI 2025/117", "--authority", "FOI Act 2000",
        "--doc", str(held), "--as", "recman",
    )  # fmt: skip
    on_folder = run_json(
        cli, "hold", "place", "--reason", "Insurance claim", "--authority", "Legal adviser",
        "--folder", "IT-SVC-INC-2025", "--as", "recman",
    )  # fmt: skip
    assert on_doc["documents"] == on_folder["documents"] == 1

    swept = run_json(cli, "retention", "sweep", "--as-of", AS_OF)
    assert swept["queued"] == 4 and swept["held"] == 1
    items = queue(cli)
    assert held not in items
    assert {items[d]["action"] for d in (destroyed, rejected, extended)} == {"destroy"}
    assert items[transferred]["action"] == "transfer" and items[transferred]["stages"] == 2

    def decide(document_id: int, *how: str, who: str = "recman") -> None:
        run(
            cli,
            *("disposal", "decide", str(items[document_id]["id"]), *how),
            *("--reason", f"Reviewed by {who}", "--as", who),
        )

    decide(destroyed, "--approve")
    decide(rejected, "--reject", "--date", LATER)
    decide(extended, "--extend", LATER)
    decide(transferred, "--approve")  # stage one of two: nothing approved yet
    assert queue(cli)[transferred]["status"] == "pending"
    assert queue(cli)[transferred]["stage"] == 2
    same_person = cli(
        "disposal", "decide", str(items[transferred]["id"]), "--approve",
        "--reason", "Again", "--as", "recman",
    )  # fmt: skip
    assert same_person.exit_code == 1  # stage two needs a different reviewer
    decide(transferred, "--approve", who="dro")

    run(cli, "hold", "lift", str(on_doc["id"]), "--reason", "FOI answered", "--as", "recman")
    assert run_json(cli, "retention", "sweep", "--as-of", AS_OF)["queued"] == 0
    run(cli, "hold", "lift", str(on_folder["id"]), "--reason", "Claim settled", "--as", "recman")
    assert run_json(cli, "retention", "sweep", "--as-of", AS_OF)["queued"] == 1
    items = queue(cli)
    decide(held, "--approve")

    executed = run_json(cli, "disposal", "execute", "--as", "recman")
    assert sorted(executed["finished"]) == sorted(items[d]["id"] for d in (destroyed, held))
    assert len(executed["certificates"]) == 1 and not executed["failed"]
    for document_id in (destroyed, held):
        assert run_json(cli, "doc", "show", str(document_id))["status"] == "destroyed"
    for document_id in (rejected, extended, transferred):
        assert run_json(cli, "doc", "show", str(document_id))["status"] == "filed"

    exported = run_json(cli, "transfer", "export", "--as", "recman")
    assert exported["documents"] == [transferred]
    bagit.Bag(exported["path"]).validate()
    assert run_json(cli, "doc", "show", str(transferred))["status"] == "filed"
    # Exported and awaiting the archive's receipt: the sweep does not queue it again (what it
    # queues now are the certificates just filed, due by AS_OF themselves).
    run(cli, "retention", "sweep", "--as-of", AS_OF)
    assert queue(cli)[transferred]["status"] == "transferred"

    confirmed = run_json(
        cli, "transfer", "confirm", exported["bag_id"], "--receipt", "TNA 2026/4411",
        "--as", "dro",
    )  # fmt: skip
    assert confirmed["finished"] == [items[transferred]["id"]]
    assert confirmed["status"] == "complete"
    assert run_json(cli, "doc", "show", str(transferred))["status"] == "destroyed"
    assert {t["status"] for t in run_json(cli, "transfer", "list")} == {"complete"}

    verified = run_json(cli, "audit", "verify")
    assert verified["ok"], verified
    actions = {e["action"] for e in run_json(cli, "audit", "log", "--limit", "1000")}
    assert {"hold.place", "hold.lift", "disposal.decide", "disposal.destroy"} <= actions
    assert {"transfer.export", "transfer.confirm", "transfer.complete"} <= actions
