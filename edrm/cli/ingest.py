"""`edrm ingest`, `edrm triage` and `edrm quarantine`: files through the ingest pipeline, the
documents waiting for a person to choose their class, and the files the pipeline rejected.

`edrm ingest` submits every file as a job of one batch, then drains that batch in-process; a
crash leaves the submitted jobs in the database, where `edrm worker` or the service's workers
take them up.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from edrm.cli.common import (
    ID,
    _json_out,
    _principal,
    _settings,
    as_option,
    friendly_errors,
    runtime,
)
from edrm.documents.contributors import submission_hints
from edrm.documents.filenames import storable
from edrm.ingest import jobs
from edrm.ingest.quarantine import listing
from edrm.ingest.triage import confirm, triage_items
from edrm.runtime import Runtime
from edrm.storage import StoredBlob

if TYPE_CHECKING:
    from edrm.ingest.worker import Worker

Submitted = tuple[Path, int | None, str | None]
"""An input file, its job id (None if it could not be submitted) and the problem if so."""


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
    """The result for one input file. Its path is printable text even when the name is not
    valid UTF-8 (the odd bytes are written out as \\xNN)."""
    shown = storable(str(path))
    if job is None:
        return {
            "path": shown,
            "status": "failed",
            "document_id": None,
            "class_code": None,
            "confidence": None,
            "error": f"{shown}: {problem}",
        }
    return {
        "path": shown,
        "status": job.outcome or job.status,
        "document_id": job.document_id,
        "class_code": job.class_code,
        "confidence": round(job.confidence, 4) if job.confidence is not None else None,
        "error": job.reported_error,
        "job_id": job.id,
        "error_reason": job.error_reason,
    }


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--into", "into", default=None, help="File everything into this class or folder.")
@click.option("--marking", default=None, help="Security marking (raised, never lowered, by text).")
@click.option(
    "--creator",
    "creators",
    multiple=True,
    metavar="USER",
    help="A person who made the files (username, e-mail or name); repeat for several.",
)
@click.option(
    "--contributor",
    "contributors",
    multiple=True,
    metavar="USER",
    help="A person who contributed to the files; repeat for several.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per input file.")
@click.option(
    "--processes",
    type=click.IntRange(1, 256),
    default=None,
    help="Worker processes reading the files (default: one per core, one per 32 files).",
)
@as_option
@friendly_errors
def ingest(
    paths: tuple[Path, ...],
    into: str | None,
    marking: str | None,
    creators: tuple[str, ...],
    contributors: tuple[str, ...],
    as_json: bool,
    processes: int | None,
    as_user: str | None,
) -> None:
    """Ingest files and folders (recursively) through the pipeline, and wait for them.

    Every file is credited to the --creator and --contributor people named (besides any the
    file's own properties identify, such as its author or an e-mail's sender and recipients).
    The files are read by --processes worker processes (this one and forked helpers; by
    default one per core, but no more than one per 32 files: a helper's start-up costs about
    what 30 small files take)."""
    # heavy: loads the format readers and the classifier
    from edrm.ingest.worker import Helpers, Worker, default_processes, ocr_share
    from edrm.wiring import build_runtime

    files = _files_under(paths)
    batch = jobs.new_batch()
    with runtime() as rt:
        with rt.uow() as session:
            hints = submission_hints(session, creators, contributors)
        readable = sum(1 for _path, problem in files if not problem)
        count = max(1, min(processes or default_processes(readable), readable))
        # the helpers open their workers while the files are being stored
        helpers = Helpers(lambda: build_runtime(rt.settings), batch, count - 1, ocr_share(count))
        try:
            submitted = _submit(
                rt, files, batch, into=into, marking=marking, as_user=as_user, hints=hints
            )
            helpers.submitted()
            with Worker(rt, ocr_processes=ocr_share(count)) as worker:
                show_progress = not as_json and sys.stderr.isatty()
                finished = _drain(worker, batch, len(submitted), show_progress=show_progress)
        except BaseException:
            helpers.stop()  # what they claimed goes back to the queue (their process is gone)
            raise
        helpers.join()
    lines = _result_lines(submitted, finished)
    if as_json:
        for line in lines:
            click.echo(json.dumps(line, ensure_ascii=False))
    else:
        _ingest_summary(lines)
    if any(line["status"] == "failed" or line["error"] for line in lines):
        sys.exit(1)  # failed, or not filed where --into said (kept on the triage list)


SUBMIT_THREADS = 8  # files copied into the blob store at once (each waits for its fsync)
SUBMIT_CHUNK = 100  # job rows added per transaction


def _submit(
    rt: Runtime,
    files: list[tuple[Path, str | None]],
    batch: str,
    *,
    into: str | None,
    marking: str | None,
    as_user: str | None,
    hints: dict[str, Any] | None = None,
) -> list[Submitted]:
    """Submit each readable file as a job of the batch; a file that cannot be read is a failed
    line of its own.

    The bytes are copied into the blob store by a few threads at once (most of a small file's
    copy is the wait for its fsync, which they share), then the job rows are added, up to
    SUBMIT_CHUNK a transaction. Crash story: the bytes are durable before any row names them;
    a crash loses only rows not yet committed (their files were not submitted: the command
    did not finish), never a committed job's bytes."""
    with rt.uow() as session:
        actor = _principal(session, as_user)
    readable = [path for path, problem in files if not problem]
    with ThreadPoolExecutor(max_workers=SUBMIT_THREADS) as pool:
        stored = dict(zip(readable, pool.map(lambda p: _store(rt, p), readable), strict=True))
    submitted: list[Submitted] = []
    for start in range(0, len(files), SUBMIT_CHUNK):
        with rt.uow() as session:
            for path, problem in files[start : start + SUBMIT_CHUNK]:
                blob = stored.get(path)
                if problem or not isinstance(blob, StoredBlob):
                    submitted.append((path, None, problem or str(blob)))
                    continue
                job = jobs.submit_stored(
                    session,
                    blob.sha256,
                    blob.size,
                    path.name,
                    jobs.Submission(
                        submitted_by=actor.username,
                        source="cli",
                        batch=batch,
                        into_code=into,
                        marking=marking,
                        source_path=str(path),
                        hints=hints,
                    ),
                )
                submitted.append((path, job.id, None))
    return submitted


