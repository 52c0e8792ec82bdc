"""The audit trail's keys: a keyring file outside the database, readable only by the service.

The chain's entries are MACed (HMAC-SHA-256) with a key from this file, so someone who can write
to the database but cannot read the file cannot forge an entry or re-hash the chain. The file
holds every key the trail has used (oldest first), so old entries still verify after a rotation,
and `legacy_until`: the entries up to that sequence number were written before the trail was
keyed and keep their plain SHA-256 links (the first keyed entry's link anchors them).

The file is JSON: {"format": 1, "legacy_until": N, "keys": [{"id", "secret", "created"}]}.
A key's id is derived from the key itself, so a wrong file is recognised as such.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edrm import clock
from edrm.errors import EdrmError

log = logging.getLogger(__name__)

FORMAT = 1
KEY_BYTES = 32


class AuditKeyError(EdrmError):
    """The audit key file is missing, unreadable, or lacks a key the trail needs."""


def key_id_of(secret: bytes) -> str:
    """A key's public name: 16 hex digits derived from the key (it reveals nothing of it)."""
    return hashlib.sha256(b"edrm audit key id\x00" + secret).hexdigest()[:16]


@dataclass(frozen=True)
class Keyring:
    """The keys of the trail, oldest first; the newest is the one new checkpoints use."""

    path: Path
    keys: tuple[tuple[str, bytes], ...]
    legacy_until: int

    @property
    def first_id(self) -> str:
        return self.keys[0][0]

    @property
    def current_id(self) -> str:
        return self.keys[-1][0]

    def has(self, key_id: str) -> bool:
        return any(kid == key_id for kid, _ in self.keys)

    def secret(self, key_id: str) -> bytes:
        for kid, secret in self.keys:
            if kid == key_id:
                return secret
        raise AuditKeyError(
            f"the audit key {key_id} is not in the key file {self.path}: restore the key file"
            " from a backup (or set audit_key_file to the file that has it)"
        )


def load(path: Path) -> Keyring | None:
    """The keyring in `path`, or None when there is no such file."""
    try:
        raw = path.read_text(encoding="utf-8")
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AuditKeyError(f"cannot read the audit key file {path}: {exc.strerror}") from None
    if mode & 0o077:
        log.warning("the audit key file %s can be read by others: chmod 600 it", path)
    return _parse(path, raw)


def _parse(path: Path, raw: str) -> Keyring:
    try:
        data = json.loads(raw)
        keys = tuple((str(k["id"]), bytes.fromhex(k["secret"])) for k in data["keys"])
        legacy_until = int(data["legacy_until"])
    except (ValueError, KeyError, TypeError):
        raise AuditKeyError(f"the audit key file {path} is not a key file edrm wrote") from None
    if not keys:
        raise AuditKeyError(f"the audit key file {path} holds no key")
    for kid, secret in keys:
        if key_id_of(secret) != kid:
            raise AuditKeyError(f"the audit key file {path}: key {kid} does not match its id")
    return Keyring(path, keys, legacy_until)


def _dump(keyring: Keyring, created: dict[str, str]) -> str:
    return json.dumps(
        {
            "format": FORMAT,
            "legacy_until": keyring.legacy_until,
            "keys": [
                {"id": kid, "secret": secret.hex(), "created": created.get(kid, "")}
                for kid, secret in keyring.keys
            ],
        },
        indent=1,
    )


def _write_private(path: Path, text: str) -> Path:
    """Write `text` to a new temporary file beside `path`, readable only by its owner."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


def _new_key() -> tuple[str, bytes]:
    secret = secrets.token_bytes(KEY_BYTES)
    return key_id_of(secret), secret


def create(path: Path, legacy_until: int) -> Keyring:
    """Make the key file with a first key, unless another process made it first (then that
    one is returned): the file is linked into place, which fails if it exists."""
    kid, secret = _new_key()
    keyring = Keyring(path, ((kid, secret),), legacy_until)
    tmp = _write_private(path, _dump(keyring, {kid: _now()}))
    try:
        os.link(tmp, path)
    except FileExistsError:
        existing = load(path)
        if existing is None:  # pragma: no cover - removed between link and read
            raise AuditKeyError(f"the audit key file {path} vanished while it was made") from None
        return existing
    finally:
        tmp.unlink(missing_ok=True)
    return keyring


def add_key(path: Path) -> tuple[Keyring, str]:
    """Add a new key to the key file (it becomes the newest); the old keys stay, so what they
    MACed still verifies. Returns the new keyring and the new key's id."""
    with _locked(path):
        current = load(path)
        if current is None:
            raise AuditKeyError(f"the audit key file {path} does not exist")
        created = _created_dates(path)
        kid, secret = _new_key()
        created[kid] = _now()
        keyring = Keyring(path, (*current.keys, (kid, secret)), current.legacy_until)
        tmp = _write_private(path, _dump(keyring, created))
        try:
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise AuditKeyError(f"cannot write the audit key file {path}: {exc.strerror}") from None
    return keyring, kid


def _created_dates(path: Path) -> dict[str, str]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return {str(k["id"]): str(k.get("created", "")) for k in data["keys"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock = path.with_name(f".{path.name}.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _now() -> str:
    return clock.now().isoformat(timespec="seconds")
