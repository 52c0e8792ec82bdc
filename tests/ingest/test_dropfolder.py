"""The drop folder: settled files are ingested once and moved to done/ or failed/, each filed as
the person its configured folder or its owner's mapped uid vouches for, and anything else
quarantined with the reason: nothing is filed as the system, and a folder named after a user
proves nothing."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from edrm.configfile import ConfigError
from edrm.documents.models import Document
from edrm.ingest.dropfolder import DropFolder
from edrm.ingest.models import IngestJob
from edrm.ingest.types import load_ingest_config
from edrm.ingest.worker import Worker
from edrm.people.models import User
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR
from tests.conftest import add_person
from tests.ingest import fixtures as fx


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The shipped config, in a folder of this test's own (so a test can add drop folders)."""
    folder = tmp_path / "config"
    shutil.copytree(DEFAULT_CONFIG_DIR, folder)
    return {**settings_overrides, "config_dir": str(folder)}


@pytest.fixture
def people(runtime: Runtime, world_plan: None) -> None:
    with runtime.uow() as s:
        add_person(s, "alice", "civil_servant", "OFFICIAL")
        add_person(s, "asmith", "civil_servant", "OFFICIAL")


@pytest.fixture
def drop(runtime: Runtime, people: None) -> DropFolder:
    return DropFolder(runtime, settle_seconds=0.0)


@pytest.fixture
def worker(runtime: Runtime, world_plan: None) -> Iterator[Worker]:
    with Worker(runtime) as w:
        yield w


def _configure(runtime: Runtime, toml: str) -> None:
    """Add drop-folder settings to this installation's config/ingest.toml."""
    path = runtime.settings.config_path("ingest.toml")
    path.write_text(path.read_text(encoding="utf-8") + "\n" + toml, encoding="utf-8")


def _drop(runtime: Runtime, relative: str, data: bytes | None = None) -> Path:
    path = runtime.settings.inbox_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fx.utf8_txt() if data is None else data)
    return path


def _jobs(runtime: Runtime) -> list[IngestJob]:
    with runtime.uow() as s:
        found = list(s.scalars(select(IngestJob).order_by(IngestJob.id)))
        for job in found:
            s.expunge(job)
        return found


def _documents(runtime: Runtime) -> int:
    with runtime.uow() as s:
        return s.scalar(select(func.count()).select_from(Document)) or 0


def _quarantine_note(runtime: Runtime, job: IngestJob) -> dict[str, Any]:
    note = runtime.settings.quarantine_dir / f"{job.id:06d}-{job.safe_name}.json"
    return dict(json.loads(note.read_text()))


def _run(drop: DropFolder, worker: Worker | None = None) -> None:
    drop.poll()
    drop.poll()
    if worker is not None:
        while worker.run_one():
            pass
    drop.poll()


def test_a_file_is_taken_only_after_it_has_settled(runtime: Runtime, drop: DropFolder) -> None:
    inbox = runtime.settings.inbox_dir
    _drop(runtime, "note.txt")
    assert drop.poll() == 0, "the first sight of a file only starts its settling time"
    assert drop.poll() == 1
    assert _jobs(runtime)[0].source == "dropfolder"
    assert not (inbox / "note.txt").exists()


def test_a_file_still_growing_is_left_alone(runtime: Runtime, drop: DropFolder) -> None:
    path = _drop(runtime, "big.txt", b"part one\n")
    drop.poll()
    with path.open("ab") as fh:
        fh.write(b"part two\n")
    time.sleep(0.01)
    assert drop.poll() == 0, "it changed since the last pass"
    assert drop.poll() == 1


def test_finished_files_move_to_done_or_failed(
    runtime: Runtime, drop: DropFolder, worker: Worker
) -> None:
    _configure(runtime, f'[dropfolder_owners]\n{os.getuid()} = "alice"\n')
    inbox = runtime.settings.inbox_dir
    _drop(runtime, "note.txt")
    _drop(runtime, "program.pdf", fx.elf())
    _run(drop, worker)
    assert (inbox / "done" / "note.txt").exists()
    assert (inbox / "failed" / "program.pdf").exists()
    assert list((inbox / ".received").iterdir()) == [], "nothing is left behind"


def test_a_folder_named_after_a_user_that_is_not_configured_is_quarantined_with_the_reason(
    runtime: Runtime, drop: DropFolder
) -> None:
    _drop(runtime, "alice/note.txt")
    _run(drop)
    (job,) = _jobs(runtime)
    assert job.outcome == "failed" and job.error_reason == "no_owner"
    assert job.submitted_by != "alice"
    assert job.error is not None and "'alice/'" in job.error and "[[dropfolder]]" in job.error
    note = _quarantine_note(runtime, job)
    assert note["reason"] == "no_owner" and note["error"] == job.error
    assert _documents(runtime) == 0
    assert (runtime.settings.inbox_dir / "failed" / "note.txt").exists()


