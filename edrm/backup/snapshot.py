"""Taking a backup (`edrm backup DEST`) of a running installation: the steps, in the order the
package's docstring explains (checkpoint log, database snapshot, key file, other files, blobs,
manifest last)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from edrm import clock
from edrm.backup import database
from edrm.backup.manifest import (
    CHUNK,
    BackupError,
    file_sha256,
    write_manifest,
)
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR, Settings
from edrm.storage import BlobMissingError

#: Each backup's own files (database, audit files, config …) are in a folder of their own under
#: this one; the blobs are shared by all of them.
SNAPSHOTS = "snapshots"
CHECKPOINTS = "audit/checkpoints.log"
KEYS = "audit/keys.json"
TSA = "audit/tsa"
#: The data directory's own files kept beside the database: (name in the backup, path).
SECRET_KEY = "files/secret_key"


@dataclass
class BackupReport:
    """What one backup did (its --json output)."""

    dest: Path
    database: str = ""
    revision: str | None = None
    documents: int = 0
    live_documents: int = 0
    blobs: int = 0
    blobs_copied: int = 0
    blobs_removed: int = 0
    destroyed_since_snapshot: list[str] = field(default_factory=list)
    files: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dest": str(self.dest),
            "database": self.database,
            "alembic_revision": self.revision,
            "documents": self.documents,
            "live_documents": self.live_documents,
            "blobs": self.blobs,
            "blobs_copied": self.blobs_copied,
            "blobs_removed": self.blobs_removed,
            "destroyed_since_snapshot": self.destroyed_since_snapshot,
            "files": self.files,
            "warnings": self.warnings,
            "notes": self.notes,
        }


def edrm_version() -> str:
    try:
        return metadata.version("edrm")
    except metadata.PackageNotFoundError:  # pragma: no cover - a checkout not installed
        return "unknown"


def blob_name(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def take_backup(rt: Runtime, dest: Path) -> BackupReport:
    """Back the running installation up into `dest` (made if need be; a folder that holds an
    earlier backup is updated incrementally, and that backup stays whole until the new
    manifest replaces its own)."""
    settings = rt.settings
    home = settings.home.resolve()
    if dest.resolve() == home or home in dest.resolve().parents:
        raise BackupError(f"{dest} is inside the data directory: back up somewhere else")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)  # it holds the audit keys and the session secret
    started = clock.now()
    generation = f"{SNAPSHOTS}/{started:%Y%m%dT%H%M%S%fZ}"
    root = dest / generation
    root.mkdir(parents=True)
    report = BackupReport(dest)
    own: dict[str, str] = {}  # the snapshot's own files, relative to its folder
    _copy_checkpoints(settings, root, own)
    snap = database.snapshot(rt.engine, root)
    own[snap.relative] = file_sha256(root / snap.relative)
    report.database, report.revision = snap.kind, snap.revision
    report.documents, report.live_documents = snap.documents, snap.live_documents
    _copy_keys(settings, root, own, report.warnings)
    _copy_files(settings, root, own, report.notes)
    report.blobs = len(snap.blobs)
    blobs: dict[str, str] = {}
    report.blobs_copied, report.destroyed_since_snapshot = _copy_blobs(rt, snap, dest, blobs)
    files = {**{f"{generation}/{name}": sha for name, sha in own.items()}, **blobs}
    report.files = len(files) + 1
    write_manifest(
        dest,
        {
            "edrm_version": edrm_version(),
            "taken_at": started.isoformat(timespec="seconds"),
            "snapshot": generation,
            "database": snap.kind,
            "database_file": snap.relative,
            "alembic_revision": snap.revision,
            "documents": snap.documents,
            "live_documents": snap.live_documents,
            "blobs": report.blobs,
            "destroyed_since_snapshot": report.destroyed_since_snapshot,
            "config": "config" if (root / "config").is_dir() else "shipped defaults",
            "warnings": report.warnings,
            "files": files,
        },
    )
    _remove_other_snapshots(dest, generation)
    report.blobs_removed = prune_blobs(dest, files)
    return report


def _remove_other_snapshots(dest: Path, keep: str) -> None:
    """Once the new manifest is in place: the earlier backup's files (and what a stopped
    backup left) go."""
    for folder in (dest / SNAPSHOTS).iterdir():
        if f"{SNAPSHOTS}/{folder.name}" != keep:
            shutil.rmtree(folder, ignore_errors=True)


def _copy_checkpoints(settings: Settings, dest: Path, files: dict[str, str]) -> None:
    """The checkpoint log, read under the lock its writers take (no half-written line), and
    the time-stamp tokens beside it. Copied before the snapshot: every checkpoint names an
    entry the snapshot holds."""
    source = settings.audit_checkpoint_path
    target = dest / CHECKPOINTS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    if source.is_file():
        fd = os.open(source, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            with os.fdopen(os.dup(fd), "rb") as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
        finally:
            os.close(fd)
        files[CHECKPOINTS] = file_sha256(target)
    _copy_tree(source.parent / "tsa", dest, TSA, files)


def _inside(path: Path, folder: Path) -> bool:
    return folder.resolve() in path.resolve().parents


def _copy_keys(settings: Settings, dest: Path, files: dict[str, str], warnings: list[str]) -> None:
    """The audit key file, when it is kept in the data directory. Copied after the snapshot:
    keys are only ever added, so it holds every key the snapshot's entries were MACed with."""
    source = settings.audit_key_path
    target = dest / KEYS
    target.unlink(missing_ok=True)
    if not _inside(source, settings.home):
        warnings.append(
            f"the audit key file is kept outside the data directory ({source}) and is not in"
            " this backup: keep a copy of it with the backup, restore needs it to verify the"
            " audit trail"
        )
        return
    if not source.is_file():
        warnings.append(f"there is no audit key file at {source} (run `edrm init`)")
        return
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(source.read_bytes())
    files[KEYS] = file_sha256(target)


