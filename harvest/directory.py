"""The expertise directory: profiles linked to user accounts, HR data imported from CSV, skills
from the taxonomy in config/skills.toml or free tags, levels, endorsements, and the opt-out of
inferred expertise.

People change only their own profile (skills, about, opt-out); they endorse other people's
skills. HR (and administrators, and the system) import HR data. Every change is audited.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.configfile import ConfigModel, parse_toml, validate
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.people.models import User
from edrm.people.roles import Role
from edrm.settings import Settings
from harvest.models import Endorsement, InferredExpertise, Profile, Skill
from harvest.terms import term_set

LEVELS: dict[int, str] = {1: "Awareness", 2: "Working", 3: "Practitioner", 4: "Expert"}
TAXONOMY_FILE = "skills.toml"
MAX_TAG = 60
MAX_ABOUT = 2000
MAX_SKILLS = 40
CSV_COLUMNS = (
    "username",
    "name",
    "unit",
    "location",
    "role",
    "manager",
    "start_date",
    "leaving_date",
)
_CODE_RE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$")
_TAG_RE = re.compile(r"^[\w][\w &'()+/.,-]*$")

# --- the taxonomy -----------------------------------------------------------------------------


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


# --- profiles ---------------------------------------------------------------------------------


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFoundError(f"no person {username!r} in the directory")
    return user


def ensure_profile(session: Session, user: User) -> Profile:
    """The person's directory entry, made from their account when they have none yet."""
    profile = session.scalar(select(Profile).where(Profile.user_id == user.id))
    if profile is None:
        profile = Profile(
            user_id=user.id,
            name=user.full_name or user.username,
            unit=user.unit or "",
            location="",
            role_title="",
            about="",
            opted_out=False,
            updated_at=clock.now(),
        )
        session.add(profile)
        session.flush()
    return profile


def get_profile(session: Session, username: str) -> tuple[Profile, User]:
    """A person's profile (made on first use) and account; NotFoundError for no such person."""
    user = _user(session, username)
    return ensure_profile(session, user), user


def own_profile(session: Session, actor: Principal) -> Profile:
    if actor.user_id is None:
        raise RefusedError("the system has no profile of its own; act as a person (--as USER)")
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFoundError(f"no person {actor.username!r}")
    return ensure_profile(session, user)


def ensure_all_profiles(session: Session) -> int:
    """A profile for every active account that has none; returns how many were made."""
    have = select(Profile.user_id)
    users = session.scalars(select(User).where(User.active.is_(True), User.id.not_in(have))).all()
    for user in users:
        ensure_profile(session, user)
    return len(users)


def _touch(profile: Profile) -> None:
    profile.updated_at = clock.now()


def update_about(session: Session, actor: Principal, about: str) -> Profile:
    """Change the free text on one's own profile."""
    profile = own_profile(session, actor)
    text = about.strip()
    if len(text) > MAX_ABOUT:
        raise InvalidInputError(f"about: at most {MAX_ABOUT} characters")
    profile.about = text
    _touch(profile)
    audit.record(session, actor.username, "profile.update", "profile", profile.id, {"about": True})
    return profile


def set_opt_out(session: Session, actor: Principal, opted_out: bool) -> Profile:
    """Opt out of (or back into) inferred expertise. Opting out removes what was inferred at
    once; from then on the person is found only through the skills they declared."""
    profile = own_profile(session, actor)
    profile.opted_out = opted_out
    if opted_out:
        session.query(InferredExpertise).filter(InferredExpertise.profile_id == profile.id).delete(
            synchronize_session=False
        )
    _touch(profile)
    audit.record(
        session, actor.username, "profile.opt_out", "profile", profile.id, {"opted_out": opted_out}
    )
    return profile


# --- skills and endorsements -------------------------------------------------------------------


