"""The drop folder: files put in EDRM_HOME/inbox are ingested, then moved to done/ or failed/.

Who a dropped file is filed as is never guessed, and never the system (config/ingest.toml):
- a file in a sub-folder listed as a `[[dropfolder]]` entry is filed as that entry's user (into
  its class, when it names one); the deepest listed folder counts;
- otherwise a file whose owner (its Unix uid) is listed in `[dropfolder_owners]` is filed as
  the user it is mapped to (a file with several hard links shows no one: it is not);
- anything else, or a user with no active account, is quarantined with the reason (a failed
  job; the original kept in the quarantine with its note) and moved to failed/.

A file is taken only once its size and modification time have stayed the same for
`settle_seconds` (so one still being copied in is left alone). It is first moved to
`.received/<token>/<its path below the inbox>` (an atomic rename that keeps its owner and the
folder it was dropped in), then decided and submitted; files in `.received/` with no job (a
crash came between) are decided the same way and submitted on the next poll, and files whose
job has finished move on to `done/` or `failed/`. `.received/` belongs to the service and no one
else may write to it (what is in it is taken as dropped where its path says).
"""

from __future__ import annotations

import logging
import os
import stat
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.documents.filenames import storable
from edrm.ingest import jobs
from edrm.ingest.filing import mark_failed
from edrm.ingest.models import DONE, FAILED, IngestJob
from edrm.ingest.types import DropFolderConfig, RejectedInputError, load_ingest_config
from edrm.people.models import User
from edrm.runtime import Runtime

log = logging.getLogger(__name__)
RECEIVED, DONE_DIR, FAILED_DIR = ".received", "done", "failed"
_SKIP = {RECEIVED, DONE_DIR, FAILED_DIR}
_IN_CLAUSE = 500


@dataclass(frozen=True)
class Owner:
    """Who a dropped file is filed as (and where), or why no one is (`user` None)."""

    user: str | None
    into: str | None = None
    vouched_by: str = ""  # "the drop folder 'finance'", "its owner (uid 1001)"
    reason: str = ""  # why it is not filed


def decide(relative: PurePath, uid: int, links: int, config: DropFolderConfig) -> Owner:
    """Who a file dropped at `relative` (below the inbox), owned by `uid`, is filed as."""
    folders = relative.parts[:-1]
    entry = max(
        (e for e in config.folders if folders[: len(e.path)] == e.path),
        key=lambda e: len(e.path),
        default=None,
    )
    if entry is not None:
        return Owner(entry.user, entry.into, f"the drop folder {entry.name!r}")
    where = f"in the folder '{storable(folders[0])}/'" if folders else "at the top of the inbox"
    user = config.owners.get(uid)
    if user is None:
        return Owner(
            None,
            reason=f"no one vouches for it: it was dropped {where}, which no [[dropfolder]] "
            f"entry lists, and its owner (uid {uid}) is not mapped to a user in "
            "[dropfolder_owners]",
        )
    if links > 1:
        return Owner(
            None,
            reason=f"no one vouches for it: it was dropped {where} and has {links} hard links, "
            f"so its owner (uid {uid}) does not show who dropped it",
        )
    return Owner(user, None, f"its owner (uid {uid})")


def _with_account(session: Session, owner: Owner) -> Owner:
    """The owner, if their account exists and is active; otherwise why the file is not filed."""
    if owner.user is None:
        return owner
    active = session.scalar(select(User.active).where(User.username == owner.user))
    if active:
        return owner
    return Owner(
        None,
        reason=f"{owner.vouched_by} files as {owner.user!r}, who has no active edrm account",
    )


