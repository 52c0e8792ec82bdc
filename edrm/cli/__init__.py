"""The `edrm` command line: a product interface that records managers and administrators script.

Each command opens its own unit of work; errors print as one line (`edrm: error: …`) with a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select

from edrm import audit
from edrm.cli.common import (
    CliError,
    _json_out,
    _principal,
    _settings,
    as_option,
    friendly_errors,
    runtime,
)
from edrm.db import current_revision, migrate
from edrm.settings import ensure_home, load_settings, secret_key


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="edrm")
def main() -> None:
    """edrm: records and knowledge management. Uses EDRM_HOME (default ./var) for its data."""


@main.command()
@friendly_errors
def init() -> None:
    """Create the data directory and bring the database schema up to date."""
    settings = _settings()
    if not settings.database_url:
        ensure_home(settings)
    else:
        settings.home.mkdir(parents=True, exist_ok=True)
        ensure_home(settings)
    secret_key(settings)
    with runtime(need_schema=False) as rt:
        before = current_revision(rt.engine)
        migrate(rt.engine)
        after = current_revision(rt.engine)
    where = settings.db_url if settings.database_url else str(settings.home.resolve())
    if before == after:
        click.echo(f"edrm: data directory {where} is up to date (schema {after})")
    else:
        click.echo(f"edrm: data directory {where} ready (schema {before or 'none'} -> {after})")


@main.command()
@click.option("--documents", default=160, show_default=True, help="How many demo documents.")
@friendly_errors
def demo(documents: int) -> None:
    """Load the demo (file plan, people of every role, documents) unless already loaded."""
    from edrm.demo.loader import DEMO_PASSWORD, load_demo
    from edrm.search_service import catch_up

    with runtime() as rt:
        result = load_demo(rt, documents=documents, say=lambda m: click.echo(f"edrm: demo: {m}"))
        catch_up(rt)
        _load_demo_areas(rt)
    if result.already_loaded:
        click.echo("edrm: the demo is already loaded.")
    else:
        click.echo(
            f"edrm: demo loaded: {result.nodes} file-plan nodes, {result.users} people, "
            f"{result.documents} documents ({result.filed} filed, {result.triage} on triage "
            f"lists, {result.failed} rejected; {result.scans} arrived as scans and were OCRed)."
        )
        click.echo(f"edrm: classifier: {result.model}")
    click.echo("")
    click.echo("Sign in at http://127.0.0.1:5000 with one of these demo accounts")
    click.echo(f"(password for all: {DEMO_PASSWORD}):")
    for user in result.sign_in:
        click.echo(f"  {user.username:<12} {user.role:<16} {user.clearance:<19} {user.full_name}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (setting 'host').")
@click.option("--port", type=int, default=None, help="Port to listen on (setting 'port').")
@friendly_errors
def serve(host: str | None, port: int | None) -> None:
    """Serve the web application."""
    import logging

    from waitress import serve as waitress_serve

    from edrm.web.app import create_app

    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings = load_settings(overrides)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with runtime():
        pass  # refuses to start on an uninitialised or out-of-date database
    app = create_app(overrides)
    from edrm.wiring.embedded import start_background

    background = start_background(app.extensions["edrm"])
    click.echo(f"edrm: serving on http://{settings.host}:{settings.port} (Ctrl-C stops)")
    try:
        waitress_serve(
            app,
            host=settings.host,
            port=settings.port,
            threads=settings.server_threads,
            ident="edrm",
        )
    finally:
        background.shutdown()


# --- people -----------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """Manage people's accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, help="civil_servant, records_manager, hr or administrator.")
@click.option(
    "--clearance", required=True, help="OFFICIAL, OFFICIAL-SENSITIVE, SECRET, TOP SECRET."
)
@click.option(
    "--group", "groups", multiple=True, help="A group the person belongs to (repeatable)."
)
@click.option("--full-name", default="", help="The person's name as shown.")
@click.option("--email", default="")
@click.option("--unit", default="", help="Organisational unit.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@friendly_errors
def user_add(
    username: str,
    role: str,
    clearance: str,
    groups: tuple[str, ...],
    full_name: str,
    email: str,
    unit: str,
    password_stdin: bool,
) -> None:
    """Add a person who can sign in."""
    from edrm.people.service import add_user

    if not password_stdin:
        raise CliError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    with runtime() as rt, rt.uow() as session:
        created = add_user(
            session,
            username,
            password,
            role,
            clearance,
            groups=groups,
            full_name=full_name,
            email=email,
            unit=unit,
        )
        click.echo(
            f"edrm: added {created.username} ({created.role_value}, {created.clearance_value})"
        )


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def user_list(as_json: bool) -> None:
    """List people."""
    from edrm.people.models import User

    with runtime() as rt, rt.uow() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        rows = [
            {
                "username": u.username,
                "full_name": u.full_name,
                "role": u.role_value,
                "clearance": u.clearance_value,
                "groups": sorted(g.name for g in u.groups),
                "active": u.active,
            }
            for u in users
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['username']:<14} {r['role']:<16} {r['clearance']:<19} {r['full_name']}")


# --- file plan --------------------------------------------------------------------------------


@main.group()
def fileplan() -> None:
    """Import, export and show the file plan."""


@fileplan.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@as_option
@friendly_errors
def fileplan_import(file: Path, as_user: str | None) -> None:
    """Create or update nodes from a CSV or TOML file; a bad file changes nothing."""
    from edrm.fileplan.io import read_file
    from edrm.fileplan.service import import_rows

    rows = read_file(file)
    with runtime() as rt, rt.uow() as session:
        summary = import_rows(session, rows, _principal(session, as_user))
    click.echo(
        f"edrm: file plan imported from {file}: {summary.created} created, "
        f"{summary.updated} updated, {summary.unchanged} unchanged"
    )


@fileplan.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "toml"]), default="csv")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to a file.")
@friendly_errors
def fileplan_export(fmt: str, output: Path | None) -> None:
    """Write the whole file plan (classes and folders) as CSV or TOML."""
    from edrm.fileplan.io import write_csv, write_toml
    from edrm.fileplan.service import export_rows

    with runtime() as rt, rt.uow() as session:
        rows = export_rows(session)
    text = write_csv(rows) if fmt == "csv" else write_toml(rows)
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"edrm: wrote {len(rows)} nodes to {output}", err=True)
    else:
        click.echo(text, nl=False)