def test_a_top_level_file_without_a_mapped_owner_is_quarantined_never_filed_as_the_system(
    runtime: Runtime, drop: DropFolder, worker: Worker
) -> None:
    _drop(runtime, "note.txt")
    _run(drop, worker)
    (job,) = _jobs(runtime)
    assert job.outcome == "failed" and job.error_reason == "no_owner"
    assert job.submitted_by != "system"
    assert job.error is not None and "top of the inbox" in job.error
    assert f"uid {os.getuid()}" in job.error
    assert _documents(runtime) == 0
    assert (runtime.settings.inbox_dir / "failed" / "note.txt").exists()


def test_a_configured_folder_files_as_its_user_into_its_class(
    runtime: Runtime, drop: DropFolder, worker: Worker
) -> None:
    _configure(runtime, '[[dropfolder]]\npath = "finance"\nuser = "asmith"\ninto = "FIN-AP-INV"\n')
    _drop(runtime, "finance/2025/note.txt")
    _run(drop, worker)
    (job,) = _jobs(runtime)
    assert job.outcome == "filed", job.error
    assert job.submitted_by == "asmith"
    with runtime.uow() as s:
        document = s.get(Document, job.document_id)
        asmith = s.scalar(select(User.id).where(User.username == "asmith"))
        assert document is not None
        assert document.class_code == "FIN-AP-INV"
        assert document.filed_by_id == asmith
    assert (runtime.settings.inbox_dir / "done" / "note.txt").exists()


def test_a_file_owned_by_a_mapped_uid_is_filed_as_that_user(
    runtime: Runtime, drop: DropFolder
) -> None:
    _configure(runtime, f'[dropfolder_owners]\n{os.getuid()} = "alice"\n')
    _drop(runtime, "note.txt")
    _run(drop)
    assert [j.submitted_by for j in _jobs(runtime)] == ["alice"]


def test_a_dropped_file_whose_name_is_not_utf8_is_filed_and_moved_on_like_any_other(
    runtime: Runtime, drop: DropFolder, worker: Worker
) -> None:
    _configure(runtime, '[[dropfolder]]\npath = "finance"\nuser = "asmith"\n')
    folder = runtime.settings.inbox_dir / "finance"
    folder.mkdir(parents=True)
    odd = os.fsdecode(os.fsencode(str(folder)) + b"/scan-\xff.txt")
    Path(odd).write_bytes(fx.utf8_txt())
    _drop(runtime, "finance/note.txt", b"Another note.\n")
    _run(drop, worker)
    assert {j.original_name: j.outcome for j in _jobs(runtime)} == {
        "scan-\\xff.txt": "triage",
        "note.txt": "triage",
    }
    done = runtime.settings.inbox_dir / "done"
    assert sorted(os.listdir(os.fsencode(done))) == [b"note.txt", b"scan-\xff.txt"]


def test_a_configured_user_without_an_account_is_quarantined_with_the_reason(
    runtime: Runtime, drop: DropFolder
) -> None:
    _configure(runtime, '[[dropfolder]]\npath = "legal"\nuser = "nobody-here"\n')
    _drop(runtime, "legal/opinion.txt")
    _run(drop)
    (job,) = _jobs(runtime)
    assert job.error_reason == "no_owner"
    assert job.error is not None and "'nobody-here', who has no active edrm account" in job.error


def test_a_received_file_with_no_job_is_submitted_again_as_its_folder_says(
    runtime: Runtime, drop: DropFolder
) -> None:
    """A crash between moving the file aside and committing its job loses nothing."""
    _configure(runtime, '[[dropfolder]]\npath = "finance"\nuser = "asmith"\n')
    orphan = runtime.settings.inbox_dir / ".received" / "abc123" / "finance" / "note.txt"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(fx.utf8_txt())
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    drop.poll()
    (job,) = _jobs(runtime)
    assert job.original_name == "note.txt"
    assert job.source_path == str(orphan)
    assert job.submitted_by == "asmith"


def test_a_received_file_named_for_a_user_the_old_way_is_not_filed_as_them(
    runtime: Runtime, drop: DropFolder
) -> None:
    """`<token>--<user>--<name>` (what edrm kept there before) names no one: the name is any
    dropper's to choose."""
    orphan = runtime.settings.inbox_dir / ".received" / "abc123--alice--note.txt"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(fx.utf8_txt())
    old = time.time() - 3600
    os.utime(orphan, (old, old))
    drop.poll()
    (job,) = _jobs(runtime)
    assert job.original_name == "note.txt"
    assert job.error_reason == "no_owner" and job.submitted_by == ""


def test_a_drop_folder_entry_that_leaves_the_inbox_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "ingest.toml"
    shipped = (DEFAULT_CONFIG_DIR / "ingest.toml").read_text(encoding="utf-8")
    path.write_text(shipped + '\n[[dropfolder]]\npath = "../etc"\nuser = "asmith"\n')
    with pytest.raises(ConfigError) as caught:
        load_ingest_config(path)
    message = str(caught.value)
    assert "dropfolder 1 (../etc)" in message and "'path'" in message, message
