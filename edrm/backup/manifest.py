"""The backup's manifest: what was backed up and the SHA-256 of every file in the backup.

It is `manifest.json` at the top of the backup, written last and atomically (a temporary file,
fsynced, renamed into place, the folder fsynced): until it is replaced, the manifest of the
backup before still describes files that are all there. A folder without one holds no complete
backup and is refused by restore, as is one where any file it lists is missing or has another
checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from edrm.errors import EdrmError

MANIFEST = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(EdrmError):
    """A backup cannot be taken, or a backup is incomplete, damaged or cannot be restored."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_manifest(dest: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest atomically, as the backup's last step."""
    path = dest / MANIFEST
    tmp = dest / f".{MANIFEST}.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump({"format": FORMAT, **manifest}, fh, indent=1, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(dest)
    return path


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest of the backup in `src`, or a BackupError saying why there is none."""
    path = src / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(
            f"{src} is not a complete backup: it has no {MANIFEST}"
            " (a backup that was stopped midway leaves none)"
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} cannot be read as a backup manifest: {exc}") from None
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not {"files", "snapshot"} <= set(data)
    ):
        raise BackupError(f"{path} is not a manifest edrm wrote (format {FORMAT})")
    return data


def verify_files(src: Path, manifest: dict[str, Any]) -> int:
    """Check that every file the manifest lists is in `src` with its checksum; the first one
    that is not is named. Returns how many files were checked."""
    files: dict[str, str] = manifest["files"]
    for relative, expected in sorted(files.items()):
        path = src / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise BackupError(f"the manifest names a file outside the backup: {relative}")
        try:
            actual = file_sha256(path)
        except FileNotFoundError:
            raise BackupError(f"the backup is damaged: {path} is missing") from None
        if actual != expected:
            raise BackupError(
                f"the backup is damaged: {path} does not match its checksum in the manifest"
            )
    return len(files)