@dataclass
class DropFolder:
    runtime: Runtime
    settle_seconds: float = 2.0
    config: DropFolderConfig | None = None  # None: config/ingest.toml's, read at the first pass
    _seen: dict[Path, tuple[int, int, float]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.runtime.settings.inbox_dir

    @property
    def received_dir(self) -> Path:
        return self.root / RECEIVED

    def rules(self) -> DropFolderConfig:
        if self.config is None:
            path = self.runtime.settings.config_path("ingest.toml")
            self.config = load_ingest_config(path).dropfolder
        return self.config

    def poll(self) -> int:
        """One pass: take settled files, resubmit orphans, move finished ones. Returns taken."""
        for name in (DONE_DIR, FAILED_DIR):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        problem = _private_folder(self.received_dir)
        if problem:
            log.error("drop folder: %s; no file is taken until that is put right", problem)
            return 0
        self.rules()
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

    def _take(self, path: Path) -> bool:
        """Move the file aside under a token of its own, keeping its path, then submit it."""
        target = self.received_dir / uuid.uuid4().hex[:12] / path.relative_to(self.root)
        target.parent.mkdir(mode=0o700, parents=True)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            _prune(target.parent, self.received_dir)
            return False
        self._seen.pop(path, None)
        self._submit(target)
        return True

    def _submit(self, received: Path) -> None:
        """Submit a received file as the person something vouches for, or quarantine it."""
        relative, name = _dropped_at(received, self.received_dir)
        st = received.stat()
        decided = decide(relative, st.st_uid, st.st_nlink, self.rules())
        with self.runtime.uow() as session, received.open("rb") as fh:
            owner = _with_account(session, decided)
            job = jobs.submit(
                session,
                self.runtime.blobs,
                fh,
                name,
                jobs.Submission(
                    submitted_by=owner.user or "",
                    source="dropfolder",
                    batch="dropfolder",
                    into_code=owner.into,
                    source_path=str(received),
                ),
            )
            if owner.user is None:
                error = RejectedInputError("no_owner", owner.reason)
                settings = self.runtime.settings
                mark_failed(session, job, error, self.runtime.blobs, settings.quarantine_dir)
                log.warning("drop folder: %s", job.error)

    def _submit_orphans(self) -> None:
        files = _files_in(self.received_dir)
        known = self._jobs_for(files, finished_only=False)
        now = time.time()
        for path in files:
            if storable(str(path)) in known:
                continue
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if now - st.st_mtime < 60 and st.st_ctime > now - 60:
                continue  # just moved here by a pass that is still submitting it
            self._submit(path)

    def _move_finished(self) -> None:
        files = _files_in(self.received_dir)
        finished = self._jobs_for(files, finished_only=True)
        for path in files:
            status = finished.get(storable(str(path)))
            if status is None:
                continue
            folder = FAILED_DIR if status == FAILED else DONE_DIR
            _, name = _dropped_at(path, self.received_dir)
            os.replace(path, _free_name(self.root / folder / name))
            _prune(path.parent, self.received_dir)

    def _jobs_for(self, files: list[Path], *, finished_only: bool) -> dict[str, str]:
        """source path -> status of the drop-folder jobs of these received files."""
        keys = [storable(str(p)) for p in files]
        found: dict[str, str] = {}
        with self.runtime.uow() as session:
            for start in range(0, len(keys), _IN_CLAUSE):
                stmt = select(IngestJob.source_path, IngestJob.status).where(
                    IngestJob.source == "dropfolder",
                    IngestJob.source_path.in_(keys[start : start + _IN_CLAUSE]),
                )
                if finished_only:
                    stmt = stmt.where(IngestJob.status.in_((DONE, FAILED)))
                found.update({p: s for p, s in session.execute(stmt) if p is not None})
        return found


def _dropped_at(received: Path, received_dir: Path) -> tuple[PurePath, str]:
    """Where below the inbox a received file was dropped, and its name.

    `.received/<token>/<path>`; a file right in `.received/` (kept there by an older edrm as
    `<token>--<user>--<name>`) counts as dropped at the top of the inbox, whatever it says.
    """
    parts = received.relative_to(received_dir).parts
    if len(parts) > 1:
        return PurePath(*parts[1:]), parts[-1]
    name = parts[0].split("--", 2)[-1]
    return PurePath(name), name


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _private_folder(folder: Path) -> str | None:
    """Make `folder` the service's own (no one else may write to it); why it cannot be, if so."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode):
        return f"{folder} is not a folder"
    if st.st_uid != os.geteuid():
        return f"{folder} belongs to uid {st.st_uid}, not to the service (uid {os.geteuid()})"
    if st.st_mode & 0o022:
        log.warning("drop folder: %s could be written by others; making it private", folder)
        folder.chmod(0o700)
    return None


def _prune(folder: Path, received_dir: Path) -> None:
    """Remove the now-empty folders of one received file, up to `.received/` itself."""
    for parent in _up_to(folder, received_dir):
        try:
            parent.rmdir()
        except OSError:
            return


def _up_to(folder: Path, top: Path) -> Iterable[Path]:
    while folder != top and top in folder.parents:
        yield folder
        folder = folder.parent


def _free_name(target: Path) -> Path:
    if not target.exists():
        return target
    stem, suffix = target.stem, target.suffix
    n = 2
    while (candidate := target.with_name(f"{stem} ({n}){suffix}")).exists():
        n += 1
    return candidate
