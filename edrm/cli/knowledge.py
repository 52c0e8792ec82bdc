"""`edrm knowledge`: knowledge that stays fresh — who owns each harvest record and skill and
when it is next reviewed, and the knowledge at risk beyond the leavers' list."""

from __future__ import annotations

from dataclasses import asdict

import click

from edrm.cli.common import ID, CliError, _json_out, _principal, as_option, friendly_errors, runtime


@click.group("knowledge")
def knowledge() -> None:
    """Knowledge owners, reviews and knowledge at risk."""


@knowledge.command("risk")
@click.option("--window-months", default=24, show_default=True, help="How far back is recent.")
@click.option(
    "--min-records", default=3, show_default=True, help="Fewest records to weigh a class."
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def knowledge_risk(
    window_months: int, min_records: int, as_json: bool, as_user: str | None
) -> None:
    """Classes whose recent records were all made by people who have left ("ghost knowledge"),
    and harvest records whose owner has left (HR)."""
    from harvest.knowledge_risk import ghost_classes, orphaned_harvest_records

    with runtime() as rt, rt.uow() as session:
        viewer = _principal(session, as_user)
        ghosts = ghost_classes(
            session, viewer, window_months=window_months, min_records=min_records
        )
        orphans = orphaned_harvest_records(session, viewer)
    data = {
        "ghost_classes": [asdict(g) for g in ghosts],
        "harvest_records_without_owner": [asdict(o) for o in orphans],
    }
    if as_json:
        _json_out(data)
        return
    if not ghosts and not orphans:
        click.echo("edrm: no knowledge at risk beyond the leavers' list")
    for g in ghosts:
        click.echo(f"ghost {g.code:<16} {g.records} records, all by {', '.join(g.creators)}")
    for o in orphans:
        click.echo(f"orphan harvest record of {o.leaver}: owner {o.owner} has left")


@knowledge.command("mine")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def knowledge_mine(as_json: bool, as_user: str | None) -> None:
    """The harvest records and skills you own, and when each is next reviewed."""
    from sqlalchemy import select

    from harvest.models import Profile
    from harvest.stewardship import items_owned

    with runtime() as rt, rt.uow() as session:
        viewer = _principal(session, as_user)
        profile = session.scalar(select(Profile).where(Profile.user_id == viewer.user_id))
        items = items_owned(session, profile.id) if profile else []
        rows = [
            {"kind": i.kind, "item_id": i.item_id, "review_due": i.review_due.isoformat()}
            for i in items
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['kind']:<15} {r['item_id']:>6}  review {r['review_due']}")


@knowledge.command("review")
@click.argument("item_id", type=ID)
@click.option(
    "--kind",
    type=click.Choice(["expertise", "harvest_record"]),
    default="expertise",
    show_default=True,
    help="A skill (its id) or a harvest record (its harvest plan's id).",
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def knowledge_review(item_id: int, kind: str, as_json: bool, as_user: str | None) -> None:
    """Note that a harvest record or skill you own was reviewed (the next is a cycle away)."""
    from harvest.stewardship import review_item

    with runtime() as rt, rt.uow() as session:
        if as_user is None:
            raise CliError("say whose review it is with --as USER")
        item = review_item(session, kind, item_id, actor=_principal(session, as_user))
        data = {"kind": kind, "item_id": item_id, "review_due": item.review_due.isoformat()}
    if as_json:
        _json_out(data)
    else:
        click.echo(f"edrm: reviewed; next review {data['review_due']}")
