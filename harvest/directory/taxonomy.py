"""The skills taxonomy: areas, skills (code, title, keywords) and level labels, read from
config/skills.toml into a Taxonomy (re-read when the file changes; empty when there is none).

Pure data once read: nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from edrm.configfile import ConfigModel, parse_toml, validate
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


class _AreaTable(ConfigModel):
    code: str = ""
    title: str = ""


class _SkillTable(ConfigModel):
    code: str = ""
    title: str = ""
    description: str = ""
    keywords: list[str] = []


class _TaxonomyFile(ConfigModel):
    """config/skills.toml."""

    entry_names = {"area": "code", "skill": "code"}
    levels: dict[str, str] = {}
    area: list[_AreaTable] = []
    skill: list[_SkillTable] = []


def parse_taxonomy(data: dict[str, Any], *, source: str = TAXONOMY_FILE) -> Taxonomy:
    return _taxonomy(validate(source, data, _TaxonomyFile), source)


def _taxonomy(file: _TaxonomyFile, source: str) -> Taxonomy:
    areas: list[Area] = []
    for i, raw in enumerate(file.area, start=1):
        code, title = raw.code.strip(), raw.title.strip()
        if not code or not title:
            raise InvalidInputError(f"{source}: area {i} needs a code and a title")
        areas.append(Area(code, title))
    known = {a.code for a in areas}
    skills: dict[str, SkillDef] = {}
    for i, entry in enumerate(file.skill, start=1):
        code = entry.code.strip()
        if not _CODE_RE.match(code):
            raise InvalidInputError(f"{source}: skill {i} code {code!r}: use '<area>.<name>'")
        area = code.split(".", 1)[0]
        if area not in known:
            raise InvalidInputError(f"{source}: skill {code!r}: no area {area!r}")
        if code in skills:
            raise InvalidInputError(f"{source}: skill {code!r} appears twice")
        title = entry.title.strip()
        if not title:
            raise InvalidInputError(f"{source}: skill {code!r} needs a title")
        skills[code] = SkillDef(
            code=code,
            title=title,
            area=area,
            description=entry.description.strip(),
            keywords=tuple(entry.keywords),
        )
    levels = dict(LEVELS)
    for key, label in file.levels.items():
        if key.isdigit() and int(key) in LEVELS:
            levels[int(key)] = label
    return Taxonomy(tuple(areas), skills, levels)


@lru_cache(maxsize=8)
def _load_taxonomy(path: str, mtime: float) -> Taxonomy:
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    return _taxonomy(parse_toml(text, file.name, _TaxonomyFile), file.name)


def load_taxonomy(path: Path) -> Taxonomy:
    """The taxonomy in `path` (re-read when the file changes); empty when there is no file."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return Taxonomy()
    return _load_taxonomy(str(path), mtime)


def taxonomy_for(settings: Settings) -> Taxonomy:
    return load_taxonomy(settings.config_path(TAXONOMY_FILE))
