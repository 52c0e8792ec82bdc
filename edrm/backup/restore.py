"""Restoring a backup (`edrm restore SRC`) into an empty data directory: refuse a non-empty
target, verify the manifest and every file's checksum before anything is written, then put
back the database, the blobs, the audit key file and checkpoint log, and the data directory's
own files. The caller then rebuilds the search index (the index is never in a backup).

Crash story: nothing is written until the whole backup has verified; a restore stopped midway
leaves a data directory that is not empty, so running it again is refused until that directory
(and the database, on PostgreSQL) is emptied.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from edrm import audit
from edrm.backup import database
from edrm.backup.manifest import BackupError, read_manifest, verify_files
from edrm.backup.snapshot import CHECKPOINTS, KEYS, SECRET_KEY, TSA
from edrm.db import alembic_config, table_of
from edrm.documents.models import Document, DocumentVersion
from edrm.settings import Settings, ensure_home
from edrm.storage import BlobStore, FileBlobStore


@dataclass
class RestoreReport:
    """What one restore did (its --json output, with what the caller adds)."""

    src: Path
    taken_at: str = ""
    database: str = ""
    revision: str | None = None
    files_checked: int = 0
    blobs: int = 0
    destroyed_blobs: list[str] = field(default_factory=list)
    destroyed_since_snapshot: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "src": str(self.src),
            "taken_at": self.taken_at,
            "database": self.database,
            "alembic_revision": self.revision,
            "files_checked": self.files_checked,
            "blobs": self.blobs,
            "destroyed_since_snapshot": self.destroyed_since_snapshot,
            "warnings": self.warnings,
            "notes": self.notes,
        }


def own_files(manifest: dict[str, Any]) -> dict[str, str]:
    """The backup's own files (not the shared blobs), named relative to its snapshot folder."""
    prefix = f"{manifest['snapshot']}/"
    return {n[len(prefix) :]: sha for n, sha in manifest["files"].items() if n.startswith(prefix)}


def refuse_unsuitable(settings: Settings, manifest: dict[str, Any]) -> None:
    """Refuse, before anything is written, a backup this installation cannot take: another
    kind of database, a schema newer than this edrm knows, a database file not checksummed."""
    kind = make_url(settings.db_url).get_backend_name()
    if manifest.get("database") != kind:
        raise BackupError(
            f"the backup holds a {manifest.get('database')} database but this installation uses"
            f" {kind}: restore into the same kind of database"
        )
    if manifest.get("database_file") not in own_files(manifest):
        raise BackupError("the backup's manifest does not list its database file")
    revision = manifest.get("alembic_revision")
    if revision and not _known_revision(revision):
        raise BackupError(
            f"the backup's schema {revision} is newer than this edrm knows: restore it with the"
            f" edrm version that took it ({manifest.get('edrm_version', 'unknown')}) or a newer one"
        )


def _known_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory  # heavy (~0.5 s): only when restoring
    from alembic.util.exc import CommandError

    try:
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    except CommandError:
        return False
    return True


def refuse_non_empty(settings: Settings, manifest: dict[str, Any]) -> None:
    """A restore goes only into an empty data directory and an empty database."""
    home = settings.home
    if home.exists() and any(home.iterdir()):
        raise BackupError(f"the data directory {home} is not empty: restore into an empty one")
    url = settings.db_url
    if make_url(url).get_backend_name() == "sqlite":
        path = Path(make_url(url).database or "")
        if path.exists() and path.stat().st_size > 0:
            raise BackupError(f"the database file {path} already exists: restore into a new one")
    elif not database.database_is_empty(url):
        raise BackupError(
            "the configured PostgreSQL database is not empty: restore into an empty one"
        )
    files = own_files(manifest)
    for name, path in (
        (KEYS, settings.audit_key_path),
        (CHECKPOINTS, settings.audit_checkpoint_path),
    ):
        if name in files and path.exists():
            raise BackupError(f"{path} already exists: the backup's copy would replace it")


def restore_backup(settings: Settings, src: Path, store: BlobStore | None = None) -> RestoreReport:
    """Verify the backup in `src`, then restore it into the (empty) installation `settings`
    describe."""
    manifest = read_manifest(src)
    refuse_non_empty(settings, manifest)
    refuse_unsuitable(settings, manifest)
    report = RestoreReport(src, manifest.get("taken_at", ""), manifest["database"])
    report.revision = manifest.get("alembic_revision")
    report.destroyed_blobs = list(manifest.get("destroyed_since_snapshot", []))
    report.files_checked = verify_files(src, manifest)
    ensure_home(settings)
    own = src / manifest["snapshot"]
    database.restore_database(
        own / manifest["database_file"], manifest["database"], settings.db_url
    )
    store = store or FileBlobStore(settings.blob_dir)
    for name in sorted(n for n in manifest["files"] if n.startswith("blobs/")):
        store.put_file(src / name)
        report.blobs += 1
    files = own_files(manifest)
    _put_private(own, KEYS, settings.audit_key_path, files)
    _put_private(own, CHECKPOINTS, settings.audit_checkpoint_path, files)
    _put_private(own, SECRET_KEY, settings.home / "secret_key", files)
    _put_tree(own, TSA, settings.audit_checkpoint_path.parent / "tsa", files)
    _put_tree(own, "files/models", settings.model_dir, files)
    _put_tree(own, "files/quarantine", settings.quarantine_dir, files)
    if KEYS not in files and not settings.audit_key_path.exists():
        report.warnings.append(
            f"the backup holds no audit key file: put the installation's key file at"
            f" {settings.audit_key_path} before `edrm audit verify`"
        )
    report.warnings.extend(manifest.get("warnings", []))
    if manifest.get("config") == "config":
        report.notes.append(
            f"the backup's config folder is in {own / 'config'}: copy it and point"
            " EDRM_CONFIG_DIR at the copy"
        )
    return report


def record_restore(session: Session, report: RestoreReport, key_file: Path) -> bool:
    """Append the restore to the restored audit trail (system.restore, naming the backup and when
    it was taken), so that the trail itself says that its entries before this one came back from
    a backup. Without the audit key file (kept elsewhere and not yet put back) nothing can be
    signed: the caller has warned, and False is returned."""
    if not key_file.exists():
        return False
    details = {
        "src": str(report.src),
        "taken_at": report.taken_at,
        "files_checked": report.files_checked,
        "blobs": report.blobs,
        "destroyed_since_snapshot": report.destroyed_since_snapshot,
    }
    audit.record(session, audit.SYSTEM_ACTOR, "system.restore", "backup", report.taken_at, details)
    return True


def destroyed_documents(engine: Engine, shas: list[str]) -> list[int]:
    """The restored documents whose content was destroyed after the snapshot was taken."""
    if not shas:
        return []
    versions, documents = table_of(DocumentVersion), table_of(Document)
    with engine.connect() as conn:
        found: list[int] = list(
            conn.scalars(
                select(versions.c.document_id)
                .join(documents, documents.c.id == versions.c.document_id)
                .where(versions.c.sha256.in_(shas), documents.c.status != "destroyed")
                .distinct()
            )
        )
        return sorted(found)


def _put_private(src: Path, name: str, target: Path, files: dict[str, str]) -> None:
    if name not in files:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, (src / name).open("rb") as fh:
        shutil.copyfileobj(fh, out)


def _put_tree(src: Path, relative: str, target: Path, files: dict[str, str]) -> None:
    prefix = f"{relative}/"
    for name in sorted(n for n in files if n.startswith(prefix)):
        path = target / name[len(prefix) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / name, path)
