"""Where the audit trail keeps what is not in the database, for one installation: the key file,
the checkpoint log, the time-stamp tokens, and the syslog and time-stamp authority settings.

The composition root puts one `AuditTrail` into every session's `info` (`TRAIL_INFO_KEY`), so
that `audit.record(session, …)` finds the key without any caller passing it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from edrm.audit.keys import AuditKeyError, Keyring, add_key, create, load
from edrm.settings import Settings

TRAIL_INFO_KEY = "edrm.audit_trail"


@dataclass
class AuditTrail:
    key_file: Path
    checkpoint_file: Path
    checkpoint_every: int = 1000
    syslog: str = ""
    tsa_url: str = ""
    tsa_ca_file: str = ""
    tsa_timeout_seconds: float = 10.0
    _keyring: Keyring | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditTrail:
        return cls(
            key_file=settings.audit_key_path,
            checkpoint_file=settings.audit_checkpoint_path,
            checkpoint_every=settings.audit_checkpoint_every,
            syslog=settings.audit_syslog,
            tsa_url=settings.audit_tsa_url,
            tsa_ca_file=settings.audit_tsa_ca_file,
        )

    @property
    def tsa_dir(self) -> Path:
        """The time-stamp tokens, beside the checkpoint log."""
        return self.checkpoint_file.parent / "tsa"

    def keyring(self) -> Keyring | None:
        """The key file's keys (read once, then kept), or None when there is no key file."""
        with self._lock:
            if self._keyring is None:
                self._keyring = load(self.key_file)
            return self._keyring

    def reload(self) -> Keyring | None:
        """The key file as it is now (another process may have rotated the key)."""
        with self._lock:
            self._keyring = load(self.key_file)
            return self._keyring

    def keyring_with(self, key_id: str) -> Keyring:
        """The keyring, read again if it lacks `key_id` (another process rotated the key)."""
        ring = self.keyring()
        if ring is not None and ring.has(key_id):
            return ring
        ring = self.reload()
        if ring is None:
            raise AuditKeyError(
                f"the audit trail is MACed with key {key_id} but there is no key file at"
                f" {self.key_file}: restore it from a backup (or set audit_key_file)"
            )
        ring.secret(key_id)  # raises naming the key and the file
        return ring

    def keyring_or_create(self, legacy_until: int) -> Keyring:
        """The keyring, made now (first use) when there is none; entries up to `legacy_until`
        were written before the trail was keyed."""
        ring = self.keyring()
        if ring is not None:
            return ring
        with self._lock:
            self._keyring = create(self.key_file, legacy_until)
            return self._keyring

    def add_key(self) -> str:
        """A new key in the key file; returns its id."""
        ring, key_id = add_key(self.key_file)
        with self._lock:
            self._keyring = ring
        return key_id


def trail_of(session: Session) -> AuditTrail:
    """The audit trail the session's runtime was built with."""
    trail = session.info.get(TRAIL_INFO_KEY)
    if not isinstance(trail, AuditTrail):
        raise AuditKeyError(
            "this database session has no audit key: open sessions from a runtime built by"
            " edrm.wiring.build_runtime"
        )
    return trail
