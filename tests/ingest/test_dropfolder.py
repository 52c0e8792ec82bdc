"""The drop folder: settled files are ingested once and moved to done/ or failed/."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from edrm.ingest.dropfolder import DropFolder
from edrm.ingest.models import IngestJob
from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from tests.ingest import fixtures as fx


@pytest.fixture
def drop(runtime: Runtime, world_plan: None) -> DropFolder:
    return DropFolder(runtime, settle_seconds=0.0)


@pytest.fixture
def worker(runtime: Runtime, world_plan: None) -> Iterator[Worker]:
    with Worker(runtime) as w:
        yield w


def _jobs(runtime: Runtime) -> list[IngestJob]:
    with runtime.uow() as s:
        found = list(s.scalars(select(IngestJob).order_by(IngestJob.id)))
        for job in found:
            s.expunge(job)
        return found


def test_a_file_is_taken_only_after_it_has_settled(runtime: Runtime, drop: DropFolder) -> None:
    inbox = runtime.settings.inbox_dir
    (inbox / "note.txt").write_bytes(fx.utf8_txt())
    assert drop.poll() == 0, "the first sight of a file only starts its settling time"
    assert drop.poll() == 1
    assert _jobs(runtime)[0].source == "dropfolder"
    assert not (inbox / "note.txt").exists()


def test_a_file_still_growing_is_left_alone(runtime: Runtime, world_plan: None) -> None:
    drop = DropFolder(runtime, settle_seconds=0.0)
    path = runtime.settings.inbox_dir / "big.txt"
    path.write_bytes(b"part one\n")
    drop.poll()
    with path.open("ab") as fh:
        fh.write(b"part two\n")
    time.sleep(0.01)
    assert drop.poll() == 0, "it changed since the last pass"
    assert drop.poll() == 1


def test_finished_files_move_to_done_or_failed(
    runtime: Runtime, drop: DropFolder, worker: Worker
) -> None:
    inbox = runtime.settings.inbox_dir
    (inbox / "note.txt").write_bytes(fx.utf8_txt())
    (inbox / "program.pdf").write_bytes(fx.elf())
    drop.poll()
    drop.poll()
    while worker.run_one():
        pass
    drop.poll()
    assert (inbox / "done" / "note.txt").exists()
    assert (inbox / "failed" / "program.pdf").exists()
    assert list((inbox / ".received").iterdir()) == []


def test_a_file_in_a_users_folder_is_ingested_as_that_user(
    runtime: Runtime, drop: DropFolder
) -> None:
    from tests.conftest import add_person

    with runtime.uow() as s:
        add_person(s, "alice", "civil_servant", "OFFICIAL")
    (runtime.settings.inbox_dir / "alice").mkdir()
    (runtime.settings.inbox_dir / "alice" / "note.txt").write_bytes(fx.utf8_txt())
    drop.poll()
    drop.poll()
    assert _jobs(runtime)[0].submitted_by == "alice"


def test_a_received_file_with_no_job_is_submitted_again(runtime: Runtime, drop: DropFolder) -> None:
    """A crash between moving the file aside and committing its job loses nothing."""
    received = runtime.settings.inbox_dir / ".received"
    received.mkdir(parents=True, exist_ok=True)
    orphan = received / "abc123--system--note.txt"
    orphan.write_bytes(fx.utf8_txt())
    old = time.time() - 3600
    import os

    os.utime(orphan, (old, old))
    drop.poll()
    (job,) = _jobs(runtime)
    assert job.original_name == "note.txt"
    assert job.source_path == str(orphan)
