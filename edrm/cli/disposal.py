"""`edrm disposal`: The disposal queue: review decisions and execution."""

from __future__ import annotations

import sys
from datetime import date, datetime

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
from edrm.errors import NotFoundError, RefusedError
from retention.certificates import list_certificates
from retention.execution import execute_approved
from retention.models import DisposalItem
from retention.review import (
    BulkDecision,
    decide_items,
    decision_as_dict,
    decisions_for,
    items_as_dicts,
    list_queue,
)

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.group("disposal")
def disposal() -> None:
    """The disposal queue: review decisions and execution."""


@disposal.command("list")
@click.option(
    "--status",
    default=None,
    help="pending, approved, executing, done, rejected, "
    "extended, transferred, or all (default: the open ones).",
)
@click.option("--class", "class_code", default=None, help="Only this class (and its sub-classes).")
@click.option("--action", default=None, help="destroy, transfer or review.")
@click.option("--stage", type=ID, default=None, help="Only items at this review stage.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def disposal_list(
    status: str | None,
    class_code: str | None,
    action: str | None,
    stage: int | None,
    as_json: bool,
    as_user: str | None,
) -> None:
    """List the disposal queue, oldest due first."""
    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        if not actor.manages_records:
            raise RefusedError("only records managers see the disposal queue")
        items = list_queue(
            session, status=status, class_code=class_code, action=action, stage=stage
        )
        rows = items_as_dicts(session, items, viewer=actor)
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("edrm: the disposal queue is empty")
        return
    for r in rows:
        click.echo(
            f"{r['id']:>6}  doc {r['document_id']:<6} {r['action']:<9} due {r['due']}  "
            f"stage {r['stage']}/{r['stages']}  {r['status']:<10} {r['class_code']:<14} "
            f"{r['title']}" + (" (needs a cleared reviewer)" if r["withheld"] else "")
        )
        for why in r.get("blocked_by", ()):
            click.echo(f"        blocked by {why}")


@disposal.command("show")
@click.argument("item_id", type=ID)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def disposal_show(item_id: int, as_json: bool, as_user: str | None) -> None:
    """One queue item and its decisions."""
    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        if not actor.manages_records:
            raise RefusedError("only records managers see the disposal queue")
        item = session.get(DisposalItem, item_id)
        if item is None:
            raise NotFoundError(f"disposal item {item_id} not found")
        data = items_as_dicts(session, [item], viewer=actor)[0]
        data["decisions"] = [
            decision_as_dict(d, withheld=data["withheld"]) for d in decisions_for(session, item_id)
        ]
        data["progress"] = {k: v for k, v in (item.progress or {}).items() if k != "shas"}
    if as_json:
        _json_out(data)
        return
    if data["withheld"]:
        click.echo(f"item {data['id']}: {data['title']} (needs a cleared reviewer)")
    else:
        click.echo(f"item {data['id']}: document {data['document_id']} {data['title']}")
    click.echo(
        f"  {data['action']} under {data['rule']} (class {data['class_code']}), due {data['due']}"
    )
    click.echo(f"  {data['status']}, stage {data['stage']} of {data['stages']}")
    if data["last_error"]:
        click.echo(f"  last error: {data['last_error']}")
    for d in data["decisions"]:
        extra = f" (new date {d['new_date']})" if d["new_date"] else ""
        click.echo(
            f"  stage {d['stage']}: {d['decision']} by {d['decided_by']} "
            f"{d['decided_at'][:16]}{extra}: {d['reason'] or 'reason withheld'}"
        )


