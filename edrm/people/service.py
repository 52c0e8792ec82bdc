"""Creating people and groups, and checking passwords (argon2)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import SYSTEM, Principal
from edrm.errors import InvalidInputError, NotFoundError
from edrm.markings import Marking
from edrm.people.models import ALL_STAFF, Group, User
from edrm.people.roles import Role

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 8
_dummy_hash = ""


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Swap the argon2 parameters (the test suite uses the cheapest profile)."""
    global _hasher, _dummy_hash
    _hasher = hasher
    _dummy_hash = ""


def _unknown_user_hash() -> str:
    """Checked against when the username is unknown, so both cases take the same time."""
    global _dummy_hash
    if not _dummy_hash:
        _dummy_hash = _hasher.hash("edrm-no-such-user")
    return _dummy_hash


def ensure_group(session: Session, name: str, kind: str = "team") -> Group:
    name = name.strip()
    if not name:
        raise InvalidInputError("a group name cannot be empty")
    group = session.scalar(select(Group).where(Group.name == name))
    if group is None:
        group = Group(name=name, kind=kind, description="")
        session.add(group)
        session.flush()
    return group


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str | Role,
    clearance: str | Marking,
    *,
    groups: Iterable[str] = (),
    full_name: str = "",
    email: str = "",
    unit: str = "",
    actor: Principal = SYSTEM,
) -> User:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidInputError(
            f"username {username!r}: use 2-63 lower-case letters, digits, '.', '_' or '-'"
        )
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"password: at least {MIN_PASSWORD} characters are needed")
    try:
        role_v = role if isinstance(role, Role) else Role.parse(role)
        clearance_v = clearance if isinstance(clearance, Marking) else Marking.parse(clearance)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise InvalidInputError(f"user {username!r} already exists")
    group_names = sorted({g for g in groups if g and g != ALL_STAFF})
    if unit:
        ensure_group(session, unit, kind="unit")
    user = User(
        username=username,
        full_name=full_name or username,
        email=email,
        password_hash=_hasher.hash(password),
        role_value=role_v.value,
        clearance_value=clearance_v.value,
        unit=unit,
        active=True,
        created_at=clock.now(),
        groups=[ensure_group(session, g) for g in group_names]
        + ([ensure_group(session, unit, kind="unit")] if unit else []),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor.username,
        "user.create",
        "user",
        username,
        {"role": role_v.value, "clearance": clearance_v.value, "groups": group_names},
    )
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        raise NotFoundError(f"no active user {username!r}")
    return user


def principal_for(session: Session, username: str | None) -> Principal:
    """The person a command acts for; the system itself when no name is given."""
    if not username:
        return SYSTEM
    return Principal.of(get_user(session, username))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the password is right; None otherwise. Sign-ins are audited."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        _check(_unknown_user_hash(), password)
        audit.record(session, username[:100] or "-", "login.failed", "user", username[:100])
        return None
    if not _check(user.password_hash, password):
        audit.record(session, user.username, "login.failed", "user", user.username)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = clock.now()
    audit.record(session, user.username, "login", "user", user.username)
    return user


def _check(hash_: str, password: str) -> bool:
    try:
        return _hasher.verify(hash_, password)
    except (VerificationError, InvalidHashError):
        return False
