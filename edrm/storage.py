"""The content-addressed blob store: bytes kept once under their SHA-256.

A blob is written to a temporary file in the store, fsynced, then renamed into place, so a
crash never leaves a partial blob under a real name.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

CHUNK = 1024 * 1024


class BlobMissingError(FileNotFoundError):
    """A blob the database refers to is not in the store."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    already_present: bool


class BlobStore:
    """Blobs under root/ab/cd/<sha256>; temporary files under root/tmp."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_stream(io.BytesIO(data))

    def put_file(self, source: Path) -> StoredBlob:
        with source.open("rb") as fh:
            return self.put_stream(fh)

    def put_stream(self, stream: IO[bytes]) -> StoredBlob:
        """Copy the stream into the store, hashing as it goes; the same bytes are kept once."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="blob-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            final = self.path(sha)
            if final.is_file():
                return StoredBlob(sha, size, already_present=True)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o440)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
            return StoredBlob(sha, size, already_present=False)
        finally:
            tmp.unlink(missing_ok=True)

    @contextmanager
    def open(self, sha256: str) -> Iterator[BinaryIO]:
        try:
            fh = self.path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobMissingError(f"blob {sha256} is missing from the store") from None
        with fh:
            yield fh

    def read_bytes(self, sha256: str) -> bytes:
        with self.open(sha256) as fh:
            return fh.read()

    def copy_to(self, sha256: str, target: Path) -> None:
        with self.open(sha256) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)

    def verify(self, sha256: str) -> bool:
        """Recompute the checksum of a stored blob (fixity check)."""
        digest = hashlib.sha256()
        with self.open(sha256) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == sha256


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