@disposal.command("decide")
@click.argument("item_ids", type=ID, nargs=-1, required=True)
@click.option("--approve", "decision", flag_value="approve", help="Approve (this stage).")
@click.option("--reject", "decision", flag_value="reject", help="Keep the record.")
@click.option("--refer", "decision", flag_value="refer", help="Pass to a further reviewer.")
@click.option(
    "--extend",
    "extend_to",
    type=DATE,
    default=None,
    metavar="DATE",
    help="Keep it out of the queue until DATE (YYYY-MM-DD).",
)
@click.option("--reason", required=True, help="Why (required for every decision).")
@click.option(
    "--date",
    "new_date",
    type=DATE,
    default=None,
    metavar="DATE",
    help="With --reject: the record's next review date (default: a year from today).",
)
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def disposal_decide(
    item_ids: tuple[int, ...],
    decision: str | None,
    extend_to: datetime | None,
    reason: str,
    new_date: datetime | None,
    as_user: str | None,
    as_json: bool,
) -> None:
    """Decide queue items: --approve, --reject, --extend DATE or --refer, with --reason.
    All or nothing: if any item is refused, none is decided (and each refusal is named)."""
    if extend_to is not None:
        if decision is not None:
            raise CliError("choose one of --approve, --reject, --extend DATE, --refer")
        decision, new_date = "extend", extend_to
    if decision is None:
        raise CliError("choose one of --approve, --reject, --extend DATE, --refer")
    if new_date is not None and decision not in ("reject", "extend"):
        raise CliError("--date goes with --reject")
    with runtime() as rt, rt.uow() as session:  # commits the audit of any refusal
        actor = _principal(session, as_user)
        result = decide_items(
            session, item_ids, decision, reason=reason, actor=actor, new_date=_day(new_date)
        )
        rows = items_as_dicts(session, result.decided, viewer=actor)
    if result.refused:
        _refused_out(result)
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(
            f"edrm: item {r['id']} (document {r['document_id']}): {decision} -> {r['status']}, "
            f"stage {r['stage']}/{r['stages']}"
        )


def _refused_out(result: BulkDecision) -> None:
    """Each reason a bulk decision was refused, once, as error lines; then exit 1."""
    for why in dict.fromkeys(r.why for r in result.refused):
        click.echo(f"edrm: error: {why}", err=True)
    if result.held_back:
        click.echo(
            f"edrm: error: none of the {result.asked} items was decided: a decision on several "
            "items is all or nothing",
            err=True,
        )
    sys.exit(1)


@disposal.command("execute")
@click.option("--limit", type=COUNT, default=None, help="At most this many items.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def disposal_execute(limit: int | None, as_json: bool, as_user: str | None) -> None:
    """Carry out approved disposal (and resume unfinished batches); certify complete batches."""
    with runtime() as rt:
        with rt.uow() as session:
            actor = _principal(session, as_user)
        result = execute_approved(rt, actor=actor, limit=limit)
    if as_json:
        _json_out(result.as_dict())
    else:
        if result.finished:
            ids = ", ".join(str(i) for i in result.finished)
            click.echo(f"edrm: destroyed {len(result.finished)} records (items {ids})")
        else:
            click.echo("edrm: nothing was destroyed")
        if result.reviewed:
            ids = ", ".join(str(i) for i in result.reviewed)
            click.echo(f"edrm: review items given their next review date: {ids}")
        if result.batches:
            click.echo(f"edrm: batches: {', '.join(str(b) for b in result.batches)}")
        for doc_id in result.certificates:
            click.echo(f"edrm: certificate of destruction filed as document {doc_id}")
        for item_id in result.held:
            click.echo(f"edrm: item {item_id} skipped: its record is under legal hold")
        for item_id in result.uncleared:
            click.echo(f"edrm: item {item_id} skipped: it needs a records manager cleared for it")
        for item_id, why in result.failed:
            click.echo(f"edrm: item {item_id} not finished: {why}", err=True)
        for problem in result.problems:
            click.echo(f"edrm: {problem}", err=True)
    if result.failed or result.problems:
        sys.exit(1)


@disposal.command("certificates")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def disposal_certificates(as_json: bool, as_user: str | None) -> None:
    """Certificates of destruction, newest first."""
    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        if not actor.manages_records:
            raise RefusedError("only records managers see certificates of destruction")
        rows = list_certificates(session)
    if as_json:
        _json_out(rows)
        return
    if not rows:
        click.echo("edrm: no certificates of destruction yet")
        return
    for r in rows:
        click.echo(
            f"batch {r['batch_id']:>5}  {r['records']:>6} records  completed "
            f"{(r['completed_at'] or '')[:16]}  certificate document {r['certificate_document_id']}"
            f" (schedule {r['schedule_document_id']})"
        )
