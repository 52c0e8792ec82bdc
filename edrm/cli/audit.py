"""`edrm audit`: the tamper-evident audit trail (verify its hash chain, show the newest entries)."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy import select

from edrm import audit
from edrm.cli.common import _json_out, friendly_errors, runtime


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def audit_verify(as_json: bool) -> None:
    """Check the whole hash chain; exit 1 naming the first bad entry if it was altered."""
    with runtime() as rt, rt.uow() as session:
        result = audit.verify(session)
    if as_json:
        _json_out(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
            }
        )
    elif result.ok:
        click.echo(f"edrm: audit trail intact ({result.checked} entries checked)")
    else:
        click.echo(
            f"edrm: audit trail BROKEN at entry {result.first_bad_seq}: {result.problem}",
            err=True,
        )
    if not result.ok:
        sys.exit(1)


@audit_group.command("log")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def audit_log(limit: int, as_json: bool) -> None:
    """Show the newest audit entries."""
    with runtime() as rt, rt.uow() as session:
        events = session.scalars(
            select(audit.AuditEvent).order_by(audit.AuditEvent.seq.desc()).limit(limit)
        ).all()
        rows: list[dict[str, Any]] = [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "object": f"{e.object_type}:{e.object_id}",
                "details": e.details_dict,
            }
            for e in events
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['seq']:>6} {r['at'][:19]} {r['actor']:<12} {r['action']:<18} {r['object']}")
