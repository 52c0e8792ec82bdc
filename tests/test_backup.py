"""`edrm backup DEST` and `edrm restore SRC`: a backup taken while an ingest batch and a disposal
run are in progress restores elsewhere with every document's bytes and the audit chain as they
were at the snapshot; a damaged or incomplete backup and a non-empty target are refused with
one line naming what is wrong; a second backup into the same folder copies only new blobs.

Every test restores into a data directory and database of its own (a scratch PostgreSQL
database on PostgreSQL, dropped afterwards). What does not depend on the engine (refusals, the
blob copy) runs on SQLite only.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from edrm.audit import AuditEvent
from edrm.backup import snapshot as backup_snapshot
from edrm.db import make_engine, normalise_url
from edrm.documents.models import Document, DocumentVersion
from edrm.ingest import jobs
from edrm.runtime import Runtime
from edrm.settings import load_settings
from edrm.storage import FileBlobStore
from tests.conftest import Cli, World, file_text
from tests.retention.disposal_helpers import approve, config_dir_with, queue
from tests.retention.disposal_helpers import with_records_management as with_rm

#: Refusals and the blob copy do not depend on the database engine: one is enough for them.
ONE_ENGINE = pytest.mark.sqlite_only
WAIT = 60  # seconds a gate waits at most (a hung thread fails the test instead of hanging it)


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """Destruction in chunks of two records, so that a disposal run can be caught between
    two chunks."""
    config = config_dir_with(tmp_path, "chunk_size = 2\nbatch_size = 1000\n")
    return {**settings_overrides, "config_dir": str(config)}


@pytest.fixture
def target(database_url: str, tmp_path: Path) -> Iterator[Cli]:
    """The CLI of an empty installation to restore into: a new data directory, and a new
    SQLite file or a new PostgreSQL database (dropped afterwards)."""
    home = tmp_path / "restored"
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored-db' / 'edrm.db'}"
        yield Cli(load_settings({"home": str(home), "database_url": url}, environ={}))
        return
    base = make_url(normalise_url(database_url))
    name = f"edrm_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        yield Cli(load_settings({"home": str(home), "database_url": url}, environ={}))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def _versions(url: str) -> dict[int, tuple[str, list[str]]]:
    """Every document of the database at `url`: its status and its versions' checksums."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(Document.id, Document.status, DocumentVersion.sha256)
                .join(DocumentVersion, DocumentVersion.document_id == Document.id)
                .order_by(Document.id, DocumentVersion.number)
            ).all()
    finally:
        engine.dispose()
    found: dict[int, tuple[str, list[str]]] = {}
    for doc_id, status, sha in rows:
        found.setdefault(doc_id, (status, []))[1].append(sha)
    return found