@fileplan.command("show")
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-folders", is_flag=True, help="Classes only.")
@as_option
@friendly_errors
def fileplan_show(as_json: bool, no_folders: bool, as_user: str | None) -> None:
    """Show the file plan as a tree (what the person may see)."""
    from edrm.fileplan.service import TreeNode, tree

    with runtime() as rt, rt.uow() as session:
        roots = tree(session, _principal(session, as_user), include_folders=not no_folders)
    if as_json:
        _json_out([r.as_dict() for r in roots])
        return

    def show(node: TreeNode, depth: int) -> None:
        flags = " [closed]" if node.closed else ""
        marking = "" if node.marking == "OFFICIAL" else f" ({node.marking})"
        click.echo(f"{'  ' * depth}{node.code}  {node.title}{marking}{flags}")
        for child in node.children:
            show(child, depth + 1)

    for root in roots:
        show(root, 0)


@main.group()
def folder() -> None:
    """Create and close folders."""


@folder.command("create")
@click.argument("code")
@click.option("--under", "under", required=True, help="The class the folder sits in.")
@click.option("--title", required=True)
@click.option("--marking", default=None)
@as_option
@friendly_errors
def folder_create(
    code: str, under: str, title: str, marking: str | None, as_user: str | None
) -> None:
    """Create a folder under a class."""
    from edrm.fileplan.service import create_folder

    with runtime() as rt, rt.uow() as session:
        node = create_folder(
            session, code, under, title, actor=_principal(session, as_user), marking=marking
        )
        click.echo(f"edrm: folder {node.code} created under {under}")


@folder.command("close")
@click.argument("code")
@as_option
@friendly_errors
def folder_close(code: str, as_user: str | None) -> None:
    """Close a folder: nothing new can be filed in it."""
    from edrm.fileplan.service import close_folder

    with runtime() as rt, rt.uow() as session:
        close_folder(session, code, actor=_principal(session, as_user))
    click.echo(f"edrm: folder {code} closed")


# --- documents --------------------------------------------------------------------------------


@main.group()
def doc() -> None:
    """File, show, declare, move and fetch documents."""


