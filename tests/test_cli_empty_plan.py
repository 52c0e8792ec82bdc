"""`edrm init` on an installation with no file plan says how to get one (issue 12, item 11)."""

from __future__ import annotations

from edrm.fileplan.io import parse_csv
from edrm.fileplan.service import import_rows
from edrm.runtime import Runtime
from tests.conftest import SMALL_PLAN_CSV, Cli


def test_init_with_an_empty_file_plan_prints_a_one_line_hint_naming_the_commands(
    cli: Cli,
) -> None:
    """Issue 12 item 11: `edrm init` leaves a hint on how to load the demo or import a plan."""
    result = cli("init")
    assert result.exit_code == 0
    hints = [line for line in result.stdout.splitlines() if "file plan is empty" in line]
    assert len(hints) == 1
    assert "`edrm demo`" in hints[0] and "`edrm fileplan import " in hints[0]
    assert "fileplan.toml" in hints[0]


def test_init_with_a_file_plan_gives_no_hint(cli: Cli, runtime: Runtime) -> None:
    """Issue 12 item 11: once there is a file plan, `edrm init` says nothing about it."""
    with runtime.uow() as s:
        import_rows(s, parse_csv(SMALL_PLAN_CSV))
    assert "file plan is empty" not in cli("init").stdout
