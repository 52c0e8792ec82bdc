"""The hourly audit checkpoint: a scheduled job (config/jobs.toml, `audit-checkpoint`) that writes
the chain's committed head to the checkpoint log outside the database, to syslog when configured,
and has it time-stamped by the RFC 3161 authority when one is configured. `edrm audit checkpoint`
runs the same now."""

from __future__ import annotations

from edrm.audit.chain import checkpoint_head, ensure_key
from edrm.audit.checkpoints import Written
from edrm.audit.trail import trail_of
from edrm.runtime import Runtime


def checkpoint_now(rt: Runtime, reason: str = "on request") -> Written:
    """Checkpoint the head now (making the key file first if the trail has none yet)."""
    with rt.uow() as session:
        ensure_key(session)
        trail = trail_of(session)
    return checkpoint_head(trail, rt.engine, reason, stamp=True)


def describe(written: Written) -> str:
    """One line saying what a checkpoint did."""
    cp = written.checkpoint
    if cp is None:
        return f"no checkpoint: {written.problem or 'the audit trail is empty'}"
    parts = [f"checkpoint of entry {cp.seq} written"]
    if written.syslog:
        parts.append("sent to syslog")
    if written.token is not None:
        parts.append(f"time-stamped ({written.token.name})")
    text = ", ".join(parts)
    return f"{text}; {written.problem}" if written.problem else text


def hourly_checkpoint(rt: Runtime) -> str:
    """The scheduled job: checkpoint the head, whether or not it moved (a line every hour
    shows the log was kept all along)."""
    return describe(checkpoint_now(rt, "hourly"))
