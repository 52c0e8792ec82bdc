"""With the blobs in an S3 bucket, destruction deletes the objects from the bucket."""

from __future__ import annotations

from typing import Any

import pytest

from edrm.documents.models import Document
from edrm.s3_store import S3BlobStore
from retention.execution import execute_approved
from tests.conftest import World, file_text
from tests.retention.disposal_helpers import (
    approve,
    queue,
    store_preview,
    with_records_management,
)
from tests.s3_server import S3Server


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], s3_server: S3Server, bucket: str
) -> dict[str, Any]:
    return {**settings_overrides, **s3_server.settings(bucket, prefix="records")}


def test_a_destroyed_records_objects_are_gone_from_the_bucket(
    world: World, s3_server: S3Server, bucket: str
) -> None:
    rm = with_records_management(world)
    rt, recman = rm.runtime, rm.people["recman"]
    assert isinstance(rt.blobs, S3BlobStore)
    with rt.uow() as s:
        doomed = file_text(s, rt, "FIN-AP-INV", "Invoice 4471", body="destroy these bytes\n")
        kept = file_text(s, rt, "FIN-AP-INV", "Invoice 4472", body="keep these bytes\n")
        sha = s.get(Document, doomed).latest.sha256  # type: ignore[union-attr]
        kept_sha = s.get(Document, kept).latest.sha256  # type: ignore[union-attr]
    preview = store_preview(rt, doomed, b"\x89PNG the first page")
    rt.blobs.path(sha)  # a local copy on this machine too
    assert {rt.blobs.key(sha), rt.blobs.key(preview)} <= set(s3_server.keys(bucket))
    item = queue(rt, doomed)
    approve(rt, [item], recman)

    result = execute_approved(rt, actor=recman)

    assert result.finished == [item] and not result.failed
    in_bucket = s3_server.keys(bucket)
    assert rt.blobs.key(sha) not in in_bucket and rt.blobs.key(preview) not in in_bucket
    assert rt.blobs.key(kept_sha) in in_bucket
    assert not (rt.blobs.root / sha[:2] / sha[2:4] / sha).exists()
    with rt.uow() as s:
        certificate = s.get(Document, result.certificates[0])
        assert certificate is not None and certificate.latest is not None
        assert rt.blobs.read_bytes(certificate.latest.sha256).startswith(b"%PDF")
