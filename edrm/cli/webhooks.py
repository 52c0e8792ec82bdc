"""`edrm webhook`: administrators' subscriptions to events, the delivery log, and one delivery
pass (`edrm serve` sends due deliveries by itself every few seconds)."""

from __future__ import annotations

import click

from edrm.cli.common import ID, _json_out, _principal, as_option, friendly_errors, runtime
from edrm.webhooks.delivery import deliver_due
from edrm.webhooks.outbox import EVENTS
from edrm.webhooks.service import (
    list_deliveries,
    list_subscriptions,
    require_administrator,
    subscribe,
    subscription_as_dict,
    unsubscribe,
)


@click.group("webhook")
def webhook() -> None:
    """Webhook subscriptions (administrators) and their delivery log."""


@webhook.command("add")
@click.argument("url")
@click.option(
    "--event",
    "events",
    multiple=True,
    required=True,
    type=click.Choice(EVENTS),
    help="An event to send (repeatable).",
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def webhook_add(url: str, events: tuple[str, ...], as_json: bool, as_user: str | None) -> None:
    """Subscribe URL to events; prints the signing secret once."""
    with runtime() as rt, rt.uow() as session:
        made = subscribe(session, url, list(events), actor=_principal(session, as_user))
        out = {**subscription_as_dict(made.subscription), "secret": made.secret}
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: webhook {out['id']} sends {', '.join(out['events'])} to {out['url']}")
    click.echo(f"secret (shown once; verify Webhook-Signature with it): {out['secret']}")


@webhook.command("list")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def webhook_list(as_json: bool, as_user: str | None) -> None:
    """The subscriptions (never their secrets)."""
    with runtime() as rt, rt.uow() as session:
        rows = [
            subscription_as_dict(s)
            for s in list_subscriptions(session, actor=_principal(session, as_user))
        ]
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("no webhook subscriptions")
    for row in rows:
        state = "active" if row["active"] else "removed"
        click.echo(f"{row['id']}\t{state}\t{row['url']}\t{','.join(row['events'])}")


@webhook.command("remove")
@click.argument("subscription_id", type=ID)
@as_option
@friendly_errors
def webhook_remove(subscription_id: int, as_user: str | None) -> None:
    """End a subscription (what it had still to send is dropped; the log is kept)."""
    with runtime() as rt, rt.uow() as session:
        dropped = unsubscribe(session, subscription_id, actor=_principal(session, as_user))
    click.echo(f"edrm: removed webhook {subscription_id} ({dropped} unsent delivery(ies) dropped)")


@webhook.command("deliveries")
@click.option("--subscription", "subscription_id", type=ID, help="Only this subscription's.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def webhook_deliveries(subscription_id: int | None, as_json: bool, as_user: str | None) -> None:
    """The delivery log, newest first, with every attempt."""
    with runtime() as rt, rt.uow() as session:
        rows = list_deliveries(
            session, actor=_principal(session, as_user), subscription_id=subscription_id
        )
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("no webhook deliveries")
    for row in rows:
        click.echo(
            f"{row['id']}\t{row['event']}\t{row['status']}\tattempts {row['attempts']}"
            f"\t{row['last_status'] or ''} {row['last_error']}".rstrip()
        )


@webhook.command("deliver")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def webhook_deliver(as_json: bool, as_user: str | None) -> None:
    """Send the deliveries that are due, once."""
    with runtime() as rt:
        with rt.uow() as session:
            require_administrator(_principal(session, as_user), "send webhooks")
        result = deliver_due(rt)
    if as_json:
        _json_out(result.as_dict())
        return
    click.echo(
        f"edrm: {len(result.delivered)} delivered, {len(result.retrying)} to retry, "
        f"{len(result.failed)} failed"
    )
