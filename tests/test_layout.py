"""The architecture's import rules (DESIGN.md §3) and the fixed top-level layout."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("edrm", "retention", "search", "harvest", "disclosure")


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
        "disclosure",
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


AREAS = ("retention", "harvest", "disclosure")


def test_retention_and_harvest_never_import_each_other() -> None:
    pairs = [(package, other) for package in AREAS for other in AREAS if package != other]
    for package, other in pairs:
        for module in _modules(package):
            bad = {n for n in _imports(module) if _top(n) == other}
            assert not bad, f"{module.relative_to(ROOT)} imports {bad}"


# The entry points and the composition root sit outside the core (DESIGN.md §3: web and CLI call
# services; the wiring names the concrete pieces): they may use retention and harvest.
OUTER = ("edrm/web/", "edrm/cli/", "edrm/wiring/")
ENTRY_POINTS = (
    "edrm/web/",
    "edrm/cli/",
    "edrm/wiring/",
    "edrm/migrations/",  # Alembic runs env.py, which registers every table
    "edrm/__main__.py",
)


def _rel(module: Path) -> str:
    return module.relative_to(ROOT).as_posix()


def test_only_the_entry_points_import_the_wiring() -> None:
    for package in PACKAGES:
        for module in _modules(package):
            if _rel(module).startswith(ENTRY_POINTS):
                continue
            bad = {
                n for n in _imports(module) if n == "edrm.wiring" or n.startswith("edrm.wiring.")
            }
            assert not bad, f"{_rel(module)} imports the composition root ({bad})"


def test_the_core_does_not_import_retention_or_harvest() -> None:
    for module in _modules("edrm"):
        if module.relative_to(ROOT).as_posix().startswith(OUTER):
            continue
        bad = {n for n in _imports(module) if _top(n) in AREAS}
        assert not bad, f"{module.relative_to(ROOT)} imports {bad}"


def _is_area_web_module(module: Path) -> bool:
    """retention/web/queue.py, harvest/web/directory.py …: an area's pages (DESIGN.md §5)."""
    return module.parent.name == "web" and module.parent.parent.name in AREAS


def test_only_web_modules_import_flask() -> None:
    web = ROOT / "edrm" / "web"
    for package in PACKAGES:
        for module in _modules(package):
            if web in module.parents or _is_area_web_module(module):
                continue
            bad = {n for n in _imports(module) if _top(n) in ("flask", "flask_wtf", "werkzeug")}
            assert not bad, f"{module.relative_to(ROOT)} imports {bad}"


# Run before any project module is imported: reading an EDRM_ variable, calling the settings
# or config-file loaders, or opening a config file (.toml) raises, naming what was read.
_NO_CONFIGURATION = """
import builtins, importlib, io, os, sys


class ReadAtImport(Exception):
    pass


class WatchedEnviron(dict):
    def _check(self, key):
        if isinstance(key, str) and key.startswith("EDRM_"):
            raise ReadAtImport(f"environment variable {key}")

    def __getitem__(self, key):
        self._check(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._check(key)
        return super().get(key, default)

    def __contains__(self, key):
        self._check(key)
        return super().__contains__(key)


os.environ = WatchedEnviron(os.environ)
real_open = io.open


def watched_open(file, *args, **kwargs):
    if str(file).endswith(".toml"):
        raise ReadAtImport(f"config file {file}")
    return real_open(file, *args, **kwargs)


builtins.open = io.open = watched_open

import edrm.configfile, edrm.settings


def refuse(name):
    def called(*args, **kwargs):
        raise ReadAtImport(name + "()")
    return called


edrm.settings.load_settings = refuse("load_settings")
edrm.configfile.load_toml = refuse("load_toml")
names = sys.argv[1:]
for name in names:
    try:
        importlib.import_module(name)
    except ReadAtImport as exc:
        print(f"{name} reads configuration when imported: {exc}")
        sys.exit(1)
print(f"imported {len(names)} modules")
"""


def test_nothing_reads_configuration_at_import_time() -> None:
    """Every module, imported in a fresh interpreter, reads no EDRM_ variable, calls neither
    loader and opens no config file: configuration is read by the entry points, at run time."""
    import subprocess
    import sys

    names = [
        name
        for name in (_module_name(m) for package in PACKAGES for m in _modules(package))
        if not name.endswith("__main__") and not name.startswith("edrm.migrations.")
    ]  # migrations are Alembic's scripts, run by Alembic, not imported
    done = subprocess.run(
        [sys.executable, "-c", _NO_CONFIGURATION, *names],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == f"imported {len(names)} modules"


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.parametrize(("package", "other"), [("retention", "harvest"), ("harvest", "retention")])
def test_retention_and_harvest_do_not_load_each_other_through_anything_they_import(
    package: str, other: str
) -> None:
    """Import every module of one area in a fresh interpreter: the other area is never loaded,
    whatever the chain of imports in between."""
    import subprocess
    import sys

    names = [_module_name(m) for m in _modules(package)]
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] == {other!r}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"importing {package} loads {done.stdout.strip()}"


def _project_modules() -> dict[str, Path]:
    return {_module_name(m): m for package in PACKAGES for m in _modules(package)}


def _resolved_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules a module imports (anywhere in it, functions included)."""
    found: set[str] = set()
    for name in _imports(path):
        for candidate in (name, name.rsplit(".", 1)[0]):
            if candidate in modules:
                found.add(candidate)
                break
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in modules:
                    found.add(f"{node.module}.{alias.name}")
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _folder(name: str, modules: dict[str, Path]) -> Path:
    return modules[name].parent


def test_no_import_circle_joins_modules_of_different_folders() -> None:
    """Circles held apart by imports inside functions count too: they are circles all the same."""
    import sys

    sys.setrecursionlimit(10_000)
    modules = _project_modules()
    graph = {name: _resolved_imports(path, modules) - {name} for name, path in modules.items()}
    # A package's __init__ importing its own modules is not a circle between folders.
    crossing = [c for c in _cycles(graph) if len({_folder(n, modules) for n in c}) > 1]
    assert not crossing, "import circles across folders: " + "; ".join(
        " <-> ".join(c) for c in crossing
    )


def test_no_two_modules_import_each_other_even_inside_functions() -> None:
    """Within a folder too: a circle hidden in a function is still a circle (issue 10)."""
    import sys

    sys.setrecursionlimit(10_000)
    modules = _project_modules()
    graph = {name: _resolved_imports(path, modules) - {name} for name, path in modules.items()}
    circles = _cycles(graph)
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80


def _product_modules() -> list[Path]:
    """Hand-written product code: Alembic's migration scripts are data-like and left out."""
    return [
        m
        for package in PACKAGES
        for m in _modules(package)
        if not _rel(m).startswith("edrm/migrations/")
    ]


def test_no_product_module_is_over_600_lines() -> None:
    long = {
        _rel(m): n
        for m in _product_modules()
        if (n := len(m.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def _says_why_it_is_long(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A long function's docstring has a line saying why, e.g. "Long: one SQL statement …"."""
    doc = ast.get_docstring(node) or ""
    return any(line.strip().lower().startswith("long:") for line in doc.splitlines())


def test_no_function_is_over_80_lines_without_saying_why() -> None:
    long: list[str] = []
    for module in _product_modules():
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            if size > MAX_FUNCTION_LINES and not _says_why_it_is_long(node):
                long.append(f"{_rel(module)}:{node.lineno} {node.name} ({size} lines)")
    assert not long, "functions over 80 lines with no 'Long:' line in the docstring: " + ", ".join(
        long
    )
