"""People's accounts and groups: creating them, and the changes that end a person's sessions.

A password change, deactivation, and a change of role or clearance end every session of that
person at once (whichever entry point made the change: a page, the API or `edrm user …`).
Signing in is in `edrm.people.signin`; password hashing in `edrm.people.passwords`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import SYSTEM, Principal
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.markings import Marking
from edrm.people.models import ALL_STAFF, PERSON, SERVICE, Group, User
from edrm.people.passwords import NO_PASSWORD, hash_password, use_password_hasher
from edrm.people.roles import Role
from edrm.people.sessions import end_sessions

__all__ = [
    "add_service_account",
    "add_sso_user",
    "add_user",
    "change_access",
    "change_password",
    "end_all_sessions",
    "ensure_group",
    "find_user",
    "get_user",
    "may_administer",
    "principal_for",
    "set_active",
    "use_password_hasher",
]

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
#: Names the audit trail uses for actors that are not people.
RESERVED_USERNAMES = frozenset({audit.SYSTEM_ACTOR, "anonymous"})
MIN_PASSWORD = 8


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


def _free_username(session: Session, username: str) -> str:
    """The name, normalised, if a new account may take it."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidInputError(
            f"username {username!r}: use 2-63 lower-case letters, digits, '.', '_' or '-'"
        )
    if username in RESERVED_USERNAMES:
        raise InvalidInputError(f"username {username!r} is reserved for the audit trail")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise InvalidInputError(f"user {username!r} already exists")
    return username


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
    """A person who signs in with this password; audited."""
    username = _free_username(session, username)
    _check_new_password(password)
    facts = _AccountFacts(username, _role(role), _clearance(clearance), groups, full_name, email)
    return _create_account(session, facts, hash_password(password), PERSON, unit, actor)


def add_service_account(
    session: Session,
    username: str,
    role: str | Role,
    clearance: str | Marking,
    *,
    groups: Iterable[str] = (),
    full_name: str = "",
    email: str = "",
    actor: Principal = SYSTEM,
) -> User:
    """An account for another system (a case-working or HR system): it has no password, never
    signs in to the pages, and acts only through API tokens an administrator makes for it
    (`edrm token create --for NAME`), with this role, clearance and groups narrowed by each
    token's scopes. Made by an administrator (or the local CLI); audited."""
    if actor is not SYSTEM:
        _require_administrator(actor, "add a service account")
    username = _free_username(session, username)
    facts = _AccountFacts(username, _role(role), _clearance(clearance), groups, full_name, email)
    return _create_account(session, facts, NO_PASSWORD, SERVICE, "", actor)


def add_sso_user(
    session: Session,
    username: str,
    role: Role,
    clearance: Marking,
    *,
    groups: Iterable[str] = (),
    full_name: str = "",
    email: str = "",
) -> User:
    """A person made on their first sign-in through the OpenID provider (issue 13 part 1): no
    password (they sign in only through the provider); audited as made by the system."""
    username = _free_username(session, username)
    facts = _AccountFacts(username, role, clearance, groups, full_name, email)
    return _create_account(session, facts, NO_PASSWORD, PERSON, "", SYSTEM)


@dataclass(frozen=True)
class _AccountFacts:
    username: str
    role: Role
    clearance: Marking
    groups: Iterable[str]
    full_name: str
    email: str


def _create_account(
    session: Session,
    facts: _AccountFacts,
    password_hash: str,
    kind: str,
    unit: str,
    actor: Principal,
) -> User:
    group_names = sorted({g for g in facts.groups if g and g != ALL_STAFF})
    user = User(
        username=facts.username,
        full_name=facts.full_name or facts.username,
        email=facts.email,
        password_hash=password_hash,
        role_value=facts.role.value,
        clearance_value=facts.clearance.value,
        unit=unit,
        active=True,
        kind=kind,
        created_at=clock.now(),
        groups=[ensure_group(session, g) for g in group_names]
        + ([ensure_group(session, unit, kind="unit")] if unit else []),
    )
    session.add(user)
    session.flush()
    details: dict[str, object] = {
        "role": facts.role.value,
        "clearance": facts.clearance.value,
        "groups": group_names,
    }
    if kind != PERSON:
        details["kind"] = kind
    audit.record(session, actor.username, "user.create", "user", facts.username, details)
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


