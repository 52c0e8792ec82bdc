"""Loading the demo: the default file plan, people of every role, folders and documents.

Runs once per data directory (a marker in system_state); a second run only reports. The
documents go through the real ingest pipeline:
1. the older two thirds are filed by their authors into the folder they chose (the pipeline
   still reads, describes and classifies them);
2. the classifier is trained on those;
3. the rest arrive with no destination, a few of them as degraded scans, so the classifier
   files the ones it is sure of and puts the others on their author's triage list.
A run that was interrupted can be run again: what was filed is found as a duplicate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import clock
from edrm.access import SYSTEM
from edrm.demo.corpus import DemoDocument, DemoUser, demo_folders, demo_users, generate_documents
from edrm.demo.scans import scan_as_pdf, scan_as_png
from edrm.documents.models import Document
from edrm.fileplan.io import read_file
from edrm.fileplan.models import FilePlanNode
from edrm.fileplan.service import close_folder, create_folder, import_rows
from edrm.ingest import jobs
from edrm.ingest.models import IngestJob
from edrm.people.models import User
from edrm.people.service import add_user
from edrm.runtime import Runtime
from edrm.system_state import get_state, set_state

DEMO_PASSWORD = "demo-password-2025"
DEMO_MARKER = "demo_loaded_at"
HISTORIC_SHARE = 2 / 3
SCAN_EVERY = 6  # every sixth newer document arrives as a scan


@dataclass(frozen=True)
class DemoResult:
    already_loaded: bool
    nodes: int
    users: int
    documents: int
    filed: int
    triage: int
    failed: int
    scans: int
    model: str
    sign_in: list[DemoUser]


Progress = Callable[[str], None]


def load_demo(runtime: Runtime, *, documents: int = 160, say: Progress | None = None) -> DemoResult:
    """Load the demo into an initialised data directory unless it is already there."""
    from edrm.ingest.training import retrain

    tell = say or (lambda _msg: None)
    users = demo_users()
    with runtime.uow() as session:
        if get_state(session, DEMO_MARKER):
            return DemoResult(True, 0, 0, 0, 0, 0, 0, 0, "", users)
        if (session.scalar(select(func.count()).select_from(FilePlanNode)) or 0) == 0:
            settings = runtime.settings
            import_rows(session, read_file(settings.config_path(settings.fileplan_file)), SYSTEM)
        _load_users(session, users)
        _load_folders(session)
    corpus = generate_documents(count=documents)
    cut = int(len(corpus) * HISTORIC_SHARE)
    historic, newer = corpus[:cut], corpus[cut:]
    tell(f"ingesting {len(historic)} filed documents through the pipeline")
    closed = _reopen_closed_folders(runtime)
    try:
        _ingest(runtime, historic, chosen_destination=True)
    finally:
        _close_again(runtime, closed)
    tell("training the classifier on them")
    training = retrain(runtime)
    tell(f"ingesting {len(newer)} new documents, some as scans, for the classifier to file")
    scans = _ingest(runtime, newer, chosen_destination=False)
    with runtime.uow() as session:
        set_state(session, DEMO_MARKER, clock.now().isoformat())
        counts: dict[str | None, int] = {
            outcome: n
            for outcome, n in session.execute(
                select(IngestJob.outcome, func.count()).group_by(IngestJob.outcome)
            )
        }
        nodes = session.scalar(select(func.count()).select_from(FilePlanNode)) or 0
        total = session.scalar(select(func.count()).select_from(Document)) or 0
    return DemoResult(
        False,
        nodes,
        len(users),
        total,
        counts.get("filed", 0),
        counts.get("triage", 0),
        counts.get("failed", 0),
        scans,
        training.message,
        users,
    )


def _load_users(session: Session, users: list[DemoUser]) -> None:
    for person in users:
        if session.scalar(select(User.id).where(User.username == person.username)):
            continue
        add_user(
            session,
            person.username,
            DEMO_PASSWORD,
            person.role,
            person.clearance,
            groups=person.groups,
            full_name=person.full_name,
            email=f"{person.username}@example.gov.uk",
            unit=person.unit,
        )


def _load_folders(session: Session) -> None:
    for folder in demo_folders():
        if session.scalar(select(FilePlanNode.id).where(FilePlanNode.code == folder.code)):
            continue
        create_folder(session, folder.code, folder.parent_code, folder.title)
        if folder.closed:
            close_folder(session, folder.code)


def _reopen_closed_folders(runtime: Runtime) -> list[str]:
    """Historic records went in before their folders were closed."""
    codes = [f.code for f in demo_folders() if f.closed]
    with runtime.uow() as session:
        for node in session.scalars(select(FilePlanNode).where(FilePlanNode.code.in_(codes))):
            node.closed = False
    return codes


def _close_again(runtime: Runtime, codes: list[str]) -> None:
    """Close the historic folders again, dated when their period ended (retention counts
    from then)."""
    closed_on = {f.code: f.closed_on for f in demo_folders() if f.closed}
    with runtime.uow() as session:
        for node in session.scalars(select(FilePlanNode).where(FilePlanNode.code.in_(codes))):
            node.closed = True
            day = closed_on.get(node.code)
            if day is not None:
                node.closed_at = dt.datetime(day.year, day.month, day.day, 17, tzinfo=dt.UTC)


def _as_scan(item: DemoDocument, n: int) -> tuple[str, bytes]:
    text = item.content.decode("utf-8", errors="replace")
    stem = item.filename.rsplit(".", 1)[0]
    if n % 2:
        return f"{stem} (scan).pdf", scan_as_pdf(text, seed=n)
    return f"{stem} (scan).png", scan_as_png(text, seed=n)


def _ingest(runtime: Runtime, items: list[DemoDocument], *, chosen_destination: bool) -> int:
    from edrm.ingest.worker import Worker

    batch = jobs.new_batch()
    names = {u.username: u.full_name for u in demo_users()}
    scans = 0
    with runtime.uow() as session:
        for n, item in enumerate(items):
            filename, content = item.filename, item.content
            if (
                not chosen_destination
                and n % SCAN_EVERY == SCAN_EVERY - 1
                and item.mime
                in (
                    "text/plain",
                    "text/markdown",
                )
            ):
                filename, content = _as_scan(item, n)
                scans += 1
            stored = runtime.blobs.put_bytes(content)
            jobs.submit_stored(
                session,
                stored.sha256,
                stored.size,
                filename,
                jobs.Submission(
                    submitted_by=item.creator,
                    source="demo",
                    batch=batch,
                    into_code=item.into_code if chosen_destination else None,
                    marking=item.marking,
                    hints={
                        "title": item.title,
                        "creator": names.get(item.creator, item.creator),
                        "description": item.description,
                        "doc_type": item.doc_type,
                        "declare": item.declare_record,
                        "created_at": item.created.isoformat(),
                    },
                ),
            )
    with Worker(runtime) as worker:
        finished = worker.drain(batch)
    _declare_records(runtime, finished)
    return scans


def _declare_records(runtime: Runtime, finished: list[IngestJob]) -> None:
    from edrm.documents.service import declare_record

    with runtime.uow() as session:
        for job in finished:
            if job.outcome == "filed" and job.document_id and (job.hints or {}).get("declare"):
                declare_record(session, job.document_id, actor=SYSTEM)
