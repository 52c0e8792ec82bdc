"""`edrm token`: API tokens for scripts and other systems (issue 13 part 2).

A token belongs to a person (`--as USERNAME`) and acts with their access, narrowed by its
scopes. The token itself is printed once, by `create`; only its hash is kept.
"""

from __future__ import annotations

from typing import Any

import click

from edrm.cli.common import ID, CliError, _json_out, _principal, friendly_errors, runtime
from edrm.people.tokens import SCOPES, create_token, list_tokens, policy_for, revoke_token
from edrm.people.tokens import token_as_dict as as_dict

_as_person = click.option(
    "--as", "as_user", metavar="USERNAME", required=True, help="The person the token is for."
)


@click.group("token")
def token() -> None:
    """API tokens: create, list and revoke (Authorization: Bearer <token>)."""


@token.command("create")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    metavar="SCOPE",
    help=f"What it may do (repeatable): {', '.join(SCOPES)}.",
)
@click.option("--name", default="", help="What it is for, e.g. 'case-working system'.")
@click.option("--expires-days", type=click.IntRange(1, 100_000), help="Days it lasts.")
@click.option(
    "--for",
    "for_user",
    metavar="USERNAME",
    help="Make it for this person or service account (administrators only).",
)
@click.option("--json", "as_json", is_flag=True)
@_as_person
@friendly_errors
def token_create(
    scopes: tuple[str, ...],
    name: str,
    expires_days: int | None,
    for_user: str | None,
    as_json: bool,
    as_user: str,
) -> None:
    """Create a token; it is shown once, here, and cannot be read again."""
    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        owner = _principal(session, for_user) if for_user else actor
        if owner.user_id is None:
            raise CliError("a token belongs to a person: give --as USERNAME")
        made = create_token(
            session,
            owner,
            list(scopes),
            policy=policy_for(rt.settings),
            name=name,
            expires_days=expires_days,
            actor=actor,
        )
        out: dict[str, Any] = {
            "id": made.record.id,
            "token": made.token,
            "scopes": list(made.record.scopes),
            "expires": made.record.expires_at.isoformat(),
            "name": made.record.name,
        }
    if as_json:
        _json_out(out)
        return
    click.echo(
        f"edrm: created token {out['id']} ({', '.join(out['scopes'])}),"
        f" expires {out['expires'][:10]}"
    )
    click.echo(out["token"])
    click.echo("edrm: copy it now: it will not be shown again", err=True)


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
@_as_person
@friendly_errors
def token_list(as_json: bool, as_user: str) -> None:
    """List a person's tokens (never their secrets)."""
    with runtime() as rt, rt.uow() as session:
        rows = [as_dict(t) for t in list_tokens(session, _principal(session, as_user))]
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("edrm: no tokens")
        return
    for row in rows:
        state = (
            f"revoked {row['revoked'][:10]}" if row["revoked"] else f"expires {row['expires'][:10]}"
        )
        used = (
            f"last used {row['last_used'][:16]} from {row['last_used_from']}"
            if row["last_used"]
            else "never used"
        )
        click.echo(
            f"{row['id']}: {row['name'] or '(no name)'} [{', '.join(row['scopes'])}]"
            f" {state}; {used}"
        )


@token.command("revoke")
@click.argument("token_id", type=ID)
@_as_person
@friendly_errors
def token_revoke(token_id: int, as_user: str) -> None:
    """Revoke a token (its owner, or an administrator); it stops working at once."""
    with runtime() as rt, rt.uow() as session:
        revoke_token(session, token_id, _principal(session, as_user))
    click.echo(f"edrm: revoked token {token_id}")
