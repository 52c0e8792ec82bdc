"""The drop folder: files put in EDRM_HOME/inbox are ingested, then moved to done/ or failed/.

A file is taken only once its size and modification time have stayed the same for
`settle_seconds` (so one still being copied in is left alone). It is first moved into
`.received/` (an atomic rename), then submitted; files in `.received/` with no job (a crash
came between) are submitted on the next poll, and files whose job has finished move on to
`done/` or `failed/`. Files in a sub-folder named after a user are submitted as that user.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from edrm.ingest import jobs
from edrm.ingest.models import FAILED, IngestJob
from edrm.people.models import User
from edrm.runtime import Runtime

RECEIVED, DONE_DIR, FAILED_DIR = ".received", "done", "failed"
_SKIP = {RECEIVED, DONE_DIR, FAILED_DIR}


@dataclass
class DropFolder:
    runtime: Runtime
    settle_seconds: float = 2.0
    _seen: dict[Path, tuple[int, int, float]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.runtime.settings.inbox_dir

    def poll(self) -> int:
        """One pass: take settled files, resubmit orphans, move finished ones. Returns taken."""
        for name in _SKIP:
            (self.root / name).mkdir(parents=True, exist_ok=True)
        taken = sum(1 for path in self._settled_files() if self._take(path))
        self._submit_orphans()
        self._move_finished()
        return taken

    def _candidates(self) -> list[Path]:
        """Files at the top of the inbox and in its sub-folders (hidden files and links aside)."""
        found: list[Path] = []
        for entry in sorted(self.root.iterdir()):
            if entry.name.startswith(".") or entry.name in _SKIP or entry.is_symlink():
                continue
            if entry.is_file():
                found.append(entry)
            elif entry.is_dir():
                found.extend(
                    inner
                    for inner in sorted(entry.rglob("*"))
                    if inner.is_file() and not inner.is_symlink() and not inner.name.startswith(".")
                )
        return found

    def _settled_files(self) -> list[Path]:
        now = time.monotonic()
        settled: list[Path] = []
        current = set(self._candidates())
        for path in current:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            key = (st.st_size, st.st_mtime_ns)
            previous = self._seen.get(path)
            if previous is None or previous[:2] != key:
                self._seen[path] = (*key, now)
            elif now - previous[2] >= self.settle_seconds:
                settled.append(path)
        for gone in set(self._seen) - current:
            del self._seen[gone]
        return settled

    def _owner(self, path: Path) -> str:
        relative = path.relative_to(self.root)
        if len(relative.parts) > 1:
            username = relative.parts[0].lower()
            with self.runtime.uow() as session:
                if session.scalar(select(User.id).where(User.username == username)):
                    return username
        return "system"

    def _take(self, path: Path) -> bool:
        owner = self._owner(path)
        target = self.root / RECEIVED / f"{uuid.uuid4().hex[:12]}--{owner}--{path.name}"
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return False
        self._seen.pop(path, None)
        self._submit(target, owner, path.name)
        return True

    def _submit(self, received: Path, owner: str, original_name: str) -> None:
        with self.runtime.uow() as session, received.open("rb") as fh:
            jobs.submit(
                session,
                self.runtime.blobs,
                fh,
                original_name,
                jobs.Submission(
                    submitted_by=owner,
                    source="dropfolder",
                    batch="dropfolder",
                    source_path=str(received),
                ),
            )

    def _submit_orphans(self) -> None:
        received_dir = self.root / RECEIVED
        with self.runtime.uow() as session:
            known = set(
                session.scalars(
                    select(IngestJob.source_path).where(IngestJob.source == "dropfolder")
                )
            )
        for path in sorted(received_dir.iterdir()):
            if str(path) in known or not path.is_file():
                continue
            if time.time() - path.stat().st_mtime < 60 and path.stat().st_ctime > time.time() - 60:
                continue  # just moved here by a pass that is still submitting it
            parts = path.name.split("--", 2)
            owner, name = (parts[1], parts[2]) if len(parts) == 3 else ("system", path.name)
            self._submit(path, owner, name)

    def _move_finished(self) -> None:
        with self.runtime.uow() as session:
            finished = session.execute(
                select(IngestJob.source_path, IngestJob.status).where(
                    IngestJob.source == "dropfolder",
                    IngestJob.status.in_(("done", "failed")),
                    IngestJob.source_path.like(f"%{os.sep}{RECEIVED}{os.sep}%"),
                )
            ).all()
        for source_path, status in finished:
            if source_path is None:  # not matched by the LIKE; the column is nullable
                continue
            path = Path(source_path)
            if not path.exists():
                continue
            folder = FAILED_DIR if status == FAILED else DONE_DIR
            name = path.name.split("--", 2)[-1]
            target = _free_name(self.root / folder / name)
            os.replace(path, target)


def _free_name(target: Path) -> Path:
    if not target.exists():
        return target
    stem, suffix = target.stem, target.suffix
    n = 2
    while (candidate := target.with_name(f"{stem} ({n}){suffix}")).exists():
        n += 1
    return candidate