@doc.command("add")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--into", "into", required=True, help="Class or folder code.")
@click.option("--title", default="")
@click.option("--marking", default=None)
@click.option("--creator", default="")
@click.option("--description", default="")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_add(
    file: Path,
    into: str,
    title: str,
    marking: str | None,
    creator: str,
    description: str,
    as_json: bool,
    as_user: str | None,
) -> None:
    """File a document directly (without the ingest pipeline)."""
    from edrm.documents.service import NewDocument, add_document, document_as_dict

    if not file.is_file():
        raise CliError(f"{file}: no such file")
    with runtime() as rt, rt.uow() as session, file.open("rb") as fh:
        document = add_document(
            session,
            rt.blobs,
            fh,
            NewDocument(
                filename=file.name,
                into_code=into,
                title=title,
                marking=marking,
                creator=creator,
                description=description,
            ),
            actor=_principal(session, as_user),
        )
        data = document_as_dict(document)
    if as_json:
        _json_out(data)
    else:
        click.echo(f"edrm: filed document {data['id']} '{data['title']}' in {into}")


@doc.command("show")
@click.argument("document_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def doc_show(document_id: int, as_json: bool, as_user: str | None) -> None:
    """Show a document's metadata and versions."""
    from edrm.access import get_visible_document
    from edrm.documents.service import document_as_dict, note_view
    from edrm.ingest.pipeline import document_ingest_view
    from retention.schedule import ensure_schedule, retention_of

    with runtime() as rt, rt.uow() as session:
        actor = _principal(session, as_user)
        document = get_visible_document(session, actor, document_id)
        note_view(session, document, actor)
        data = document_as_dict(document)
        data.update(document_ingest_view(session, document))
        ensure_schedule(session, rt.settings)
        data["retention"] = retention_of(session, document)
    if as_json:
        _json_out(data)
        return
    click.echo(f"{data['id']}: {data['title']}")
    click.echo(f"  class {data['class_code']}  folder {data['folder_code'] or '-'}")
    click.echo(f"  marking {data['marking']}  record {'yes' if data['is_record'] else 'no'}")
    kept = data["retention"]
    if kept["rule"]:
        due = kept["due"] or ("never" if kept["state"] == "permanent" else "when triggered")
        held = f"  under hold {', '.join(map(str, kept['holds']))}" if kept["holds"] else ""
        click.echo(f"  retention {kept['rule']}: {kept['action']} {due}{held}")
    for v in data["versions"]:
        click.echo(f"  v{v['number']} {v['filename']} {v['size']} bytes {v['sha256'][:12]}")


@doc.command("declare")
@click.argument("document_id", type=int)
@as_option
@friendly_errors
def doc_declare(document_id: int, as_user: str | None) -> None:
    """Declare a document a record: its content can no longer change."""
    from edrm.documents.service import declare_record

    with runtime() as rt, rt.uow() as session:
        declare_record(session, document_id, actor=_principal(session, as_user))
    click.echo(f"edrm: document {document_id} declared a record")


@doc.command("move")
@click.argument("document_id", type=int)
@click.option("--to", "to", required=True, help="Target class or folder code.")
@as_option
@friendly_errors
def doc_move(document_id: int, to: str, as_user: str | None) -> None:
    """Move a document to another class or folder (not into a closed folder)."""
    from edrm.documents.service import move_document

    with runtime() as rt, rt.uow() as session:
        move_document(session, document_id, to, actor=_principal(session, as_user))
    click.echo(f"edrm: document {document_id} moved to {to}")


@doc.command("get")
@click.argument("document_id", type=int)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.option("--version", "version", type=int, default=None, help="Version number (latest).")
@as_option
@friendly_errors
def doc_get(document_id: int, output: Path, version: int | None, as_user: str | None) -> None:
    """Write a document's content to a file."""
    from edrm.documents.service import open_content

    with runtime() as rt, rt.uow() as session:
        _doc, chosen = open_content(
            session, rt.blobs, document_id, actor=_principal(session, as_user), version=version
        )
        rt.blobs.copy_to(chosen.sha256, output)
    click.echo(f"edrm: wrote version {chosen.number} ({chosen.size} bytes) to {output}")


# --- audit ------------------------------------------------------------------------------------


@main.group("audit")
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
        rows = [
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


# --- ingest -----------------------------------------------------------------------------------


def _files_under(paths: tuple[Path, ...]) -> list[tuple[Path, str | None]]:
    """(file, problem) for every file named or inside a named folder, recursively, in order."""
    found: list[tuple[Path, str | None]] = []
    for path in paths:
        if path.is_dir():
            for inner in sorted(p for p in path.rglob("*") if p.is_file() and not p.is_symlink()):
                found.append((inner, None))
        elif path.is_file():
            found.append((path, None))
        else:
            found.append((path, "no such file or folder"))
    return found


def _job_line(path: Path, job: Any | None, problem: str | None = None) -> dict[str, Any]:
    if job is None:
        return {
            "path": str(path),
            "status": "failed",
            "document_id": None,
            "class_code": None,
            "confidence": None,
            "error": f"{path}: {problem}",
        }
    return {
        "path": str(path),
        "status": job.outcome or job.status,
        "document_id": job.document_id,
        "class_code": job.class_code,
        "confidence": round(job.confidence, 4) if job.confidence is not None else None,
        "error": job.error if job.outcome == "failed" else None,
        "job_id": job.id,
        "error_reason": job.error_reason,
    }


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--into", "into", default=None, help="File everything into this class or folder.")
@click.option("--marking", default=None, help="Security marking (raised, never lowered, by text).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input file.")
@as_option
@friendly_errors
def ingest(
    paths: tuple[Path, ...],
    into: str | None,
    marking: str | None,
    as_json: bool,
    as_user: str | None,
) -> None:
    """Ingest files and folders (recursively) through the pipeline, and wait for them."""
    from edrm.ingest import jobs
    from edrm.ingest.worker import Worker

    files = _files_under(paths)
    batch = jobs.new_batch()
    submitted: list[tuple[Path, int | None, str | None]] = []
    with runtime() as rt:
        with rt.uow() as session:
            actor = _principal(session, as_user)
        for path, problem in files:
            if problem:
                submitted.append((path, None, problem))
                continue
            with rt.uow() as session, path.open("rb") as fh:
                job = jobs.submit(
                    session,
                    rt.blobs,
                    fh,
                    path.name,
                    jobs.Submission(
                        submitted_by=actor.username,
                        source="cli",
                        batch=batch,
                        into_code=into,
                        marking=marking,
                        source_path=str(path),
                    ),
                )
                submitted.append((path, job.id, None))
        show_progress = not as_json and sys.stderr.isatty()
        with Worker(rt) as worker:
            if show_progress:
                with click.progressbar(
                    length=len(submitted), label="Ingesting", file=sys.stderr
                ) as bar:
                    state = {"done": 0}

                    def progress(done: int, total: int) -> None:
                        bar.length = max(total, 1)
                        bar.update(done - state["done"])
                        state["done"] = done

                    finished = worker.drain(batch, progress)
            else:
                finished = worker.drain(batch)
    by_id = {j.id: j for j in finished}
    lines = [
        _job_line(path, by_id.get(job_id) if job_id else None, problem)
        for path, job_id, problem in submitted
    ]
    children = [j for j in finished if j.source == "attachment"]
    for line in lines:
        kids = [
            _job_line(Path(c.original_name), c)
            for c in children
            if line.get("document_id") and c.parent_document_id == line["document_id"]
        ]
        if kids:
            line["attachments"] = kids
    if as_json:
        for line in lines:
            click.echo(json.dumps(line, ensure_ascii=False))
    else:
        _ingest_summary(lines)
    if any(line["status"] == "failed" for line in lines):
        sys.exit(1)


def _ingest_summary(lines: list[dict[str, Any]]) -> None:
    click.echo(f"{'file':<40} {'status':<9} {'doc':>6} {'class':<16} {'conf':>5}  error")
    for line in lines:
        name = Path(line["path"]).name
        name = name if len(name) <= 40 else name[:37] + "..."
        conf = f"{line['confidence']:.2f}" if line["confidence"] is not None else ""
        error = (line["error"] or "").split(": ", 1)[-1]
        click.echo(
            f"{name:<40} {line['status']:<9} {line['document_id'] or '':>6} "
            f"{line['class_code'] or '':<16} {conf:>5}  {error}"
        )
    totals: dict[str, int] = {}
    for line in lines:
        totals[line["status"]] = totals.get(line["status"], 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(totals.items()))
    click.echo(f"edrm: {len(lines)} file(s): {summary}")


@main.command()
@click.option("--processes", type=int, default=1, show_default=True, help="Worker processes.")
@friendly_errors
def worker(processes: int) -> None:
    """Run ingest workers until stopped (Ctrl-C)."""
    import logging
    import multiprocessing
    import os

    logging.basicConfig(level=_settings().log_level, format="%(asctime)s %(levelname)s %(message)s")
    if processes < 1:
        raise CliError("--processes must be at least 1")
    ocr_each = max(1, (os.cpu_count() or 1) // processes)
    if processes == 1:
        _worker_process(ocr_each)
        return
    children = [
        multiprocessing.get_context("spawn").Process(target=_worker_process, args=(ocr_each,))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    click.echo(f"edrm: {processes} ingest worker processes started (Ctrl-C stops)")
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        for child in children:
            child.terminate()


def _worker_process(ocr_processes: int) -> None:
    import signal

    from edrm.ingest.worker import Worker

    with runtime() as rt, Worker(rt, ocr_processes=ocr_processes) as w:
        signal.signal(signal.SIGTERM, lambda *_: w.stop_event.set())
        try:
            w.run_forever()
        except KeyboardInterrupt:
            w.stop_event.set()


@main.group()
def classifier() -> None:
    """The document classifier."""


@classifier.command("train")
@friendly_errors
def classifier_train() -> None:
    """Train the classifier on filed documents and triage corrections (atomic, versioned)."""
    from edrm.ingest.training import retrain

    with runtime() as rt:
        result = retrain(rt)
    click.echo(f"edrm: {result.message}")


@main.group(invoke_without_command=True)
@click.pass_context
@friendly_errors
def scheduler(ctx: click.Context) -> None:
    """Run the scheduler standalone (or `scheduler run JOB` / `scheduler list`)."""
    if ctx.invoked_subcommand is not None:
        return
    import logging
    import signal
    import threading

    from edrm.wiring.scheduler import start_scheduler

    logging.basicConfig(level=_settings().log_level, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with runtime() as rt:
        sched = start_scheduler(rt)
        click.echo("edrm: scheduler running (Ctrl-C stops)")
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        sched.shutdown()


@scheduler.command("run")
@click.argument("job_id")
@friendly_errors
def scheduler_run(job_id: str) -> None:
    """Run one scheduled job now (unless another process is running it)."""
    from edrm.wiring.scheduler import run_job

    with runtime() as rt:
        click.echo(f"edrm: {job_id}: {run_job(rt, job_id)}")


@scheduler.command("list")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def scheduler_list(as_json: bool) -> None:
    """The scheduled jobs, their schedule and their last run."""
    from edrm import job_lock
    from edrm.wiring.scheduler import load_definitions

    with runtime() as rt, rt.uow() as session:
        definitions = load_definitions(rt.settings.config_path("jobs.toml"))
        locks = {lock.job_id: lock for lock in job_lock.status(session)}
        rows = [
            {
                "id": d.id,
                "cron": d.cron,
                "function": d.function,
                "description": d.description,
                "last_started_at": _iso(locks[d.id].last_started_at) if d.id in locks else None,
                "last_result": locks[d.id].last_result if d.id in locks else None,
            }
            for d in definitions
        ]
    if as_json:
        _json_out(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:<22} {r['cron']:<14} {r['last_result'] or 'never run'}")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@main.group()
def triage() -> None:
    """Documents waiting for a person to choose their class."""


@triage.command("list")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def triage_list(as_json: bool, as_user: str | None) -> None:
    """The person's triage list, with suggestions."""
    from edrm.ingest.triage import triage_items

    with runtime() as rt, rt.uow() as session:
        items = triage_items(session, _principal(session, as_user))
    if as_json:
        _json_out(items)
        return
    for item in items:
        best = item["suggestions"][0] if item["suggestions"] else None
        hint = f"{best['class_code']} ({best['confidence']:.2f})" if best else "no suggestion"
        click.echo(f"{item['id']:>6}  {item['title'][:50]:<50}  {hint}")


@triage.command("file")
@click.argument("document_id", type=int)
@click.option("--to", "to", required=True, help="The class or folder to file it in.")
@as_option
@friendly_errors
def triage_file(document_id: int, to: str, as_user: str | None) -> None:
    """File a document from the triage list (a correction becomes training data)."""
    from edrm.ingest.triage import confirm

    with runtime() as rt, rt.uow() as session:
        confirm(session, document_id, to, actor=_principal(session, as_user))
    click.echo(f"edrm: document {document_id} filed in {to}")


@main.command("quarantine")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def quarantine_list(as_json: bool) -> None:
    """Rejected files kept in quarantine, with the reason."""
    from edrm.ingest.quarantine import listing

    settings = _settings()
    notes = listing(settings.quarantine_dir)
    if as_json:
        _json_out(notes)
        return
    for note in notes:
        click.echo(f"{note['job']:>6}  {note['reason']:<14} {note['error']}")


# --- search -----------------------------------------------------------------------------------


def _parse_facet_filters(values: tuple[str, ...]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for value in values:
        name, sep, wanted = value.partition("=")
        if not sep or not wanted:
            raise CliError(f"--filter {value!r}: use NAME=VALUE, e.g. --filter class=FIN-AP-INV")
        filters.setdefault(name.strip(), []).append(wanted.strip())
    return filters


@main.command()
@click.argument("words", nargs=-1, required=True)
@click.option("--limit", type=int, default=20, show_default=True, help="Hits per page.")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance")
@click.option("--filter", "filters", multiple=True, help="Facet filter NAME=VALUE (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def search(
    words: tuple[str, ...],
    limit: int,
    page: int,
    sort: str,
    filters: tuple[str, ...],
    as_json: bool,
    as_user: str | None,
) -> None:
    """Search the records (`edrm search reindex` rebuilds the index from the database)."""
    from edrm.search_service import catch_up, result_as_dict, search_documents
    from search.base import SearchError

    if words == ("reindex",):
        _reindex()
        return
    with runtime() as rt:
        catch_up(rt)
        with rt.uow() as session:
            try:
                result = search_documents(
                    session,
                    rt,
                    _principal(session, as_user),
                    " ".join(words),
                    filters=_parse_facet_filters(filters),
                    page=page,
                    per_page=limit,
                    sort=sort,  # type: ignore[arg-type]
                )
            except (SearchError, ValueError) as exc:
                raise CliError(str(exc)) from None
    data = result_as_dict(result)
    if as_json:
        _json_out(data)
        return
    if data["warning"]:
        click.echo(f"note: {data['warning']}")
    if data["did_you_mean"]:
        click.echo(f"did you mean: {data['did_you_mean']}")
    click.echo(f"{data['total']} result(s)")
    for hit in data["hits"]:
        click.echo(f"{hit['id']:>6}  {hit['score']:>7.2f}  {hit['class_code']:<16} {hit['title']}")


def _reindex() -> None:
    from edrm.search_indexer import reindex

    with runtime() as rt, rt.uow() as session:
        from sqlalchemy import func

        from edrm.documents.models import Document

        total = session.scalar(select(func.count()).select_from(Document)) or 0
    with runtime() as rt:
        if sys.stderr.isatty():
            with click.progressbar(length=total, label="Indexing", file=sys.stderr) as bar:
                state = {"done": 0}

                def progress(done: int) -> None:
                    bar.update(done - state["done"])
                    state["done"] = done

                count = reindex(rt.sessions, rt.search, progress)
        else:
            count = reindex(rt.sessions, rt.search)
    click.echo(f"edrm: search index rebuilt: {count} documents")


def _load_demo_areas(rt: Any) -> None:
    """The demo's retention (schedule, a hold, a first sweep) and knowledge (directory
    profiles, leavers); each is idempotent."""
    from edrm.search_service import catch_up
    from harvest.demo import load_demo_directory
    from harvest.demo_leavers import load_demo_leavers
    from retention.demo import load_demo_retention

    click.echo(f"edrm: demo: retention: {load_demo_retention(rt)}")
    click.echo(f"edrm: demo: directory: {load_demo_directory(rt)}")
    click.echo(f"edrm: demo: leavers: {load_demo_leavers(rt)} registered")
    catch_up(rt)


def _register_areas() -> None:
    from edrm.cli import disposal, events, experts, holds, leavers, people, retention, transfer

    for command in (
        retention.retention,
        events.event,
        holds.hold,
        disposal.disposal,
        transfer.transfer,
        people.people,
        experts.expert,
        leavers.leaver,
    ):
        main.add_command(command)


_register_areas()
