"""The demo's knowledge data, loaded by `edrm demo` after the records (each part idempotent:
running it again changes nothing).

- The directory: profiles for the demo people (job titles, locations, managers), declared
  skills with levels, a few endorsements, and expertise inferred from the demo records.
- Leavers, so HR's dashboard shows something: one person leaving soon with a harvest plan
  started, one leaving later, and one who has left.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from edrm import clock
from edrm.access import SYSTEM
from edrm.errors import NotFoundError
from edrm.people.models import User
from edrm.people.service import principal_for
from edrm.runtime import Runtime
from harvest.directory.profiles import ensure_all_profiles, ensure_profile
from harvest.inference import recompute
from harvest.interviews.plans import start_plan
from harvest.interviews.questions import load_question_banks
from harvest.leavers import leaver_by_username, register_leaver
from harvest.loader import load_harvest_config
from harvest.models import Endorsement, Profile, Skill
from harvest.risk import today_date

# username -> (job title, location, manager, [(skill, level)])
PEOPLE: dict[str, tuple[str, str, str, list[tuple[str, int]]]] = {
    "jbaker": (
        "Director, Corporate Secretariat",
        "London",
        "",
        [("parliament.submissions", 4), ("operations.risk", 3), ("finance.audit", 2)],
    ),
    "asmith": (
        "Senior policy adviser",
        "London",
        "jbaker",
        [("policy.development", 4), ("policy.flood-risk", 3), ("policy.consultation", 3)],
    ),
    "rmanager": (
        "Departmental records officer",
        "York",
        "jbaker",
        [("information.records-management", 4), ("information.foi", 3)],
    ),
    "admin": (
        "Systems administrator",
        "Leeds",
        "cokafor",
        [("digital.it-service", 4), ("digital.cyber", 2)],
    ),
    "bjones": (
        "Operations manager",
        "Bristol",
        "jbaker",
        [("operations.project-delivery", 3), ("operations.casework", 3)],
    ),
    "cokafor": (
        "Head of digital services",
        "Leeds",
        "jbaker",
        [("digital.service-design", 4), ("digital.data", 3)],
    ),
    "dwilliams": (
        "Commercial lead",
        "Cardiff",
        "jbaker",
        [
            ("commercial.procurement", 4),
            ("commercial.contract-management", 3),
            ("welsh language", 4),
        ],
    ),
    "ehughes": (
        "Press officer",
        "London",
        "jbaker",
        [("comms.media", 4), ("comms.internal", 2)],
    ),
    "gmurray": (
        "Estates manager",
        "Glasgow",
        "bjones",
        [("operations.estates", 4), ("commercial.contract-management", 2)],
    ),
    "hpatel": (
        "HR business partner",
        "Birmingham",
        "jbaker",
        [("people.employee-relations", 4), ("people.recruitment", 3)],
    ),
    "fnowak": (
        "Finance business partner",
        "York",
        "jbaker",
        [("finance.budgeting", 4), ("finance.accounts-payable", 3), ("finance.business-cases", 3)],
    ),
    "lchen": (
        "Senior lawyer",
        "London",
        "jbaker",
        [("legal.advice", 4), ("legal.litigation", 3), ("legal.data-protection", 3)],
    ),
    "smacleod": (
        "Departmental security officer",
        "Glasgow",
        "jbaker",
        [("digital.cyber", 3), ("operations.risk", 3)],
    ),
}
# endorser -> [(person, skill)]
ENDORSEMENTS: dict[str, list[tuple[str, str]]] = {
    "fnowak": [("dwilliams", "commercial.procurement"), ("asmith", "policy.development")],
    "asmith": [("dwilliams", "commercial.procurement"), ("lchen", "legal.advice")],
    "jbaker": [("asmith", "policy.flood-risk"), ("rmanager", "information.records-management")],
    "gmurray": [("dwilliams", "commercial.contract-management")],
    "cokafor": [("admin", "digital.it-service")],
}


def load_demo_directory(runtime: Runtime) -> str:
    """Profiles, skills and endorsements for the demo people, then inferred expertise."""
    with runtime.uow() as session:
        ensure_all_profiles(session)
        users = {u.username: u for u in session.scalars(select(User))}
        profiles = {name: ensure_profile(session, user) for name, user in users.items()}
        if session.scalar(select(Skill.id).limit(1)) is not None:
            return "the demo directory is already loaded"
        now = clock.now()
        skills: dict[tuple[str, str], Skill] = {}
        for username, (title, location, manager, declared) in PEOPLE.items():
            profile: Profile | None = profiles.get(username)
            if profile is None:
                continue
            profile.role_title = title
            profile.location = location
            profile.manager_id = profiles[manager].id if manager in profiles else None
            profile.updated_at = now
            for name, level in declared:
                skill = Skill(
                    profile_id=profile.id,
                    name=name,
                    is_tag="." not in name,
                    level=level,
                    declared_at=now,
                )
                session.add(skill)
                skills[(username, name)] = skill
        session.flush()
        count = 0
        for endorser, targets in ENDORSEMENTS.items():
            for username, name in targets:
                endorsed = skills.get((username, name))
                if endorsed is None or endorser not in profiles:
                    continue
                session.add(
                    Endorsement(
                        skill_id=endorsed.id, endorser_id=profiles[endorser].id, endorsed_at=now
                    )
                )
                count += 1
        inferred = recompute(session)
    return f"{len(skills)} skills, {count} endorsements; {inferred.message}"


# username, days from today, successor, line manager, reason, start a plan
DEMO_LEAVERS = (
    ("dwilliams", 45, "bjones", "jbaker", "Secondment to another department", True),
    ("gmurray", 150, "bjones", "jbaker", "Retirement", False),
    ("ehughes", -30, "asmith", "jbaker", "Moved to a new employer", False),
)


def load_demo_leavers(runtime: Runtime) -> int:
    """Register the demo leavers that are not registered yet; returns how many were added."""
    config = load_harvest_config(runtime.settings.config_dir)
    banks = load_question_banks(runtime.settings.config_dir)
    added = 0
    with runtime.uow() as session:
        known = set(session.scalars(select(User.username)))
        try:
            hr = principal_for(session, "hpatel")
        except NotFoundError:
            hr = SYSTEM
        today = today_date()
        for username, days, successor, manager, reason, plan in DEMO_LEAVERS:
            if not {username, successor, manager} <= known:
                continue
            try:
                leaver_by_username(session, username)
                continue
            except NotFoundError:
                pass
            register_leaver(
                session,
                username,
                today + timedelta(days=days),
                successor=successor,
                manager=manager,
                reason=reason,
                actor=hr,
            )
            if plan:
                start_plan(session, username, actor=hr, config=config, banks=banks)
            added += 1
    return added
