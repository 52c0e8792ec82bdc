"""Verifying the audit trail: the chain of MACs, its head, and the checkpoints kept outside the
database, naming the first bad entry and the kind of damage.

Kinds of damage (`VerifyResult.damage`):
- "edited": an entry's fields were changed (its MAC no longer matches them), or an entry was
  rewritten by someone holding the key (the entry after it no longer follows it);
- "deleted": an entry is missing (a gap, or the entries after it renumbered to close it);
- "inserted": an entry that the trail never wrote (no valid MAC) was added;
- "rehashed": entries were re-hashed by someone without the key (their links agree with each
  other but none has a valid MAC);
- "truncated": the newest entries were removed (the head still names them, or the checkpoint
  log recorded an entry that is gone or different);
- "head": the head row does not match the newest entry;
- "key_missing": an entry is MACed with a key the key file does not have;
- "checkpoint": the checkpoint log or a time-stamp token was altered.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm.audit.chain import GENESIS_HASH, KEY_ROTATED, AuditEvent, AuditHead, compute_hash
from edrm.audit.checkpoints import Checkpoint, read
from edrm.audit.keys import Keyring
from edrm.audit.trail import TRAIL_INFO_KEY, AuditTrail
from edrm.audit.tsa import TimestampError, check_token, load_roots

# How far an entry is searched for under another sequence number (entries renumbered to hide
# a deletion or an insertion).
MAX_SHIFT = 64
_NO_LEGACY_LIMIT = 2**62


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    damage: str | None = None
    checkpoints: int = 0


@dataclass
class _Walk:
    """The state of a walk along the chain, entry by entry."""

    keyring: Keyring | None
    key_file: Path | None
    wanted: set[int]
    head_seq: int = 0
    expected: int = 1
    prev_hash: str = GENESIS_HASH
    in_force: str | None = None
    keyed_seen: bool = False
    checked: int = 0
    seen: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.in_force = self.keyring.first_id if self.keyring else None

    @property
    def legacy_until(self) -> int:
        return self.keyring.legacy_until if self.keyring else _NO_LEGACY_LIMIT

    def genuine(self, e: AuditEvent, seq: int | None = None) -> bool:
        """Whether the entry's MAC is right for its fields (taken as entry `seq`)."""
        s = e.seq if seq is None else seq
        fields = (s, e.at, e.actor, e.action, e.object_type, e.object_id, e.details, e.prev_hash)
        if e.key_id is None:
            if self.keyed_seen or s > self.legacy_until:
                return False
            return hmac.compare_digest(compute_hash(*fields), e.hash)
        ring = self.keyring
        if ring is None or e.key_id != self.in_force or not ring.has(e.key_id):
            return False
        mac = compute_hash(*fields, key_id=e.key_id, key=ring.secret(e.key_id))
        return hmac.compare_digest(mac, e.hash)

    def accept(self, e: AuditEvent) -> None:
        if e.key_id is not None:
            self.keyed_seen = True
        if e.action == KEY_ROTATED:
            self.in_force = str(e.details_dict.get("new_key_id") or self.in_force)
        if e.seq in self.wanted:
            self.seen[e.seq] = e.hash
        self.prev_hash = e.hash
        self.expected += 1
        self.checked += 1

    def bad(self, seq: int | None, damage: str, problem: str) -> VerifyResult:
        return VerifyResult(False, self.checked, seq, problem, damage)

    def _missing_key(self, e: AuditEvent) -> VerifyResult | None:
        """The entry names the key in force (or any key, with no key file) but it is not there:
        the key file is missing or old, which is not damage to the trail itself."""
        if e.key_id is None:
            return None
        if self.keyring is None:
            problem = f"there is no key file at {self.key_file or 'the configured path'}"
        elif e.key_id == self.in_force and not self.keyring.has(e.key_id):
            problem = f"the key file {self.key_file} does not have it"
        else:
            return None
        return self.bad(
            e.seq,
            "key_missing",
            f"entry {e.seq} is MACed with key {e.key_id}, but {problem}: restore the key file"
            " to verify the trail",
        )

    def damage(self, e: AuditEvent, n: AuditEvent | None) -> VerifyResult:
        """Name what happened at the first entry that is not right (`e`, with `n` the entry
        after it): one rule per kind of damage, in the order that tells them apart."""
        k = self.expected
        if e.seq > k:
            what = f"entry {k} is" if e.seq == k + 1 else f"entries {k} to {e.seq - 1} are"
            return self.bad(k, "deleted", f"{what} missing (deleted)")
        missing = self._missing_key(e)
        if missing is not None:
            return missing
        linked = e.prev_hash == self.prev_hash
        if self.genuine(e):
            legacy = self.keyring.legacy_until if self.keyring else 0
            if legacy and k == legacy + 1:
                return self.bad(
                    k,
                    "rehashed",
                    f"entry {k}, the first MACed entry, does not follow entry {k - 1}: the"
                    f" plain-linked entries 1 to {k - 1} were re-hashed",
                )
            return self.bad(
                k,
                "edited",
                f"entry {k} does not follow entry {k - 1} (entry {k - 1} was rewritten by"
                f" someone holding the key, or an entry was inserted before {k})",
            )
        moved = next((s for s in range(k + 1, k + 1 + MAX_SHIFT) if self.genuine(e, s)), None)
        if moved is not None:
            return self.bad(
                k,
                "deleted",
                f"entries {k} to {moved - 1} were deleted and the entries after them renumbered"
                f" (entry {k} is the former entry {moved})",
            )
        renumbered = n is not None and n.seq == k + 1 and n.prev_hash == self.prev_hash
        if renumbered and n is not None and self.genuine(n, k):
            return self.bad(
                k,
                "inserted",
                f"entry {k} was inserted (it has no valid MAC; the genuine entry {k} follows"
                " it, renumbered)",
            )
        if n is None or n.seq != k + 1:
            if linked and self.head_seq >= k:
                return self.bad(k, "edited", f"entry {k} was altered")
            return self.bad(k, "inserted", f"entry {k} was inserted (it has no valid MAC)")
        if n.prev_hash == e.hash and not self.genuine(n):
            return self.bad(
                k,
                "rehashed",
                f"entries from {k} on were re-hashed by someone without the key (entry {k}"
                " was altered or replaced)",
            )
        return self.bad(k, "edited", f"entry {k} was altered")


