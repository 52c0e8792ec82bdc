"""`edrm hold`: Legal holds that stop disposal and change."""

from __future__ import annotations

from typing import Any

import click

from edrm.access import require_records_manager
from edrm.cli.common import ID, CliError, _json_out, _principal, as_option, friendly_errors, runtime
from edrm.search_service import catch_up
from retention.holds import (
    covered_count,
    delete_hold,
    get_hold,
    hold_as_dict,
    hold_document_ids,
    lift_hold,
    list_holds,
    place_hold,
)


@click.group("hold")
def hold() -> None:
    """Legal holds that stop disposal and change."""


@hold.command("place")
@click.option("--reason", required=True, help="Why, e.g. 'FOI request 2025/117'.")
@click.option("--authority", required=True, help="Who or what requires it, e.g. a court order.")
@click.option("--doc", "document_id", type=ID, help="Hold one document.")
@click.option("--folder", "folder_code", help="Hold a folder or class and everything below it.")
@click.option("--query", help="Hold what a search finds now (or 'saved:ID|NAME').")
@click.option("--saved-search", help="Hold what a saved search (id or name) finds now.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def hold_place(
    reason: str,
    authority: str,
    document_id: int | None,
    folder_code: str | None,
    query: str | None,
    saved_search: str | None,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Place a legal hold on a document, a folder or what a search finds."""
    if saved_search is not None:
        if query is not None:
            raise CliError("give either --query or --saved-search, not both")
        query = f"saved:{saved_search}"
    given = [t for t in (document_id, folder_code, query) if t is not None]
    if len(given) != 1:
        raise CliError("give exactly one of --doc, --folder, --query or --saved-search")
    with runtime() as rt:
        if query is not None:
            catch_up(rt)  # search what the database holds now, not what the index last saw
        with rt.uow() as session:
            placed = place_hold(
                session,
                reason=reason,
                authority=authority,
                actor=_principal(session, as_user),
                document_id=document_id,
                folder_code=folder_code,
                query=query,
                search=rt,
            )
            out = {"id": placed.id, "documents": covered_count(session, placed.id)}
    if as_json:
        _json_out(out)
        return
    count = out["documents"]
    click.echo(
        f"edrm: placed hold {out['id']} on {placed.scope} {placed.target} "
        f"(covers {count} document{'s' if count != 1 else ''})"
    )


@hold.command("lift")
@click.argument("hold_id", type=ID)
@click.option("--reason", required=True, help="Why the hold is no longer needed.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def hold_lift(hold_id: int, reason: str, as_json: bool, as_user: str | None) -> None:
    """Lift a legal hold (records it alone covered may be disposed of again)."""
    with runtime() as rt, rt.uow() as session:
        lifted = lift_hold(session, hold_id, reason=reason, actor=_principal(session, as_user))
        out = hold_as_dict(session, lifted)
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: lifted hold {hold_id}")


@hold.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include holds already lifted.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def hold_list(show_all: bool, as_json: bool, as_user: str | None) -> None:
    """List the legal holds in force (with --all, lifted ones too)."""
    with runtime() as rt, rt.uow() as session:
        require_records_manager(_principal(session, as_user), "see legal holds")
        rows = [hold_as_dict(session, h) for h in list_holds(session, active_only=not show_all)]
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("edrm: no legal holds" + ("" if show_all else " in force"))
        return
    for row in rows:
        click.echo(_line(row))


@hold.command("show")
@click.argument("hold_id", type=ID)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def hold_show(hold_id: int, as_json: bool, as_user: str | None) -> None:
    """Show one legal hold and the documents it covers."""
    with runtime() as rt, rt.uow() as session:
        require_records_manager(_principal(session, as_user), "see legal holds")
        found = get_hold(session, hold_id)
        out = hold_as_dict(session, found)
        out["document_ids"] = sorted(session.scalars(hold_document_ids(session, hold_id)))
    if as_json:
        _json_out(out)
        return
    click.echo(_line(out))
    click.echo(f"  authority: {out['authority']}")
    if out["lifted_at"]:
        click.echo(f"  lifted {out['lifted_at'][:10]} by {out['lifted_by']}: {out['lift_reason']}")
    ids = out["document_ids"]
    click.echo(f"  documents: {', '.join(map(str, ids)) if ids else 'none'}")


@hold.command("delete")
@click.argument("hold_id", type=ID)
@as_option
@friendly_errors
def hold_delete(hold_id: int, as_user: str | None) -> None:
    """Delete a hold placed by mistake (refused while it covers records; lift it first)."""
    with runtime() as rt, rt.uow() as session:
        delete_hold(session, hold_id, actor=_principal(session, as_user))
    click.echo(f"edrm: deleted hold {hold_id}")


def _line(row: dict[str, Any]) -> str:
    state = "in force" if row["active"] else "lifted"
    count = row["documents"]
    return (
        f"{row['id']}: {row['scope']} {row['target']} - {row['reason']} "
        f"({state}; {count} document{'s' if count != 1 else ''}; "
        f"placed {row['placed_at'][:10]} by {row['placed_by']})"
    )
