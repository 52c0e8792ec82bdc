"""The saved classifier files: classifier-v{N}.joblib (the scikit-learn model, for training
and evaluation), classifier-v{N}.npz (its numpy-only form for inference, `compact`), and the
`current` pointer to one version.

Crash story: a version's name is reserved first (an exclusive create), so two trainers never
write the same file; its content goes to a temporary file that is fsynced and renamed over the
reservation; the compact file is written the same way (temporary, fsync, rename); only then is
the pointer swapped the same way. A crash at any point leaves the old model current (and at worst
an empty reserved file, a stray temporary one or an unused .npz), never half a model. Loading
prefers the .npz of the current version and falls back to the .joblib (models saved before the
compact form, or of a form it does not know). Only the newest KEEP_VERSIONS versions are kept.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from edrm.errors import InvalidInputError
from edrm.ingest.classify.compact import CompactModel, compact_arrays, load_compact
from edrm.ingest.classify.model import TrainedModel

KEEP_VERSIONS = 5
POINTER = "current"
_MODEL_NAME = re.compile(r"^classifier-v(\d+)\.joblib$")


def save_model(model: TrainedModel, directory: Path) -> Path:
    """Write classifier-v{N}.joblib (the next N) atomically, then point `current` at it.

    Sets `model.version` to N. The version's name is reserved first (an exclusive create), so
    two trainers never write the same file; the content goes to a temporary file that is
    fsynced and renamed over the reservation; only then is the pointer swapped, the same way.
    Readers therefore see the old model or the new one, never half of one. The compact file
    (classifier-v{N}.npz) is written before the pointer moves. The newest KEEP_VERSIONS
    versions are kept.
    """
    import joblib  # heavy (numpy): only when a model is saved or loaded

    directory.mkdir(parents=True, exist_ok=True)
    version, target = _reserve_version(directory)
    model.version = version
    _atomic_write(directory, target.name, lambda handle: joblib.dump(model, handle))
    arrays = compact_arrays(model)
    if arrays is not None:
        import numpy as np

        _atomic_write(directory, _compact_name(target.name), lambda h: np.savez(h, **arrays))
    _atomic_write(directory, POINTER, lambda handle: handle.write(f"{target.name}\n".encode()))
    _prune(directory, keep=target.name)
    return target


def _versions(directory: Path) -> list[tuple[int, Path]]:
    found = []
    for path in directory.iterdir():
        match = _MODEL_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def _reserve_version(directory: Path) -> tuple[int, Path]:
    existing = _versions(directory)
    version = existing[-1][0] + 1 if existing else 1
    while True:
        target = directory / f"classifier-v{version}.joblib"
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640))
            return version, target
        except FileExistsError:
            version += 1


def _atomic_write(directory: Path, name: str, write: Any) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, directory / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a directory be opened
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _prune(directory: Path, keep: str) -> None:
    versions = _versions(directory)
    for _, path in versions[: max(0, len(versions) - KEEP_VERSIONS)]:
        if path.name != keep:
            with contextlib.suppress(OSError):
                path.unlink()
            with contextlib.suppress(OSError):
                (directory / _compact_name(path.name)).unlink()


def _compact_name(name: str) -> str:
    return name.removesuffix(".joblib") + ".npz"


def current_version_name(directory: Path) -> str | None:
    """The file name the `current` pointer names, or None when no model was saved yet."""
    try:
        name = (directory / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _MODEL_NAME.match(name):
        raise InvalidInputError(f"{directory / POINTER}: does not name a classifier file")
    return name


def load_current(directory: Path) -> TrainedModel | CompactModel | None:
    """The model `current` points at for classifying, or None when no model has been saved:
    its compact form (numpy only, no scikit-learn) when there is one, else the joblib model."""
    name = current_version_name(directory)
    if name is None:
        return None
    try:
        compact = load_compact(directory / _compact_name(name))
    except FileNotFoundError:
        return load_full(directory)
    if f"classifier-v{compact.version}.joblib" != name:  # not this version's: never trust it
        return load_full(directory)
    return compact


def load_full(directory: Path) -> TrainedModel | None:
    """The scikit-learn model `current` points at, or None when no model has been saved.

    Only load models from the service's own data directory: joblib files are pickles.
    """
    name = current_version_name(directory)
    if name is None:
        return None
    import joblib  # heavy (numpy, and the model's scikit-learn): only when there is a model

    try:
        model = joblib.load(directory / name)
    except FileNotFoundError:
        raise InvalidInputError(f"{directory}: the current model {name} is missing") from None
    except Exception as exc:  # a truncated or foreign file: say which one
        raise InvalidInputError(f"{directory / name}: cannot load the model ({exc})") from None
    if not isinstance(model, TrainedModel):
        raise InvalidInputError(f"{directory / name}: is not a trained classifier")
    return model
