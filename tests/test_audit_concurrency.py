"""Issue 11, point 11: several processes appending audit entries at once (real processes, each
entry its own transaction): the sequence stays contiguous, every checkpoint line they wrote is
genuine, and `edrm audit verify` passes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from edrm import audit
from edrm.audit import checkpoints
from edrm.runtime import Runtime
from edrm.settings import Settings
from tests.conftest import Cli

pytestmark = pytest.mark.slow

PROCESSES = 4
APPENDS = 50

_APPENDER = """
import sys
from edrm import audit
from edrm.settings import load_settings
from edrm.wiring import build_runtime

name = sys.argv[1]
rt = build_runtime(load_settings())
sys.stdout.write("ready\\n")
sys.stdout.flush()
sys.stdin.readline()  # all start together
for n in range(int(sys.argv[2])):
    with rt.uow() as s:
        audit.record(s, name, "document.view", "document", n, {"n": n})
rt.close()
"""


def test_several_processes_appending_at_once_keep_the_sequence_contiguous(
    runtime: Runtime, settings: Settings, cli: Cli
) -> None:
    env = {
        **os.environ,
        "EDRM_HOME": str(settings.home),
        "EDRM_DATABASE_URL": settings.database_url,
        "EDRM_AUDIT_CHECKPOINT_EVERY": "10",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _APPENDER, f"writer-{i}", str(APPENDS)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            _out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    with runtime.uow() as s:
        rows = s.execute(select(audit.AuditEvent.seq, audit.AuditEvent.actor)).all()
        ring = audit.trail_of(s).keyring()
    assert sorted(seq for seq, _ in rows) == list(range(1, PROCESSES * APPENDS + 1))
    writers = {actor for _, actor in rows}
    assert writers == {f"writer-{i}" for i in range(PROCESSES)}
    lines, problems = checkpoints.read(settings.audit_checkpoint_path, ring)
    assert problems == []
    assert len(lines) == PROCESSES * APPENDS // 10  # each multiple of 10 passed once
    result = cli("audit", "verify", "--json")
    assert result.exit_code == 0, result.output
    assert f'"checked": {PROCESSES * APPENDS}' in result.output