def find_user(session: Session, username: str) -> User | None:
    """The account with this name, active or not (None for a name no account could have)."""
    name = username.strip().lower()
    if not USERNAME_RE.match(name):
        return None
    return session.scalar(select(User).where(User.username == name))


def _account(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFoundError(f"no user {username.strip().lower()!r}")
    return user


def may_administer(actor: Principal) -> bool:
    return actor.is_system or actor.role is Role.ADMINISTRATOR


def _require_administrator(actor: Principal, what: str) -> None:
    if not may_administer(actor):
        raise RefusedError(f"only an administrator may {what}")


def _role(value: str | Role) -> Role:
    try:
        return value if isinstance(value, Role) else Role.parse(value)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _clearance(value: str | Marking) -> Marking:
    try:
        return value if isinstance(value, Marking) else Marking.parse(value)
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None


def _check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"password: at least {MIN_PASSWORD} characters are needed")


def change_password(
    session: Session, username: str, new_password: str, *, actor: Principal = SYSTEM
) -> User:
    """Set a new password (the person themself, or an administrator); every session of the
    person ends, so whoever held one must sign in with the new password."""
    user = _account(session, username)
    if actor.user_id != user.id:
        _require_administrator(actor, "change another person's password")
    if user.is_service:
        raise InvalidInputError(
            f"{user.username} is a service account: it has no password (give it an API token)"
        )
    _check_new_password(new_password)
    user.password_hash = hash_password(new_password)
    ended = end_sessions(session, user.id)
    audit.record(
        session, actor.username, "user.password", "user", user.username, {"sessions_ended": ended}
    )
    return user


def set_active(session: Session, username: str, active: bool, *, actor: Principal = SYSTEM) -> User:
    """Deactivate an account (its sessions end; it can no longer sign in) or reactivate it."""
    _require_administrator(actor, "deactivate or reactivate an account")
    user = _account(session, username)
    if user.active == active:
        return user
    user.active = active
    ended = 0 if active else end_sessions(session, user.id)
    audit.record(
        session,
        actor.username,
        "user.activate" if active else "user.deactivate",
        "user",
        user.username,
        {"sessions_ended": ended},
    )
    return user


def change_access(
    session: Session,
    username: str,
    *,
    role: str | Role | None = None,
    clearance: str | Marking | None = None,
    actor: Principal = SYSTEM,
) -> User:
    """Change a person's role and/or clearance; every session of theirs ends, so nothing they
    opened under the old access carries on under it."""
    _require_administrator(actor, "change a person's role or clearance")
    user = _account(session, username)
    role_v = None if role is None else _role(role)
    clearance_v = None if clearance is None else _clearance(clearance)
    changes: dict[str, list[str]] = {}
    if role_v is not None and role_v.value != user.role_value:
        changes["role"] = [user.role_value, role_v.value]
        user.role_value = role_v.value
    if clearance_v is not None and clearance_v.value != user.clearance_value:
        changes["clearance"] = [user.clearance_value, clearance_v.value]
        user.clearance_value = clearance_v.value
    if not changes:
        return user
    ended = end_sessions(session, user.id)
    audit.record(
        session,
        actor.username,
        "user.access",
        "user",
        user.username,
        {**changes, "sessions_ended": ended},
    )
    return user


def end_all_sessions(session: Session, username: str, *, actor: Principal = SYSTEM) -> int:
    """End every session of a person (an administrator's decision, e.g. a lost laptop)."""
    _require_administrator(actor, "end another person's sessions")
    user = _account(session, username)
    ended = end_sessions(session, user.id)
    audit.record(
        session, actor.username, "user.sessions_ended", "user", user.username, {"ended": ended}
    )
    return ended
