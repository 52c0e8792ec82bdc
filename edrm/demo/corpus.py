"""A deterministic demo corpus for the default file plan (config/fileplan.toml).

`demo_users()`, `demo_folders()` and `generate_documents()` return plain data. What they return is
written down in edrm/demo/data/ (people, folders, the classes documents go into, the vocabulary,
the topics, the plan of which documents go where, and one file of document templates per area,
in the language of edrm/demo/templates.py); this module reads those files with
`importlib.resources` and writes nothing. The same seed always gives the same documents, byte
for byte: each document draws from its own `random.Random`, seeded with the seed and its number.

The documents belong to a fictional department, the Department for Resilience and Regional
Services (DRRS). Names, companies, places, telephone numbers (Ofcom drama ranges) and National
Insurance numbers (the unissued QQ prefix) are invented.
"""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from edrm.demo.templates import Library, Record, records, write

# --------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str  # civil_servant | records_manager | hr | administrator
    clearance: str  # OFFICIAL | OFFICIAL-SENSITIVE | SECRET | TOP SECRET
    groups: tuple[str, ...]
    unit: str


@dataclass(frozen=True)
class DemoFolder:
    code: str
    parent_code: str  # a transaction-level class in config/fileplan.toml
    title: str
    closed: bool = False
    closed_on: dt.date | None = None  # when a closed folder was closed (its period's end)


@dataclass(frozen=True)
class DemoDocument:
    filename: str
    title: str
    content: bytes
    mime: str
    into_code: str  # a DemoFolder code or a transaction class code
    marking: str
    creator: str  # a DemoUser username
    created: dt.datetime  # timezone-aware UTC
    doc_type: str
    description: str
    declare_record: bool


OFFICIAL = "OFFICIAL"
SENSITIVE = "OFFICIAL-SENSITIVE"
SECRET = "SECRET"
_MARKINGS = (OFFICIAL, SENSITIVE, SECRET, "TOP SECRET")

# --------------------------------------------------------------------------------------------
# The data files
# --------------------------------------------------------------------------------------------


@cache
def _data(*path: str) -> Any:
    """One TOML file of edrm/demo/data, its tables as Records (read once per process)."""
    resource = resources.files("edrm.demo").joinpath("data", *path)
    return records(tomllib.loads(resource.read_text(encoding="utf-8")))


@cache
def _library() -> Library:
    """The vocabulary, the topics and every document file's lists and kinds."""
    words: dict[str, Any] = dict(_data("vocabulary.toml"))
    topics = _data("topics.toml").topic
    words["all_topics"] = topics
    words["topics"] = Record({t.key: t for t in topics})
    kinds: dict[str, Record] = {}
    folder = resources.files("edrm.demo").joinpath("data", "documents")
    for name in sorted(f.name for f in folder.iterdir() if f.name.endswith(".toml")):
        data = dict(_data("documents", name))
        lists = data.pop("lists", {})
        for key in (*lists, *data):
            if key in words or key in kinds:
                raise ValueError(f"data/documents/{name}: {key!r} is defined twice")
        words.update(lists)
        kinds.update(data)
    return Library(words, kinds)


def _period() -> Record:
    period: Record = _data("folders.toml").period
    return period


# --------------------------------------------------------------------------------------------
# Users and the classes documents go into
# --------------------------------------------------------------------------------------------


def _unit_group(unit: str) -> str:
    return unit.lower().replace("'", "").replace(" ", "-")


def demo_users() -> list[DemoUser]:
    """The demo accounts; the first three are the ones a newcomer should try first."""
    return [
        DemoUser(
            u.username,
            u.full_name,
            u.role,
            u.clearance,
            (*u.get("groups", ()), _unit_group(u.unit)),
            u.unit,
        )
        for u in _data("people.toml").user
    ]


def _users_by_name() -> dict[str, DemoUser]:
    return {u.username: u for u in demo_users()}


def _rank(marking: str) -> int:
    return _MARKINGS.index(marking)


def _may_see(user: DemoUser, marking: str, access: tuple[str, ...]) -> bool:
    cleared = _rank(user.clearance) >= _rank(marking)
    return cleared and (not access or bool(set(access) & set(user.groups)))


# --------------------------------------------------------------------------------------------
# Folders
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FolderSpec:
    folder: DemoFolder
    start: dt.date
    end: dt.date
    ref: str = ""  # case, contract or staff reference
    subject: str = ""  # who or what the folder is about
    topic: str = ""  # topic key, when the folder has one


def _year_folders(series: Record) -> list[_FolderSpec]:
    """A folder a year: calendar years, or financial years (April to March) named 2024-25."""
    specs = []
    for year in range(series.first, series.last + 1):
        if series.calendar:
            name, start, end = str(year), dt.date(year, 1, 1), dt.date(year, 12, 31)
        else:
            name = f"{year}-{(year + 1) % 100:02d}"
            start, end = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
        closed = end < _period().closed_before
        folder = DemoFolder(
            f"{series['class']}-{name}",
            series["class"],
            f"{series.label} {name}",
            closed=closed,
            closed_on=end if closed else None,
        )
        specs.append(_FolderSpec(folder, start, end, ref=name))
    return specs


def _case_folder(case: Record) -> _FolderSpec:
    cls, ref = case["class"], case.ref
    code = f"{cls}-{ref.split('-', 1)[-1]}"  # CASE-2024-00123 -> CASE-OPS-GRT-2024-00123
    start, end = case.get("start", _period().start), case.get("end", _period().end)
    closed_on = end if case.closed else None
    folder = DemoFolder(code, cls, case.title, closed=case.closed, closed_on=closed_on)
    return _FolderSpec(folder, start, end, ref=ref, subject=case.subject, topic=case.topic)


