"""`edrm backup DEST` and `edrm restore SRC`: an online, consistent snapshot of the running
installation, and putting one back into an empty data directory (`edrm.backup` says what a
backup holds, in which order it is taken, and what a crash leaves)."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import click

from edrm.backup.restore import destroyed_documents, record_restore, restore_backup
from edrm.backup.snapshot import take_backup
from edrm.cli.common import _json_out, _settings, friendly_errors, runtime
from edrm.db import current_revision, head_revision, migrate
from edrm.search_indexer import reindex
from edrm.wiring import build_runtime, open_blob_store


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def backup(dest: Path, as_json: bool) -> None:
    """Back the installation up into DEST while it runs (a DEST holding an earlier backup is
    updated: only new blobs are copied). The manifest is written last: a DEST without one is
    not a backup."""
    with runtime() as rt:
        report = take_backup(rt, dest)
    if as_json:
        _json_out(report.as_dict())
        return
    for warning in report.warnings:
        click.echo(f"edrm: warning: {warning}", err=True)
    for note in report.notes:
        click.echo(f"edrm: note: {note}")
    if report.destroyed_since_snapshot:
        click.echo(
            f"edrm: note: {len(report.destroyed_since_snapshot)} blob(s) were destroyed by"
            " disposal after the snapshot was taken (listed in the manifest)"
        )
    click.echo(
        f"edrm: backed up into {dest}: {report.database} database (schema {report.revision}),"
        f" {report.live_documents} documents, {report.blobs} blobs ({report.blobs_copied} copied)"
    )


@click.command("restore")
@click.argument("src", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def restore(src: Path, as_json: bool) -> None:
    """Restore the backup in SRC into an empty data directory (EDRM_HOME) and database, after
    checking every file against the manifest; then rebuild the search index."""
    settings = _settings()
    report = restore_backup(settings, src, open_blob_store(settings))
    with runtime(need_schema=False) as rt:
        if current_revision(rt.engine) != head_revision():
            migrate(rt.engine)
        report.destroyed_since_snapshot = destroyed_documents(rt.engine, report.destroyed_blobs)
        with rt.uow() as session:
            record_restore(session, report, settings.audit_key_path)
        indexed = reindex(rt.sessions, rt.search)
    if as_json:
        _json_out({**report.as_dict(), "indexed": indexed})
        return
    for warning in report.warnings:
        click.echo(f"edrm: warning: {warning}", err=True)
    for note in report.notes:
        click.echo(f"edrm: note: {note}")
    if report.destroyed_since_snapshot:
        ids = ", ".join(str(i) for i in report.destroyed_since_snapshot)
        click.echo(
            f"edrm: note: the content of document(s) {ids} was destroyed by a disposal run"
            " after the backup was taken: run `edrm disposal execute` to finish it"
        )
    click.echo(
        f"edrm: restored {src} (taken {report.taken_at}): {report.files_checked} files checked,"
        f" {report.blobs} blobs, search index rebuilt ({indexed} documents)"
    )


@click.command("migrate")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="The empty PostgreSQL database to copy into: postgresql://user:password@host/name.",
)
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def migrate_to(target: str, as_json: bool) -> None:
    """Copy this embedded (SQLite) installation's database into an empty PostgreSQL database:
    every table, the sequences, then check the audit chain there. Stop `edrm serve` and the
    workers first; afterwards point database_url at the new database and rebuild the search
    index (`edrm search reindex`)."""
    from edrm import audit
    from edrm.backup.to_postgresql import MigrateError, copy_to_postgresql

    settings = _settings()
    with runtime() as rt:
        report = copy_to_postgresql(rt.engine, target)
    moved = build_runtime(replace(settings, database_url=target))
    try:
        with moved.uow() as session:
            result = audit.verify(session)
    finally:
        moved.close()
    if not result.ok:
        where = f" at entry {result.first_bad_seq}" if result.first_bad_seq else ""
        raise MigrateError(
            f"copied to {report.target}, but its audit trail does NOT verify{where}:"
            f" {result.problem} ({result.damage}); keep using the SQLite database"
        )
    if as_json:
        _json_out({**asdict(report), "audit_checked": result.checked, "audit_intact": True})
        return
    for name in report.not_copied:
        click.echo(f"edrm: note: table {name} is not edrm's and was not copied")
    click.echo(
        f"edrm: copied {report.rows} rows of {report.tables} tables to {report.target};"
        f" sequences reset; audit trail intact ({result.checked} entries checked)"
    )
    click.echo(
        "edrm: next: set database_url (EDRM_DATABASE_URL) to the new database on every machine,"
        " then run `edrm search reindex`"
    )
