"""`edrm transfer`: Transfers of records to the archive (BagIt)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from edrm.cli.common import (
    ID,
    CliError,
    _json_out,
    _principal,
    as_option,
    friendly_errors,
    runtime,
)
from edrm.errors import RefusedError
from retention.transfer import (
    export_transfer,
    get_transfer,
    list_transfers,
    transfer_as_dict,
)
from retention.transfer_confirmation import confirm_transfer


@click.group("transfer")
def transfer() -> None:
    """Transfers of records to the archive (BagIt)."""


@transfer.command("export")
@click.option(
    "--item", "item_ids", type=ID, multiple=True, help="Only this queue item (repeatable)."
)
@click.option(
    "-o",
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Write the bag under this directory (default: EDRM_HOME/transfers).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["edrm", "tna"]),
    default="edrm",
    show_default=True,
    help="tna: the bag also carries metadata.csv with The National Archives' closure fields.",
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def transfer_export(
    item_ids: tuple[int, ...], out_dir: Path | None, fmt: str, as_json: bool, as_user: str | None
) -> None:
    """Write approved transfer items to a validated BagIt bag for the archive.

    Nothing is destroyed until `edrm transfer confirm BAG_ID` records the archive's receipt."""
    with runtime() as rt:
        with rt.uow() as session:
            actor = _principal(session, as_user)
        exported = export_transfer(
            rt, actor=actor, item_ids=list(item_ids) or None, out_dir=out_dir, tna=fmt == "tna"
        )
        with rt.uow() as session:
            data = transfer_as_dict(session, exported)
    if as_json:
        _json_out(data)
        return
    click.echo(
        f"edrm: exported {data['count']} records to bag {data['bag_id']} at {data['path']}; "
        f"they are destroyed here only after `edrm transfer confirm {data['bag_id']}`"
    )


@transfer.command("confirm")
@click.argument("bag_id")
@click.option("--receipt", default="", help="The archive's receipt (reference or text).")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def transfer_confirm(bag_id: str, receipt: str, as_json: bool, as_user: str | None) -> None:
    """Record the archive's receipt of a bag, then destroy its records here."""
    with runtime() as rt:
        with rt.uow() as session:
            actor = _principal(session, as_user)
        finished = confirm_transfer(rt, bag_id, actor=actor, receipt=receipt)
        with rt.uow() as session:
            data = transfer_as_dict(session, get_transfer(session, bag_id))
    if as_json:
        _json_out({**data, "finished": finished})
        return
    left = data["count"] - data["destroyed"]
    done = ", ".join(str(i) for i in finished) or "none"
    click.echo(
        f"edrm: transfer {bag_id} {data['status']}: items destroyed locally: {done}"
        + (f"; {left} still to destroy (run confirm again)" if left else "")
    )


@transfer.command("list")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def transfer_list(as_json: bool, as_user: str | None) -> None:
    """List transfers to the archive, newest first."""
    with runtime() as rt, rt.uow() as session:
        if not _principal(session, as_user).manages_records:
            raise RefusedError("only records managers see transfers to the archive")
        rows = [transfer_as_dict(session, t) for t in list_transfers(session)]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(
            f"{r['bag_id']:<32} {r['status']:<10} {r['count']:>6} records  "
            f"{r['created_at'][:19]} {r['created_by']}"
        )


@transfer.command("closure")
@click.argument("document_id", type=ID)
@click.option("--type", "closure_type", type=click.Choice(["Open", "Closed"]), required=True)
@click.option("--period", "closure_period", type=int, help="Closed for this many years.")
@click.option("--start-date", "closure_start_date", help="The closure runs from this day.")
@click.option("--foi-exemption-code", default="", help="e.g. 27(1) or 40(2)")
@click.option("--foi-exemption-asserted", default=None, help="The day the exemption was asserted.")
@click.option("--title-closed", is_flag=True, help="The title is closed too.")
@click.option("--description-closed", is_flag=True, help="The description is closed too.")
@click.option("--title-alternate", default="", help="The title to show while it is closed.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def transfer_closure(
    document_id: int,
    closure_type: str,
    closure_period: int | None,
    closure_start_date: str | None,
    foi_exemption_code: str,
    foi_exemption_asserted: str | None,
    title_closed: bool,
    description_closed: bool,
    title_alternate: str,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Set a record's closure for transfer, with The National Archives' field names (records
    managers): Open, or Closed for a period from a start date under an FOI exemption."""
    from retention.closure import Closure, closure_as_dict, set_closure

    closure = Closure(
        closure_type=closure_type,
        closure_period=closure_period,
        closure_start_date=_day(closure_start_date, "--start-date"),
        foi_exemption_code=foi_exemption_code,
        foi_exemption_asserted=_day(foi_exemption_asserted, "--foi-exemption-asserted"),
        title_closed=title_closed,
        description_closed=description_closed,
        title_alternate=title_alternate,
    )
    with runtime() as rt, rt.uow() as session:
        row = set_closure(session, document_id, closure, actor=_principal(session, as_user))
        data = {"id": document_id, **closure_as_dict(row)}
    if as_json:
        _json_out(data)
        return
    if data["closure_type"] == "Open":
        click.echo(f"edrm: document {document_id} is open")
    else:
        click.echo(
            f"edrm: document {document_id} is closed for {data['closure_period']} years from "
            f"{data['closure_start_date']} under FOI {data['foi_exemption_code']}"
        )


def _day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option}: expected a day like 2026-12-31 (got {value!r})") from None
