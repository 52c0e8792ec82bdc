"""The blob store keeps bytes once, under their SHA-256, durably, and checkable: one contract,
run on each backend (the data directory's folder, and an S3 bucket on a real S3-compatible
server on 127.0.0.1). Tests of one backend's own layout follow the contract."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from edrm.s3_store import S3BlobStore
from edrm.settings import SettingsError, load_settings
from edrm.storage import BlobCorruptError, BlobMissingError, BlobStore, FileBlobStore
from edrm.wiring import open_blob_store
from tests.s3_server import KEYS, REGION, S3Server

BACKENDS = ["filesystem", "s3"]


def _s3_store(server: S3Server, root: Path, bucket: str, prefix: str = "") -> S3BlobStore:
    return S3BlobStore(
        root,
        bucket=bucket,
        prefix=prefix,
        endpoint_url=server.endpoint_url,
        region=REGION,
        access_key_id=KEYS["aws_access_key_id"],
        secret_access_key=KEYS["aws_secret_access_key"],
    )


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "filesystem":
        return FileBlobStore(tmp_path / "blobs")
    server: S3Server = request.getfixturevalue("s3_server")
    return _s3_store(server, tmp_path / "cache", server.new_bucket())


def _stored_names(store: BlobStore) -> list[str]:
    """Every blob the backend holds (files outside tmp; objects in the bucket)."""
    if isinstance(store, S3BlobStore):
        listed = store._s3.list_objects_v2(Bucket=store.bucket).get("Contents", [])
        return sorted(item["Key"].rsplit("/", 1)[-1] for item in listed)
    return sorted(
        p.name
        for p in store.root.rglob("*")
        if p.is_file() and p.relative_to(store.root).parts[0] != "tmp"
    )


# --- the contract -----------------------------------------------------------------------------


def test_bytes_are_stored_under_their_sha256(store: BlobStore) -> None:
    data = b"Invoice 1001 from Acme Ltd\n"
    sha = hashlib.sha256(data).hexdigest()
    stored = store.put_bytes(data)
    assert (stored.sha256, stored.size, stored.already_present) == (sha, len(data), False)
    assert store.exists(sha) is True
    assert store.read_bytes(sha) == data
    assert store.path(sha).read_bytes() == data


def test_the_same_bytes_are_stored_once(store: BlobStore) -> None:
    first = store.put_bytes(b"same bytes")
    second = store.put_bytes(b"same bytes")
    assert second.sha256 == first.sha256
    assert second.already_present is True
    assert _stored_names(store) == [first.sha256]


def test_different_bytes_are_stored_apart(store: BlobStore) -> None:
    one, two = store.put_bytes(b"one"), store.put_bytes(b"two")
    assert _stored_names(store) == sorted([one.sha256, two.sha256])


def test_no_temporary_file_is_left_behind(store: BlobStore, tmp_path: Path) -> None:
    store.put_bytes(b"first")
    store.put_bytes(b"first")
    source = tmp_path / "source.bin"
    source.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    stored = store.put_file(source)
    store.read_bytes(stored.sha256)
    assert list((store.root / "tmp").iterdir()) == []


def test_a_stored_blob_passes_verify(store: BlobStore) -> None:
    stored = store.put_bytes(b"fixity")
    assert store.verify(stored.sha256) is True


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


def test_a_deleted_blob_is_gone_and_deleting_again_is_fine(store: BlobStore) -> None:
    stored = store.put_bytes(b"to be destroyed")
    store.path(stored.sha256)
    store.delete(stored.sha256)
    store.delete(stored.sha256)
    assert store.exists(stored.sha256) is False
    assert _stored_names(store) == []
    with pytest.raises(BlobMissingError):
        store.path(stored.sha256)


def test_a_released_blob_is_still_in_the_store(store: BlobStore) -> None:
    sha = store.put_bytes(b"read by a tool").sha256
    store.path(sha)
    store.release(sha)
    assert store.read_bytes(sha) == b"read by a tool"
    assert store.path(sha).read_bytes() == b"read by a tool"


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "not-hex", "g" * 64, "A" * 64, "a" * 63, "a" * 65, ""],
)
def test_a_name_that_is_not_a_sha256_hex_digest_is_refused(store: BlobStore, name: str) -> None:
    for call in (store.path, store.read_bytes, store.exists, store.delete):
        with pytest.raises(ValueError, match="SHA-256"):
            call(name)


# --- the folder store -------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> FileBlobStore:
    return FileBlobStore(tmp_path / "blobs")


def test_the_folder_store_keeps_a_blob_under_root_ab_cd_sha256(files: FileBlobStore) -> None:
    sha = files.put_bytes(b"layout").sha256
    assert files.path(sha) == files.where(sha) == files.root / sha[:2] / sha[2:4] / sha


def test_a_blob_whose_bytes_were_changed_on_disk_fails_verify(files: FileBlobStore) -> None:
    stored = files.put_bytes(b"the original content")
    path = files.path(stored.sha256)
    path.chmod(0o640)
    path.write_bytes(b"the tampered content")
    assert files.verify(stored.sha256) is False


def test_stored_blobs_are_read_only(files: FileBlobStore) -> None:
    stored = files.put_bytes(b"keep me")
    assert files.path(stored.sha256).stat().st_mode & 0o222 == 0


# --- the S3 store -----------------------------------------------------------------------------


def test_the_s3_store_names_objects_prefix_ab_cd_sha256(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    store = _s3_store(s3_server, tmp_path, bucket, prefix="/edrm/blobs/")
    sha = store.put_bytes(b"layout").sha256
    assert s3_server.keys(bucket) == [f"edrm/blobs/{sha[:2]}/{sha[2:4]}/{sha}"]


def test_an_object_changed_in_the_bucket_fails_verify_and_is_not_read(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    store = _s3_store(s3_server, tmp_path, bucket)
    sha = store.put_bytes(b"the original content").sha256
    s3_server.client().put_object(Bucket=bucket, Key=store.key(sha), Body=b"the tampered content")
    assert store.verify(sha) is False
    with pytest.raises(BlobCorruptError, match=sha):
        store.read_bytes(sha)
    with pytest.raises(BlobCorruptError):
        store.path(sha)


def test_an_upload_is_skipped_when_the_bucket_has_the_object(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    first = _s3_store(s3_server, tmp_path / "one", bucket)
    other_machine = _s3_store(s3_server, tmp_path / "two", bucket)
    sha = first.put_bytes(b"shared").sha256
    before = s3_server.client().head_object(Bucket=bucket, Key=first.key(sha))["LastModified"]
    assert other_machine.put_bytes(b"shared").already_present is True
    after = s3_server.client().head_object(Bucket=bucket, Key=first.key(sha))["LastModified"]
    assert after == before
    assert other_machine.read_bytes(sha) == b"shared"


def test_a_blob_deleted_by_another_machine_is_not_served_from_a_local_copy(
    s3_server: S3Server, tmp_path: Path
) -> None:
    bucket = s3_server.new_bucket()
    reader = _s3_store(s3_server, tmp_path / "reader", bucket)
    sha = reader.put_bytes(b"destroyed elsewhere").sha256
    local = reader.path(sha)
    _s3_store(s3_server, tmp_path / "destroyer", bucket).delete(sha)
    with pytest.raises(BlobMissingError):
        reader.path(sha)
    assert not local.exists()


def test_the_s3_store_keeps_a_local_copy_only_until_it_is_released(
    s3_server: S3Server, tmp_path: Path
) -> None:
    store = _s3_store(s3_server, tmp_path, s3_server.new_bucket())
    sha = store.put_bytes(b"extract my text").sha256
    local = store.path(sha)
    assert local.is_relative_to(tmp_path) and local.read_bytes() == b"extract my text"
    store.release(sha)
    assert not local.exists() and store.exists(sha)


def test_settings_choose_the_s3_store(s3_server: S3Server, tmp_path: Path) -> None:
    bucket = s3_server.new_bucket()
    overrides: dict[str, Any] = {"home": str(tmp_path), **s3_server.settings(bucket)}
    store = open_blob_store(load_settings(overrides, environ={}))
    assert isinstance(store, S3BlobStore)
    sha = store.put_bytes(b"chosen").sha256
    assert s3_server.keys(bucket) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"blob_store": "nfs"}, "'blob_store': use 'filesystem' or 's3'"),
        ({"blob_store": "s3"}, "'s3_bucket' is needed"),
        ({"s3_endpoint_url": "minio:9000"}, "'s3_endpoint_url': use an http"),
        ({"s3_access_key_id": "edrm"}, "go together"),
    ],
)
def test_unusable_object_store_settings_are_refused(
    overrides: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"home": str(tmp_path), **overrides}, environ={})
