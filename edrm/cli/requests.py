"""`edrm request`: Information requests (FOI, EIR, SAR): open, track the clock, add records,
close."""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from sqlalchemy.orm import Session

from disclosure.bundles import add_records, bundle_rows
from disclosure.costs import cost_summary, log_time
from disclosure.loader import DisclosureConfig, load_config
from disclosure.models import InformationRequest
from disclosure.request_events import event_as_dict, events_of
from disclosure.request_searches import add_all_hits, run_search, search_as_dict, searches_of
from disclosure.requests import (
    STATUS_LABELS,
    clarifications_of,
    clarify,
    close,
    extend,
    get_request,
    list_requests,
    officer_names,
    open_request,
    request_as_dict,
    set_status,
)
from edrm.access import Principal
from edrm.cli.common import ID, CliError, _json_out, _principal, as_option, friendly_errors, runtime
from edrm.search_service import catch_up


def _day(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"{what} must be a date as YYYY-MM-DD (got {value!r})") from None


def _shape(
    session: Session, request: InformationRequest, config: DisclosureConfig
) -> dict[str, Any]:
    officer = officer_names(session, [request]).get(request.case_officer_id or 0)
    return request_as_dict(request, config, officer=officer)


def _full(
    session: Session, viewer: Principal, request: InformationRequest, config: DisclosureConfig
) -> dict[str, Any]:
    data = _shape(session, request, config)
    data["clarifications"] = [
        {
            "asked": c.asked_on.isoformat(),
            "answered": c.answered_on.isoformat() if c.answered_on else None,
        }
        for c in clarifications_of(session, request.id)
    ]
    data["records"] = bundle_rows(session, viewer, request.id)
    data["searches"] = [search_as_dict(s) for s in searches_of(session, request.id)]
    data["cost"] = cost_summary(session, request, config)
    data["events"] = [event_as_dict(e) for e in events_of(session, request.id)]
    return data


@click.group("request")
def request_group() -> None:
    """Information requests (FOI, EIR, SAR): open, track the clock, add records, close."""


