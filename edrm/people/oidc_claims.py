"""What a provider's claims make of a person: admitted (with the username, role, groups and
clearance edrm gives them) or refused (with the reason, in plain words).

Pure: no database, no network, no settings object (the caller passes the mapping). The rules:
- the e-mail (or, without one, the username claim) must be in an allowed domain, if any are set;
- one of the role claim's values must map to an edrm role (the strongest wins);
- the groups claim gives groups (renamed through the group map, which then also filters);
- the clearance claim gives the clearance; missing or not a marking, the default one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edrm.markings import Marking
from edrm.people.roles import Role

#: The strongest role first: a person with several mapped roles gets the first of these.
ROLE_STRENGTH = (Role.ADMINISTRATOR, Role.RECORDS_MANAGER, Role.HR, Role.CIVIL_SERVANT)
_NOT_IN_USERNAME = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class ClaimMapping:
    """Which claims say what, and what their values become."""

    role_map: Mapping[str, Role]
    username_claim: str = "preferred_username"
    email_claim: str = "email"
    name_claim: str = "name"
    role_claim: str = "roles"
    groups_claim: str = "groups"
    group_map: Mapping[str, str] = field(default_factory=dict)
    clearance_claim: str = ""
    default_clearance: Marking = Marking.OFFICIAL
    allowed_domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Admitted:
    username: str
    full_name: str
    email: str
    role: Role
    clearance: Marking
    groups: tuple[str, ...]


@dataclass(frozen=True)
class Refused:
    reason: str
    username: str = ""  # who the claims name, when they name anyone


def pairs(text: str, what: str) -> dict[str, str]:
    """'a=b, c=d' as {'a': 'b', 'c': 'd'}; a ValueError names `what` for a malformed item."""
    found: dict[str, str] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"{what}: {item!r} is not 'value=name'")
        found[key.strip()] = value.strip()
    return found


def names(text: str) -> frozenset[str]:
    """'a, B ,c' as {'a', 'b', 'c'}."""
    return frozenset(p.strip().lower() for p in text.split(",") if p.strip())


def parse_role_map(text: str) -> dict[str, Role]:
    try:
        return {value: Role.parse(role) for value, role in pairs(text, "oidc_role_map").items()}
    except ValueError as exc:
        message = str(exc)
        raise ValueError(
            message if "oidc_role_map" in message else f"oidc_role_map: {message}"
        ) from None


def username_from(value: str) -> str:
    """An edrm username from a claim value: lower case, the part before any '@', and only the
    characters a username may hold ('A.Person@dept.gov.uk' → 'a.person')."""
    local = value.strip().lower().split("@", 1)[0]
    return _NOT_IN_USERNAME.sub("-", local).strip("-._")[:63]


def _text(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name) if name else None
    return value.strip() if isinstance(value, str) else ""


def _values(claims: Mapping[str, Any], name: str) -> list[str]:
    """A claim that may be one string or a list of them, as a list."""
    value = claims.get(name) if name else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[1].lower() if "@" in address else ""


def admit(claims: Mapping[str, Any], mapping: ClaimMapping) -> Admitted | Refused:
    """Who these (already validated) ID-token claims are in edrm, or why they are refused."""
    named = _text(claims, mapping.username_claim) or _text(claims, mapping.email_claim)
    username = username_from(named)
    if len(username) < 2:
        return Refused(f"the provider did not give a usable {mapping.username_claim}")
    email = _text(claims, mapping.email_claim) or (named if "@" in named else "")
    if mapping.allowed_domains:
        domain = _domain(email or named)
        if domain not in mapping.allowed_domains:
            return Refused(f"accounts from {domain or 'no domain'} are not admitted", username)
    role = _strongest(mapping.role_map.get(v) for v in _values(claims, mapping.role_claim))
    if role is None:
        return Refused("the provider gives no role that admits you to this service", username)
    return Admitted(
        username=username,
        full_name=_text(claims, mapping.name_claim),
        email=email,
        role=role,
        clearance=_clearance(claims, mapping),
        groups=_groups(claims, mapping),
    )


def _strongest(roles: Any) -> Role | None:
    held = {r for r in roles if r is not None}
    return next((r for r in ROLE_STRENGTH if r in held), None)


def _groups(claims: Mapping[str, Any], mapping: ClaimMapping) -> tuple[str, ...]:
    values = _values(claims, mapping.groups_claim)
    if mapping.group_map:
        chosen = {mapping.group_map[v] for v in values if v in mapping.group_map}
    else:
        chosen = {v.strip() for v in values if v.strip() and len(v.strip()) <= 100}
    return tuple(sorted(chosen))


def _clearance(claims: Mapping[str, Any], mapping: ClaimMapping) -> Marking:
    value = _text(claims, mapping.clearance_claim)
    if not value:
        return mapping.default_clearance
    try:
        return Marking.parse(value)
    except ValueError:
        return mapping.default_clearance
