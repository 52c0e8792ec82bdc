"""The project as a wheel: constraints.txt pins what is installed, and a wheel installed into a
fresh virtual environment outside the checkout starts (`edrm init && edrm demo`) on its own files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What a checkout holds that is not source: never copied into the build.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "node_modules",
    "var",
    ".stamps",
    "build",
    "dist",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
)


def _clean_env(**extra: str) -> dict[str, str]:
    """This machine's environment less anything that would let the installed package see the
    checkout or a test's settings (PYTHONPATH, a virtual environment, EDRM_* variables)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "EDRM_", "VIRTUAL_ENV", "PYTEST_"))
    }
    env.update(extra)
    return env


def _run(args: list[str | Path], *, cwd: Path, env: dict[str, str], timeout: int) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_constraints_pin_every_needed_package_at_its_installed_version() -> None:
    done = subprocess.run(
        [sys.executable, ROOT / "scripts" / "update_constraints.py", "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy of the source, so the build leaves nothing in the checkout."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, source],
        cwd=tmp_path,
        env=_clean_env(),
        timeout=300,
    )
    (wheel,) = wheels.glob("edrm-*.whl")
    return wheel


def _shipped_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_environment_and_starts_from_another_folder(
    tmp_path: Path,
) -> None:
    wheel = _build_wheel(tmp_path)
    files = _shipped_files(wheel)
    for name in (
        "edrm/defaults/edrm.toml",
        "edrm/defaults/fileplan.toml",
        "edrm/defaults/disclosure.toml",
        "edrm/web/templates/disclosure/request.html",
        "edrm/migrations/env.py",
        "edrm/migrations/script.py.mako",
        "edrm/web/templates/base.html",
        "edrm/web/static/edrm.js",
    ):
        assert name in files, f"the wheel lacks {name}"
    for data in (ROOT / "edrm" / "demo" / "data").rglob("*"):
        if data.is_file() and "__pycache__" not in data.parts:
            name = data.relative_to(ROOT).as_posix()
            assert name in files, f"the wheel lacks {name}"

    # A virtual environment of its own (no system site-packages, so a missing dependency shows),
    # filled by this pip with the pinned versions.
    venv = tmp_path / "venv"
    _run(
        [sys.executable, "-m", "venv", "--without-pip", venv],
        cwd=tmp_path,
        env=_clean_env(),
        timeout=120,
    )
    python = venv / "bin" / "python"
    install: list[str | Path] = [sys.executable, "-m", "pip", "--python", python, "install"]
    install += ["-q", "--no-compile"]
    install += ["-c", ROOT / "constraints.txt", wheel]
    _run(install, cwd=tmp_path, env=_clean_env(), timeout=300)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _clean_env(EDRM_HOME=str(tmp_path / "home"))
    where = _run(
        [
            python,
            "-c",
            "import sys, edrm, retention, harvest, search, disclosure; print(edrm.__file__);"
            "print(retention.__file__); print(harvest.__file__); print(search.__file__);"
            "print(disclosure.__file__);"
            "print(*sys.path, sep='\\n')",
        ],
        cwd=elsewhere,
        env=env,
        timeout=60,
    )
    assert str(ROOT) not in where, f"the installed package can see the checkout:\n{where}"
    for line in where.splitlines()[:5]:
        assert Path(line).is_relative_to(venv), line

    edrm = venv / "bin" / "edrm"
    _run([edrm, "init"], cwd=elsewhere, env=env, timeout=120)
    # A small demo: the point is that it starts and files from the installed package.
    _run([edrm, "demo", "--documents", "8"], cwd=elsewhere, env=env, timeout=400)
    shown = json.loads(
        _run([edrm, "doc", "show", "1", "--json"], cwd=elsewhere, env=env, timeout=60)
    )
    assert shown["id"] == 1
    assert shown["versions"]
    assert not (elsewhere / "var").exists(), "edrm wrote outside EDRM_HOME"
