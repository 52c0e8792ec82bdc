"""`edrm user`: people's accounts (add one who can sign in, list them, change them, end their
sessions, clear a sign-in lockout). Every change that alters what a person may do ends all of
their sessions at once."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from edrm.cli.common import CliError, _json_out, friendly_errors, runtime
from edrm.people import signin
from edrm.people.models import User
from edrm.people.service import (
    add_service_account,
    add_user,
    change_access,
    change_password,
    end_all_sessions,
    set_active,
)

_role_option = click.option(
    "--role", required=True, help="civil_servant, records_manager, hr or administrator."
)
_clearance_option = click.option(
    "--clearance", required=True, help="OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET."
)


@click.group("user")
def user() -> None:
    """Manage people's accounts."""


@user.command("add")
@click.argument("username")
@_role_option
@_clearance_option
@click.option(
    "--group", "groups", multiple=True, help="A group the person belongs to (repeatable)."
)
@click.option("--full-name", default="", help="The person's name as shown.")
@click.option("--email", default="", help="Where notification e-mails go.")
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
    password = _password_from_stdin(password_stdin)
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
                "kind": u.kind,
            }
            for u in users
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['username']:<14} {r['role']:<16} {r['clearance']:<19} {r['full_name']}")


@user.command("add-service")
@click.argument("username")
@_role_option
@_clearance_option
@click.option("--group", "groups", multiple=True, help="A group it acts for (repeatable).")
@click.option("--full-name", default="", help="What the system is, e.g. 'Case-working system'.")
@click.option("--email", default="", help="Who to contact about it.")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def user_add_service(
    username: str,
    role: str,
    clearance: str,
    groups: tuple[str, ...],
    full_name: str,
    email: str,
    as_json: bool,
) -> None:
    """Add a service account: another system's account, with no password, that acts only
    through API tokens (make one with `edrm token create --as ADMIN --for USERNAME`)."""
    with runtime() as rt, rt.uow() as session:
        created = add_service_account(
            session, username, role, clearance, groups=groups, full_name=full_name, email=email
        )
        out = {
            "username": created.username,
            "kind": created.kind,
            "role": created.role_value,
            "clearance": created.clearance_value,
            "groups": sorted(g.name for g in created.groups),
        }
    if as_json:
        _json_out(out)
        return
    click.echo(
        f"edrm: added service account {out['username']} ({out['role']}, {out['clearance']}); "
        f"make it a token with: edrm token create --as ADMIN --for {out['username']} --scope read"
    )


def _password_from_stdin(password_stdin: bool) -> str:
    if not password_stdin:
        raise CliError("give the password on standard input with --password-stdin")
    return sys.stdin.readline().rstrip("\r\n")


@user.command("password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@friendly_errors
def user_password(username: str, password_stdin: bool) -> None:
    """Set a person's password; every session of theirs ends."""
    password = _password_from_stdin(password_stdin)
    with runtime() as rt, rt.uow() as session:
        changed = change_password(session, username, password)
        click.echo(f"edrm: changed the password of {changed.username}; their sessions ended")


@user.command("update")
@click.argument("username")
@click.option("--role", default=None, help="The new role.")
@click.option("--clearance", default=None, help="The new clearance.")
@friendly_errors
def user_update(username: str, role: str | None, clearance: str | None) -> None:
    """Change a person's role or clearance; every session of theirs ends."""
    if role is None and clearance is None:
        raise CliError("give --role, --clearance or both")
    with runtime() as rt, rt.uow() as session:
        changed = change_access(session, username, role=role, clearance=clearance)
        click.echo(
            f"edrm: {changed.username} is now {changed.role_value}, {changed.clearance_value}"
        )


@user.command("deactivate")
@click.argument("username")
@friendly_errors
def user_deactivate(username: str) -> None:
    """Stop a person signing in; every session of theirs ends."""
    with runtime() as rt, rt.uow() as session:
        changed = set_active(session, username, False)
        click.echo(f"edrm: deactivated {changed.username}; their sessions ended")


@user.command("activate")
@click.argument("username")
@friendly_errors
def user_activate(username: str) -> None:
    """Let a deactivated person sign in again."""
    with runtime() as rt, rt.uow() as session:
        changed = set_active(session, username, True)
        click.echo(f"edrm: activated {changed.username}")


@user.command("sign-out")
@click.argument("username")
@friendly_errors
def user_sign_out(username: str) -> None:
    """End every session of a person (e.g. a lost laptop)."""
    with runtime() as rt, rt.uow() as session:
        ended = end_all_sessions(session, username)
        click.echo(f"edrm: ended {ended} session{'' if ended == 1 else 's'} of {username}")


@user.command("unlock")
@click.argument("username")
@click.option("--address", default="", help="Also clear the lockout of this client address.")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def user_unlock(username: str, address: str, as_json: bool) -> None:
    """Clear a sign-in lockout before it ends by itself (recorded in the audit trail)."""
    with runtime() as rt, rt.uow() as session:
        cleared = signin.unlock(session, username, address=address)
    if as_json:
        _json_out({"username": username, "cleared": cleared})
        return
    for kind, was_locked in cleared.items():
        what = username if kind == "account" else address
        state = (
            "lockout cleared"
            if was_locked
            else "was not locked out (earlier failures no longer count)"
        )
        click.echo(f"edrm: {kind} {what}: {state}")
