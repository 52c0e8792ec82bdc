"""The composition root: every runtime, however it was built, refuses to change a held or a
destroyed record (the guards are installed by `build_runtime`, not by whichever module happened
to be imported first)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a fresh interpreter: nothing but the wiring, the document services and the hold service
# is imported, in an order that used to leave the guards uninstalled (documents first).
SCRIPT = textwrap.dedent(
    """
    import io, json, sys
    from edrm.documents.service import NewDocument, add_document, update_metadata
    from edrm.errors import RefusedError
    from edrm.access import SYSTEM
    from edrm.db import migrate
    from edrm.fileplan.io import parse_csv
    from edrm.fileplan.service import import_rows
    from edrm.settings import ensure_home, load_settings
    from edrm.wiring import build_runtime

    home = sys.argv[1]
    settings = load_settings(
        {"home": home, "database_url": "", "secret_key": "k"}, environ={}
    )
    ensure_home(settings)
    runtime = build_runtime(settings)
    migrate(runtime.engine)
    plan = "code,parent,kind,title,retention\\nFIN,,function,Finance,\\n"
    plan += "FIN-AP,FIN,activity,Payables,DESTROY-7Y\\n"
    with runtime.uow() as s:
        import_rows(s, parse_csv(plan))
        held = add_document(s, runtime.blobs, io.BytesIO(b"held"), NewDocument("a.txt", "FIN-AP"))
        gone = add_document(s, runtime.blobs, io.BytesIO(b"gone"), NewDocument("b.txt", "FIN-AP"))
        ids = held.id, gone.id

    from retention.holds import place_hold

    with runtime.uow() as s:
        place_hold(s, reason="litigation", authority="legal", actor=SYSTEM, document_id=ids[0])
    with runtime.uow() as s:
        from edrm.documents.models import Document

        s.get(Document, ids[1]).status = "destroyed"

    results = {}
    for name, doc_id in zip(("held", "destroyed"), ids):
        try:
            with runtime.uow() as s:
                update_metadata(s, doc_id, {"title": "changed"}, actor=SYSTEM)
            results[name] = "changed"
        except RefusedError as exc:
            results[name] = "refused: " + str(exc)
    print(json.dumps(results))
    """
)


def test_a_runtime_built_in_a_fresh_interpreter_refuses_changes_to_held_and_destroyed_records(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("EDRM_CONFIG_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "home")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["held"].startswith("refused: ") and "hold" in results["held"]
    assert results["destroyed"].startswith("refused: ") and "destroyed" in results["destroyed"]