def _folder_specs() -> list[_FolderSpec]:
    data = _data("folders.toml")
    years = [spec for series in data.years for spec in _year_folders(series)]
    return [*years, *(_case_folder(case) for case in data.case)]


def demo_folders() -> list[DemoFolder]:
    """Year folders and case, contract, staff and project folders under transaction classes."""
    return [spec.folder for spec in _folder_specs()]


# --------------------------------------------------------------------------------------------
# The plan: which documents go where
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipe:
    cls: str
    kind: str  # a document kind in data/documents/*.toml
    weight: int = 2
    once: bool = False  # only in the first pass (used for the SECRET documents)
    marking: str = ""  # fixed marking; never lower than the class default
    raise_p: float = 0.04  # chance of an OFFICIAL document being raised to OFFICIAL-SENSITIVE
    author: str = ""  # fixed author, instead of one of the class's usual authors
    period: tuple[int, int] = (0, 0)  # first and last calendar year, when the date matters


@cache
def _recipes() -> tuple[_Recipe, ...]:
    recipes = []
    for entry in _data("plan.toml").recipes:
        fields = {key: value for key, value in entry.items() if key != "class"}
        if "period" in fields:
            fields["period"] = tuple(fields["period"])
        recipes.append(_Recipe(entry["class"], **fields))
    return tuple(recipes)


def _plan(rng: random.Random, count: int) -> list[_Recipe]:
    """Every recipe once (so every class is covered), then weighted picks of the repeatable ones."""
    first = list(_recipes())
    rng.shuffle(first)
    first.sort(key=lambda r: not r.once)  # the SECRET documents survive small counts
    repeatable = [r for r in _recipes() if not r.once]
    rest = rng.choices(repeatable, weights=[r.weight for r in repeatable], k=max(0, count))
    return (first + rest)[:count]


def _business_time(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    start, end = max(start, _period().start), min(end, _period().end)
    day = start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))
    while day.weekday() >= 5:  # weekends move to the Friday before
        day -= dt.timedelta(days=1)
    day = max(day, start)
    minute = rng.randint(8 * 60 + 30, 17 * 60 + 45)
    return dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=dt.UTC)


def _choose_marking(rng: random.Random, recipe: _Recipe, default: str) -> str:
    if recipe.marking:
        return max(recipe.marking, default, key=_rank)
    if default == OFFICIAL and rng.random() < recipe.raise_p:
        return SENSITIVE
    return default


def _choose_author(
    rng: random.Random, recipe: _Recipe, marking: str, users: dict[str, DemoUser]
) -> tuple[DemoUser, str]:
    """An author who may see the document; lowers a raised marking when nobody can."""
    cls = _data("classes.toml")[recipe.cls]
    access = tuple(cls.access)
    names = (recipe.author,) if recipe.author else cls.authors
    for wanted in dict.fromkeys((marking, cls.marking)):
        fit = [users[n] for n in names if _may_see(users[n], wanted, access)]
        if fit:
            return rng.choice(fit), wanted
    raise ValueError(f"no demo user may create documents in {recipe.cls} at {marking}")


def _make_document(
    rng: random.Random,
    recipe: _Recipe,
    serial: int,
    folders: dict[str, list[_FolderSpec]],
    users: dict[str, DemoUser],
) -> DemoDocument:
    cls = _data("classes.toml")[recipe.cls]
    candidates = folders.get(recipe.cls, [])
    folder = rng.choice(candidates) if candidates else None
    start, end = (folder.start, folder.end) if folder else (_period().start, _period().end)
    if recipe.period != (0, 0):
        first, last = recipe.period
        start, end = max(start, dt.date(first, 1, 1)), min(end, dt.date(last, 12, 31))
    when = _business_time(rng, start, end)
    author, marking = _choose_author(rng, recipe, _choose_marking(rng, recipe, cls.marking), users)
    topic_key = folder.topic if folder and folder.topic else rng.choice(cls.topics)
    context = {
        "day": when.date(),
        "when": when,
        "marking": marking,
        "author": author,
        "folder": folder,
        "topic": _library().words["topics"][topic_key],
        "serial": serial,
        "ref": folder.ref if folder else "",
        "subject": folder.subject if folder else "",
    }
    draft = write(_library(), recipe.kind, rng, context)
    closed = bool(folder and folder.folder.closed)
    declare_p = _data("plan.toml").declare.get(draft.doc_type, 0.5)
    declare = rng.random() < declare_p + (0.2 if closed else 0.0)
    return DemoDocument(
        filename=draft.filename,
        title=draft.title,
        content=draft.body.encode("utf-8"),
        mime=draft.mime,
        into_code=folder.folder.code if folder else recipe.cls,
        marking=marking,
        creator=author.username,
        created=when,
        doc_type=draft.doc_type,
        description=draft.description,
        declare_record=declare,
    )


def _unique_filename(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{stem} ({n}){dot}{ext}"
        n += 1
    taken.add(candidate)
    return candidate


def generate_documents(seed: int = 2025, count: int = 160) -> list[DemoDocument]:
    """`count` documents, oldest first; the same seed always gives the same documents."""
    users = _users_by_name()
    folders: dict[str, list[_FolderSpec]] = {}
    for spec in _folder_specs():
        folders.setdefault(spec.folder.parent_code, []).append(spec)
    plan = _plan(random.Random(f"edrm-demo-plan:{seed}"), count)
    documents = [
        _make_document(random.Random(f"edrm-demo-doc:{seed}:{i}"), recipe, i, folders, users)
        for i, recipe in enumerate(plan)
    ]
    documents.sort(key=lambda d: (d.created, d.filename))
    taken: set[str] = set()
    return [replace(d, filename=_unique_filename(d.filename, taken)) for d in documents]
