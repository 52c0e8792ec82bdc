"""`edrm leaver`: Leavers and the knowledge at risk when they go.

HR data: without --as the command acts as the system (an administrator at the console); with
--as it acts as that person, and only HR may see or change leavers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from edrm.cli.common import CliError, _json_out, _principal, as_option, friendly_errors, runtime
from edrm.search_service import catch_up
from harvest.interviews.filing import approve, file_harvest
from harvest.interviews.plans import open_plan, start_plan
from harvest.interviews.progress import unanswered
from harvest.interviews.questions import load_question_banks
from harvest.interviews.sessions import plan_as_dict, record_session
from harvest.leavers import (
    leaver_risk,
    leaver_status,
    list_leavers,
    register_leaver,
    set_criticality,
    username_of,
)
from harvest.loader import load_harvest_config


@click.group("leaver")
def leaver() -> None:
    """Leavers and the knowledge at risk when they go."""


def _date(value: str | None, what: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"{what}: give a date as YYYY-MM-DD, not {value!r}") from None


@leaver.command("add")
@click.argument("username")
@click.option("--date", "leaving", required=True, help="Leaving date (YYYY-MM-DD).")
@click.option("--successor", required=True, help="Who takes over the leaver's work.")
@click.option("--reason", default="", help="Why they are leaving (HR only; never shown to others).")
@click.option("--manager", default=None, help="Line manager (default: from the directory).")
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def leaver_add(
    username: str,
    leaving: str,
    successor: str,
    reason: str,
    manager: str | None,
    as_user: str | None,
    as_json: bool,
) -> None:
    """Register a leaver (or change their date, successor or manager)."""
    leaving_date = _date(leaving, "--date")
    assert leaving_date is not None
    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        row = register_leaver(
            session,
            username,
            leaving_date,
            successor=successor,
            reason=reason,
            manager=manager,
            actor=actor,
        )
        status = leaver_status(session, row.profile_id) or {}
        result = {
            "username": username_of(session, row.profile_id),
            "leaving_date": row.leaving_date.isoformat(),
            "left": status.get("left", False),
            "successor": username_of(session, row.successor_id),
            "line_manager": username_of(session, row.line_manager_id),
        }
    if as_json:
        _json_out(result)
        return
    manager_text = result["line_manager"] or "no line manager"
    click.echo(
        f"edrm: {result['username']} leaves on {result['leaving_date']}; successor "
        f"{result['successor']}; {manager_text}"
    )


def _risk_lines(risk: dict[str, Any]) -> list[str]:
    lines = [
        f"{risk['username']} ({risk['name']}) leaves on {risk['leaving_date']}"
        + (" (left)" if risk["left"] else f", in {risk['months_until_leaving']} month(s)"),
        f"threshold {risk['threshold']}; records from the last {risk['window_years']} year(s)",
    ]
    if not risk["classes"]:
        lines.append("no recent records: nothing at risk")
        return lines
    lines.append(f"{'class':<16} {'risk':>4} {'share':>6} {'sole':>9} {'crit':>4}  plan")
    for c in risk["classes"]:
        lines.append(
            f"{c['class_code']:<16} {c['risk']:>4} {c['share']:>6.2f} "
            f"{c['sole_created']:>4}/{c['records']:<4} {c['criticality']:>4}  "
            + ("required" if c["plan_required"] else "-")
        )
    return lines


@leaver.command("risk")
@click.argument("username")
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def leaver_risk_cmd(username: str, as_user: str | None, as_json: bool) -> None:
    """The classes where the leaver's knowledge is at risk, highest risk first."""
    with runtime() as rt, rt.uow() as session:
        config = load_harvest_config(rt.settings.config_dir)
        risk = leaver_risk(session, username, _principal(session, as_user), config).as_dict()
    if as_json:
        _json_out(risk)
        return
    for line in _risk_lines(risk):
        click.echo(line)


@leaver.command("list")
@click.option("--current", is_flag=True, help="Only people who have not left yet.")
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def leaver_list(current: bool, as_user: str | None, as_json: bool) -> None:
    """Every leaver by leaving date, with their risk and harvest progress."""
    with runtime() as rt, rt.uow() as session:
        config = load_harvest_config(rt.settings.config_dir)
        rows = [
            s.as_dict()
            for s in list_leavers(
                session, _principal(session, as_user), config, include_left=not current
            )
        ]
    if as_json:
        _json_out({"leavers": rows})
        return
    if not rows:
        click.echo("edrm: no leavers registered")
        return
    for r in rows:
        state = "left" if r["left"] else f"in {r['days_until_leaving']} day(s)"
        click.echo(
            f"{r['leaving_date']}  {r['username']:<16} {state:<14} risk {r['top_risk']:>2}  "
            f"{r['progress']:<12} successor {r['successor'] or '-'}"
            + ("  REMINDER: no interview held yet" if r["reminder_due"] else "")
        )


