"""Kill the response and the bundle export where they write, then run them again: nothing is
lost or done twice.

Each step runs in a separate OS process on the test's data directory and database, SIGKILLed at
a crash point hooked in the child itself (the product carries no test-only code):
- the response: with the letter and bundle stored and filed but not committed; just after the
  commit (the retry is refused: one response, one letter, one bundle);
- the export: with the new bundle written beside the target but not renamed into place (the
  previous file is left whole).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from disclosure.redaction_config import load_redaction_config
from disclosure.redaction_models import RequestResponse
from disclosure.redactions import approve, propose
from edrm.documents.models import Document
from edrm.runtime import Runtime
from tests.disclosure.redaction_samples import SECRET
from tests.disclosure.redaction_world import RedactionWorld, make_world
from tests.kill_points import KILL_HOOKS

pytestmark = pytest.mark.slow  # each case runs a real process to its kill point

ROOT = Path(__file__).resolve().parents[2]

CHILD = (
    KILL_HOOKS
    + r"""
from pathlib import Path


point, step, request_id, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def before_rename():
    real = os.replace

    def hooked(source, destination):
        if str(destination).endswith(".pdf"):
            die()
        return real(source, destination)

    os.replace = hooked


POINTS = {
    "respond-before-commit": lambda: wrap("disclosure.responses.set_status"),
    "respond-after-commit": lambda: wrap("disclosure.responses.set_status", then_commit=True),
    "export-before-rename": before_rename,
}
if point != "none":
    POINTS[point]()

from disclosure.bundle_export import bundle_for, write_file
from disclosure.redaction_config import load_redaction_config
from disclosure.responses import respond
from edrm.people.service import principal_for
from edrm.settings import load_settings
from edrm.wiring import build_runtime

rt = build_runtime(load_settings())
config = load_redaction_config(rt.settings)
with rt.uow() as s:
    officer = principal_for(s, "officer")
    if step == "respond":
        respond(s, rt.blobs, config, actor=officer, request_id=request_id, letter="part",
                public_interest="", publish=True)
    else:
        data, _ = bundle_for(s, rt.blobs, config, actor=officer, request_id=request_id)
        write_file(Path(target), data)
rt.close()
"""
)


def run_child(rt: Runtime, point: str, step: str, request_id: int, target: str = "-") -> None:
    settings = rt.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    env.update(
        EDRM_HOME=str(settings.home),
        EDRM_DATABASE_URL=settings.database_url,
        EDRM_CONFIG_DIR=str(settings.config_dir),
        EDRM_SECRET_KEY="test-secret-key",
        PYTHONPATH=str(ROOT),
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, point, step, str(request_id), target],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if point == "none":
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)


@pytest.fixture
def rw(runtime: Runtime) -> RedactionWorld:
    world = make_world(runtime)
    config = load_redaction_config(runtime.settings)
    with runtime.uow() as s:
        ids = [
            propose(
                s,
                config,
                actor=world.people["officer"],
                request_id=world.request_id,
                document_id=d,
                exemption="s40",
                term=SECRET,
            ).id
            for d in world.docs.values()
        ]
        for rid in ids:
            approve(s, world.people["second"], rid)
    return world


def _responses(rt: Runtime) -> tuple[int, int]:
    with rt.uow() as s:
        responses = s.scalar(select(func.count()).select_from(RequestResponse)) or 0
        filed = (
            s.scalar(
                select(func.count())
                .select_from(Document)
                .where(Document.doc_type.in_(("Response letter", "Disclosure bundle")))
            )
            or 0
        )
        return int(responses), int(filed)


@pytest.mark.parametrize("point", ["respond-before-commit", "respond-after-commit"])
def test_a_response_killed_while_it_is_sent_is_sent_once(rw: RedactionWorld, point: str) -> None:
    rt = rw.runtime
    run_child(rt, point, "respond", rw.request_id)
    before = _responses(rt)
    assert before == ((0, 0) if point == "respond-before-commit" else (1, 2))
    if point == "respond-before-commit":
        run_child(rt, "none", "respond", rw.request_id)
    else:  # the retry is refused: the request has its response
        with pytest.raises(AssertionError, match="already been answered"):
            run_child(rt, "none", "respond", rw.request_id)
    assert _responses(rt) == (1, 2)


def test_an_export_killed_before_the_rename_leaves_the_previous_file_whole(
    rw: RedactionWorld, tmp_path: Path
) -> None:
    target = tmp_path / "bundle.pdf"
    target.write_bytes(b"%PDF-1.4 the previous bundle")
    run_child(rw.runtime, "export-before-rename", "export", rw.request_id, str(target))
    assert target.read_bytes() == b"%PDF-1.4 the previous bundle"
    run_child(rw.runtime, "none", "export", rw.request_id, str(target))
    assert (
        target.read_bytes().startswith(b"%PDF-1.3") and SECRET.encode() not in target.read_bytes()
    )
