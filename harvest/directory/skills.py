"""Skills and endorsements: a person declares skills on their own profile (a taxonomy code or
a free tag, with a level) and endorses colleagues' skills; each profile's skills read back with
who endorsed them.

Every change is audited, in the caller's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from harvest.directory.profiles import get_profile, own_profile, touch
from harvest.directory.taxonomy import LEVELS, Taxonomy
from harvest.models import Endorsement, Profile, Skill

MAX_TAG = 60
MAX_SKILLS = 40
_TAG_RE = re.compile(r"^[\w][\w &'()+/.,-]*$")


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
    touch(profile)
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
    touch(profile)
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
