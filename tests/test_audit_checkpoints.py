"""Issue 11, point 5: the audit trail's head is checkpointed outside the database — every N
entries and every hour into an append-only, MACed log in the data directory, and to syslog and
an RFC 3161 time-stamp authority when they are configured (a local authority here)."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from edrm import audit
from edrm.audit import checkpoints
from edrm.runtime import Runtime
from edrm.settings import DEFAULT_CONFIG_DIR
from edrm.wiring.scheduler import load_definitions, run_job
from tests.conftest import Cli
from tests.local_tsa import local_tsa


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "audit_checkpoint_every": 5}


def _events(runtime: Runtime, n: int) -> None:
    for i in range(n):
        with runtime.uow() as s:
            audit.record(s, "alice", "document.view", "document", i)


def _log(runtime: Runtime) -> list[checkpoints.Checkpoint]:
    with runtime.uow() as s:
        ring = audit.trail_of(s).keyring()
    lines, problems = checkpoints.read(runtime.settings.audit_checkpoint_path, ring)
    assert problems == []
    return lines


def _head(runtime: Runtime) -> tuple[int, str]:
    with runtime.uow() as s:
        head = s.get(audit.AuditHead, 1)
        assert head is not None
        return head.last_seq, head.last_hash


def test_the_head_is_checkpointed_every_n_entries(runtime: Runtime) -> None:
    _events(runtime, 12)
    lines = _log(runtime)
    assert [(cp.seq, cp.reason) for cp in lines] == [
        (5, "every 5 entries"),
        (10, "every 5 entries"),
    ]
    with runtime.uow() as s:
        assert lines[1].hash == s.get(audit.AuditEvent, 10).hash  # type: ignore[union-attr]
    path = runtime.settings.audit_checkpoint_path
    assert path.parent == runtime.settings.home / "audit"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_bulk_append_past_n_entries_is_checkpointed_once_committed(runtime: Runtime) -> None:
    with runtime.uow() as s:
        audit.record_many(s, [("alice", "x", "document", i, None) for i in range(13)])
        assert not runtime.settings.audit_checkpoint_path.exists()
    assert [cp.seq for cp in _log(runtime)] == [13]


def test_a_checkpoint_due_inside_a_savepoint_waits_for_the_whole_transaction(
    runtime: Runtime,
) -> None:
    """Releasing a savepoint commits nothing (the ingest worker files each document in one): the
    checkpoint is written when the transaction commits. Written at the savepoint, it read the
    head on a second connection while this one held SQLite's write lock, and waited on itself
    for the whole busy timeout, holding every other writer up, before it failed."""
    with runtime.uow() as s:
        with s.begin_nested():
            audit.record_many(s, [("alice", "x", "document", i, None) for i in range(6)])
        assert not runtime.settings.audit_checkpoint_path.exists()
    assert [cp.seq for cp in _log(runtime)] == [6]


def test_entries_rolled_back_are_never_checkpointed(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.uow() as s:
        audit.record_many(s, [("alice", "x", "document", i, None) for i in range(7)])
        raise RuntimeError("the change is refused")
    assert _log(runtime) == []
    _events(runtime, 5)
    assert [cp.seq for cp in _log(runtime)] == [5]


def test_each_checkpoint_line_is_maced_and_chained_to_the_one_before(runtime: Runtime) -> None:
    _events(runtime, 10)
    first, second = _log(runtime)
    assert first.prev == checkpoints.GENESIS_MAC and second.prev == first.mac
    assert first.key == json.loads(runtime.settings.audit_key_path.read_text())["keys"][0]["id"]


def test_the_hourly_job_checkpoints_the_head(runtime: Runtime) -> None:
    definitions = {d.id: d for d in load_definitions(DEFAULT_CONFIG_DIR / "jobs.toml")}
    assert definitions["audit-checkpoint"].function == "edrm.audit.jobs:hourly_checkpoint"
    assert definitions["audit-checkpoint"].cron.split()[1:] == ["*", "*", "*", "*"]
    _events(runtime, 3)
    result = run_job(runtime, "audit-checkpoint")
    assert result == "checkpoint of entry 3 written"
    (cp,) = _log(runtime)
    assert (cp.seq, cp.hash, cp.reason) == (*_head(runtime), "hourly")


def test_a_checkpoint_goes_to_syslog_when_configured(runtime: Runtime, cli: Cli) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    try:
        cli.env["EDRM_AUDIT_SYSLOG"] = f"127.0.0.1:{receiver.getsockname()[1]}"
        _events(runtime, 2)
        result = cli("audit", "checkpoint", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["syslog"] is True
        message = receiver.recv(4096).decode()
    finally:
        receiver.close()
    seq, last_hash = _head(runtime)
    assert message.startswith("<38>")  # facility auth (4) * 8 + severity info (6)
    assert f"edrm-audit checkpoint seq={seq} hash={last_hash}" in message


def test_a_checkpoint_is_time_stamped_by_the_configured_authority(
    runtime: Runtime, cli: Cli, tmp_path: Path
) -> None:
    _events(runtime, 2)
    with local_tsa(tmp_path / "tsa") as tsa:
        cli.env["EDRM_AUDIT_TSA_URL"] = tsa.url
        cli.env["EDRM_AUDIT_TSA_CA_FILE"] = str(tsa.root_pem)
        result = cli("audit", "checkpoint", "--json")
        assert result.exit_code == 0, result.output
        written = json.loads(result.output)
        assert written["problem"] == "" and len(tsa.requests) == 1
    token = Path(written["timestamp_token"])
    (cp,) = _log(runtime)
    assert token == runtime.settings.audit_dir / "tsa" / cp.token_name
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["checkpoints"] == 1


def test_a_time_stamp_token_that_does_not_match_its_checkpoint_is_found(
    runtime: Runtime, cli: Cli, tmp_path: Path
) -> None:
    _events(runtime, 2)
    with local_tsa(tmp_path / "tsa") as tsa:
        cli.env["EDRM_AUDIT_TSA_URL"] = tsa.url
        cli.env["EDRM_AUDIT_TSA_CA_FILE"] = str(tsa.root_pem)
        first = json.loads(cli("audit", "checkpoint", "--json").output)["timestamp_token"]
        _events(runtime, 1)
        second = json.loads(cli("audit", "checkpoint", "--json").output)["timestamp_token"]
    Path(first).write_bytes(Path(second).read_bytes())
    report = json.loads(cli("audit", "verify", "--json").output)
    assert (report["intact"], report["damage"], report["first_bad"]) == (False, "checkpoint", None)
    assert "time-stamp token" in report["problem"] and "does not verify" in report["problem"]


def test_an_unreachable_authority_still_leaves_the_log_line(runtime: Runtime, cli: Cli) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    _events(runtime, 1)
    cli.env["EDRM_AUDIT_TSA_URL"] = f"http://127.0.0.1:{port}/tsr"
    result = cli("audit", "checkpoint")
    assert result.exit_code == 0
    assert "checkpoint of entry 1 written; time-stamp authority" in result.output
    assert [cp.seq for cp in _log(runtime)] == [1]
