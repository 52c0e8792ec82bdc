"""Which language a text is in (py3langid), with its model kept unpacked in a cache folder.

py3langid ships its model LZMA-compressed (4.5 MB that unpack to 68 MB); unpacking costs most
of a second of CPU in every process, at its first document: the larger part of an `edrm ingest`
of one file. So the first process that needs the model loads it as py3langid does and writes
its tables, uncompressed, to `<cache>/langid-<version>-<size>-<mtime>/`; later processes read
them from there (tens of milliseconds; the largest table is memory-mapped). The folder's name
changes with py3langid's version and its model file, so a new model is never answered from an
old cache. The cache is the user's (`$XDG_CACHE_HOME/edrm`, else `~/.cache/edrm`): it is
derived from the installed package, not from the data directory, and backups leave it out.

Crash story: the tables are written to a temporary folder beside the cache, fsynced, and
renamed into place in one step, so a reader sees the whole cache or none. A cache that cannot be
read or written (damaged, a read-only or missing home) is never an error: the model is then
loaded from py3langid's own file, as before, and the answer is the same (a test compares them).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any, Literal

log = logging.getLogger(__name__)

_ARRAYS = ("ptc", "pc", "nextmove", "row", "output")
_DEFAULT = object()
_state: dict[str, Any] = {"cache": _DEFAULT, "identifier": None}
_lock = threading.Lock()


def use_cache(folder: Path | None) -> None:
    """Keep the unpacked model under `folder` from now on, or nowhere (None); forget the model
    loaded so far."""
    with _lock:
        _state["cache"], _state["identifier"] = folder, None


def default_cache() -> Path | None:
    """`$XDG_CACHE_HOME/edrm`, else `~/.cache/edrm`; None when there is no home to cache in."""
    base = os.environ.get("XDG_CACHE_HOME")
    try:
        return Path(base) / "edrm" if base else Path.home() / ".cache" / "edrm"
    except RuntimeError:  # no home directory
        return None


def classify(text: str) -> str:
    """The ISO 639-1 code py3langid gives the text."""
    language, _score = _identifier().classify(text)
    return str(language)


def _identifier() -> Any:
    with _lock:
        if _state["identifier"] is None:
            cache = _state["cache"]
            _state["identifier"] = _load(default_cache() if cache is _DEFAULT else cache)
        return _state["identifier"]


def _load(cache: Path | None) -> Any:
    from py3langid import langid, modelio  # heavy (numpy): only when a language is asked

    model = Path(langid.MODEL_DIR) / langid.MODEL_FILE
    folder = None
    if cache is not None:
        with contextlib.suppress(Exception):  # no cache: the packaged model answers
            stat = model.stat()
            folder = cache / f"langid-{_version()}-{stat.st_size}-{stat.st_mtime_ns}"
    if folder is not None and folder.is_dir():
        try:
            return _identifier_from(langid, _read_folder(folder))
        except Exception:  # a damaged cache: the packaged model answers; the cache is redone
            log.warning("cannot read the unpacked language model %s", folder, exc_info=True)
            shutil.rmtree(folder, ignore_errors=True)
    tables = modelio.load_model(model)
    if folder is not None:
        try:
            _write_folder(tables, folder)
        except Exception:  # no cache this time: the next process tries again
            log.warning("cannot keep the unpacked language model in %s", folder, exc_info=True)
    return _identifier_from(langid, tables)


def _identifier_from(langid: Any, tables: tuple[Any, ...]) -> Any:
    """The identifier py3langid's `from_model_file` makes of its model's tables."""
    import numpy as np

    ptc, pc, classes, nextmove, row, output = tables
    return langid.LanguageIdentifier(
        np.asarray(ptc), np.asarray(pc), classes, nextmove, output, tk_row=row
    )


def _version() -> str:
    from importlib.metadata import version

    return version("py3langid")


def _write_folder(tables: tuple[Any, ...], folder: Path) -> None:
    """The model's tables into `folder`, all at once (a temporary folder, then a rename)."""
    import numpy as np

    ptc, pc, classes, nextmove, row, output = tables
    arrays = {
        "ptc": np.asarray(ptc),
        "pc": np.asarray(pc),
        "nextmove": np.frombuffer(nextmove, dtype=_UNSIGNED[nextmove.itemsize]),
        "row": np.frombuffer(row, dtype=_UNSIGNED[row.itemsize]),
        "output": np.asarray(output, dtype=np.int64),
    }
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".langid-", dir=folder.parent))
    try:
        for name, values in arrays.items():
            with open(work / f"{name}.npy", "wb") as handle:
                np.save(handle, values, allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
        (work / "classes.json").write_text(json.dumps(list(classes)), encoding="utf-8")
        try:
            os.rename(work, folder)  # one step: readers see all of it or none
        except OSError:
            if not folder.is_dir():
                raise
            # another process was first: its copy is the same
    finally:
        shutil.rmtree(work, ignore_errors=True)


_UNSIGNED = {2: "uint16", 4: "uint32", 8: "uint64"}
_TYPECODES: dict[int, Literal["H", "I", "L"]] = {2: "H", 4: "I", 8: "L"}


def _read_folder(folder: Path) -> tuple[Any, ...]:
    """The model's tables as `modelio.load_model` gives them, from an unpacked folder."""
    import numpy as np

    ptc = np.load(folder / "ptc.npy", mmap_mode="r")
    pc = np.load(folder / "pc.npy")
    classes = json.loads((folder / "classes.json").read_text(encoding="utf-8"))
    if not (len(classes) == pc.shape[0] == ptc.shape[1]):
        raise ValueError("the unpacked language model's tables disagree")
    output = np.load(folder / "output.npy").tolist()
    return (
        ptc,
        pc,
        classes,
        _stdlib_array(folder / "nextmove.npy"),
        _stdlib_array(folder / "row.npy"),
        output,
    )


def _stdlib_array(path: Path) -> Any:
    """A saved one-dimensional array of unsigned ints as py3langid walks it (it indexes the
    stdlib array its own loader gives): a memoryview of the file, memory-mapped, so that a
    process reads only the pages its documents visit (the 39 MB `nextmove` table read whole
    cost a tenth of a second in every process)."""
    import mmap

    from numpy.lib import format as npy

    with open(path, "rb") as handle:
        version = npy.read_magic(handle)
        if version == (1, 0):
            shape, fortran, dtype = npy.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, fortran, dtype = npy.read_array_header_2_0(handle)
        else:
            raise ValueError(f"{path}: an .npy version this reader does not know")
        if len(shape) != 1 or fortran or dtype.kind != "u" or dtype.byteorder == ">":
            raise ValueError(f"{path}: not a table of unsigned whole numbers")
        start, size = handle.tell(), shape[0] * dtype.itemsize
        if start + size != os.fstat(handle.fileno()).st_size:
            raise ValueError(f"{path}: holds {shape[0]} numbers in its header, not in its body")
        if size == 0:
            return memoryview(b"").cast(_TYPECODES[dtype.itemsize])
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mapped)[start:].cast(_TYPECODES[dtype.itemsize])