def _copy_files(settings: Settings, dest: Path, files: dict[str, str], notes: list[str]) -> None:
    """The session secret, the classifier's models, the quarantine, and the config folder."""
    secret = settings.home / "secret_key"
    (dest / SECRET_KEY).unlink(missing_ok=True)
    if secret.is_file():
        (dest / SECRET_KEY).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(secret, dest / SECRET_KEY)
        os.chmod(dest / SECRET_KEY, 0o600)
        files[SECRET_KEY] = file_sha256(dest / SECRET_KEY)
    _copy_tree(settings.model_dir, dest, "files/models", files)
    _copy_tree(settings.quarantine_dir, dest, "files/quarantine", files)
    if settings.config_dir.resolve() == DEFAULT_CONFIG_DIR.resolve():
        shutil.rmtree(dest / "config", ignore_errors=True)
        notes.append("the shipped default config is in use (EDRM_CONFIG_DIR is not set)")
    else:
        _copy_tree(settings.config_dir, dest, "config", files)
        notes.append(f"the config folder {settings.config_dir} is in config/")


def _copy_tree(source: Path, dest: Path, relative: str, files: dict[str, str]) -> None:
    """Copy a folder afresh (whatever an earlier backup left there goes first)."""
    target = dest / relative
    shutil.rmtree(target, ignore_errors=True)
    if not source.is_dir():
        return
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
        name = f"{relative}/{path.relative_to(source).as_posix()}"
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / name)
        files[name] = file_sha256(dest / name)


def _copy_blobs(
    rt: Runtime, snap: database.DatabaseSnapshot, dest: Path, files: dict[str, str]
) -> tuple[int, list[str]]:
    """Copy every blob the snapshot refers to that DEST lacks; returns how many were copied
    and which were destroyed since the snapshot (those are not kept in DEST, even from an
    earlier backup). A blob that is gone while the live database still uses it fails the
    backup."""
    copied = 0
    missing: list[str] = []
    tmp_dir = dest / "blobs" / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    for sha in sorted(snap.blobs):
        name = blob_name(sha)
        if not rt.blobs.exists(sha):
            missing.append(sha)
            continue
        if not (dest / name).is_file():
            try:
                _copy_blob(rt, sha, dest / name, tmp_dir)
            except BlobMissingError:
                missing.append(sha)
                continue
            copied += 1
        files[name] = sha
    shutil.rmtree(tmp_dir, ignore_errors=True)
    if missing:
        with rt.engine.connect() as conn:
            still_used = database.referenced_blobs(conn) & set(missing)
        if still_used:
            raise BackupError(
                f"blob {min(still_used)} is missing from the blob store although the database"
                " still uses it: the store is damaged (see the blob fixity check)"
            )
    return copied, missing


def prune_blobs(dest: Path, files: dict[str, str]) -> int:
    """Remove the blobs an earlier backup left in DEST that this one does not hold (content
    destroyed since), so that destroyed content does not outlive its record in the backup."""
    removed = 0
    root = dest / "blobs"
    if not root.is_dir():
        return 0
    for path in root.glob("??/??/*"):
        if path.is_file() and f"blobs/{path.relative_to(root).as_posix()}" not in files:
            path.unlink()
            removed += 1
    return removed


def _copy_blob(rt: Runtime, sha: str, target: Path, tmp_dir: Path) -> None:
    tmp = tmp_dir / sha
    digest = hashlib.sha256()
    with rt.blobs.open(sha) as src, tmp.open("wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != sha:
        tmp.unlink()
        raise BackupError(f"blob {sha} in the blob store is damaged (its checksum does not match)")
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