def _events_in_order(session: Session) -> Iterator[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=1000, populate_existing=True)
    )
    yield from session.scalars(stmt)


def _walk_chain(walk: _Walk, session: Session) -> VerifyResult | None:
    events = _events_in_order(session)
    current = next(events, None)
    while current is not None:
        following = next(events, None)
        if (
            current.seq != walk.expected
            or current.prev_hash != walk.prev_hash
            or not walk.genuine(current)
        ):
            return walk.damage(current, following)
        walk.accept(current)
        current = following
    return None


def _check_head(walk: _Walk, session: Session) -> VerifyResult | None:
    head = session.get(AuditHead, 1, populate_existing=True)
    last = walk.expected - 1
    if head is None:
        return walk.bad(last + 1, "head", "the chain's head record is missing")
    if head.last_seq > last:
        return walk.bad(
            last + 1,
            "truncated",
            f"entries {last + 1} to {head.last_seq} are missing (the newest entries were removed)",
        )
    if head.last_seq < last:
        return walk.bad(
            head.last_seq + 1,
            "head",
            f"the head names entry {head.last_seq} but the chain runs to entry {last}",
        )
    if head.last_hash != walk.prev_hash:
        return walk.bad(last or None, "head", "the newest entry does not match the head")
    return None


def _check_checkpoints(walk: _Walk, log: list[Checkpoint]) -> VerifyResult | None:
    last = walk.expected - 1
    bad = [cp for cp in log if cp.seq > last or walk.seen.get(cp.seq) != cp.hash]
    if not bad:
        return None
    worst = min(bad, key=lambda cp: cp.seq)
    if worst.seq > last:
        newest = max(bad, key=lambda cp: cp.seq)
        return walk.bad(
            last + 1,
            "truncated",
            f"entries {last + 1} to {newest.seq} were removed and the head set back: the"
            f" checkpoint log recorded entry {newest.seq} at {newest.at}",
        )
    bad_seqs = {cp.seq for cp in bad}
    good_below = max(
        (cp.seq for cp in log if cp.seq < worst.seq and cp.seq not in bad_seqs), default=0
    )
    return walk.bad(
        good_below + 1,
        "truncated",
        f"entry {worst.seq} is not the entry the checkpoint log recorded at {worst.at}: the"
        f" chain was cut back after entry {good_below} at the latest and written anew",
    )


def _check_tokens(trail: AuditTrail, log: list[Checkpoint]) -> str | None:
    if not trail.tsa_dir.is_dir():
        return None
    try:
        roots = load_roots(trail.tsa_ca_file) if trail.tsa_ca_file else None
    except TimestampError as exc:
        return str(exc)
    for cp in log:
        path = trail.tsa_dir / cp.token_name
        if not path.exists():
            continue
        problem = check_token(path.read_bytes(), cp.raw.encode("utf-8"), roots)
        if problem:
            return f"the time-stamp token {path} for checkpoint of entry {cp.seq} {problem}"
    return None


def verify(session: Session) -> VerifyResult:
    """Check the whole chain, its head and the checkpoints outside the database; name the first
    bad entry and the kind of damage if anything is wrong."""
    trail = session.info.get(TRAIL_INFO_KEY)
    trail = trail if isinstance(trail, AuditTrail) else None
    keyring = trail.reload() if trail else None
    log, log_problems = read(trail.checkpoint_file, keyring) if trail else ([], [])
    head = session.get(AuditHead, 1, populate_existing=True)
    walk = _Walk(
        keyring,
        trail.key_file if trail else None,
        {cp.seq for cp in log},
        head_seq=head.last_seq if head else 0,
    )
    found = (
        _walk_chain(walk, session) or _check_head(walk, session) or _check_checkpoints(walk, log)
    )
    if found is not None:
        return found
    if log_problems:
        return walk.bad(None, "checkpoint", log_problems[0])
    token_problem = _check_tokens(trail, log) if trail else None
    if token_problem:
        return walk.bad(None, "checkpoint", token_problem)
    return VerifyResult(True, walk.checked, checkpoints=len(log))
