"""The audit trail is MAC-chained: any edit, deletion or insertion is found and named.

The attacks go past the database's triggers (`tests.audit_helpers.tamper`), as someone with DDL
rights on the database would."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from edrm import audit
from tests.audit_helpers import tamper
from tests.conftest import Cli


def _three_events(session: Session) -> None:
    for n in range(1, 4):
        audit.record(session, "alice", "document.create", "document", n, {"title": f"Doc {n}"})
    session.commit()


def test_a_fresh_chain_verifies(session: Session) -> None:
    _three_events(session)
    result = audit.verify(session)
    assert result.ok
    assert result.checked == 3


def test_each_event_links_to_the_one_before(session: Session) -> None:
    _three_events(session)
    events = session.query(audit.AuditEvent).order_by(audit.AuditEvent.seq).all()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == audit.GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash


def test_an_edited_entry_is_named(session: Session) -> None:
    _three_events(session)
    tamper(session, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 2


def test_an_edited_entry_with_a_recomputed_hash_is_still_found(session: Session) -> None:
    """Even by someone who holds the key: the next entry's MAC covers the old MAC."""
    _three_events(session)
    event = session.get(audit.AuditEvent, 2)
    assert event is not None and event.key_id is not None
    key = audit.trail_of(session).keyring_with(event.key_id).secret(event.key_id)
    forged = audit.compute_hash(
        2,
        event.at,
        "mallory",
        event.action,
        event.object_type,
        event.object_id,
        event.details,
        event.prev_hash,
        event.key_id,
        key=key,
    )
    tamper(session, "UPDATE audit_events SET actor = 'mallory', hash = :h WHERE seq = 2", h=forged)
    result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 3


def test_a_deleted_entry_is_named(session: Session) -> None:
    _three_events(session)
    tamper(session, "DELETE FROM audit_events WHERE seq = 2")
    result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 2


def test_deleting_the_newest_entry_is_found(session: Session) -> None:
    _three_events(session)
    tamper(session, "DELETE FROM audit_events WHERE seq = 3")
    result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 3


def test_an_inserted_entry_is_named(session: Session) -> None:
    _three_events(session)
    session.execute(
        text(
            "INSERT INTO audit_events (seq, at, actor, action, object_type, object_id, details,"
            " prev_hash, hash) VALUES (4, '2030-01-01T00:00:00+00:00', 'mallory', 'x', 'y', 'z',"
            " '{}', :p, :h)"
        ),
        {"p": "f" * 64, "h": "e" * 64},
    )
    session.commit()
    result = audit.verify(session)
    assert not result.ok
    assert result.first_bad_seq == 4


def test_audit_verify_command_exits_zero_on_an_intact_trail(cli: Cli, session: Session) -> None:
    _three_events(session)
    result = cli("audit", "verify")
    assert result.exit_code == 0
    assert "intact" in result.output


def test_audit_verify_command_names_an_edited_row_and_fails(cli: Cli, session: Session) -> None:
    _three_events(session)
    tamper(session, 'UPDATE audit_events SET details = \'{"title":"x"}\' WHERE seq = 2')
    result = cli("audit", "verify", "--json")
    assert result.exit_code == 1
    assert '"first_bad_seq": 2' in result.output
    plain = cli("audit", "verify")
    assert plain.exit_code == 1
    assert "entry 2" in plain.stderr
