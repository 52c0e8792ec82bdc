"""The blob fixity check (edrm.fixity): a sample of live blobs re-hashed, problems reported."""

from __future__ import annotations

import os

from sqlalchemy import select

from edrm import fixity
from edrm.audit import AuditEvent
from edrm.documents.models import DocumentVersion
from edrm.runtime import Runtime
from tests.conftest import World


def audit_actions(runtime: Runtime, action: str) -> list[AuditEvent]:
    with runtime.uow() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_fixity_check_reports_missing_and_altered_blobs(world: World) -> None:
    runtime = world.runtime
    assert fixity.fixity_check(runtime) == "checked 5 blobs: all intact"
    with runtime.uow() as s:
        first, second = list(
            s.scalars(select(DocumentVersion.sha256).order_by(DocumentVersion.id))
        )[:2]
    altered = runtime.blobs.path(first)
    os.chmod(altered, 0o640)
    altered.write_bytes(b"tampered with")
    runtime.blobs.path(second).unlink()

    message = fixity.fixity_check(runtime)

    assert message == "checked 5 blobs: 1 missing, 1 checksum mismatch(es)"
    last = audit_actions(runtime, "blob.fixity")[-1].details_dict
    assert last["bad"] == {first: "checksum mismatch", second: "missing"}
