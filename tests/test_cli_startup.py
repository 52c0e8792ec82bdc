"""The command line starts lean (issue 16, start-up): `edrm --version` and `edrm --help` import
click and nothing heavy, a command's module is imported only when it runs, and the checks at a
command's start (the schema's revision) answer as alembic would without importing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import click
import pytest
from sqlalchemy import create_engine

import edrm
from edrm.cli import COMMANDS, main
from edrm.db import alembic_config, current_revision, head_revision
from edrm.settings import Settings
from edrm.wiring import Runtime
from tests.conftest import Cli, World

ROOT = Path(__file__).resolve().parent.parent

#: Libraries a command loads only when it needs them.
HEAVY = (
    "sklearn",
    "numpy",
    "scipy",
    "pypdfium2",
    "tantivy",
    "elasticsearch",
    "PIL",
    "pytesseract",
    "magic",
    "boto3",
    "flask",
    "alembic",
    "sqlalchemy",
    "pydantic",
)


def _imported(*args: str, env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules a whole `edrm ARGS` process imports (python -X importtime), and its stdout."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "edrm", *args],
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return modules, done.stdout


def _heavy(modules: set[str], names: tuple[str, ...] = HEAVY) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in names)


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_heavy_library_and_no_command_module(flag: str) -> None:
    modules, _ = _imported(flag)
    assert _heavy(modules) == []
    areas = sorted(m for m in modules if m.startswith("edrm.cli."))
    assert areas == ["edrm.cli.lazy_group"]


def test_help_lists_every_command_with_its_own_short_help() -> None:
    """The table of contents' texts are the commands' own: `edrm --help` reads the same as it
    would with every command's module imported."""
    for entry in COMMANDS:
        command = entry.load()
        assert command.help is not None
        assert entry.help == " ".join(command.help.split("\n\n")[0].split()), entry.name
    _, lazy_help = _imported("--help", env={"COLUMNS": "80"})
    eager = click.Group(
        main.name, help=main.help, params=main.params, context_settings=main.context_settings
    )
    for entry in COMMANDS:
        eager.add_command(entry.load())
    context = eager.make_context("python -m edrm", [], resilient_parsing=True, terminal_width=78)
    expected = eager.get_help(context)
    assert lazy_help.strip() == expected.strip()
    assert [entry.name for entry in COMMANDS] == list(main.commands)


def test_a_command_s_module_is_imported_when_the_command_is_looked_up() -> None:
    """`main.commands[name]` gives the command itself (what click runs and tests walk)."""
    from edrm.cli import search

    assert main.commands["search"] is search.search
    assert "no-such-command" not in main.commands


def test_the_version_printed_is_the_package_s_as_pyproject_gives_it() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert edrm.__version__ == project["version"]
    _, out = _imported("--version")
    assert out.strip().endswith(f"version {project['version']}")


@pytest.mark.sqlite_only
def test_ingest_of_one_file_with_no_trained_model_loads_neither_the_model_nor_alembic(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    """The one-file path runs every check (schema revision, access, the pipeline's readers)
    but loads scikit-learn only for a trained model, alembic only to migrate, and
    prometheus_client only for a scrape."""
    note = tmp_path / "note.txt"
    note.write_text("A note about paying a supplier.\n", encoding="utf-8")
    modules, out = _imported(
        "ingest", str(note), "--into", "FIN-AP-INV", "--as", "clerk", "--json", env=cli.env
    )
    line = json.loads(out.splitlines()[0])
    assert (line["status"], line["class_code"]) == ("filed", "FIN-AP-INV")
    assert _heavy(modules, ("sklearn", "scipy", "alembic", "flask", "tantivy")) == []
    # Nothing is scraped: what the job counted waits in edrm.metrics (tests/test_metrics.py).
    assert _heavy(modules, ("prometheus_client",)) == []


@pytest.mark.sqlite_only
def test_ingest_of_one_file_with_a_trained_model_loads_no_scikit_learn(
    cli: Cli, world: World, settings: Settings, tmp_path: Path
) -> None:
    """A trained model is read in its numpy-only form: the model's opinion is in the reason,
    and neither scikit-learn nor scipy is imported (nor Pillow or Tesseract, for a text file)."""
    from edrm.ingest.classify.model import train
    from edrm.ingest.classify.model_files import save_model

    examples = [(f"supplier invoice {n} VAT total due", "FIN-AP-INV") for n in range(4)]
    examples += [(f"security incident {n} badge tailgating", "SEC-OPS-INC") for n in range(4)]
    save_model(train(examples), settings.model_dir)
    note = tmp_path / "invoice.txt"
    note.write_text("Supplier invoice 12: VAT and the total due.\n", encoding="utf-8")
    modules, out = _imported("ingest", str(note), "--as", "clerk", "--json", env=cli.env)
    line = json.loads(out.splitlines()[0])
    assert line["status"] in ("filed", "triage"), line
    assert "numpy" in {m.split(".")[0] for m in modules}  # the model was loaded
    assert _heavy(modules, ("sklearn", "scipy", "joblib", "PIL", "pytesseract", "alembic")) == []


def test_the_schema_revision_is_read_as_alembic_reads_it(runtime: Runtime, tmp_path: Path) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with runtime.engine.connect() as conn:
        assert (
            current_revision(runtime.engine)
            == MigrationContext.configure(conn).get_current_revision()
        )
    assert (
        head_revision()
        == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    )
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    assert current_revision(empty) is None


@pytest.mark.slow
def test_the_start_up_bench_prints_each_command_beside_the_interpreter_s_own_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDRM_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "cli.py"), "--runs", "1"],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for line in ("python -c pass", "edrm --version", "edrm ingest FILE --into CODE"):
        assert line in done.stdout
    assert "classifier: rules only, no model" in done.stdout


