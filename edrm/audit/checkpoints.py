"""Checkpoints of the audit trail's head, kept outside the database.

The checkpoint log is an append-only file of JSON lines, each holding the chain's newest entry
at the time (sequence number and MAC), when and why it was written, and a MAC of the line with
the trail's key, chained to the line before. Whoever can rewrite the database cannot rewrite the
log: deleting the newest entries and setting the head back is caught by `edrm audit verify`,
which finds a checkpoint beyond the head.

Each checkpoint can also go to syslog, and be stamped by an RFC 3161 time-stamp authority (the
token is kept in the `tsa/` folder beside the log, named after the line's MAC).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edrm import clock
from edrm.audit.keys import AuditKeyError, Keyring
from edrm.audit.trail import AuditTrail
from edrm.audit.tsa import TimestampError, request_token

log = logging.getLogger(__name__)

GENESIS_MAC = "0" * 64
_FIELDS = ("seq", "hash", "at", "reason", "key", "prev")
_TAIL_BYTES = 8192


@dataclass(frozen=True)
class Checkpoint:
    """One line of the checkpoint log."""

    line: int
    seq: int
    hash: str
    at: str
    reason: str
    key: str
    prev: str
    mac: str
    raw: str

    @property
    def token_name(self) -> str:
        return f"{self.mac[:32]}.tsr"


@dataclass(frozen=True)
class Written:
    """What writing one checkpoint did."""

    checkpoint: Checkpoint | None
    syslog: bool = False
    token: Path | None = None
    problem: str = ""


def _mac(key: bytes, fields: dict[str, Any]) -> str:
    payload = json.dumps([fields[f] for f in _FIELDS], separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _parse(number: int, raw: str) -> Checkpoint:
    data = json.loads(raw)
    return Checkpoint(
        line=number,
        seq=int(data["seq"]),
        hash=str(data["hash"]),
        at=str(data["at"]),
        reason=str(data["reason"]),
        key=str(data["key"]),
        prev=str(data["prev"]),
        mac=str(data["mac"]),
        raw=raw,
    )


def _last_mac(fd: int) -> str:
    """The MAC of the last well-formed line of the open log (its tail is enough)."""
    size = os.fstat(fd).st_size
    if size == 0:
        return GENESIS_MAC
    start = max(0, size - _TAIL_BYTES)
    tail = os.pread(fd, size - start, start).decode("utf-8", errors="replace")
    for raw in reversed(tail.splitlines()[1:] if start else tail.splitlines()):
        try:
            return str(json.loads(raw)["mac"])
        except (ValueError, KeyError, TypeError):
            continue
    return GENESIS_MAC


def append(path: Path, keyring: Keyring, seq: int, entry_hash: str, reason: str) -> Checkpoint:
    """Append a checkpoint of entry `seq` to the log; several processes may append at once
    (the file is locked while the line before is read and the new one written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        fields: dict[str, Any] = {
            "seq": seq,
            "hash": entry_hash,
            "at": clock.now().isoformat(timespec="seconds"),
            "reason": reason,
            "key": keyring.current_id,
            "prev": _last_mac(fd),
        }
        fields["mac"] = _mac(keyring.secret(keyring.current_id), fields)
        raw = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
        os.write(fd, (raw + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return _parse(0, raw)  # its line number is not known without reading the whole log


def read(path: Path, keyring: Keyring | None) -> tuple[list[Checkpoint], list[str]]:
    """The genuine lines of the log, and what is wrong with the others (a line that is not a
    checkpoint, whose MAC is wrong, or that does not follow the line before it)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return [], []
    good: list[Checkpoint] = []
    problems: list[str] = []
    prev = GENESIS_MAC
    for number, raw in enumerate(text.splitlines(), start=1):
        where = f"checkpoint log {path} line {number}"
        try:
            cp = _parse(number, raw)
        except (ValueError, KeyError, TypeError):
            problems.append(f"{where} is not a checkpoint")
            continue
        if keyring is None or not keyring.has(cp.key):
            problems.append(f"{where} is MACed with key {cp.key}, which the key file does not have")
        elif not hmac.compare_digest(_mac(keyring.secret(cp.key), _fields(cp)), cp.mac):
            problems.append(f"{where} was altered (its MAC is wrong)")
        elif cp.prev != prev:
            problems.append(f"{where} does not follow the line before it (lines were removed)")
            good.append(cp)
        else:
            good.append(cp)
        prev = cp.mac
    return good, problems


def _fields(cp: Checkpoint) -> dict[str, Any]:
    return {
        "seq": cp.seq,
        "hash": cp.hash,
        "at": cp.at,
        "reason": cp.reason,
        "key": cp.key,
        "prev": cp.prev,
    }


def _syslog_address(setting: str) -> str | tuple[str, int]:
    if "/" in setting:
        return setting
    host, _, port = setting.rpartition(":")
    return (host or "127.0.0.1", int(port or 514))


def to_syslog(setting: str, cp: Checkpoint) -> None:
    """Send one checkpoint to syslog (facility auth, so it lands with other security logs)."""
    address = _syslog_address(setting)
    handler = logging.handlers.SysLogHandler(
        address=address,
        facility=logging.handlers.SysLogHandler.LOG_AUTH,
        socktype=socket.SOCK_DGRAM,
    )
    try:
        record = logging.LogRecord(
            "edrm.audit",
            logging.INFO,
            __file__,
            0,
            "edrm-audit checkpoint seq=%d hash=%s at=%s mac=%s",
            (cp.seq, cp.hash, cp.at, cp.mac),
            None,
        )
        handler.emit(record)
    finally:
        handler.close()


def write(trail: AuditTrail, seq: int, entry_hash: str, reason: str, *, stamp: bool) -> Written:
    """Checkpoint the head (seq, hash): the log line, then syslog and a time-stamp when they
    are configured (the time-stamp only when `stamp`). Only the log line must succeed; what
    went wrong with syslog or the authority is in `problem`."""
    if seq <= 0:
        return Written(None)
    keyring = trail.keyring()
    if keyring is None:
        raise AuditKeyError(
            f"there is no key file at {trail.key_file} to MAC the checkpoint with: restore it"
            " from a backup (or set audit_key_file)"
        )
    cp = append(trail.checkpoint_file, keyring, seq, entry_hash, reason)
    problems: list[str] = []
    sent = False
    if trail.syslog:
        try:
            to_syslog(trail.syslog, cp)
            sent = True
        except (OSError, ValueError) as exc:
            problems.append(f"syslog {trail.syslog}: {exc}")
    token_path: Path | None = None
    if stamp and trail.tsa_url:
        try:
            token = request_token(
                trail.tsa_url, cp.raw.encode("utf-8"), timeout=trail.tsa_timeout_seconds
            )
            trail.tsa_dir.mkdir(parents=True, exist_ok=True)
            token_path = trail.tsa_dir / cp.token_name
            token_path.write_bytes(token)
        except (TimestampError, OSError) as exc:
            problems.append(str(exc))
    for problem in problems:
        log.warning("audit checkpoint of entry %d: %s", seq, problem)
    return Written(cp, sent, token_path, "; ".join(problems))
