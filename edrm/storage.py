"""The content-addressed blob store: bytes kept once under their SHA-256.

`BlobStore` is the interface; `FileBlobStore` keeps the blobs in a local folder (the embedded
install) and `edrm.s3_store.S3BlobStore` in an S3-compatible bucket shared by many machines
(chosen in settings by the composition root, `edrm.wiring.open_blob_store`).

A blob is written to a temporary file in the store, fsynced, then renamed into place, so a
crash never leaves a partial blob under a real name.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol

CHUNK = 1024 * 1024


class BlobMissingError(FileNotFoundError):
    """A blob the database refers to is not in the store."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    already_present: bool


class BlobCorruptError(ValueError):
    """A blob's bytes, as read back, do not have the SHA-256 it is stored under."""


def check_name(sha256: str) -> str:
    """The name itself, if it is a SHA-256 hex digest (so it cannot name anything else)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class BlobStore(Protocol):
    """Bytes kept once under their SHA-256: a put is durable when it returns; reading a blob
    that is not there raises BlobMissingError; delete is idempotent."""

    root: Path

    def path(self, sha256: str) -> Path:
        """A local file holding the blob's bytes (for tools that need a file name)."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def put_bytes(self, data: bytes) -> StoredBlob: ...

    def put_file(self, source: Path) -> StoredBlob: ...

    def put_stream(self, stream: IO[bytes]) -> StoredBlob: ...

    def open(self, sha256: str) -> contextlib.AbstractContextManager[BinaryIO]: ...

    def read_bytes(self, sha256: str) -> bytes: ...

    def copy_to(self, sha256: str, target: Path) -> None: ...

    def verify(self, sha256: str) -> bool:
        """Recompute the checksum of the stored bytes (fixity check)."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove the blob (a missing one is fine)."""
        ...

    def release(self, sha256: str) -> None:
        """This machine is done with the file `path` gave (a shared store drops its local
        copy; the folder store keeps its blob)."""
        ...


class BlobStoreBase:
    """What both stores build from their own put_stream and open: put_bytes, put_file,
    read_bytes and copy_to."""

    def put_stream(self, stream: IO[bytes]) -> StoredBlob:
        raise NotImplementedError

    def open(self, sha256: str) -> AbstractContextManager[BinaryIO]:
        raise NotImplementedError

    def put_bytes(self, data: bytes) -> StoredBlob:
        return self.put_stream(io.BytesIO(data))

    def put_file(self, source: Path) -> StoredBlob:
        with source.open("rb") as fh:
            return self.put_stream(fh)

    def read_bytes(self, sha256: str) -> bytes:
        with self.open(sha256) as fh:
            return fh.read()

    def copy_to(self, sha256: str, target: Path) -> None:
        with self.open(sha256) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst, CHUNK)


class FileBlobStore(BlobStoreBase):
    """Blobs under root/ab/cd/<sha256>; temporary files under root/tmp."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"

    def where(self, sha256: str) -> Path:
        """The file a blob is (or would be) kept in."""
        check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def path(self, sha256: str) -> Path:
        """The blob's file (BlobMissingError when there is none)."""
        path = self.where(sha256)
        if not path.is_file():
            raise BlobMissingError(f"blob {sha256} is missing from the store")
        return path

    def exists(self, sha256: str) -> bool:
        return self.where(sha256).is_file()

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
            final = self.where(sha)
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
            fh = self.where(sha256).open("rb")
        except FileNotFoundError:
            raise BlobMissingError(f"blob {sha256} is missing from the store") from None
        with fh:
            yield fh

    def verify(self, sha256: str) -> bool:
        """Recompute the checksum of a stored blob (fixity check)."""
        digest = hashlib.sha256()
        with self.open(sha256) as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def delete(self, sha256: str) -> None:
        self.where(sha256).unlink(missing_ok=True)

    def release(self, sha256: str) -> None:
        check_name(sha256)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