def _last_action(url: str) -> tuple[str, str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            last = conn.execute(
                select(AuditEvent.action, AuditEvent.object_id).order_by(AuditEvent.seq.desc())
            ).first()
            assert last is not None
            return last[0], last[1]
    finally:
        engine.dispose()


def _chain(url: str) -> list[tuple[int, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                (s, h)
                for s, h in conn.execute(
                    select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq)
                )
            ]
    finally:
        engine.dispose()


def _gate(owner: Any, name: str, after: int, reached: threading.Event, go: threading.Event) -> Any:
    """Wrap `owner.name` so that, once it has returned `after` times, it waits for `go`."""
    real = getattr(owner, name)
    calls = {"n": 0}

    def gated(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] == after:
            reached.set()
            assert go.wait(WAIT)
        return result

    return gated


def _ingest_batch(rt: Runtime, count: int) -> str:
    batch = jobs.new_batch()
    for n in range(count):
        with rt.uow() as s:
            jobs.submit(
                s,
                rt.blobs,
                io.BytesIO(f"Invoice {9000 + n} from Gamma Supplies\n\nTotal due.\n".encode()),
                f"gamma-{n}.txt",
                jobs.Submission(
                    submitted_by="recman", source="cli", batch=batch, into_code="FIN-AP-INV"
                ),
            )
    return batch


def _destroy(world: World, doc_id: int) -> str:
    """Destroy one document through approved disposal; its content's checksum."""
    from retention.execution import execute_approved

    rm = with_rm(world)
    with rm.runtime.uow() as s:
        sha = s.get_one(Document, doc_id).latest.sha256
    approve(rm.runtime, [queue(rm.runtime, doc_id)], rm.people["recman"])
    execute_approved(rm.runtime, actor=rm.people["recman"])
    assert not rm.runtime.blobs.exists(sha)
    return sha


def _in_thread(work: Callable[[], Any], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_backup_taken_while_ingest_and_disposal_run_restores_every_document_and_the_chain(
    world: World, cli: Cli, target: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database snapshot is taken with the ingest batch two jobs in and the disposal run
    one chunk in; both then finish before the blobs are copied, so the disposal destroys blobs
    the snapshot refers to: the backup lists them as destroyed since the snapshot, and restore
    names their documents."""
    from edrm.ingest import worker as ingest_worker
    from retention import execution
    from retention.execution import execute_approved

    rm = with_rm(world)
    rt = rm.runtime
    with rt.uow() as s:
        doomed = [file_text(s, rt, "FIN-AP-INV", f"Invoice {n} from Delta Ltd") for n in range(6)]
    approve(rt, [queue(rt, d) for d in doomed], rm.people["recman"])
    batch = _ingest_batch(rt, 6)
    assert cli("audit", "checkpoint").exit_code == 0  # the log outside the database is restored

    ingest_midway, disposal_midway, go = threading.Event(), threading.Event(), threading.Event()
    monkeypatch.setattr(
        ingest_worker, "read_job", _gate(ingest_worker, "read_job", 2, ingest_midway, go)
    )
    monkeypatch.setattr(execution, "db_part", _gate(execution, "db_part", 1, disposal_midway, go))
    errors: list[BaseException] = []

    def drain() -> None:
        with ingest_worker.Worker(rt) as worker:
            worker.drain(batch)

    threads = [
        _in_thread(drain, errors),
        _in_thread(lambda: execute_approved(rt, actor=rm.people["recman"]), errors),
    ]
    assert ingest_midway.wait(WAIT) and disposal_midway.wait(WAIT), errors

    real_copy = backup_snapshot._copy_blobs

    def after_snapshot(*args: Any) -> Any:
        go.set()  # the ingest batch and the disposal run finish between snapshot and copy
        for thread in threads:
            thread.join(WAIT)
        return real_copy(*args)

    monkeypatch.setattr(backup_snapshot, "_copy_blobs", after_snapshot)
    backup = _json(cli("backup", str(tmp_path / "bk"), "--json"))
    assert not errors

    live = _versions(rt.settings.db_url)
    destroyed_since = set(backup["destroyed_since_snapshot"])
    assert len(destroyed_since) == 4  # the second and third chunks' invoices
    assert all(live[d][0] == "destroyed" for d in doomed)
    assert backup["live_documents"] < sum(1 for status, _ in live.values() if status != "destroyed")

    restored = _json(target("restore", str(tmp_path / "bk"), "--json"))

    url = target.env["EDRM_DATABASE_URL"]
    again = _versions(url)
    assert sorted(restored["destroyed_since_snapshot"]) == doomed[2:]
    store = FileBlobStore(Path(target.env["EDRM_HOME"]) / "blobs")
    for doc_id, (status, shas) in again.items():
        assert live[doc_id][1] == shas  # the same versions as the live installation's
        if status == "destroyed":
            continue
        for sha in shas:
            if sha in destroyed_since:
                assert live[doc_id][0] == "destroyed"  # gone since the snapshot, lawfully
            else:
                assert hashlib.sha256(store.read_bytes(sha)).hexdigest() == sha
    *chain, _restore_entry = _chain(url)
    assert chain == _chain(rt.settings.db_url)[: len(chain)]
    assert _last_action(url) == ("system.restore", restored["taken_at"])
    verified = _json(target("audit", "verify", "--json"))
    assert verified["ok"] is True and verified["checkpoints"] >= 1
    found = _json(target("search", "Delta", "--json", "--as", "recman"))
    assert {h["id"] for h in found["hits"]} == set(doomed[2:])  # live at the snapshot

    # What restore says to do: finish the disposal that was running when the backup was taken.
    assert target("disposal", "execute", "--as", "recman").exit_code == 0
    assert {d: _versions(url)[d][0] for d in doomed} == dict.fromkeys(doomed, "destroyed")
    assert _json(target("audit", "verify", "--json"))["ok"] is True


@ONE_ENGINE
def test_a_corrupted_backup_file_is_refused_with_its_name(
    world: World, cli: Cli, target: Cli, tmp_path: Path
) -> None:
    dest = tmp_path / "bk"
    manifest = _json(cli("backup", str(dest), "--json"))
    assert manifest["blobs"] > 0
    blob = next(p for p in (dest / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes() + b"!")

    refused = target("restore", str(dest))

    assert refused.exit_code == 1
    assert f"{blob} does not match its checksum" in refused.stderr
    assert "Traceback" not in refused.output
    assert not Path(target.env["EDRM_HOME"]).exists()  # nothing was written


@ONE_ENGINE
def test_a_backup_without_its_manifest_is_refused(
    world: World, cli: Cli, target: Cli, tmp_path: Path
) -> None:
    """What a backup killed midway leaves: everything but the manifest, written last."""
    dest = tmp_path / "bk"
    _json(cli("backup", str(dest), "--json"))
    (dest / "manifest.json").unlink()

    refused = target("restore", str(dest))

    assert refused.exit_code == 1
    assert "is not a complete backup: it has no manifest.json" in refused.stderr


@ONE_ENGINE
def test_restore_refuses_a_data_directory_that_is_not_empty(
    world: World, cli: Cli, target: Cli, tmp_path: Path
) -> None:
    dest = tmp_path / "bk"
    _json(cli("backup", str(dest), "--json"))
    home = Path(target.env["EDRM_HOME"])
    home.mkdir()
    (home / "left-over").write_text("something")

    refused = target("restore", str(dest))

    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        f"edrm: error: the data directory {home} is not empty: restore into an empty one"
    ]


@ONE_ENGINE
def test_a_second_backup_into_the_same_folder_copies_only_new_blobs(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    rt = world.runtime
    dest = tmp_path / "bk"
    first = _json(cli("backup", str(dest), "--json"))
    with rt.uow() as s:
        file_text(s, rt, "FIN-AP-INV", "Invoice 31 from Epsilon plc")

    destroyed = _destroy(world, world.docs["old"])

    second = _json(cli("backup", str(dest), "--json"))

    assert first["blobs_copied"] == first["blobs"] == len(world.docs)
    # New: the invoice, and the certificate of destruction with its schedule (filed records).
    assert second["blobs"] == first["blobs"] - 1 + 3
    assert second["blobs_copied"] == 3
    assert second["blobs_removed"] == 1  # destroyed content does not outlive its record
    assert not any((dest / "blobs").rglob(destroyed))
    assert len(list((dest / "snapshots").iterdir())) == 1  # the earlier one went
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["live_documents"] == len(world.docs) - 1 + 3
    assert manifest["alembic_revision"] == first["alembic_revision"]
    assert all(len(sha) == 64 for sha in manifest["files"].values())


@ONE_ENGINE
def test_a_backup_stopped_midway_leaves_the_earlier_backup_in_dest_restorable(
    world: World, cli: Cli, target: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = world.runtime
    dest = tmp_path / "bk"
    first = _json(cli("backup", str(dest), "--json"))
    with rt.uow() as s:
        file_text(s, rt, "FIN-AP-INV", "Invoice 32 from Zeta plc")

    def stopped(*_args: Any) -> Any:
        raise RuntimeError("the backup was stopped")

    monkeypatch.setattr(backup_snapshot, "_copy_blobs", stopped)  # after its snapshot
    with pytest.raises(RuntimeError):
        cli("backup", str(dest), "--json")

    restored = _json(target("restore", str(dest), "--json"))
    assert restored["taken_at"] == json.loads((dest / "manifest.json").read_text())["taken_at"]
    assert restored["indexed"] == first["live_documents"] == len(world.docs)


@ONE_ENGINE
def test_a_blob_the_database_still_uses_missing_from_the_store_fails_the_backup(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    rt = world.runtime
    with rt.uow() as s:
        sha = s.get_one(Document, world.docs["invoice"]).latest.sha256
    rt.blobs.path(sha).unlink()

    failed = cli("backup", str(tmp_path / "bk"))

    assert failed.exit_code == 1
    assert f"blob {sha} is missing from the blob store although the database" in failed.stderr
    assert not (tmp_path / "bk" / "manifest.json").exists()


def test_keys_kept_outside_the_data_directory_are_named_not_copied_and_config_is_copied(
    world: World, cli: Cli, target: Cli, tmp_path: Path
) -> None:
    """The key file is kept elsewhere on purpose (whoever can read the data directory should
    not hold the key): the backup warns instead of copying it; the config folder is copied."""
    rt = world.runtime
    keys = tmp_path / "elsewhere" / "keys.json"
    keys.parent.mkdir()
    rt.settings.audit_key_path.rename(keys)
    keys.chmod(0o600)
    for env in (cli.env, target.env):
        env["EDRM_AUDIT_KEY_FILE"] = str(keys)
    cli.env["EDRM_CONFIG_DIR"] = str(rt.settings.config_dir)

    backup = _json(cli("backup", str(tmp_path / "bk"), "--json"))

    assert any(f"outside the data directory ({keys})" in w for w in backup["warnings"])
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    own = manifest["snapshot"]
    assert f"{own}/audit/keys.json" not in manifest["files"]
    assert manifest["config"] == "config" and f"{own}/config/edrm.toml" in manifest["files"]
    _json(target("restore", str(tmp_path / "bk"), "--json"))
    assert _json(target("audit", "verify", "--json"))["ok"] is True


@ONE_ENGINE
def test_a_backup_of_a_newer_schema_is_refused_before_anything_is_written(
    world: World, cli: Cli, target: Cli, tmp_path: Path
) -> None:
    dest = tmp_path / "bk"
    _json(cli("backup", str(dest), "--json"))
    manifest = json.loads((dest / "manifest.json").read_text())
    (dest / "manifest.json").write_text(json.dumps({**manifest, "alembic_revision": "0099_x"}))

    refused = target("restore", str(dest))

    assert refused.exit_code == 1
    assert "the backup's schema 0099_x is newer than this edrm knows" in refused.stderr
    assert not Path(target.env["EDRM_HOME"]).exists()
