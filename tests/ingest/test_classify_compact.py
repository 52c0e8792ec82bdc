"""The numpy-only form of the classifier (issue 16, start-up): classifier-vN.npz beside the joblib
model gives the same probabilities and explaining terms, and classifying with it needs no
scikit-learn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from edrm.demo.corpus import demo_folders, generate_documents
from edrm.errors import InvalidInputError
from edrm.ingest.classify.compact import CompactModel
from edrm.ingest.classify.features import model_text
from edrm.ingest.classify.model import TrainedModel, model_view, train
from edrm.ingest.classify.model_files import KEEP_VERSIONS, load_current, load_full, save_model
from edrm.ingest.classify.rules import RuleSet
from edrm.ingest.classify.suggestions import read_for_model, suggest

ROOT = Path(__file__).resolve().parents[2]

ODD_TEXTS = [
    "",
    "   \n\t ",
    "Café crème brûlée: façade naïve, Zürich Straße — invoice №42",
    "x" * 50,
    "INVOICE invoice Invoice\n\n\nVAT   total\u00a0due",
    "日本語のテキスト and some words",
]


@pytest.fixture(scope="module")
def demo() -> tuple[list[str], TrainedModel]:
    """The demo's 160 documents as the model reads them, and a model trained on them."""
    parents = {folder.code: folder.parent_code for folder in demo_folders()}
    docs = generate_documents(seed=2025, count=160)
    texts = [model_text(d.content.decode("utf-8"), d.filename) for d in docs]
    codes = [parents.get(d.into_code, d.into_code) for d in docs]
    return texts, train(list(zip(texts, codes, strict=True)))


def _two_class_model() -> TrainedModel:
    examples = [(f"supplier invoice {n} VAT total due", "FIN-AP-INV") for n in range(4)]
    examples += [(f"security incident {n} badge tailgating", "SEC-OPS-INC") for n in range(4)]
    return train(examples)


def _assert_same_readings(model: TrainedModel, compact: CompactModel, texts: list[str]) -> None:
    for text in texts:
        full, quick = model_view(model, text), compact.view(text)
        assert set(full.probabilities) == set(quick.probabilities)
        for code, p in full.probabilities.items():
            assert quick.probabilities[code] == pytest.approx(p, abs=1e-9), (code, text[:60])
        for code in model.classes:
            assert quick.terms(code) == full.terms(code), (code, text[:60])


def test_the_compact_model_scores_the_demo_as_the_scikit_learn_model_does(
    demo: tuple[list[str], TrainedModel], tmp_path: Path
) -> None:
    texts, model = demo
    save_model(model, tmp_path)
    compact = load_current(tmp_path)
    assert isinstance(compact, CompactModel)
    assert (compact.classes, compact.version) == (model.classes, 1)
    assert compact.input_version == model.input_version
    assert compact.auto_threshold == model.auto_threshold
    _assert_same_readings(model, compact, texts + ODD_TEXTS)


def test_a_two_class_compact_model_scores_as_the_scikit_learn_model_does(tmp_path: Path) -> None:
    model = _two_class_model()
    save_model(model, tmp_path)
    compact = load_current(tmp_path)
    assert isinstance(compact, CompactModel)
    _assert_same_readings(model, compact, ["invoice VAT", "badge at the gate", *ODD_TEXTS])


def test_suggestions_from_either_form_are_the_same(
    demo: tuple[list[str], TrainedModel], tmp_path: Path
) -> None:
    texts, model = demo
    save_model(model, tmp_path)
    compact = load_current(tmp_path)
    assert isinstance(compact, CompactModel)
    for text in texts[:40]:
        full_view = read_for_model(model, text, "a.txt")
        quick_view = read_for_model(compact, text, "a.txt")
        assert full_view is not None and quick_view is not None
        full = suggest(text, "a.txt", "", RuleSet(), model, view=full_view)
        quick = suggest(text, "a.txt", "", RuleSet(), compact, view=quick_view)
        assert [(s.class_code, s.reason) for s in quick] == [(s.class_code, s.reason) for s in full]
        for a, b in zip(quick, full, strict=True):
            assert a.confidence == pytest.approx(b.confidence, abs=1e-4)


