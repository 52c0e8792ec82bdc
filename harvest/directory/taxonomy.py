"""The skills taxonomy: areas, skills (code, title, keywords) and level labels, read from
config/skills.toml into a Taxonomy (re-read when the file changes; empty when there is none).

Pure data once read: nothing here touches the database.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from edrm.errors import InvalidInputError
from edrm.settings import Settings
from harvest.terms import term_set

LEVELS: dict[int, str] = {1: "Awareness", 2: "Working", 3: "Practitioner", 4: "Expert"}
TAXONOMY_FILE = "skills.toml"
_CODE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class SkillDef:
    code: str
    title: str
    area: str
    description: str = ""
    keywords: tuple[str, ...] = ()

    @cached_property
    def terms(self) -> frozenset[str]:
        """The stems someone's question must share for this skill to count."""
        return term_set([self.title, *self.keywords])


@dataclass(frozen=True)
class Area:
    code: str
    title: str


@dataclass(frozen=True)
class Taxonomy:
    areas: tuple[Area, ...] = ()
    skills: dict[str, SkillDef] = field(default_factory=dict)
    levels: dict[int, str] = field(default_factory=lambda: dict(LEVELS))

    def title(self, name: str) -> str:
        """A taxonomy code's title, or a free tag as it is."""
        found = self.skills.get(name)
        return found.title if found else name

    def area_title(self, code: str) -> str:
        return next((a.title for a in self.areas if a.code == code), code)

    def in_area(self, area: str) -> list[SkillDef]:
        return [s for s in self.skills.values() if s.area == area]

    def skill_terms(self, name: str) -> frozenset[str]:
        found = self.skills.get(name)
        return found.terms if found else term_set([name])


def parse_taxonomy(data: dict[str, Any], *, source: str = TAXONOMY_FILE) -> Taxonomy:
    areas: list[Area] = []
    for i, raw in enumerate(data.get("area", []), start=1):
        code, title = str(raw.get("code", "")).strip(), str(raw.get("title", "")).strip()
        if not code or not title:
            raise InvalidInputError(f"{source}: area {i} needs a code and a title")
        areas.append(Area(code, title))
    known = {a.code for a in areas}
    skills: dict[str, SkillDef] = {}
    for i, raw in enumerate(data.get("skill", []), start=1):
        code = str(raw.get("code", "")).strip()
        if not _CODE_RE.match(code):
            raise InvalidInputError(f"{source}: skill {i} code {code!r}: use '<area>.<name>'")
        area = code.split(".", 1)[0]
        if area not in known:
            raise InvalidInputError(f"{source}: skill {code!r}: no area {area!r}")
        if code in skills:
            raise InvalidInputError(f"{source}: skill {code!r} appears twice")
        title = str(raw.get("title", "")).strip()
        if not title:
            raise InvalidInputError(f"{source}: skill {code!r} needs a title")
        skills[code] = SkillDef(
            code=code,
            title=title,
            area=area,
            description=str(raw.get("description", "")).strip(),
            keywords=tuple(str(k) for k in raw.get("keywords", [])),
        )
    levels = dict(LEVELS)
    for key, label in (data.get("levels") or {}).items():
        if str(key).isdigit() and int(key) in LEVELS:
            levels[int(key)] = str(label)
    return Taxonomy(tuple(areas), skills, levels)


@lru_cache(maxsize=8)
def _load_taxonomy(path: str, mtime: float) -> Taxonomy:
    with open(path, "rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError(f"{Path(path).name}: {exc}") from None
    return parse_taxonomy(data, source=Path(path).name)


def load_taxonomy(path: Path) -> Taxonomy:
    """The taxonomy in `path` (re-read when the file changes); empty when there is no file."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return Taxonomy()
    return _load_taxonomy(str(path), mtime)


def taxonomy_for(settings: Settings) -> Taxonomy:
    return load_taxonomy(settings.config_path(TAXONOMY_FILE))
