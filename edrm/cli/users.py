"""`edrm user`: people's accounts (add one who can sign in, list them)."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from edrm.cli.common import CliError, _json_out, friendly_errors, runtime
from edrm.people.models import User
from edrm.people.service import add_user


@click.group("user")
def user() -> None:
    """Manage people's accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, help="civil_servant, records_manager, hr or administrator.")
@click.option(
    "--clearance", required=True, help="OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET."
)
@click.option(
    "--group", "groups", multiple=True, help="A group the person belongs to (repeatable)."
)
@click.option("--full-name", default="", help="The person's name as shown.")
@click.option("--email", default="")
@click.option("--unit", default="", help="Organisational unit.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly_errors
def user_add(
    username: str,
    role: str,
    clearance: str,
    groups: tuple[str, ...],
    full_name: str,
    email: str,
    unit: str,
    password_stdin: bool,
) -> None:
    """Add a person who can sign in."""
    if not password_stdin:
        raise CliError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with runtime() as rt, rt.uow() as session:
        created = add_user(
            session,
            username,
            password,
            role,
            clearance,
            groups=groups,
            full_name=full_name,
            email=email,
            unit=unit,
        )
        click.echo(
            f"edrm: added {created.username} ({created.role_value}, {created.clearance_value})"
        )


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def user_list(as_json: bool) -> None:
    """List people."""
    with runtime() as rt, rt.uow() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        rows = [
            {
                "username": u.username,
                "full_name": u.full_name,
                "role": u.role_value,
                "clearance": u.clearance_value,
                "groups": sorted(g.name for g in u.groups),
                "active": u.active,
            }
            for u in users
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['username']:<14} {r['role']:<16} {r['clearance']:<19} {r['full_name']}")