@request_group.command("open")
@click.option("--type", "kind", required=True, type=click.Choice(["foi", "eir", "sar"]))
@click.option("--received", required=True, help="The day the request was received, YYYY-MM-DD.")
@click.option("--requester", required=True, help="The requester's name.")
@click.option("--summary", default="", help="What is asked for.")
@click.option("--email", default="", help="The requester's e-mail address (kept until erased).")
@click.option("--address", default="", help="The requester's postal address.")
@click.option("--officer", default=None, help="The case officer (default: you).")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def request_open(
    kind: str,
    received: str,
    requester: str,
    summary: str,
    email: str,
    address: str,
    officer: str | None,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Open a request: its reference and statutory due date."""
    day = _day(received, "--received")
    assert day is not None
    with runtime() as rt:
        config = load_config(rt.settings)
        with rt.uow() as session:
            request = open_request(
                session,
                _principal(session, as_user),
                kind=kind,
                received=day,
                requester=requester,
                summary=summary,
                email=email,
                address=address,
                case_officer=officer,
                config=config,
            )
            out = {
                "id": request.id,
                "reference": request.reference,
                "due": request.due_on.isoformat() if request.due_on else None,
                "status": request.status,
            }
            aggregated = request.aggregated
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: opened {out['reference']} (id {out['id']}), due {out['due']}")
    if aggregated:
        click.echo("edrm: the same requester asked within 60 working days: aggregation flagged")


@request_group.command("show")
@click.argument("request_id", type=ID)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def request_show(request_id: int, as_json: bool, as_user: str | None) -> None:
    """Show a request: status, clock, records, searches and events."""
    with runtime() as rt:
        config = load_config(rt.settings)
        with rt.uow() as session:
            viewer = _principal(session, as_user)
            data = _full(session, viewer, get_request(session, viewer, request_id), config)
    if as_json:
        _json_out(data)
        return
    clock = data["clock"]
    if not clock["live"]:
        when = f"was due {data['due']}" + (
            f", responded {data['responded_on']}" if data.get("responded_on") else ""
        )
    elif clock["stopped"]:
        when = "clock stopped (awaiting clarification)"
    elif clock["overdue"]:
        when = f"due {data['due']}, OVERDUE by {-clock['working_days_left']} working day(s)"
    else:
        when = f"due {data['due']} ({clock['working_days_left']} working day(s) left)"
    requester = data["requester"]["name"] if data["requester"] else "(erased)"
    click.echo(f"{data['reference']}  {STATUS_LABELS[data['status']]}  {when}")
    click.echo(f"  received {data['received']} from {requester}; officer {data['case_officer']}")
    if data["summary"]:
        click.echo(f"  {data['summary']}")
    click.echo(f"  {len(data['records'])} record(s) in the bundle")
    for row in data["records"]:
        click.echo(f"    {row['document_id'] or '-'}  {row['title']}")
    for event in data["events"]:
        click.echo(f"  {event['at'][:16]}  {event['actor']}  {event['label']}")


@request_group.command("list")
@click.option("--due-before", help="Only requests due before this day, YYYY-MM-DD.")
@click.option("--status", help="Only requests with this status.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def request_list(
    due_before: str | None, status: str | None, as_json: bool, as_user: str | None
) -> None:
    """List requests, soonest due first."""
    before = _day(due_before, "--due-before")
    with runtime() as rt:
        config = load_config(rt.settings)
        with rt.uow() as session:
            found = list_requests(
                session, _principal(session, as_user), due_before=before, status=status
            )
            names = officer_names(session, found)
            rows = [
                request_as_dict(r, config, officer=names.get(r.case_officer_id or 0)) for r in found
            ]
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("edrm: no requests")
    for row in rows:
        click.echo(
            f"{row['id']:>5}  {row['reference']:<15} {row['due'] or 'stopped':<11} "
            f"{STATUS_LABELS[row['status']]:<24} {row['case_officer'] or '-'}"
        )


@request_group.command("add")
@click.argument("request_id", type=ID)
@click.option("--doc", "documents", type=ID, multiple=True, required=True, help="A record id.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def request_add(
    request_id: int, documents: tuple[int, ...], as_json: bool, as_user: str | None
) -> None:
    """Add records to the request's bundle (each goes under the request hold)."""
    with runtime() as rt, rt.uow() as session:
        added = add_records(session, _principal(session, as_user), request_id, documents)
    if as_json:
        _json_out({"added": added.added, "already": added.already})
        return
    click.echo(
        f"edrm: added {len(added.added)} record(s) to request {request_id}"
        + (f"; {len(added.already)} already in it" if added.already else "")
    )


@request_group.command("clarify")
@click.argument("request_id", type=ID)
@click.option("--asked", help="The day clarification was asked for: the clock stops.")
@click.option("--answered", help="The day the answer arrived: the clock runs again.")
@as_option
@friendly_errors
def request_clarify(
    request_id: int, asked: str | None, answered: str | None, as_user: str | None
) -> None:
    """Record a request for clarification, or its answer."""
    if (asked is None) == (answered is None):
        raise CliError("give exactly one of --asked and --answered")
    with runtime() as rt:
        config = load_config(rt.settings)
        with rt.uow() as session:
            request = clarify(
                session,
                _principal(session, as_user),
                request_id,
                asked=_day(asked, "--asked"),
                answered=_day(answered, "--answered"),
                config=config,
            )
            due = request.due_on
            reference = request.reference
    if due is None:
        click.echo(f"edrm: {reference}: clock stopped until the clarification is answered")
    else:
        click.echo(f"edrm: {reference}: clock running again, due {due.isoformat()}")


@request_group.command("extend")
@click.argument("request_id", type=ID)
@click.option("--to", "to_day", required=True, help="The new due date, YYYY-MM-DD.")
@click.option("--reason", required=True, help="Why (e.g. the public interest test).")
@as_option
@friendly_errors
def request_extend(request_id: int, to_day: str, reason: str, as_user: str | None) -> None:
    """Extend the due date (SAR two months at most; FOI and EIR 20 working days)."""
    day = _day(to_day, "--to")
    assert day is not None
    with runtime() as rt:
        config = load_config(rt.settings)
        with rt.uow() as session:
            request = extend(
                session,
                _principal(session, as_user),
                request_id,
                to=day,
                reason=reason,
                config=config,
            )
            reference = request.reference
    click.echo(f"edrm: {reference} extended to {day.isoformat()}")


@request_group.command("close")
@click.argument("request_id", type=ID)
@click.option(
    "--outcome", required=True, type=click.Choice(["granted", "part", "refused", "not-held"])
)
@as_option
@friendly_errors
def request_close(request_id: int, outcome: str, as_user: str | None) -> None:
    """Close a request with its outcome (its hold lifts after the complaint window)."""
    with runtime() as rt, rt.uow() as session:
        request = close(session, _principal(session, as_user), request_id, outcome=outcome)
        reference = request.reference
    click.echo(f"edrm: closed {reference} ({outcome})")


@request_group.command("status")
@click.argument("request_id", type=ID)
@click.option(
    "--to",
    "status",
    required=True,
    help="open, on-hold, responded, internal-review or ico-complaint.",
)
@click.option("--note", default="", help="Why.")
@as_option
@friendly_errors
def request_status(request_id: int, status: str, note: str, as_user: str | None) -> None:
    """Set a request's status (reopen a closed one for an internal review or ICO complaint)."""
    with runtime() as rt, rt.uow() as session:
        request = set_status(session, _principal(session, as_user), request_id, status, note=note)
        reference, now = request.reference, request.status
    click.echo(f"edrm: {reference} is now {STATUS_LABELS[now].lower()}")


@request_group.command("search")
@click.argument("request_id", type=ID)
@click.option("--query", default="", help="Words to search for (the search language).")
@click.option("--person", default="", help="SAR: the person's name.")
@click.option("--identifiers", default="", help="SAR: e-mail, NI, phone, NHS … (comma-separated).")
@click.option("--add-all", is_flag=True, help="Add every hit to the bundle.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def request_search(
    request_id: int,
    query: str,
    person: str,
    identifiers: str,
    add_all: bool,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Search the records as the case officer; the search is saved on the request."""
    mode = "person" if (person or identifiers) else "words"
    with runtime() as rt:
        catch_up(rt)  # search what the database holds now
        with rt.uow() as session:
            actor = _principal(session, as_user)
            saved, result = run_search(
                session,
                rt,
                actor,
                request_id,
                query=query,
                mode=mode,
                name=person,
                identifiers=identifiers,
            )
            out: dict[str, Any] = {
                "search": saved.id,
                "total": result.total,
                "hits": [{"id": h.id, "title": h.title} for h in result.hits],
            }
        if add_all and result.total:
            with rt.uow() as session:
                added = add_all_hits(
                    session, rt, _principal(session, as_user), request_id, saved.id
                )
                out["added"] = added.added
    if as_json:
        _json_out(out)
        return
    click.echo(f"edrm: {out['total']} hit(s) (search {out['search']}, run as the case officer)")
    for hit in out["hits"]:
        click.echo(f"  {hit['id']:>6}  {hit['title']}")
    if "added" in out:
        click.echo(f"edrm: added {len(out['added'])} record(s) to the bundle")


@request_group.command("time")
@click.argument("request_id", type=ID)
@click.option("--minutes", required=True, type=click.IntRange(1, 24 * 60))
@click.option("--activity", default="", help="What the time was spent on.")
@as_option
@friendly_errors
def request_time(request_id: int, minutes: int, activity: str, as_user: str | None) -> None:
    """Log time spent on a request (counted against the FOI cost limit)."""
    with runtime() as rt:
        config = load_config(rt.settings)
        with rt.uow() as session:
            actor = _principal(session, as_user)
            log_time(session, actor, request_id, minutes=minutes, activity=activity)
            cost = cost_summary(session, get_request(session, actor, request_id), config)
    limit = f" of the £{cost['limit']} limit" if cost["limit"] is not None else ""
    click.echo(f"edrm: logged {minutes} min; £{cost['aggregate_pounds']:.2f}{limit} so far")


# `edrm request export` (the disclosure bundle) lives with the redaction commands.
from edrm.cli.redactions import request_export  # noqa: E402  (after the group it joins)

request_group.add_command(request_export)
