"""The audit trail: `chain` holds the MAC-chained trail itself (the tables, appending, rotating
the key, one object's history); `keys` the key file outside the database; `checkpoints` the
checkpoint log outside the database (with syslog and RFC 3161 time-stamps, `tsa`); `verify`
checks all of it; `search` finds entries for the records managers' page; `jobs` is the hourly
checkpoint the scheduler runs.

The trail's names are re-exported here so that callers write `from edrm import audit;
audit.record(...)` and `from edrm.audit import AuditEvent`; search is imported from its module.
"""

from edrm.audit.chain import (
    GENESIS_HASH,
    KEY_ROTATED,
    SYSTEM_ACTOR,
    AuditEvent,
    AuditHead,
    Rotation,
    checkpoint_head,
    compute_hash,
    ensure_key,
    history,
    keep_refusal,
    record,
    record_many,
    record_refusal,
    rotate_key,
)
from edrm.audit.keys import AuditKeyError
from edrm.audit.trail import TRAIL_INFO_KEY, AuditTrail, trail_of
from edrm.audit.verify import VerifyResult, verify

__all__ = [
    "GENESIS_HASH",
    "KEY_ROTATED",
    "SYSTEM_ACTOR",
    "TRAIL_INFO_KEY",
    "AuditEvent",
    "AuditHead",
    "AuditKeyError",
    "AuditTrail",
    "Rotation",
    "VerifyResult",
    "checkpoint_head",
    "compute_hash",
    "ensure_key",
    "history",
    "keep_refusal",
    "record",
    "record_many",
    "record_refusal",
    "rotate_key",
    "trail_of",
    "verify",
]
