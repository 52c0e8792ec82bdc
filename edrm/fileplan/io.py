"""Reading and writing the file plan as rows: CSV (for spreadsheets) and TOML (config/).

Parsing only turns text into `NodeRow`s and reports where each came from; the rules a plan
must follow are checked by `fileplan.service.validate_rows`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from edrm import configfile
from edrm.configfile import ConfigModel
from edrm.errors import InvalidInputError

CSV_COLUMNS = [
    "code",
    "parent",
    "kind",
    "title",
    "description",
    "marking",
    "access",
    "owner_unit",
    "retention",
    "closed",
]
REQUIRED_COLUMNS = {"code", "parent", "kind", "title"}
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


@dataclass(frozen=True)
class NodeRow:
    """One file-plan node as written in a file; `where` names its place ("row 4")."""

    where: str
    code: str
    parent: str
    kind: str
    title: str
    description: str = ""
    marking: str = "OFFICIAL"
    access: tuple[str, ...] = field(default_factory=tuple)
    owner_unit: str = ""
    retention: str = ""
    closed: bool | str = False


def read_file(path: Path) -> list[NodeRow]:
    """Rows from a .csv or .toml file (chosen by extension)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read the file ({exc.strerror})") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInputError(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None
        return parse_csv(text)
    if suffix == ".toml":
        return parse_toml(raw.decode("utf-8", errors="replace"), str(path))
    raise InvalidInputError(f"{path}: use a .csv or .toml file")


def _split_access(value: str) -> tuple[str, ...]:
    parts = value.replace(",", ";").split(";")
    return tuple(sorted({p.strip() for p in parts if p.strip()}))


def _parse_bool(value: str) -> bool | str:
    key = value.strip().lower()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return value  # left as text; validation reports it with the row


def parse_csv(text: str) -> list[NodeRow]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        raise InvalidInputError(
            f"file plan CSV: missing column(s) {', '.join(sorted(missing))} in the header row"
        )
    reader.fieldnames = header
    rows: list[NodeRow] = []
    for index, rec in enumerate(reader, start=2):
        if rec.get(None):
            raise InvalidInputError(f"row {index}: more cells than the header has columns")
        values = {k: (v or "").strip() for k, v in rec.items() if k}
        if not any(values.values()):
            continue
        rows.append(
            NodeRow(
                where=f"row {index}",
                code=values.get("code", ""),
                parent=values.get("parent", ""),
                kind=values.get("kind", ""),
                title=values.get("title", ""),
                description=values.get("description", ""),
                marking=values.get("marking", "") or "OFFICIAL",
                access=_split_access(values.get("access", "")),
                owner_unit=values.get("owner_unit", ""),
                retention=values.get("retention", ""),
                closed=_parse_bool(values.get("closed", "")),
            )
        )
    return rows


class _NodeTable(ConfigModel):
    """One [[node]] table of a file plan in TOML (config/fileplan.toml)."""

    code: str = ""
    parent: str = ""
    kind: str = ""
    title: str = ""
    description: str = ""
    marking: str = "OFFICIAL"
    access: list[str] | str = []  # a list of group names, or "hr; legal" as in the CSV
    owner_unit: str = ""
    retention: str = ""
    closed: bool | str = False  # text ("yes") is read as in the CSV


class _FilePlanFile(ConfigModel):
    entry_names = {"node": "code"}
    node: list[_NodeTable] | None = None


def parse_toml(text: str, source: str = "file plan TOML") -> list[NodeRow]:
    """Rows from a file plan in TOML; `source` (the file's name) starts every message."""
    nodes = configfile.parse_toml(text, source, _FilePlanFile).node
    if nodes is None:
        raise InvalidInputError(f"{source}: expected a list of [[node]] tables")
    rows: list[NodeRow] = []
    for index, rec in enumerate(nodes, start=1):
        access = _split_access(rec.access) if isinstance(rec.access, str) else rec.access
        rows.append(
            NodeRow(
                where=f"node {index}",
                code=rec.code.strip(),
                parent=rec.parent.strip(),
                kind=rec.kind.strip(),
                title=rec.title.strip(),
                description=rec.description.strip(),
                marking=rec.marking.strip() or "OFFICIAL",
                access=tuple(sorted({a.strip() for a in access if a.strip()})),
                owner_unit=rec.owner_unit.strip(),
                retention=rec.retention.strip(),
                closed=rec.closed if isinstance(rec.closed, bool) else _parse_bool(rec.closed),
            )
        )
    return rows


def write_csv(rows: Iterable[NodeRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.code,
                r.parent,
                r.kind,
                r.title,
                r.description,
                r.marking,
                ";".join(r.access),
                r.owner_unit,
                r.retention,
                "true" if r.closed is True else "false",
            ]
        )
    return out.getvalue()


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def write_toml(rows: Iterable[NodeRow]) -> str:
    parts = ["# edrm file plan: [[node]] tables, parents before children.\n"]
    for r in rows:
        lines = [
            "[[node]]",
            f"code = {_toml_str(r.code)}",
            f"parent = {_toml_str(r.parent)}",
            f"kind = {_toml_str(r.kind)}",
            f"title = {_toml_str(r.title)}",
            f"description = {_toml_str(r.description)}",
            f"marking = {_toml_str(r.marking)}",
            "access = [" + ", ".join(_toml_str(a) for a in r.access) + "]",
            f"owner_unit = {_toml_str(r.owner_unit)}",
        ]
        if r.retention:
            lines.append(f"retention = {_toml_str(r.retention)}")
        if r.closed is True:
            lines.append("closed = true")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)