_LEAVE_AS_PYTHON_WOULD = """
import atexit, sys, threading, time
from pathlib import Path
from edrm.cli.lean_exit import leave
out = Path(sys.argv[1])
def late_thread():
    time.sleep(0.3)
    (out / "thread").write_text("finished")
threading.Thread(target=late_thread).start()
atexit.register(lambda: (out / "atexit").write_text("ran"))
sys.stdout.write("x" * 100_000)  # no newline: still in the buffer
leave(3)
print("not reached")
"""


def test_the_lean_exit_waits_for_threads_runs_exit_functions_and_flushes(tmp_path: Path) -> None:
    """What Python's exit does before its tear-down is done, in order, with the same status."""
    done = subprocess.run(
        [sys.executable, "-c", _LEAVE_AS_PYTHON_WOULD, str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == "x" * 100_000
    assert (tmp_path / "thread").read_text() == "finished"
    assert (tmp_path / "atexit").read_text() == "ran"


@pytest.mark.sqlite_only
def test_ingest_run_as_a_process_ends_with_its_status_its_lines_and_its_documents_kept(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    """`edrm ingest` leaves without the interpreter's tear-down (lean_exit): the exit status
    says a file failed, every line is printed, and what was filed is in the database."""
    note = tmp_path / "note.txt"
    note.write_text("A note about paying a supplier, lean exit.\n", encoding="utf-8")
    files = [str(note), str(tmp_path / "missing.txt")]
    done = subprocess.run(
        [sys.executable, "-m", "edrm", "ingest", *files, "--into", "FIN-AP-INV", "--json"],
        env={**os.environ, **cli.env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    filed, missing = (json.loads(line) for line in done.stdout.splitlines())
    assert (filed["status"], missing["status"]) == ("filed", "failed")
    from edrm.documents.models import Document

    with world.runtime.uow() as s:
        node = s.get_one(Document, filed["document_id"]).node
        assert node is not None and node.code == "FIN-AP-INV"
    assert "ingest" in main.lean_exit


def test_a_script_s_header_gives_the_names_the_whole_script_gives(tmp_path: Path) -> None:
    """head_revision parses only a script's header (up to its first function) unless a name
    it reads appears later, or the cut falls inside a string: the answer is the whole script's."""
    import ast

    from edrm.db import MIGRATIONS_DIR, _literal_assignments

    def whole(script: Path) -> dict[str, object]:
        found: dict[str, object] = {}
        for node in ast.parse(script.read_bytes()).body:
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                target = node.targets[0] if isinstance(node, ast.Assign) else node.target
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    found[target.id] = ast.literal_eval(node.value)
        return found

    odd = {
        "late.py": 'revision = "a"\ndef upgrade():\n    pass\ndown_revision = "b"\n',
        "in_string.py": 'revision = "a"\nNOTE = """\ndef not_code\n"""\ndown_revision = None\n',
        "joined.py": 'revision = "a"\ndef f(): pass\nx = 1; down_revision = "c"\n',
    }
    for name, text in odd.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    scripts = [*sorted((MIGRATIONS_DIR / "versions").glob("0*.py")), *sorted(tmp_path.iterdir())]
    for script in scripts:
        read = _literal_assignments(script)
        assert {k: read[k] for k in ("revision", "down_revision") if k in read} == whole(script)
    assert _literal_assignments(tmp_path / "late.py")["down_revision"] == "b"


_LOAD_WITHOUT_COLLECTION = """
import gc
from edrm.cli.lean_exit import loading_without_collection
with loading_without_collection():
    paused = not gc.isenabled()
    import edrm.wiring  # every table's model
print(paused, gc.isenabled(), gc.get_freeze_count() > 1000)
"""


def test_a_one_shot_command_s_modules_load_with_the_collector_paused_then_frozen() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_WITHOUT_COLLECTION],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["True", "True", "True"]
