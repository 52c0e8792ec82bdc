"""`edrm retention`: The retention schedule, forecasts and the sweep."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from edrm import clock
from edrm.cli.common import CliError, _json_out, _principal, as_option, friendly_errors, runtime
from retention.forecast import forecast
from retention.loader import load_schedule, parse_schedule_csv, schedule_to_csv, schedule_to_toml
from retention.recompute import recompute
from retention.schedule import (
    current_schedule,
    delete_rule,
    ensure_schedule,
    fy_start_month,
    import_schedule,
    rule_as_dict,
    show,
)
from retention.stored_rules import rules_by_code
from retention.sweep import sweep


@click.group("retention")
def retention() -> None:
    """The retention schedule, forecasts and the sweep."""


def _parse_date(value: str | None, what: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"{what}: expected a date like 2031-03-31 (got {value!r})") from None


@retention.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--keep-missing",
    is_flag=True,
    help="Keep rules the file does not list (default: the file replaces the schedule).",
)
@click.option(
    "--reason", default="", help="Why the schedule changes (kept in each rule's history)."
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def retention_import(
    file: Path, keep_missing: bool, reason: str, as_json: bool, as_user: str | None
) -> None:
    """Load the retention schedule from a .toml or .csv file (rules in use cannot be removed)."""
    if not file.is_file():
        raise CliError(f"{file}: no such file")
    with runtime() as rt, rt.uow() as session:
        if file.suffix.lower() == ".csv":
            try:
                text = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise CliError(f"{file}: not UTF-8 text") from None
            schedule = parse_schedule_csv(text, str(file), fy_start_month=fy_start_month(session))
        else:
            schedule = load_schedule(file)
        result = import_schedule(
            session,
            schedule,
            actor=_principal(session, as_user),
            source=file.name,
            remove_missing=not keep_missing,
            reason=reason,
        )
    if as_json:
        _json_out(result.as_dict())
        return
    click.echo(
        f"edrm: retention schedule imported from {file.name}: {len(result.added)} added, "
        f"{len(result.updated)} updated, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed; {result.recomputed} records recomputed"
    )
    for what, codes in (("added", result.added), ("updated", result.updated)):
        if codes:
            click.echo(f"  {what}: {', '.join(codes)}")
    if result.removed:
        click.echo(f"  removed: {', '.join(result.removed)}")


@retention.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "toml"]), default="csv")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file.")
@friendly_errors
def retention_export(fmt: str, output: Path | None) -> None:
    """Write the retention schedule as CSV (for a spreadsheet) or TOML."""
    with runtime() as rt, rt.uow() as session:
        ensure_schedule(session, rt.settings)
        schedule = current_schedule(session)
    body = schedule_to_csv(schedule) if fmt == "csv" else schedule_to_toml(schedule)
    if output is None:
        click.echo(body, nl=False)
        return
    output.write_text(body, encoding="utf-8")
    click.echo(f"edrm: wrote {len(schedule.rules)} rules to {output}")


@retention.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def retention_list(as_json: bool) -> None:
    """The rules of the retention schedule."""
    with runtime() as rt, rt.uow() as session:
        ensure_schedule(session, rt.settings)
        rules = [rule_as_dict(r) for r in rules_by_code(session).values()]
    if as_json:
        _json_out(rules)
        return
    for r in rules:
        click.echo(f"{r['code']:<22} {r['describe']}")


@retention.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def retention_show(code: str, as_json: bool) -> None:
    """A rule (and the classes using it) or a class/folder (its rule and where it comes from)."""
    with runtime() as rt, rt.uow() as session:
        ensure_schedule(session, rt.settings)
        data = show(session, code)
    if as_json:
        _json_out(data)
        return
    if data["kind"] == "rule":
        _echo_rule(data["rule"])
        used = data["used_by"]
        nodes = ", ".join(used["nodes"]) or "no class or folder"
        click.echo(f"  used by    {nodes}; {used['documents']} record(s) by their own rule")
        click.echo(f"  filed today: {data['example']}")
        return
    node = data["node"]
    click.echo(f"{node['code']}: {node['title']} ({node['kind']})")
    if data["rule_code"] is None:
        click.echo("  no retention rule on this node or above it")
    elif data["unknown_rule"]:
        click.echo(f"  rule {data['rule_code']} is not in the retention schedule")
    else:
        where = "set here" if data["set_here"] else f"inherited from {data['inherited_from']}"
        click.echo(f"  rule {data['rule_code']} ({where})")
        _echo_rule(data["rule"], indent="  ")
    click.echo(f"  filed today: {data['consequence']}")


def _echo_rule(rule: dict[str, Any], indent: str = "") -> None:
    click.echo(f"{indent}{rule['code']}: {rule['title']}")
    click.echo(f"{indent}  due        {rule['describe']}")
    trigger = rule["trigger"] + (f", cut off at {rule['cutoff']}" if rule["cutoff"] else "")
    click.echo(f"{indent}  trigger    {trigger}")
    click.echo(f"{indent}  action     {rule['action']} ({rule['review_stages']} review stage(s))")
    click.echo(f"{indent}  authority  {rule['authority']}")


@retention.command("delete")
@click.argument("code")
@as_option
@friendly_errors
def retention_delete(code: str, as_user: str | None) -> None:
    """Delete a rule from the schedule (refused while anything uses it)."""
    with runtime() as rt, rt.uow() as session:
        delete_rule(session, code, actor=_principal(session, as_user))
    click.echo(f"edrm: retention rule {code} deleted")


@retention.command("sweep")
@click.option("--as-of", "as_of", default=None, help="Queue what is due by this date (today).")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def retention_sweep(as_of: str | None, as_json: bool, as_user: str | None) -> None:
    """Recompute retention and queue every record due (not held, not already queued).
    Never destroys anything."""
    day = _parse_date(as_of, "--as-of") or clock.now().date()
    with runtime() as rt, rt.uow() as session:
        ensure_schedule(session, rt.settings)
        result = sweep(session, as_of=day, actor=_principal(session, as_user))
    if as_json:
        _json_out(result.as_dict())
        return
    click.echo(
        f"edrm: sweep as of {day.isoformat()}: queued {len(result.queued)}, "
        f"held {result.held}, already queued {result.already_queued}, "
        f"recomputed {result.recomputed}"
    )
    if result.queued:
        shown = ", ".join(str(i) for i in result.queued[:20])
        more = f" … and {len(result.queued) - 20} more" if len(result.queued) > 20 else ""
        click.echo(f"  new queue items: {shown}{more}")


@retention.command("forecast")
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def retention_forecast(months: int, as_json: bool) -> None:
    """What falls due in the coming months, by class and action."""
    with runtime() as rt, rt.uow() as session:
        ensure_schedule(session, rt.settings)
        recompute(session, fy_start_month=fy_start_month(session))  # as of now, not last night
        rows = forecast(session, today=clock.now().date(), months=months)
    if as_json:
        _json_out([r.as_dict() for r in rows])
        return
    if not rows:
        click.echo(f"edrm: nothing falls due in the next {months} months")
        return
    click.echo(f"{'month':<8} {'class':<20} {'action':<12} {'records':>8}")
    for r in rows:
        click.echo(f"{r.month:<8} {r.class_code:<20} {r.action:<12} {r.count:>8}")


@retention.command("history")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def retention_history(code: str, as_json: bool) -> None:
    """Every version of a retention rule, newest first: what it became, who changed it, when,
    why, and how many records the change re-dated."""
    from retention.rule_history import history

    with runtime() as rt, rt.uow() as session:
        ensure_schedule(session, rt.settings)
        versions = history(session, code)
    if not versions:
        raise CliError(f"no retention rule {code!r} has ever been in the schedule")
    if as_json:
        _json_out(versions)
        return
    for v in versions:
        why = f" – {v['reason']}" if v["reason"] else ""
        what = v["rule"]["describe"] if v["rule"] else "removed"
        click.echo(
            f"v{v['version']} {v['changed_at'][:19]} {v['change']} by {v['changed_by']}{why}: "
            f"{what} ({v['records_redated']} records re-dated)"
        )
