"""`edrm event`: Events that start retention (e.g. employee_left)."""

from __future__ import annotations

from datetime import date

import click

from edrm.cli.common import (
    COUNT,
    ID,
    CliError,
    _json_out,
    _principal,
    as_option,
    friendly_errors,
    runtime,
)
from retention.events import event_as_dict, list_events, record_event
from retention.schedule import ensure_schedule


@click.group("event")
def event() -> None:
    """Events that start retention (e.g. employee_left)."""


@event.command("record")
@click.argument("name")
@click.option("--folder", "folder_code", help="The folder the event happened to.")
@click.option("--doc", "document_id", type=ID, help="The record the event happened to.")
@click.option("--date", "on", required=True, help="When it happened, e.g. 2025-06-30.")
@click.option("--note", default="", help="A note kept with the event.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def event_record(
    name: str,
    folder_code: str | None,
    document_id: int | None,
    on: str,
    note: str,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Record that NAME (e.g. employee_left) happened to a folder or a record on a date."""
    try:
        occurred_on = date.fromisoformat(on.strip())
    except ValueError:
        raise CliError(f"--date: expected a date like 2025-06-30 (got {on!r})") from None
    with runtime() as rt, rt.uow() as session:
        ensure_schedule(session, rt.settings)
        recorded = record_event(
            session,
            name,
            occurred_on=occurred_on,
            folder_code=folder_code,
            document_id=document_id,
            actor=_principal(session, as_user),
            note=note,
        )
        data = event_as_dict(recorded, folder_code)
    if as_json:
        _json_out(data)
        return
    target = f"folder {folder_code}" if folder_code else f"document {document_id}"
    click.echo(f"edrm: event {data['id']} recorded: {name} on {on} for {target}")


@event.command("list")
@click.option("--limit", type=COUNT, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def event_list(limit: int, as_json: bool) -> None:
    """The most recently recorded events."""
    with runtime() as rt, rt.uow() as session:
        rows = list_events(session, limit=limit)
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        target = f"folder {r['folder']}" if r["folder"] else f"document {r['document_id']}"
        click.echo(f"{r['id']:>5} {r['occurred_on']} {r['name']:<20} {target}")