@leaver.command("criticality")
@click.argument("username")
@click.argument("class_code")
@click.argument("criticality", type=click.IntRange(1, 5))
@as_option
@friendly_errors
def leaver_criticality(
    username: str, class_code: str, criticality: int, as_user: str | None
) -> None:
    """Rate how critical a class is to the leaver's work, 1 (low) to 5 (vital)."""
    with runtime() as rt, rt.uow() as session:
        set_criticality(
            session, username, class_code, criticality, actor=_principal(session, as_user)
        )
    click.echo(f"edrm: {class_code} rated {criticality} for {username}")


# --- harvest plans --------------------------------------------------------------------------


@leaver.group("plan")
def plan() -> None:
    """Harvest interviews: start a plan, record sessions, approve, file."""


@plan.command("start")
@click.argument("username")
@click.option("--template", default=None, help="Question template (default: by job title).")
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def plan_start(username: str, template: str | None, as_user: str | None, as_json: bool) -> None:
    """Start the leaver's harvest plan from a question template."""
    with runtime() as rt, rt.uow() as session:
        row = start_plan(
            session,
            username,
            actor=_principal(session, as_user),
            config=load_harvest_config(rt.settings.config_dir),
            banks=load_question_banks(rt.settings.config_dir),
            template=template,
        )
        result: dict[str, Any] = {
            "template": row.template,
            "questions": len(row.questions),
            "focus_classes": row.focus_classes,
        }
    if as_json:
        _json_out(result)
        return
    focus = ", ".join(result["focus_classes"]) or "none"
    click.echo(
        f"edrm: harvest plan for {username} started from '{result['template']}': "
        f"{result['questions']} questions; focus {focus}"
    )


@plan.command("show")
@click.argument("username")
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def plan_show(username: str, as_user: str | None, as_json: bool) -> None:
    """Show the leaver's harvest plan (a view of a draft is audited)."""
    with runtime() as rt, rt.uow() as session:
        data = plan_as_dict(open_plan(session, username, _principal(session, as_user)))
    if as_json:
        _json_out(data)
        return
    click.echo(f"status {data['status']}; template {data['template']}")
    for q in data["questions"]:
        click.echo(f"[{q['id']}] {q['text']}")
        for text in q["answers"]:
            click.echo(f"    {text}")


@plan.command("session")
@click.argument("username")
@click.option("--held-on", default=None, help="Date held (YYYY-MM-DD).")
@click.option("--scheduled-for", default=None, help="Date planned (YYYY-MM-DD).")
@click.option("--attendee", "attendees", multiple=True, help="Who attended (repeatable).")
@click.option(
    "--answer", "answers", multiple=True, metavar="QUESTION_ID=TEXT", help="An answer (repeatable)."
)
@click.option("--follow-up", "follow_ups", multiple=True, help="A follow-up (repeatable).")
@as_option
@friendly_errors
def plan_session(
    username: str,
    held_on: str | None,
    scheduled_for: str | None,
    attendees: tuple[str, ...],
    answers: tuple[str, ...],
    follow_ups: tuple[str, ...],
    as_user: str | None,
) -> None:
    """Record an interview session with its answers."""
    parsed: dict[str, str] = {}
    for item in answers:
        qid, sep, text = item.partition("=")
        if not sep or not qid.strip():
            raise CliError(f"--answer {item!r}: use QUESTION_ID=TEXT")
        parsed[qid.strip()] = text
    with runtime() as rt, rt.uow() as session:
        row = record_session(
            session,
            username,
            actor=_principal(session, as_user),
            held_on=_date(held_on, "--held-on"),
            scheduled_for=_date(scheduled_for, "--scheduled-for"),
            attendees=attendees,
            answers=parsed,
            follow_ups=follow_ups,
        )
        click.echo(f"edrm: session {row.id} recorded with {len(row.answers)} answer(s)")


@plan.command("approve")
@click.argument("username")
@as_option
@friendly_errors
def plan_approve(username: str, as_user: str | None) -> None:
    """Approve the write-up (as the leaver or their line manager)."""
    with runtime() as rt, rt.uow() as session:
        who = _principal(session, as_user)
        approval = approve(session, username, actor=who)
        missing = unanswered(open_plan(session, username, who, audited=False))
        click.echo(
            f"edrm: approved as {approval.role.replace('_', ' ')}"
            + (f" (warning: {missing} question(s) have no answer)" if missing else "")
        )


@plan.command("file")
@click.argument("username")
@click.option("--marking", default=None, help="Security marking (default OFFICIAL-SENSITIVE).")
@click.option("--class", "class_code", default=None, help="File-plan class (default: top risk).")
@as_option
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def plan_file(
    username: str, marking: str | None, class_code: str | None, as_user: str | None, as_json: bool
) -> None:
    """File the approved write-up as a record owned by the successor."""
    with runtime() as rt:
        with rt.uow() as session:
            document = file_harvest(
                session,
                rt.blobs,
                username,
                actor=_principal(session, as_user),
                config=load_harvest_config(rt.settings.config_dir),
                marking=marking,
                class_code=class_code,
            )
            result = {
                "document_id": document.id,
                "identifier": document.identifier,
                "class_code": document.class_code,
                "marking": document.marking_value,
            }
        catch_up(rt)  # searchable at once when no running service holds the index
    if as_json:
        _json_out(result)
        return
    click.echo(
        f"edrm: filed {result['identifier']} in {result['class_code']} ({result['marking']})"
    )
