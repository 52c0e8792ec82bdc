"""`edrm audit`: the tamper-evident audit trail (verify its MAC chain and checkpoints, show the
newest entries, rotate its key, checkpoint its head now)."""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from edrm import audit
from edrm.access import may_see_audit_history
from edrm.audit.jobs import checkpoint_now, describe
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
    """Check the whole chain and the checkpoints kept outside the database; exit 1 naming the
    first bad entry and the kind of damage if the trail was altered."""
    with runtime() as rt, rt.uow() as session:
        result = audit.verify(session)
    if as_json:
        _json_out(
            {
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
                "intact": result.ok,
                "first_bad": result.first_bad_seq,
                "damage": result.damage,
                "checkpoints": result.checkpoints,
            }
        )
    elif result.ok:
        click.echo(f"edrm: audit trail intact ({result.checked} entries checked)")
    else:
        where = f" at entry {result.first_bad_seq}" if result.first_bad_seq else ""
        click.echo(f"edrm: audit trail BROKEN{where}: {result.problem} ({result.damage})", err=True)
    if not result.ok:
        sys.exit(1)


@audit_group.command("rotate-key")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def audit_rotate_key(as_json: bool) -> None:
    """Put a new audit key in force. The old keys stay in the key file, so older entries still
    verify; the rotation is an entry of the chain, MACed with the old key."""
    with runtime() as rt, rt.uow() as session:
        rotation = audit.rotate_key(session)
    if as_json:
        _json_out(
            {
                "old_key_id": rotation.old_key_id,
                "new_key_id": rotation.new_key_id,
                "seq": rotation.seq,
            }
        )
        return
    click.echo(
        f"edrm: audit key rotated: {rotation.old_key_id} -> {rotation.new_key_id}"
        f" (entry {rotation.seq})"
    )


@audit_group.command("checkpoint")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def audit_checkpoint(as_json: bool) -> None:
    """Write the chain's head to the checkpoint log now (and to syslog and the time-stamp
    authority when configured), as the hourly job does."""
    with runtime() as rt:
        written = checkpoint_now(rt)
    cp = written.checkpoint
    if as_json:
        _json_out(
            {
                "seq": cp.seq if cp else None,
                "hash": cp.hash if cp else None,
                "syslog": written.syslog,
                "timestamp_token": str(written.token) if written.token else None,
                "problem": written.problem,
            }
        )
        return
    click.echo(f"edrm: {describe(written)}")


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


@audit_group.command("access")
@click.option("--document", "document_id", type=int, help="only accesses to this record (its id)")
@click.option("--person", default="", help="only this person's accesses (a username)")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), help="from this day")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), help="to this day, inclusive")
@click.option("--limit", default=1000, show_default=True, help="accesses listed (0: all)")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="write them all as CSV")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def audit_access(
    document_id: int | None,
    person: str,
    date_from: Any,
    date_to: Any,
    limit: int,
    csv_path: str | None,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Who viewed, previewed or downloaded which record (records managers; only the records
    they may see), newest first, with totals by record and by person."""
    from edrm.audit.access_report import COLUMNS, AccessQuery, access_report

    query = AccessQuery(
        document_id=document_id,
        person=person.strip(),
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
    )
    with runtime() as rt, rt.uow() as session:
        viewer = _principal(session, as_user)
        everything = bool(csv_path) or limit == 0
        report = access_report(session, query, viewer=viewer, limit=None if everything else limit)
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(a.as_dict() for a in report.accesses)
    if as_json:
        _json_out(report.as_dict())
        return
    if csv_path:
        click.echo(f"edrm: {len(report.accesses)} accesses written to {csv_path}")
        return
    for a in report.accesses:
        click.echo(f"{a.at[:19]} {a.person:<12} {a.access:<10} {a.document_id:>6} {a.title}")
    if report.truncated:
        click.echo(f"edrm: the newest {limit} shown; --limit 0 or --csv for all", err=True)