def _store(rt: Runtime, path: Path) -> StoredBlob | str:
    """The file's bytes in the blob store, or why it cannot be read."""
    try:
        with path.open("rb") as fh:
            return rt.blobs.put_stream(fh)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"


def _drain(worker: Worker, batch: str, count: int, *, show_progress: bool) -> list[Any]:
    """Run the batch to the end, with a progress bar on a terminal."""
    if not show_progress:
        return worker.drain(batch)
    with click.progressbar(length=count, label="Ingesting", file=sys.stderr) as bar:
        state = {"done": 0}

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - state["done"])
            state["done"] = done

        return worker.drain(batch, progress)


def _result_lines(submitted: list[Submitted], finished: list[Any]) -> list[dict[str, Any]]:
    """One line per input file, in order, with the attachments it spawned under it."""
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
    return lines


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


@click.group("triage")
def triage() -> None:
    """Documents waiting for a person to choose their class."""


@triage.command("list")
@click.option("--json", "as_json", is_flag=True)
@as_option
@friendly_errors
def triage_list(as_json: bool, as_user: str | None) -> None:
    """The person's triage list, with suggestions."""
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
@click.argument("document_id", type=ID)
@click.option("--to", "to", required=True, help="The class or folder to file it in.")
@as_option
@friendly_errors
def triage_file(document_id: int, to: str, as_user: str | None) -> None:
    """File a document from the triage list (a correction becomes training data)."""
    with runtime() as rt, rt.uow() as session:
        confirm(session, document_id, to, actor=_principal(session, as_user))
    click.echo(f"edrm: document {document_id} filed in {to}")


@click.command("quarantine")
@click.option("--json", "as_json", is_flag=True)
@friendly_errors
def quarantine_list(as_json: bool) -> None:
    """Rejected files kept in quarantine, with the reason."""
    settings = _settings()
    notes = listing(settings.quarantine_dir)
    if as_json:
        _json_out(notes)
        return
    for note in notes:
        click.echo(f"{note['job']:>6}  {note['reason']:<14} {note['error']}")
