"""`edrm transfer`: Transfers of records to the archive (BagIt)."""

from __future__ import annotations

from pathlib import Path

import click

from edrm.cli.common import ID, _json_out, _principal, as_option, friendly_errors, runtime
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
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def transfer_export(
    item_ids: tuple[int, ...], out_dir: Path | None, as_json: bool, as_user: str | None
) -> None:
    """Write approved transfer items to a validated BagIt bag for the archive.

    Nothing is destroyed until `edrm transfer confirm BAG_ID` records the archive's receipt."""
    with runtime() as rt:
        with rt.uow() as session:
            actor = _principal(session, as_user)
        exported = export_transfer(
            rt, actor=actor, item_ids=list(item_ids) or None, out_dir=out_dir
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
