"""Issue 11, point 5: the audit trail's entries are MACed with a key kept outside the database;
the key can be rotated, and the rotation is recorded in the chain; entries from before the key
keep their plain links, anchored by the first keyed entry."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from edrm import audit
from edrm.audit import checkpoints
from edrm.db import alembic_config, migrate
from edrm.settings import Settings, load_settings
from edrm.wiring import Runtime, build_runtime
from tests.audit_helpers import rehash_from, tamper
from tests.conftest import Cli


@contextmanager
def another_runtime(overrides: dict[str, Any], **extra: Any) -> Iterator[Runtime]:
    """A second runtime on the same database and data directory (another process would)."""
    rt = build_runtime(load_settings({**overrides, **extra}, environ={}))
    try:
        yield rt
    finally:
        rt.close()


def _record(rt: Runtime, n: int, actor: str = "alice") -> None:
    for i in range(n):
        with rt.uow() as s:
            audit.record(s, actor, "document.view", "document", i)


def test_entries_are_maced_with_a_key_from_a_file_outside_the_database(
    runtime: Runtime, settings: Settings
) -> None:
    _record(runtime, 2)
    key_file = settings.audit_key_path
    assert key_file.parent == settings.home / "audit"
    ring = json.loads(key_file.read_text())
    (key,) = ring["keys"]
    secret = bytes.fromhex(key["secret"])
    with runtime.uow() as s:
        first, second = s.query(audit.AuditEvent).order_by(audit.AuditEvent.seq).all()
        fields = [
            second.seq,
            second.at,
            second.actor,
            second.action,
            second.object_type,
            second.object_id,
            second.details,
            second.prev_hash,
            second.key_id,
        ]
        payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
        assert second.key_id == key["id"]
        assert second.hash == hmac.new(secret, payload, hashlib.sha256).hexdigest()
        assert second.prev_hash == first.hash
        dump = " ".join(
            str(v) for row in s.execute(text("SELECT * FROM audit_events")) for v in row
        )
        dump += " ".join(str(v) for row in s.execute(text("SELECT * FROM audit_head")) for v in row)
    assert key["secret"] not in dump


def test_the_key_file_is_made_at_init_and_readable_only_by_the_service(
    cli: Cli, settings: Settings
) -> None:
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert "audit key made" in result.output
    mode = stat.S_IMODE(settings.audit_key_path.stat().st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(settings.audit_dir.stat().st_mode) == 0o700
    again = cli("init")
    assert "audit key made" not in again.output


def test_the_key_file_can_be_kept_where_a_setting_says(
    settings_overrides: dict[str, Any], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "secret-store" / "edrm-audit-keys.json"
    with another_runtime(settings_overrides, audit_key_file=str(elsewhere)) as rt:
        _record(rt, 1)
        with rt.uow() as s:
            assert audit.verify(s).ok
    assert elsewhere.exists()
    assert not (Path(settings_overrides["home"]) / "audit" / "keys.json").exists()


def test_without_its_key_file_a_keyed_trail_is_a_clear_error(
    runtime: Runtime, settings: Settings, cli: Cli
) -> None:
    _record(runtime, 1)
    settings.audit_key_path.rename(settings.audit_key_path.with_suffix(".moved"))
    result = cli("audit", "log")  # reading needs no key
    assert result.exit_code == 0
    written = cli("audit", "checkpoint")
    assert written.exit_code == 1
    assert "no key file at" in written.stderr and str(settings.audit_key_path) in written.stderr
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 1
    report = json.loads(verified.output)
    assert (report["damage"], report["first_bad"]) == ("key_missing", 1)


def test_rotating_the_key_is_recorded_in_the_chain_and_old_entries_still_verify(
    runtime: Runtime, settings: Settings, cli: Cli
) -> None:
    _record(runtime, 2)
    old_id = json.loads(settings.audit_key_path.read_text())["keys"][0]["id"]
    result = cli("audit", "rotate-key", "--json")
    assert result.exit_code == 0, result.output
    rotation = json.loads(result.output)
    assert rotation["old_key_id"] == old_id and rotation["seq"] == 3
    _record(runtime, 1)  # this runtime read the key file before the rotation
    with runtime.uow() as s:
        events = s.query(audit.AuditEvent).order_by(audit.AuditEvent.seq).all()
        assert [e.key_id for e in events] == [old_id, old_id, old_id, rotation["new_key_id"]]
        assert events[2].action == audit.KEY_ROTATED
        assert events[2].details_dict["new_key_id"] == rotation["new_key_id"]
    keys = json.loads(settings.audit_key_path.read_text())["keys"]
    assert [k["id"] for k in keys] == [old_id, rotation["new_key_id"]]
    assert stat.S_IMODE(settings.audit_key_path.stat().st_mode) == 0o600
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["checked"] == 4


def test_an_entry_maced_with_the_old_key_after_a_rotation_is_found(
    runtime: Runtime, settings: Settings
) -> None:
    """The rotation entry says which key comes next: an entry MACed with another key, even one
    in the key file, does not belong."""
    _record(runtime, 1)
    with runtime.uow() as s:
        rotation = audit.rotate_key(s)
    _record(runtime, 1)
    with runtime.uow() as s:
        e = s.get(audit.AuditEvent, 3)
        assert e is not None
        old = audit.trail_of(s).keyring_with(rotation.old_key_id).secret(rotation.old_key_id)
        forged = audit.compute_hash(
            e.seq,
            e.at,
            "mallory",
            e.action,
            e.object_type,
            e.object_id,
            e.details,
            e.prev_hash,
            rotation.old_key_id,
            key=old,
        )
        tamper(
            s,
            "UPDATE audit_events SET actor = 'mallory', key_id = :k, hash = :h WHERE seq = 3",
            "UPDATE audit_head SET last_hash = :h WHERE id = 1",
            k=rotation.old_key_id,
            h=forged,
        )
        result = audit.verify(s)
    assert (result.ok, result.first_bad_seq) == (False, 3)


def _plain_entries(session: Session, n: int) -> None:
    """Entries as edrm wrote them before the trail was keyed: plain SHA-256, no key id."""
    prev = audit.GENESIS_HASH
    for seq in range(1, n + 1):
        row = {
            "seq": seq,
            "at": f"2026-01-0{seq}T09:00:00+00:00",
            "actor": "bob",
            "action": "document.create",
            "object_type": "document",
            "object_id": str(seq),
            "details": "{}",
            "prev_hash": prev,
        }
        row["hash"] = audit.compute_hash(**row)
        session.execute(
            text(
                "INSERT INTO audit_events (seq, at, actor, action, object_type, object_id,"
                " details, prev_hash, hash) VALUES (:seq, :at, :actor, :action, :object_type,"
                " :object_id, :details, :prev_hash, :hash)"
            ),
            row,
        )
        prev = row["hash"]
    session.execute(
        text("UPDATE audit_head SET last_seq = :s, last_hash = :h WHERE id = 1"),
        {"s": n, "h": prev},
    )
    session.commit()


@pytest.fixture
def upgraded_install(runtime: Runtime) -> Iterator[Runtime]:
    """An install from before the keyed trail: its database at the revision before 0008 with
    three plain-linked entries and no key file, then migrated to the newest revision."""
    url = runtime.engine.url.render_as_string(hide_password=False)
    try:
        with runtime.engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008-1")
        with runtime.sessions() as s:
            _plain_entries(s, 3)
    finally:
        migrate(runtime.engine)
    yield runtime


def test_an_upgraded_trail_keeps_its_plain_links_and_the_first_keyed_entry_anchors_them(
    upgraded_install: Runtime, cli: Cli, settings: Settings
) -> None:
    rt = upgraded_install
    assert not settings.audit_key_path.exists()
    result = cli("init")
    assert "audit key made" in result.output
    keys = json.loads(settings.audit_key_path.read_text())
    assert keys["legacy_until"] == 3
    (anchor,) = checkpoints.read(
        settings.audit_checkpoint_path, audit.trail_of(rt.sessions()).keyring()
    )[0]
    _record(rt, 1)
    with rt.uow() as s:
        third, fourth = s.query(audit.AuditEvent).filter(audit.AuditEvent.seq >= 3).all()
        assert third.key_id is None and fourth.key_id == keys["keys"][0]["id"]
        assert fourth.prev_hash == third.hash == anchor.hash and anchor.seq == 3
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["checked"] == 4


def test_re_hashing_the_plain_entries_of_an_upgraded_trail_is_found(
    upgraded_install: Runtime, cli: Cli
) -> None:
    cli("init")
    _record(upgraded_install, 1)
    with upgraded_install.sessions() as s:
        tamper(s, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
        rehash_from(s, 2, through=3)
    report = json.loads(cli("audit", "verify", "--json").output)
    assert (report["intact"], report["damage"]) == (False, "rehashed")
