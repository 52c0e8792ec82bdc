"""Issue 11, point 5: `edrm audit verify` detects and names each way of rewriting the trail by
direct SQL — an edited, deleted or inserted entry, the newest entries removed with the head
fixed up (caught by the checkpoint log outside the database), and the whole chain re-hashed by
someone without the key. `--json` gives the first bad entry and the kind of damage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy.orm import Session

from edrm import audit
from edrm.runtime import Runtime
from tests.audit_helpers import fix_head, rehash_from, tamper
from tests.conftest import Cli

INSERT = (
    "INSERT INTO audit_events (seq, at, actor, action, object_type, object_id, details,"
    " prev_hash, hash, key_id) VALUES (:seq, '2030-01-01T00:00:00+00:00', 'mallory',"
    " 'document.view', 'document', '7', '{}', :prev, :hash, :key)"
)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "audit_checkpoint_every": 4}


def _events(runtime: Runtime, n: int) -> None:
    for i in range(1, n + 1):
        with runtime.uow() as s:
            audit.record(s, "alice", "document.create", "document", i, {"title": f"Doc {i}"})


def _verify(cli: Cli) -> dict[str, Any]:
    result = cli("audit", "verify", "--json")
    report: dict[str, Any] = json.loads(result.output)
    assert result.exit_code == (0 if report["intact"] else 1)
    return report


def _damage(cli: Cli) -> tuple[bool, int | None, str | None]:
    report = _verify(cli)
    return report["intact"], report["first_bad"], report["damage"]


def test_verify_json_names_an_intact_trail(runtime: Runtime, cli: Cli) -> None:
    _events(runtime, 9)
    report = _verify(cli)
    assert report == {
        "ok": True,
        "checked": 9,
        "first_bad_seq": None,
        "problem": "",
        "intact": True,
        "first_bad": None,
        "damage": None,
        "checkpoints": 2,
    }


def test_verify_names_an_edited_entry(runtime: Runtime, session: Session, cli: Cli) -> None:
    _events(runtime, 6)
    tamper(session, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    assert _damage(cli) == (False, 3, "edited")
    plain = cli("audit", "verify")
    assert plain.exit_code == 1
    assert "BROKEN at entry 3: entry 3 was altered (edited)" in plain.stderr


def test_verify_names_an_edited_entry_whose_hash_was_recomputed_without_the_key(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    _events(runtime, 6)
    e = session.get(audit.AuditEvent, 3)
    assert e is not None
    plain = audit.compute_hash(
        3, e.at, "mallory", e.action, e.object_type, e.object_id, e.details, e.prev_hash
    )
    tamper(session, "UPDATE audit_events SET actor = 'mallory', hash = :h WHERE seq = 3", h=plain)
    assert _damage(cli) == (False, 3, "edited")


def test_verify_names_a_deleted_entry(runtime: Runtime, session: Session, cli: Cli) -> None:
    _events(runtime, 6)
    tamper(session, "DELETE FROM audit_events WHERE seq = 3")
    assert _damage(cli) == (False, 3, "deleted")


def test_verify_names_a_deleted_entry_when_the_later_ones_were_renumbered(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    _events(runtime, 6)
    tamper(
        session,
        "DELETE FROM audit_events WHERE seq = 3",
        *(f"UPDATE audit_events SET seq = {n - 1} WHERE seq = {n}" for n in range(4, 7)),
    )
    fix_head(session, 5)
    assert _damage(cli) == (False, 3, "deleted")


def test_verify_names_an_entry_inserted_at_the_end(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    _events(runtime, 6)
    newest = session.get(audit.AuditEvent, 6)
    assert newest is not None
    tamper(session, INSERT, seq=7, prev=newest.hash, hash="e" * 64, key=newest.key_id)
    assert _damage(cli) == (False, 7, "inserted")


def test_verify_names_an_entry_inserted_in_the_middle(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    _events(runtime, 6)
    before = session.get(audit.AuditEvent, 2)
    assert before is not None
    tamper(
        session,
        *(f"UPDATE audit_events SET seq = {n + 1} WHERE seq = {n}" for n in range(6, 2, -1)),
        INSERT,
        seq=3,
        prev=before.hash,
        hash="e" * 64,
        key=before.key_id,
    )
    fix_head(session, 7)
    assert _damage(cli) == (False, 3, "inserted")


def test_verify_names_the_newest_entries_removed_with_the_head_fixed_up(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    """The checkpoint log outside the database recorded entry 8: it is gone."""
    _events(runtime, 9)
    tamper(session, "DELETE FROM audit_events WHERE seq >= 6")
    fix_head(session, 5)
    with runtime.uow() as s:
        assert s.get(audit.AuditHead, 1).last_seq == 5  # type: ignore[union-attr]
    assert _damage(cli) == (False, 6, "truncated")


def test_verify_names_the_newest_entries_replaced_after_the_chain_was_cut_back(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    """Cut back to entry 5 and the service carried on writing genuine entries: entry 8 is not
    the entry the checkpoint log recorded."""
    _events(runtime, 9)
    tamper(session, "DELETE FROM audit_events WHERE seq >= 6")
    fix_head(session, 5)
    _events(runtime, 4)
    with runtime.uow() as s:
        assert s.get(audit.AuditHead, 1).last_seq == 9  # type: ignore[union-attr]
    intact, first_bad, damage = _damage(cli)
    assert (intact, damage) == (False, "truncated")
    assert first_bad == 5  # entry 4 is the last one a checkpoint vouches for


def test_verify_names_a_chain_re_hashed_without_the_key(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    """The actor of entry 4 changed, then every link recomputed and the head fixed up."""
    _events(runtime, 6)
    tamper(session, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 4")
    rehash_from(session, 1)
    assert _damage(cli) == (False, 1, "rehashed")


def test_verify_names_a_chain_re_hashed_as_if_written_before_the_key(
    runtime: Runtime, session: Session, cli: Cli
) -> None:
    """Stripping the key ids so that the entries look older than the keyed trail is no way out:
    the key file says which entries may have plain links (none here)."""
    _events(runtime, 6)
    tamper(session, "UPDATE audit_events SET key_id = NULL", "UPDATE audit_head SET key_id = NULL")
    rehash_from(session, 1)
    assert _damage(cli) == (False, 1, "rehashed")


def test_verify_names_an_altered_checkpoint_log(runtime: Runtime, cli: Cli) -> None:
    _events(runtime, 9)
    log = runtime.settings.audit_checkpoint_path
    lines = log.read_text().splitlines()
    first = json.loads(lines[0])
    first["seq"] = 3
    log.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    report = _verify(cli)
    assert (report["intact"], report["damage"]) == (False, "checkpoint")
    assert "line 1 was altered" in report["problem"]


def test_verify_names_a_checkpoint_line_removed_from_the_log(runtime: Runtime, cli: Cli) -> None:
    _events(runtime, 9)
    log = runtime.settings.audit_checkpoint_path
    lines = log.read_text().splitlines()
    log.write_text(lines[1] + "\n")
    report = _verify(cli)
    assert (report["intact"], report["damage"]) == (False, "checkpoint")
    assert "lines were removed" in report["problem"]
