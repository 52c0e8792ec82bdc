"""The blob store keeps bytes once, under their SHA-256, written atomically and checkable."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from edrm.storage import BlobMissingError, BlobStore


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def _blob_files(store: BlobStore) -> list[Path]:
    return [
        p
        for p in store.root.rglob("*")
        if p.is_file() and p.relative_to(store.root).parts[0] != "tmp"
    ]


def test_bytes_are_stored_under_their_sha256(store: BlobStore) -> None:
    data = b"Invoice 1001 from Acme Ltd\n"
    sha = hashlib.sha256(data).hexdigest()
    stored = store.put_bytes(data)
    assert stored.sha256 == sha
    assert stored.size == len(data)
    assert stored.already_present is False
    assert store.path(sha) == store.root / sha[:2] / sha[2:4] / sha
    assert store.path(sha).read_bytes() == data
    assert store.read_bytes(sha) == data


def test_the_same_bytes_are_stored_once(store: BlobStore) -> None:
    first = store.put_bytes(b"same bytes")
    second = store.put_bytes(b"same bytes")
    assert second.sha256 == first.sha256
    assert second.already_present is True
    assert len(_blob_files(store)) == 1


def test_different_bytes_are_stored_apart(store: BlobStore) -> None:
    store.put_bytes(b"one")
    store.put_bytes(b"two")
    assert len(_blob_files(store)) == 2


def test_no_temporary_file_is_left_behind(store: BlobStore, tmp_path: Path) -> None:
    store.put_bytes(b"first")
    store.put_bytes(b"first")
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    store.put_file(source)
    leftovers = list((store.root / "tmp").iterdir())
    assert leftovers == []


def test_a_stored_blob_passes_verify(store: BlobStore) -> None:
    stored = store.put_bytes(b"fixity")
    assert store.verify(stored.sha256) is True


def test_a_blob_whose_bytes_were_changed_on_disk_fails_verify(store: BlobStore) -> None:
    stored = store.put_bytes(b"the original content")
    path = store.path(stored.sha256)
    path.chmod(0o640)
    path.write_bytes(b"the tampered content")
    assert store.verify(stored.sha256) is False


def test_stored_blobs_are_read_only(store: BlobStore) -> None:
    stored = store.put_bytes(b"keep me")
    assert store.path(stored.sha256).stat().st_mode & 0o222 == 0


def test_reading_a_missing_blob_raises_blob_missing_error(store: BlobStore) -> None:
    sha = hashlib.sha256(b"never stored").hexdigest()
    assert store.exists(sha) is False
    with pytest.raises(BlobMissingError, match=sha):
        store.read_bytes(sha)
    with pytest.raises(BlobMissingError):
        store.verify(sha)


def test_a_file_put_in_the_store_is_copied_out_unchanged(store: BlobStore, tmp_path: Path) -> None:
    source = tmp_path / "in.bin"
    source.write_bytes(os.urandom(100_000))
    stored = store.put_file(source)
    target = tmp_path / "out.bin"
    store.copy_to(stored.sha256, target)
    assert target.read_bytes() == source.read_bytes()


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "not-hex", "g" * 64, "A" * 64, "a" * 63, "a" * 65, ""],
)
def test_a_name_that_is_not_a_sha256_hex_digest_is_refused(store: BlobStore, name: str) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        store.path(name)
    with pytest.raises(ValueError):
        store.read_bytes(name)
