"""The architecture's import rules (DESIGN.md §3) and the fixed top-level layout."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("edrm", "retention", "search", "harvest")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize(
    "path",
    [
        "edrm",
        "retention",
        "search",
        "harvest",
        "config",
        "tests",
        "bench",
        "edrm/migrations",  # shipped inside the package (DESIGN.md §5), as are edrm/defaults/
        "edrm/defaults/edrm.toml",
        "docker-compose.yml",
        "pyproject.toml",
        "README.md",
        "Makefile",
        ".ci/run",
    ],
)
def test_the_top_level_layout_is_in_place(path: str) -> None:
    assert (ROOT / path).exists()


def test_search_imports_nothing_else_from_the_project() -> None:
    for module in _modules("search"):
        bad = {n for n in _imports(module) if _top(n) in PACKAGES and _top(n) != "search"}
        assert not bad, f"{module.relative_to(ROOT)} imports {bad}"


def test_retention_and_harvest_never_import_each_other() -> None:
    for package, other in (("retention", "harvest"), ("harvest", "retention")):
        for module in _modules(package):
            bad = {n for n in _imports(module) if _top(n) == other}
            assert not bad, f"{module.relative_to(ROOT)} imports {bad}"


# The entry points and the composition root sit outside the core (DESIGN.md §3: web and CLI call
# services; bootstrap names the concrete pieces): they may use retention and harvest.
OUTER = ("edrm/web/", "edrm/cli/", "edrm/wiring/")


def test_the_core_does_not_import_retention_or_harvest() -> None:
    for module in _modules("edrm"):
        if module.relative_to(ROOT).as_posix().startswith(OUTER):
            continue
        bad = {n for n in _imports(module) if _top(n) in ("retention", "harvest")}
        assert not bad, f"{module.relative_to(ROOT)} imports {bad}"


def _is_area_web_module(module: Path) -> bool:
    """retention/web.py, harvest/web_directory.py …: an area's pages (DESIGN.md §5)."""
    return module.parent.name in ("retention", "harvest") and module.name.startswith("web")


def test_only_web_modules_import_flask() -> None:
    web = ROOT / "edrm" / "web"
    for package in PACKAGES:
        for module in _modules(package):
            if web in module.parents or _is_area_web_module(module):
                continue
            bad = {n for n in _imports(module) if _top(n) in ("flask", "flask_wtf", "werkzeug")}
            assert not bad, f"{module.relative_to(ROOT)} imports {bad}"


def test_nothing_reads_configuration_at_import_time() -> None:
    import importlib
    import os

    os.environ["EDRM_PORT"] = "not-a-number"
    try:
        for package in PACKAGES:
            for module in _modules(package):
                rel = module.relative_to(ROOT).with_suffix("")
                name = ".".join(rel.parts).removesuffix(".__init__")
                if name.endswith("__main__") or name.startswith("edrm.migrations."):
                    continue  # migrations are Alembic's scripts, run by Alembic, not imported
                importlib.import_module(name)
    finally:
        del os.environ["EDRM_PORT"]
