"""Issue 17 part 5: transfers the archive accepts — closure metadata with The National
Archives' field names, validated (a closed record needs a period and an exemption code), and a
bag carrying metadata.csv in that shape (`edrm transfer export --format tna`)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import bagit
import pytest

from edrm.errors import InvalidInputError, RefusedError
from retention.closure import CLOSED, TNA_COLUMNS, Closure, closure_of, problems, set_closure
from retention.transfer import export_transfer
from tests.conftest import Cli, World
from tests.retention.test_transfer import _approved_transfer, _transfer_rule

CLOSED_20 = Closure(
    closure_type=CLOSED,
    closure_period=20,
    closure_start_date=date(2024, 3, 31),
    foi_exemption_code="40(2)",
    foi_exemption_asserted=date(2026, 12, 1),
)


@pytest.mark.parametrize(
    ("closure", "problem"),
    [
        (Closure(CLOSED, None, date(2024, 1, 1), "40(2)"), "needs a closure_period"),
        (Closure(CLOSED, 20, None, "40(2)"), "needs a closure_start_date"),
        (Closure(CLOSED, 20, date(2024, 1, 1), ""), "needs an foi_exemption_code"),
        (Closure(CLOSED, 20, date(2024, 1, 1), "section forty"), "is not an FOI Act section"),
        (Closure(CLOSED, 20, date(2024, 1, 1), "40(2)", title_closed=True), "title_alternate"),
        (Closure("Open", 20), "an open record has no closure"),
        (Closure("Shut"), "must be Open or Closed"),
    ],
)
def test_a_closure_that_breaks_the_rules_is_named(closure: Closure, problem: str) -> None:
    assert any(problem in p for p in problems(closure)), problems(closure)


def test_good_closures_have_no_problems() -> None:
    assert problems(Closure()) == []
    assert problems(CLOSED_20) == []
    titled = Closure(CLOSED, 20, date(2024, 1, 1), "27(1), 40(2)", None, True, True, "A file")
    assert problems(titled) == []


def test_only_records_managers_set_a_closure_and_a_bad_one_is_refused(world: World) -> None:
    invoice = world.docs["invoice"]
    with world.runtime.uow() as s, pytest.raises(RefusedError):
        set_closure(s, invoice, CLOSED_20, actor=world.people["clerk"])
    with world.runtime.uow() as s, pytest.raises(InvalidInputError, match="closure_period"):
        set_closure(s, invoice, Closure(CLOSED), actor=world.people["recman"])
    with world.runtime.uow() as s:
        assert closure_of(s, invoice) == Closure()  # open: nothing was kept


def test_a_tna_bag_carries_metadata_csv_with_each_records_closure(
    world: World, tmp_path: Path
) -> None:
    rt = world.runtime
    _transfer_rule(rt)
    items = _approved_transfer(world, "invoice", "old")
    with rt.uow() as s:
        set_closure(s, world.docs["old"], CLOSED_20, actor=world.people["recman"])

    exported = export_transfer(
        rt, actor=world.people["recman"], item_ids=list(items.values()), out_dir=tmp_path, tna=True
    )

    bag = bagit.Bag(exported.path)
    bag.validate()
    with open(Path(exported.path) / "data" / "metadata.csv", encoding="utf-8") as fh:
        rows = {r["identifier"]: r for r in csv.DictReader(fh)}
    assert list(next(iter(rows.values()))) == list(TNA_COLUMNS)
    with rt.uow() as s:
        from edrm.documents.models import Document

        old = s.get(Document, world.docs["old"])
        invoice = s.get(Document, world.docs["invoice"])
        assert old is not None and invoice is not None
        closed, opened = rows[old.identifier], rows[invoice.identifier]
    assert (closed["closure_type"], closed["closure_period"], closed["foi_exemption_code"]) == (
        "Closed",
        "20",
        "40(2)",
    )
    assert closed["closure_start_date"] == "2024-03-31" and closed["title_closed"] == "false"
    assert opened["closure_type"] == "Open" and opened["closure_period"] == ""
    assert (Path(exported.path) / closed["file_path"]).is_file()  # the path names the bytes
    assert closed["checksum_sha256"] == old.latest.sha256


def test_the_default_bag_has_no_metadata_csv(world: World, tmp_path: Path) -> None:
    _transfer_rule(world.runtime)
    items = _approved_transfer(world, "invoice")
    exported = export_transfer(
        world.runtime, actor=world.people["recman"], item_ids=list(items.values()), out_dir=tmp_path
    )
    assert not (Path(exported.path) / "data" / "metadata.csv").exists()


def test_the_cli_sets_a_closure_and_refuses_a_closed_one_without_its_code(
    world: World, cli: Cli
) -> None:
    old = str(world.docs["old"])
    refused = cli(
        "transfer",
        "closure",
        old,
        "--type",
        "Closed",
        "--period",
        "20",
        "--start-date",
        "2024-03-31",
        "--as",
        "recman",
    )
    assert refused.exit_code == 1
    assert "needs an foi_exemption_code" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    done = cli(
        "transfer",
        "closure",
        old,
        "--type",
        "Closed",
        "--period",
        "20",
        "--start-date",
        "2024-03-31",
        "--foi-exemption-code",
        "40(2)",
        "--as",
        "recman",
        "--json",
    )
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert body["closure_type"] == "Closed" and body["foi_exemption_code"] == "40(2)"
    assert body["closure_start_date"] == "2024-03-31"
