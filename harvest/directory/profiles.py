"""Directory entries (profiles) linked to user accounts: made on first use, the person's own
free text, and the opt-out of inferred expertise.

People change only their own profile. Every change is audited, in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.people.models import User
from harvest.models import InferredExpertise, Profile

MAX_ABOUT = 2000


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


def touch(profile: Profile) -> None:
    profile.updated_at = clock.now()


def update_about(session: Session, actor: Principal, about: str) -> Profile:
    """Change the free text on one's own profile."""
    profile = own_profile(session, actor)
    text = about.strip()
    if len(text) > MAX_ABOUT:
        raise InvalidInputError(f"about: at most {MAX_ABOUT} characters")
    profile.about = text
    touch(profile)
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
    touch(profile)
    audit.record(
        session, actor.username, "profile.opt_out", "profile", profile.id, {"opted_out": opted_out}
    )
    return profile
