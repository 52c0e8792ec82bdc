"""Scale-out: two `edrm worker` processes, as on two machines — each with a data directory of
its own, one database and one S3 bucket between them — ingest one batch exactly once, and every
blob the database names is in the bucket (no orphans, none missing)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from edrm.audit import AuditEvent
from edrm.documents.models import Document, DocumentVersion
from edrm.ingest.models import DONE, IngestJob
from edrm.runtime import Runtime
from edrm.s3_store import S3BlobStore
from tests.conftest import PG_URL
from tests.ingest.test_workers import _stop, _submit, _wait_for
from tests.s3_server import S3Server

pytestmark = pytest.mark.slow

FILES = 40


@pytest.fixture
def bucket(s3_server: S3Server) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def settings_overrides(
    settings_overrides: dict[str, Any], s3_server: S3Server, bucket: str
) -> dict[str, Any]:
    return {**settings_overrides, **s3_server.settings(bucket)}


def _start_machine(runtime: Runtime, home: Path, log: Path) -> subprocess.Popen[bytes]:
    """A worker with its own data directory; the S3 secret read from a file, as in a container."""
    settings = runtime.settings
    home.mkdir()
    secret = home.parent / f"{home.name}-s3-secret"
    secret.write_text(settings.s3_secret_access_key + "\n")
    env = {
        **os.environ,
        "EDRM_HOME": str(home),
        "EDRM_DATABASE_URL": settings.database_url,
        "EDRM_SECRET_KEY": "test-secret-key",
        "EDRM_BLOB_STORE": "s3",
        "EDRM_S3_ENDPOINT_URL": settings.s3_endpoint_url,
        "EDRM_S3_BUCKET": settings.s3_bucket,
        "EDRM_S3_REGION": settings.s3_region,
        "EDRM_S3_ACCESS_KEY_ID": settings.s3_access_key_id,
        "EDRM_S3_SECRET_ACCESS_KEY_FILE": str(secret),
        # the audit trail's keys and checkpoint log are shared, like the database
        "EDRM_AUDIT_KEY_FILE": str(settings.audit_key_path),
        "EDRM_AUDIT_CHECKPOINT_FILE": str(settings.audit_checkpoint_path),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "edrm", "worker"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_two_workers_with_their_own_data_directories_share_one_database_and_bucket(
    runtime: Runtime, world_plan: None, tmp_path: Path, s3_server: S3Server, bucket: str
) -> None:
    if PG_URL and runtime.settings.db_url.startswith("sqlite"):
        pytest.skip("run on PostgreSQL, the scale-out database, when it is under test")
    assert isinstance(runtime.blobs, S3BlobStore)
    files = [
        (f"note-{n}.txt", f"Supplier invoice INV-{n}\nAmount £{n}.00\n".encode())
        for n in range(FILES)
    ]
    _submit(runtime, files, "shared")
    log = tmp_path / "workers.log"
    machines = [_start_machine(runtime, tmp_path / name, log) for name in ("alpha", "beta")]
    try:
        counts = _wait_for(runtime, lambda c: c[DONE] + c["failed"] == FILES, 120)
    finally:
        for machine in machines:
            _stop(machine)
    assert counts["done"] == FILES, log.read_text()
    with runtime.uow() as s:
        assert Counter(s.scalars(select(IngestJob.status))) == {DONE: FILES}
        assert s.scalar(select(func.count()).select_from(Document)) == FILES
        shas = list(s.scalars(select(DocumentVersion.sha256)))
        assert len(shas) == len(set(shas)) == FILES
        filed = s.scalar(
            select(func.count()).where(AuditEvent.action.in_(("ingest.filed", "ingest.triage")))
        )
        assert filed == FILES
        referenced = set(shas)
        for doc in s.scalars(select(Document)):
            if (doc.extra or {}).get("preview_sha256"):
                referenced.add(doc.extra["preview_sha256"])
    in_bucket = {key.rsplit("/", 1)[-1] for key in s3_server.keys(bucket)}
    assert in_bucket == referenced, "orphan or missing objects"
    for machine in ("alpha", "beta"):  # what a worker read it let go of
        assert not list((tmp_path / machine / "blobs").glob("??/??/*"))
