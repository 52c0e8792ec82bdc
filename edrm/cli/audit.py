"""`edrm audit`: the tamper-evident audit trail (verify its hash chain, show the newest entries)."""

from __future__ import annotations

import sys

import click

from edrm import audit
from edrm.access import may_see_audit_history
from edrm.audit.search import SCAN_LIMIT, AuditQuery, entry_as_dict, search_audit
from edrm.cli.common import _json_out, _principal, as_option, friendly_errors, runtime
from edrm.errors import RefusedError


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
@as_option
@friendly_errors
def audit_log(limit: int, as_json: bool, as_user: str | None) -> None:
    """Show the newest audit entries (with --as, only those that person may see)."""
    with runtime() as rt, rt.uow() as session:
        viewer = _principal(session, as_user)
        if not may_see_audit_history(viewer):
            raise RefusedError("only records managers see the audit trail")
        found = search_audit(
            session, AuditQuery(), viewer=viewer, limit=limit, scan_limit=max(SCAN_LIMIT, limit)
        )
        rows = [entry_as_dict(e) for e in found.entries]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['seq']:>6} {r['at'][:19]} {r['actor']:<12} {r['action']:<18} {r['object']}")