def test_without_a_compact_file_the_joblib_model_is_loaded(tmp_path: Path) -> None:
    """Models saved before the compact form have only the .joblib file."""
    save_model(_two_class_model(), tmp_path)
    (tmp_path / "classifier-v1.npz").unlink()
    assert isinstance(load_current(tmp_path), TrainedModel)


def test_a_compact_file_of_another_version_is_not_used(tmp_path: Path) -> None:
    save_model(_two_class_model(), tmp_path)
    save_model(_two_class_model(), tmp_path)
    (tmp_path / "classifier-v1.npz").replace(tmp_path / "classifier-v2.npz")
    assert isinstance(load_current(tmp_path), TrainedModel)


def test_a_damaged_compact_file_is_a_named_error(tmp_path: Path) -> None:
    save_model(_two_class_model(), tmp_path)
    (tmp_path / "classifier-v1.npz").write_bytes(b"not a zip")
    with pytest.raises(InvalidInputError, match=r"classifier-v1\.npz: cannot load"):
        load_current(tmp_path)
    assert isinstance(load_full(tmp_path), TrainedModel)


def test_old_versions_lose_their_compact_files_too(tmp_path: Path) -> None:
    model = _two_class_model()
    for _ in range(KEEP_VERSIONS + 2):
        save_model(model, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == sorted(
        p.name.replace(".joblib", ".npz") for p in tmp_path.glob("*.joblib")
    )
    assert len(list(tmp_path.glob("*.npz"))) == KEEP_VERSIONS


def test_classifying_with_the_compact_model_imports_no_scikit_learn(tmp_path: Path) -> None:
    save_model(_two_class_model(), tmp_path)
    program = (
        "import sys\n"
        "from pathlib import Path\n"
        "from edrm.ingest.classify.model_files import load_current\n"
        "from edrm.ingest.classify.rules import RuleSet\n"
        "from edrm.ingest.classify.suggestions import suggest\n"
        f"model = load_current(Path({str(tmp_path)!r}))\n"
        "found = suggest('supplier invoice VAT', 'a.txt', '', RuleSet(), model)\n"
        "print(found[0].class_code, found[0].reason)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'joblib'}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first, loaded = done.stdout.splitlines()
    assert first.startswith("FIN-AP-INV ") and "model" in first
    assert loaded == "[]"


_SAVE_AND_STALL = """
import sys, time
from pathlib import Path
from edrm.ingest.classify import model_files
from edrm.ingest.classify.model import train

stall_at = sys.argv[2]
examples = [(f"supplier invoice {n} VAT total due", "FIN-AP-INV") for n in range(4)]
examples += [(f"security incident {n} badge tailgating", "SEC-OPS-INC") for n in range(4)]
directory = Path(sys.argv[1])
model_files.save_model(train(examples), directory)  # version 1, whole
real_write = model_files._atomic_write

def stalling_write(folder, name, write):
    if name.endswith(stall_at):
        if stall_at == ".npz":  # half the compact file in its temporary file, then stop
            import tempfile
            handle, _ = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            import os
            os.write(handle, b"PK\\x03\\x04 half a zip")
        print("stalled", flush=True)
        time.sleep(600)
    real_write(folder, name, write)

model_files._atomic_write = stalling_write
model_files.save_model(train(examples), directory)
"""


@pytest.mark.parametrize("stall_at", [".npz", "current"])
def test_a_trainer_killed_while_saving_leaves_the_old_model_current(
    tmp_path: Path, stall_at: str
) -> None:
    """kill -9 in the middle of the compact file, or after it and before the pointer moves:
    the old version is what loads (in its compact form), and the next save works."""
    child = subprocess.Popen(
        [sys.executable, "-c", _SAVE_AND_STALL, str(tmp_path), stall_at],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "stalled"
    finally:
        child.kill()  # SIGKILL
        child.wait()
    assert (tmp_path / "current").read_text().strip() == "classifier-v1.joblib"
    loaded = load_current(tmp_path)
    assert isinstance(loaded, CompactModel) and loaded.version == 1
    assert save_model(_two_class_model(), tmp_path).name == "classifier-v3.joblib"
    again = load_current(tmp_path)
    assert isinstance(again, CompactModel) and again.version == 3
