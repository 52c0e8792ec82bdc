"""The audit trail: `chain` holds the hash-chained trail itself (the tables, appending, verifying,
one object's history); `search` finds entries for the records managers' page.

The trail's names are re-exported here so that callers write `from edrm import audit;
audit.record(...)` and `from edrm.audit import AuditEvent`; search is imported from its module.
"""

from edrm.audit.chain import (
    GENESIS_HASH,
    SYSTEM_ACTOR,
    AuditEvent,
    AuditHead,
    VerifyResult,
    compute_hash,
    history,
    keep_refusal,
    record,
    record_many,
    record_refusal,
    verify,
)

__all__ = [
    "GENESIS_HASH",
    "SYSTEM_ACTOR",
    "AuditEvent",
    "AuditHead",
    "VerifyResult",
    "compute_hash",
    "history",
    "keep_refusal",
    "record",
    "record_many",
    "record_refusal",
    "verify",
]
