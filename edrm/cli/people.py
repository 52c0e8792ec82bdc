"""`edrm people`: The expertise directory: import HR data, show profiles, skills, endorsements,
the opt-out of inferred expertise, and recomputing what is inferred."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from edrm.cli.common import CliError, _json_out, _principal, as_option, friendly_errors, runtime
from harvest.directory.hr_import import import_people
from harvest.directory.profiles import own_profile, set_opt_out
from harvest.directory.public_profile import profile_as_dict
from harvest.directory.skills import declare_skill, endorse_by_name, remove_skill
from harvest.directory.taxonomy import taxonomy_for
from harvest.inference import recompute
from harvest.models import Skill


@click.group("people")
def people() -> None:
    """The expertise directory: import HR data, show profiles."""


@people.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def people_import(file: Path, as_user: str | None, as_json: bool) -> None:
    """Import HR data from a CSV file with the columns username, name, unit, location, role,
    manager, start_date, leaving_date (all or nothing; errors name the row)."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{file}: not UTF-8 text; save the CSV as UTF-8") from None
    with runtime() as rt, rt.uow() as session:
        result = import_people(session, _principal(session, as_user), text)
    if as_json:
        _json_out({"created": result.created, "updated": result.updated})
        return
    who = "person" if result.total == 1 else "people"
    click.echo(
        f"edrm: imported {result.total} {who} ({result.created} new, {result.updated} updated)"
    )


def _show(data: dict[str, Any]) -> None:
    click.echo(f"{data['name']} ({data['username']})")
    for label, key in (("Role", "role"), ("Unit", "unit"), ("Location", "location")):
        if data[key]:
            click.echo(f"  {label}: {data[key]}")
    if data["manager"]:
        click.echo(f"  Manager: {data['manager_name']} ({data['manager']})")
    if data["left"]:
        ask = f"ask {data['successor_name']} ({data['successor']})" if data["successor"] else ""
        record = (
            f"; see harvest record {data['harvest_document_id']}"
            if data["harvest_document_id"]
            else ""
        )
        click.echo(f"  Left{' — ' + ask if ask else ''}{record}")
    if data["about"]:
        click.echo(f"  About: {data['about']}")
    click.echo("  Skills:" if data["skills"] else "  Skills: none declared")
    for s in data["skills"]:
        endorsed = f", endorsed by {s['endorsements']}" if s["endorsements"] else ""
        click.echo(f"    {s['title']} — {s['level_label']} ({s['kind']}{endorsed})")
    if data["opted_out"]:
        click.echo("  Inferred expertise: opted out")
    elif data["inferred"]["topics"] or data["inferred"]["classes"]:
        topics = ", ".join(t["term"] for t in data["inferred"]["topics"])
        classes = ", ".join(c["class_code"] for c in data["inferred"]["classes"])
        if topics:
            click.echo(f"  Inferred topics: {topics}")
        if classes:
            click.echo(f"  Inferred classes: {classes}")


@people.command("show")
@click.argument("username")
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def people_show(username: str, as_user: str | None, as_json: bool) -> None:
    """Show a person's profile: HR details, skills, endorsements, inferred expertise."""
    with runtime() as rt, rt.uow() as session:
        data = profile_as_dict(
            session, taxonomy_for(rt.settings), _principal(session, as_user), username
        )
    if as_json:
        _json_out(data)
    else:
        _show(data)


@people.command("skill")
@click.argument("skill")
@click.option("--level", type=int, default=2, show_default=True, help="1 awareness … 4 expert.")
@click.option("--remove", is_flag=True, help="Take the skill off the profile.")
@as_option
@friendly_errors
def people_skill(skill: str, level: int, remove: bool, as_user: str | None) -> None:
    """Declare a skill (taxonomy code or title, or a free tag) on your own profile (--as)."""
    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        taxonomy = taxonomy_for(rt.settings)
        if remove:
            profile = own_profile(session, actor)
            found = session.scalar(
                select(Skill).where(
                    Skill.profile_id == profile.id, Skill.name == skill.strip().lower()
                )
            )
            if found is None:
                raise CliError(f"{skill!r} is not on your profile")
            remove_skill(session, actor, found.id)
            click.echo(f"edrm: removed {taxonomy.title(found.name)!r}")
            return
        declared = declare_skill(session, actor, taxonomy, skill, level)
        click.echo(f"edrm: {taxonomy.title(declared.name)!r} at level {declared.level}")


@people.command("endorse")
@click.argument("username")
@click.argument("skill")
@as_option
@friendly_errors
def people_endorse(username: str, skill: str, as_user: str | None) -> None:
    """Endorse a colleague's declared skill (--as yourself)."""
    with runtime() as rt, rt.uow() as session:
        taxonomy = taxonomy_for(rt.settings)
        endorse_by_name(session, _principal(session, as_user), taxonomy, username, skill)
    click.echo(f"edrm: endorsed {username}'s {taxonomy.title(skill)!r}")


@people.command("opt-out")
@click.option("--undo", is_flag=True, help="Opt back in to inferred expertise.")
@as_option
@friendly_errors
def people_opt_out(undo: bool, as_user: str | None) -> None:
    """Opt out of inferred expertise: be found only through the skills you declared."""
    with runtime() as rt, rt.uow() as session:
        set_opt_out(session, _principal(session, as_user), not undo)
    click.echo("edrm: opted back in" if undo else "edrm: opted out of inferred expertise")


@people.command("infer")
@click.argument("username", required=False)
@friendly_errors
def people_infer(username: str | None) -> None:
    """Recompute inferred expertise now (everyone, or one person)."""
    with runtime() as rt, rt.uow() as session:
        result = recompute(session, only=username)
    click.echo(f"edrm: {result.message}")