def _skill_name(taxonomy: Taxonomy, name: str) -> tuple[str, bool]:
    """A taxonomy code (or a taxonomy title, case-insensitively) or a free tag."""
    raw = " ".join(name.split())
    if not raw:
        raise InvalidInputError("give a skill from the list or a tag of your own")
    if raw.lower() in taxonomy.skills:
        return raw.lower(), False
    for skill in taxonomy.skills.values():
        if skill.title.lower() == raw.lower():
            return skill.code, False
    if len(raw) > MAX_TAG or not _TAG_RE.match(raw):
        raise InvalidInputError(
            f"tag {raw[:MAX_TAG]!r}: at most {MAX_TAG} letters, digits, spaces "
            "and & ' ( ) + / . , -"
        )
    return raw.lower(), True


def _level(level: int | str) -> int:
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = 0
    if value not in LEVELS:
        raise InvalidInputError("level: 1 awareness, 2 working, 3 practitioner or 4 expert")
    return value


def declare_skill(
    session: Session, actor: Principal, taxonomy: Taxonomy, name: str, level: int | str
) -> Skill:
    """Add a skill to one's own profile, or change its level."""
    profile = own_profile(session, actor)
    code, is_tag = _skill_name(taxonomy, name)
    value = _level(level)
    skill = session.scalar(select(Skill).where(Skill.profile_id == profile.id, Skill.name == code))
    if skill is None:
        count = session.scalar(select(func.count()).where(Skill.profile_id == profile.id)) or 0
        if count >= MAX_SKILLS:
            raise InvalidInputError(f"a profile holds at most {MAX_SKILLS} skills")
        skill = Skill(
            profile_id=profile.id, name=code, is_tag=is_tag, level=value, declared_at=clock.now()
        )
        session.add(skill)
    else:
        skill.level = value
    _touch(profile)
    session.flush()
    audit.record(
        session,
        actor.username,
        "profile.skill",
        "profile",
        profile.id,
        {"skill": code, "level": value},
    )
    return skill


def remove_skill(session: Session, actor: Principal, skill_id: int) -> None:
    profile = own_profile(session, actor)
    skill = session.get(Skill, skill_id)
    if skill is None or skill.profile_id != profile.id:
        raise NotFoundError(f"skill {skill_id} not found on your profile")
    session.delete(skill)
    _touch(profile)
    audit.record(
        session,
        actor.username,
        "profile.skill_removed",
        "profile",
        profile.id,
        {"skill": skill.name},
    )


def endorse(session: Session, actor: Principal, skill_id: int) -> Endorsement:
    """Endorse a colleague's declared skill (once; never one's own)."""
    mine = own_profile(session, actor)
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise NotFoundError(f"skill {skill_id} not found")
    if skill.profile_id == mine.id:
        raise RefusedError("you cannot endorse your own skill")
    found = session.scalar(
        select(Endorsement).where(
            Endorsement.skill_id == skill.id, Endorsement.endorser_id == mine.id
        )
    )
    if found is not None:
        return found
    endorsement = Endorsement(skill_id=skill.id, endorser_id=mine.id, endorsed_at=clock.now())
    session.add(endorsement)
    session.flush()
    audit.record(
        session,
        actor.username,
        "profile.endorse",
        "profile",
        skill.profile_id,
        {"skill": skill.name},
    )
    return endorsement


def withdraw_endorsement(session: Session, actor: Principal, skill_id: int) -> None:
    mine = own_profile(session, actor)
    found = session.scalar(
        select(Endorsement).where(
            Endorsement.skill_id == skill_id, Endorsement.endorser_id == mine.id
        )
    )
    if found is None:
        raise NotFoundError("you have not endorsed that skill")
    session.delete(found)
    audit.record(
        session, actor.username, "profile.endorse_withdrawn", "skill", skill_id, {"skill": skill_id}
    )


