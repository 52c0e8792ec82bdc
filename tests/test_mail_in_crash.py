"""E-mail in (issue 13 part 6): a real `edrm mail serve` process killed (SIGKILL) right after
it answered 250 loses nothing: restarted, it files the message exactly once."""

from __future__ import annotations

import os
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from edrm.documents.models import Document
from edrm.ingest.models import DONE, IngestJob
from edrm.mailin.models import Transmission
from tests.conftest import Cli, World
from tests.test_mail_in import CAPTURE, CLERK, free_port, give_addresses, message

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]

REPO = Path(__file__).resolve().parents[1]


def _serve(cli: Cli, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **cli.env,
        "PYTHONPATH": str(REPO),
        "EDRM_MAIL_CAPTURE_ADDRESS": CAPTURE,
    }
    command = ["mail", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    return subprocess.Popen(
        [sys.executable, "-m", "edrm", *command],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    for _ in range(600):
        assert process.poll() is None, log.read_text()
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
                smtp.noop()
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"edrm mail serve never listened: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_listener_killed_after_its_250_files_the_message_once_restarted(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    """Issue 13 part 6: the message is committed before the 250, so the kill loses nothing;
    the restarted process's worker takes up the job (its dead claim requeued at once) and
    the message, with its attachment, is filed exactly once."""
    give_addresses(world.runtime, clerk=CLERK)
    port, log = free_port(), tmp_path / "mail-serve.log"
    msg = message(
        "[FIN-AP-INV] Invoice 8080", attachments=(("invoice-8080.txt", b"Invoice 8080\n"),)
    )
    first = _serve(cli, port, log)
    try:
        _wait_listening(first, port, log)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            refused = smtp.sendmail(CLERK, [CAPTURE], msg.as_bytes())
            assert refused == {}  # 250 for the message
            _stop(first, signal.SIGKILL)  # at once after the 250
    finally:
        _stop(first, signal.SIGKILL)
    second = _serve(cli, port, log)
    try:
        _wait_listening(second, port, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with world.runtime.uow() as s:
                jobs = s.scalars(select(IngestJob).where(IngestJob.batch == "mail")).all()
                if len(jobs) == 2 and all(j.status == DONE for j in jobs):
                    break
            time.sleep(0.1)
    finally:
        _stop(second)
    with world.runtime.uow() as s:
        assert s.scalar(select(func.count()).select_from(Transmission)) == 1
        jobs = s.scalars(select(IngestJob).where(IngestJob.batch == "mail")).all()
        assert [j.status for j in jobs] == [DONE, DONE], log.read_text()
        titles = sorted(
            s.scalars(select(Document.title).where(Document.id.in_([j.document_id for j in jobs])))
        )
        assert titles == ["Invoice 8080", "Invoice 8080"]
        assert {j.class_code for j in jobs} == {"FIN-AP-INV"}
