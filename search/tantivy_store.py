"""The on-disk layout of the tantivy index: generations and an atomic `current` pointer.

    <directory>/current            name of the generation in use (replaced atomically)
    <directory>/gen-<n>/           a tantivy index ...
    <directory>/gen-<n>/edrm-index.json   ... and beside it its schema version and state

A rebuild writes a new generation, then replaces `current`; until then readers use the old one.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

POINTER = "current"
META = "edrm-index.json"
PREFIX = "gen-"
WRITER_LOCK = ".tantivy-writer.lock"  # tantivy's


@dataclass(frozen=True, slots=True)
class Meta:
    schema_version: int
    complete: bool  # built by a full rebuild (not just created empty)
    documents: int | None = None


def read_pointer(directory: Path) -> str | None:
    try:
        name = (directory / POINTER).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not name.startswith(PREFIX) or "/" in name or "\\" in name:
        return None
    return name


def pointer_stamp(directory: Path) -> tuple[int, int] | None:
    """Changes whenever `current` is replaced (inode, mtime)."""
    try:
        st = os.stat(directory / POINTER)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def new_generation(directory: Path) -> Path:
    path = directory / f"{PREFIX}{time.time_ns():020d}-{os.getpid()}"
    path.mkdir(parents=True)
    return path


def read_meta(path: Path) -> Meta | None:
    try:
        raw = json.loads((path / META).read_text(encoding="utf-8"))
        return Meta(int(raw["schema_version"]), bool(raw["complete"]), raw.get("documents"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_meta(path: Path, meta: Meta) -> None:
    data = {
        "schema_version": meta.schema_version,
        "complete": meta.complete,
        "documents": meta.documents,
    }
    _write_atomic(path / META, json.dumps(data, indent=2) + "\n")


def swap_to(directory: Path, generation: Path) -> None:
    """Point `current` at `generation`, atomically and durably."""
    _write_atomic(directory / POINTER, generation.name + "\n")


def remove_generations(directory: Path, older_than: str) -> None:
    """Delete the generations older than `older_than` (a rebuild started later elsewhere may be
    writing a newer one), except one a writer still holds: its process finds out at its next
    commit, and a later rebuild removes it. Files open for reading stay readable until closed."""
    for path in directory.glob(f"{PREFIX}*"):
        if path.name < older_than and path.is_dir() and not writer_locked(path):
            shutil.rmtree(path, ignore_errors=True)


def writer_locked(generation: Path) -> bool:
    """Whether some process holds tantivy's writer lock on `generation`."""
    try:
        fd = os.open(generation / WRITER_LOCK, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _write_atomic(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