def endorse_by_name(
    session: Session, actor: Principal, taxonomy: Taxonomy, username: str, skill: str
) -> Endorsement:
    """Endorse `username`'s skill given by code, title or tag (the CLI's way in)."""
    profile, _user_row = get_profile(session, username)
    code, _tag = _skill_name(taxonomy, skill)
    found = session.scalar(select(Skill).where(Skill.profile_id == profile.id, Skill.name == code))
    if found is None:
        raise NotFoundError(f"{username} has not declared {taxonomy.title(code)!r}")
    return endorse(session, actor, found.id)


# --- HR data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def may_import_people(actor: Principal) -> bool:
    return actor.is_system or actor.role in (Role.HR, Role.ADMINISTRATOR)


def _date(row: int, column: str, value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InvalidInputError(f"row {row}: {column} {value!r} is not a date (use YYYY-MM-DD)")


@dataclass
class _Row:
    number: int
    username: str
    name: str
    unit: str
    location: str
    role: str
    manager: str
    start_date: date | None
    leaving_date: date | None


def _read_rows(text: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "username" not in header:
        raise InvalidInputError("the first line must name the columns: " + ", ".join(CSV_COLUMNS))
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown:
        raise InvalidInputError(
            f"unknown column {unknown[0]!r}; the columns are: " + ", ".join(CSV_COLUMNS)
        )
    reader.fieldnames = header
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=1):
        if None in raw:
            raise InvalidInputError(f"row {number}: more values than columns")
        cells = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(cells.values()):
            continue
        username = cells.get("username", "").lower()
        if not username:
            raise InvalidInputError(f"row {number}: the username is missing")
        if username in seen:
            raise InvalidInputError(
                f"row {number}: {username!r} appears again (first in row {seen[username]})"
            )
        seen[username] = number
        start = _date(number, "start_date", cells.get("start_date", ""))
        leaving = _date(number, "leaving_date", cells.get("leaving_date", ""))
        if start and leaving and leaving < start:
            raise InvalidInputError(f"row {number}: leaving_date is before start_date")
        for column in ("name", "unit", "location", "role"):
            if len(cells.get(column, "")) > 200:
                raise InvalidInputError(f"row {number}: {column} is longer than 200 characters")
        rows.append(
            _Row(
                number=number,
                username=username,
                name=cells.get("name", ""),
                unit=cells.get("unit", ""),
                location=cells.get("location", ""),
                role=cells.get("role", ""),
                manager=cells.get("manager", "").lower(),
                start_date=start,
                leaving_date=leaving,
            )
        )
    return rows


def import_people(session: Session, actor: Principal, text: str) -> ImportResult:
    """Import HR data (CSV with the columns in CSV_COLUMNS; `role` is the job title, `manager`
    a username). All or nothing: the first bad row stops the import, named by its number
    (row 1 is the first line after the header). Each username must have an account."""
    if not may_import_people(actor):
        raise RefusedError("only HR and administrators import HR data")
    rows = _read_rows(text)
    names = {r.username for r in rows} | {r.manager for r in rows if r.manager}
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    for row in rows:
        if row.username not in users:
            raise InvalidInputError(f"row {row.number}: no user account {row.username!r}")
        if row.manager and row.manager not in users:
            raise InvalidInputError(f"row {row.number}: manager {row.manager!r} has no account")
        if row.manager == row.username:
            raise InvalidInputError(f"row {row.number}: a person cannot be their own manager")
    existing = {
        p.user_id: p
        for p in session.scalars(
            select(Profile).where(Profile.user_id.in_([u.id for u in users.values()]))
        )
    }
    profiles = {
        username: existing.get(user.id) or ensure_profile(session, user)
        for username, user in users.items()
    }
    created = sum(1 for r in rows if users[r.username].id not in existing)
    updated = len(rows) - created
    now = clock.now()
    for row in rows:
        profile = profiles[row.username]
        profile.name = row.name or profile.name
        profile.unit = row.unit
        profile.location = row.location
        profile.role_title = row.role
        profile.manager_id = profiles[row.manager].id if row.manager else None
        profile.start_date = row.start_date
        profile.leaving_date = row.leaving_date
        profile.updated_at = now
    session.flush()
    audit.record(
        session,
        actor.username,
        "profile.import",
        "profile",
        "hr-csv",
        {"rows": len(rows), "created": created, "updated": updated},
    )
    return ImportResult(created=created, updated=updated)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkillView:
    id: int
    name: str
    title: str
    area: str
    is_tag: bool
    level: int
    level_label: str
    endorsers: tuple[str, ...]  # display names
    endorsed_by_viewer: bool

    @property
    def kind(self) -> str:
        """How the skill is known: 'endorsed' once someone vouched for it, else 'declared'."""
        return "endorsed" if self.endorsers else "declared"


def skills_of(
    session: Session,
    taxonomy: Taxonomy,
    profile_ids: Sequence[int],
    viewer_profile_id: int | None = None,
) -> dict[int, list[SkillView]]:
    """Each profile's declared skills (highest level first) with who endorsed them."""
    if not profile_ids:
        return {}
    skills = session.scalars(
        select(Skill).where(Skill.profile_id.in_(list(profile_ids))).order_by(Skill.id)
    ).all()
    endorsers: dict[int, list[tuple[int, str]]] = {}
    if skills:
        for skill_id, endorser_id, name in session.execute(
            select(Endorsement.skill_id, Endorsement.endorser_id, Profile.name)
            .join(Profile, Profile.id == Endorsement.endorser_id)
            .where(Endorsement.skill_id.in_([s.id for s in skills]))
            .order_by(Endorsement.id)
        ):
            endorsers.setdefault(skill_id, []).append((endorser_id, name))
    out: dict[int, list[SkillView]] = {pid: [] for pid in profile_ids}
    for s in skills:
        found = taxonomy.skills.get(s.name)
        people = endorsers.get(s.id, [])
        out[s.profile_id].append(
            SkillView(
                id=s.id,
                name=s.name,
                title=found.title if found else s.name,
                area=taxonomy.area_title(found.area) if found else "Tags",
                is_tag=s.is_tag or found is None,
                level=s.level,
                level_label=taxonomy.levels.get(s.level, str(s.level)),
                endorsers=tuple(name for _pid, name in people),
                endorsed_by_viewer=viewer_profile_id in {pid for pid, _n in people},
            )
        )
    for views in out.values():
        views.sort(key=lambda v: (-v.level, -len(v.endorsers), v.title.lower()))
    return out


def inferred_of(session: Session, profile_id: int, limit: int = 12) -> dict[str, list[tuple]]:
    """What was inferred for a profile: {'term': [(word, weight)], 'class': [(code, weight)]}."""
    rows = session.execute(
        select(InferredExpertise.kind, InferredExpertise.key, InferredExpertise.weight)
        .where(InferredExpertise.profile_id == profile_id)
        .order_by(InferredExpertise.weight.desc(), InferredExpertise.key)
    ).all()
    out: dict[str, list[tuple]] = {"term": [], "class": []}
    for kind, key, weight in rows:
        if kind in out and len(out[kind]) < limit:
            out[kind].append((key, round(float(weight), 3)))
    return out


def public_leaver_status(session: Session, profile_id: int) -> dict[str, Any] | None:
    """Whether the person has left, their successor and harvest record (never HR-only data);
    None for someone not leaving, or whose leaving date has not come yet."""
    from harvest.leavers import leaver_status

    status = leaver_status(session, profile_id)
    if status is None or not status.get("left"):
        return None
    return {
        "left": True,
        "leaving_date": status.get("leaving_date"),
        "successor": status.get("successor"),
        "successor_name": status.get("successor_name"),
        "harvest_document_id": status.get("harvest_document_id"),
    }


def visible_harvest_document(
    session: Session, viewer: Principal, status: dict[str, Any] | None
) -> int | None:
    """The harvest record's id if the viewer may open it, else None."""
    from edrm.access import may_see_document
    from edrm.documents.models import Document

    if not status or not status.get("harvest_document_id"):
        return None
    document = session.get(Document, status["harvest_document_id"])
    if document is None or not may_see_document(viewer, document):
        return None
    return document.id


def profile_as_dict(
    session: Session, taxonomy: Taxonomy, viewer: Principal, username: str
) -> dict[str, Any]:
    """A person as anyone may see them (GET /api/v1/people/<username>, `edrm people show`)."""
    profile, user = get_profile(session, username)
    manager = session.get(Profile, profile.manager_id) if profile.manager_id else None
    manager_user = session.get(User, manager.user_id) if manager else None
    viewer_profile = (
        session.scalar(select(Profile.id).where(Profile.user_id == viewer.user_id))
        if viewer.user_id is not None
        else None
    )
    skills = skills_of(session, taxonomy, [profile.id], viewer_profile)[profile.id]
    status = public_leaver_status(session, profile.id)
    inferred = {"term": [], "class": []} if profile.opted_out else inferred_of(session, profile.id)
    return {
        "username": user.username,
        "name": profile.name,
        "unit": profile.unit,
        "location": profile.location,
        "role": profile.role_title,
        "manager": manager_user.username if manager_user else None,
        "manager_name": manager.name if manager else None,
        "start_date": profile.start_date.isoformat() if profile.start_date else None,
        "about": profile.about,
        "opted_out": profile.opted_out,
        "skills": [
            {
                "id": s.id,
                "skill": s.name,
                "title": s.title,
                "area": s.area,
                "tag": s.is_tag,
                "level": s.level,
                "level_label": s.level_label,
                "kind": s.kind,
                "endorsements": len(s.endorsers),
                "endorsed_by": list(s.endorsers),
                "endorsed_by_me": s.endorsed_by_viewer,
            }
            for s in skills
        ],
        "inferred": {
            "topics": [{"term": k, "weight": w} for k, w in inferred["term"]],
            "classes": [{"class_code": k, "weight": w} for k, w in inferred["class"]],
        },
        "left": bool(status),
        "successor": status.get("successor") if status else None,
        "successor_name": status.get("successor_name") if status else None,
        "harvest_document_id": visible_harvest_document(session, viewer, status),
    }


@dataclass(frozen=True)
class DirectoryEntry:
    username: str
    name: str
    unit: str
    location: str
    role_title: str
    opted_out: bool


def list_people(
    session: Session,
    *,
    text: str = "",
    unit: str = "",
    location: str = "",
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[DirectoryEntry], int]:
    """The directory, by name, filtered by a name/unit/title fragment, unit and location.
    Every active account has an entry (made on first listing)."""
    ensure_all_profiles(session)
    query = (
        select(Profile, User.username)
        .join(User, User.id == Profile.user_id)
        .where(User.active.is_(True))
    )
    if text.strip():
        like = f"%{text.strip().lower()}%"
        query = query.where(
            func.lower(Profile.name).like(like)
            | func.lower(Profile.unit).like(like)
            | func.lower(Profile.role_title).like(like)
            | func.lower(User.username).like(like)
        )
    if unit:
        query = query.where(Profile.unit == unit)
    if location:
        query = query.where(Profile.location == location)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(func.lower(Profile.name), Profile.id)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    return [
        DirectoryEntry(u, p.name, p.unit, p.location, p.role_title, p.opted_out) for p, u in rows
    ], total


def units_and_locations(session: Session) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Each unit and each location with its number of people (for browsing)."""
    active = select(User.id).where(User.active.is_(True))

    def counts(column: Any) -> list[tuple[str, int]]:
        return [
            (value, n)
            for value, n in session.execute(
                select(column, func.count())
                .where(Profile.user_id.in_(active), column != "")
                .group_by(column)
                .order_by(column)
            )
        ]

    return counts(Profile.unit), counts(Profile.location)
