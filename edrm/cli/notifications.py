"""`edrm notifications`: a person's notification preferences, and for administrators the
outbox, one delivery pass and the daily digest (`edrm serve` sends due notifications by itself
every few seconds; the scheduler makes the digest each morning)."""

from __future__ import annotations

import click

from edrm.cli.common import (
    COUNT,
    CliError,
    _json_out,
    _principal,
    as_option,
    friendly_errors,
    runtime,
)
from edrm.notifications.delivery import deliver_due
from edrm.notifications.jobs import build_digests
from edrm.notifications.kinds import BY_NAME, NAMES
from edrm.notifications.models import DIGEST, IMMEDIATE
from edrm.notifications.preferences import preferences_of, set_preferences
from edrm.notifications.senders import describe
from edrm.notifications.service import list_notifications, require_administrator

KIND = click.Choice(NAMES)


@click.group("notifications")
def notifications() -> None:
    """Notification e-mails: your preferences; the outbox (administrators)."""


@notifications.command("prefs")
@click.option("--on", "turn_on", multiple=True, type=KIND, help="Send this kind (repeatable).")
@click.option("--off", "turn_off", multiple=True, type=KIND, help="Never send this kind.")
@click.option("--immediately", multiple=True, type=KIND, help="Send this kind at once.")
@click.option("--digest", multiple=True, type=KIND, help="List this kind in the daily digest.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def prefs(
    turn_on: tuple[str, ...],
    turn_off: tuple[str, ...],
    immediately: tuple[str, ...],
    digest: tuple[str, ...],
    as_json: bool,
    as_user: str | None,
) -> None:
    """Show (or change) the notification preferences of the person given with --as."""
    if not as_user:
        raise CliError("say whose preferences with --as USERNAME")
    both = (set(turn_on) & set(turn_off)) | (set(immediately) & set(digest))
    if both:
        raise CliError(f"{', '.join(sorted(both))}: given two opposite choices")
    with runtime() as rt, rt.uow() as session:
        username = _principal(session, as_user).username
        current = preferences_of(session, username)
        choices: dict[str, tuple[bool, str]] = {}
        for name in {*turn_on, *turn_off, *immediately, *digest}:
            enabled = current[name].enabled
            timing = current[name].timing
            enabled = True if name in turn_on else False if name in turn_off else enabled
            timing = IMMEDIATE if name in immediately else DIGEST if name in digest else timing
            choices[name] = (enabled, timing)
        found = set_preferences(session, username, choices) if choices else current
        how = describe(rt.settings)
    rows = [p.as_dict() for p in found.values()]
    if as_json:
        _json_out({"username": username, "preferences": rows, "sending": how})
        return
    for row in rows:
        state = "on" if row["enabled"] else "off"
        timing = "daily digest" if row["timing"] == DIGEST else "immediately"
        label = BY_NAME[str(row["kind"])].label
        click.echo(f"{row['kind']}\t{state}\t{timing if row['enabled'] else '-'}\t{label}")
    click.echo(f"edrm: {how}")


@notifications.command("list")
@click.option("--status", help="Only these: pending, sent, failed, skipped, digested.")
@click.option("--limit", type=COUNT, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def notifications_list(status: str | None, limit: int, as_json: bool, as_user: str | None) -> None:
    """The newest notifications (administrators): recipient, kind, status; never titles."""
    with runtime() as rt, rt.uow() as session:
        rows = [
            n.as_dict()
            for n in list_notifications(
                session, actor=_principal(session, as_user), status=status, limit=limit
            )
        ]
        how = describe(rt.settings)
    if as_json:
        _json_out(rows)
        return
    click.echo(f"edrm: {how}")
    if not rows:
        click.echo("no notifications")
    for row in rows:
        click.echo(
            f"{row['id']}\t{row['recipient']}\t{row['kind']}\t{row['delivery']}\t{row['status']}"
            f"\tattempts {row['attempts']}\t{row['last_error']}".rstrip()
        )


@notifications.command("send-due")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def send_due(as_json: bool, as_user: str | None) -> None:
    """Send the notifications that are due, once (administrators)."""
    with runtime() as rt:
        with rt.uow() as session:
            require_administrator(_principal(session, as_user), "send notifications")
        result = deliver_due(rt)
        how = describe(rt.settings)
    if as_json:
        _json_out({**result.as_dict(), "sending": how})
        return
    click.echo(f"edrm: {result.text}" if result.configured else f"edrm: {how}")


@notifications.command("digest")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def digest_now(as_json: bool, as_user: str | None) -> None:
    """Make the daily digests now and send what is due (administrators)."""
    with runtime() as rt:
        with rt.uow() as session:
            require_administrator(_principal(session, as_user), "send notifications")
        made = build_digests(rt)
        result = deliver_due(rt)
        how = describe(rt.settings)
    if as_json:
        _json_out({"digests": made, **result.as_dict(), "sending": how})
        return
    sent = result.text if result.configured else how
    click.echo(f"edrm: {made} digest(s) made; {sent}")
