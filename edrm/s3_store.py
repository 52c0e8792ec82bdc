"""The blob store in an S3-compatible bucket (AWS S3, MinIO, Ceph…), shared by every machine.

Objects are named <prefix>ab/cd/<sha256>, like the folder store's files. A put spools the
stream to a temporary file in the local cache folder while hashing it (the name is the hash, so
it is known only at the end), skips the upload when the bucket already holds that name, and
otherwise sends one PUT carrying the SHA-256 checksum, which the server checks before it
answers (AWS S3 and MinIO do; moto, the tests' server, does not): when put returns, the object
is whole and durable in the bucket. Every read hashes the bytes it gets back and refuses
(BlobCorruptError) those that do not match their name.

`path` (for the tools that need a file name: extraction, sending a file) keeps a verified copy
in root/ab/cd/<sha256> on this machine until `release` (ingest releases what it read); it asks
the bucket first, so a blob deleted elsewhere is not served from the copy (which is removed).

Crash story: a crash before the PUT completes leaves no object (S3 never shows a partial
object); the spool files have no name (they go with the process) and a local copy is renamed
into place only whole and checked, so at worst a stray root/tmp/cache-* file is left. Delete is
idempotent: a destruction run stopped midway deletes what is left when it runs again.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from edrm.storage import (
    CHUNK,
    BlobCorruptError,
    BlobMissingError,
    BlobStoreBase,
    StoredBlob,
    check_name,
)

_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3BlobStore(BlobStoreBase):
    """Blobs as objects <prefix>ab/cd/<sha256> in one bucket; a local cache under root."""

    def __init__(
        self,
        root: Path,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str = "",
        region: str = "",
        access_key_id: str = "",
        secret_access_key: str = "",
    ) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._s3 = _client(endpoint_url, region, access_key_id, secret_access_key)

    def key(self, sha256: str) -> str:
        check_name(sha256)
        return f"{self.prefix}{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def path(self, sha256: str) -> Path:
        """A verified local copy of the blob (BlobMissingError when the bucket has none)."""
        local = self.root / sha256[:2] / sha256[2:4] / check_name(sha256)
        if not self.exists(sha256):
            local.unlink(missing_ok=True)
            raise BlobMissingError(f"blob {sha256} is missing from the store")
        if local.is_file():
            return local
        local.parent.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="cache-")
        try:
            with self.open(sha256) as src, os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
            os.chmod(tmp_name, 0o440)
            os.replace(tmp_name, local)
        finally:
            Path(tmp_name).unlink(missing_ok=True)
        return local

    def exists(self, sha256: str) -> bool:
        try:
            self._s3.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return False
            raise
        return True

    def put_stream(self, stream: IO[bytes]) -> StoredBlob:
        """Hash the stream into a temporary file, then upload it unless the bucket has it."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        with tempfile.TemporaryFile(dir=self._tmp, prefix="put-") as spool:
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                spool.write(chunk)
            sha = digest.hexdigest()
            if self.exists(sha):
                return StoredBlob(sha, size, already_present=True)
            spool.seek(0)
            self._s3.put_object(
                Bucket=self.bucket,
                Key=self.key(sha),
                Body=spool,
                ContentLength=size,
                ChecksumSHA256=base64.b64encode(digest.digest()).decode("ascii"),
                Metadata={"sha256": sha},
            )
        return StoredBlob(sha, size, already_present=False)

    @contextmanager
    def open(self, sha256: str) -> Iterator[BinaryIO]:
        """The blob's bytes, fetched into a temporary file and checked against the name."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=self._tmp, prefix="get-") as fh:
            if self._fetch(sha256, fh) != sha256:
                raise BlobCorruptError(f"blob {sha256}: the bytes in the bucket do not match")
            fh.seek(0)
            yield fh

    def verify(self, sha256: str) -> bool:
        """Recompute the checksum of the object in the bucket (fixity check)."""
        return self._fetch(sha256, None) == sha256

    def delete(self, sha256: str) -> None:
        """Remove the object (and this machine's copy); deleting a missing one is fine."""
        self._s3.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        (self.root / sha256[:2] / sha256[2:4] / sha256).unlink(missing_ok=True)

    def release(self, sha256: str) -> None:
        """Drop this machine's copy (`path` fetches it again when asked)."""
        (self.root / sha256[:2] / sha256[2:4] / check_name(sha256)).unlink(missing_ok=True)

    def _fetch(self, sha256: str, out: IO[bytes] | None) -> str:
        """Stream the object (into `out`, if given) and answer the SHA-256 of what came."""
        try:
            body = self._s3.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as exc:
            if _code(exc) in _MISSING:
                raise BlobMissingError(f"blob {sha256} is missing from the store") from None
            raise
        digest = hashlib.sha256()
        with body:
            for chunk in body.iter_chunks(CHUNK):
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
        return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _client(endpoint_url: str, region: str, access_key_id: str, secret_access_key: str) -> Any:
    """One S3 client per endpoint and key pair, shared by the process's stores (a client is
    thread-safe, and making one reads the service's whole description: slow)."""
    keys: dict[str, Any] = {}
    if access_key_id:
        keys = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        **keys,
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
