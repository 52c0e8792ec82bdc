"""Signing a person in from the OpenID provider's validated claims (issue 13 part 1).

The account is the one linked to the provider's subject (issuer + `sub`). On a subject's first
sign-in an account is made for it (just in time), or an existing person's account of the same
name is linked to it (so accounts made before SSO carry on) unless that account is a service
account, a break-glass account, or already linked to another subject. At every sign-in the
role, groups and clearance are set again from the claims; a change ends the person's other
sessions and is audited as an access change. A person the provider no longer admits (a domain
not allowed, no role that admits them) or whose account is deactivated is refused, and every
session they still hold ends. Every sign-in and refusal is audited as password sign-ins are.

Crash story: all of it happens in the caller's transaction; a crash before the commit leaves
the account as it was (no half-made account, no half-changed access).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.errors import InvalidInputError
from edrm.markings import Marking
from edrm.people.models import OidcIdentity, User
from edrm.people.oidc_claims import (
    Admitted,
    ClaimMapping,
    Refused,
    admit,
    names,
    pairs,
    parse_role_map,
)
from edrm.people.oidc_provider import ProviderConfig, SsoRefusal
from edrm.people.service import add_sso_user, ensure_group, find_user
from edrm.people.sessions import end_sessions
from edrm.people.signin import ANONYMOUS, printable
from edrm.settings import Settings, SettingsError


@dataclass(frozen=True)
class SsoPolicy:
    issuer: str
    mapping: ClaimMapping
    break_glass: Collection[str] = ()


def policy_for(settings: Settings) -> SsoPolicy:
    """The claim mapping the settings give; SettingsError naming the setting if one is wrong."""
    try:
        mapping = ClaimMapping(
            role_map=parse_role_map(settings.oidc_role_map),
            username_claim=settings.oidc_username_claim,
            email_claim=settings.oidc_email_claim,
            name_claim=settings.oidc_name_claim,
            role_claim=settings.oidc_role_claim,
            groups_claim=settings.oidc_groups_claim,
            group_map=pairs(settings.oidc_group_map, "oidc_group_map"),
            clearance_claim=settings.oidc_clearance_claim,
            default_clearance=Marking.parse(settings.oidc_default_clearance),
            allowed_domains=names(settings.oidc_allowed_domains),
        )
    except ValueError as exc:
        raise SettingsError(f"single sign-on settings: {exc}") from None
    if settings.sso_on and not mapping.role_map:
        raise SettingsError("setting 'oidc_role_map' is needed when 'oidc_issuer' is set")
    return SsoPolicy(settings.oidc_issuer, mapping, break_glass_accounts(settings))


def break_glass_accounts(settings: Settings) -> frozenset[str]:
    return names(settings.break_glass_accounts)


def provider_config_for(settings: Settings) -> ProviderConfig:
    return ProviderConfig(
        issuer=settings.oidc_issuer,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        scopes=settings.oidc_scopes,
    )


def sso_sign_in(
    session: Session, claims: Mapping[str, Any], policy: SsoPolicy, *, address: str = ""
) -> User:
    """The person these claims sign in, their access brought up to date; or SsoRefusal (the
    refusal audited and the person's sessions ended, in this transaction: commit it)."""
    subject = str(claims.get("sub", ""))
    identity = session.scalar(
        select(OidcIdentity).where(
            OidcIdentity.issuer == policy.issuer, OidcIdentity.subject == subject
        )
    )
    verdict = admit(claims, policy.mapping)
    linked = identity.user if identity is not None else None
    if isinstance(verdict, Refused):
        _refuse(session, verdict.reason, linked, verdict.username, subject, address)
    user = linked or _account_for(session, verdict, policy, subject, address)
    if not user.active:
        _refuse(session, "your account here has been deactivated", user, "", subject, address)
    if user.is_service or user.username in policy.break_glass:
        _refuse(
            session, "this account cannot sign in through the provider", None, "", subject, address
        )
    now = clock.now()
    if identity is None:
        identity = OidcIdentity(
            user=user, issuer=policy.issuer, subject=subject, created_at=now, last_sign_in_at=now
        )
        session.add(identity)
    identity.last_sign_in_at = now
    _bring_access_up_to_date(session, user, verdict)
    user.last_login_at = now
    audit.record(
        session,
        user.username,
        "login",
        "user",
        user.username,
        {"address": printable(address), "method": "oidc"},
    )
    session.flush()
    return user


def _account_for(
    session: Session, verdict: Admitted, policy: SsoPolicy, subject: str, address: str
) -> User:
    """The account a subject seen for the first time signs in as: made now, or linked."""
    existing = find_user(session, verdict.username)
    if existing is None:
        try:
            return add_sso_user(
                session,
                verdict.username,
                verdict.role,
                verdict.clearance,
                groups=verdict.groups,
                full_name=verdict.full_name,
                email=verdict.email,
            )
        except InvalidInputError as exc:  # a reserved or impossible account name
            _refuse(session, f"no account can be made for you ({exc})", None, "", subject, address)
    taken = session.scalar(select(OidcIdentity).where(OidcIdentity.user_id == existing.id))
    reason = ""
    if existing.username in policy.break_glass:
        reason = (
            f"the account {existing.username} is kept for emergencies"
            " and signs in only with its password"
        )
    elif taken is not None or existing.is_service:
        reason = f"the account name {verdict.username} is already used by another account"
    if reason:
        _refuse(session, reason, None, verdict.username, subject, address)
    return existing


def _bring_access_up_to_date(session: Session, user: User, verdict: Admitted) -> None:
    changes: dict[str, list[Any]] = {}
    if user.role_value != verdict.role.value:
        changes["role"] = [user.role_value, verdict.role.value]
        user.role_value = verdict.role.value
    if user.clearance_value != verdict.clearance.value:
        changes["clearance"] = [user.clearance_value, verdict.clearance.value]
        user.clearance_value = verdict.clearance.value
    teams = sorted(g.name for g in user.groups if g.kind != "unit")
    if teams != sorted(verdict.groups):
        changes["groups"] = [teams, sorted(verdict.groups)]
        units = [g for g in user.groups if g.kind == "unit"]
        user.groups = units + [ensure_group(session, name) for name in verdict.groups]
    if verdict.full_name and user.full_name != verdict.full_name:
        user.full_name = verdict.full_name
    if verdict.email and user.email != verdict.email:
        user.email = verdict.email
    if not changes:
        return
    ended = end_sessions(session, user.id)
    details = {**changes, "sessions_ended": ended, "source": "oidc"}
    audit.record(session, audit.SYSTEM_ACTOR, "user.access", "user", user.username, details)


def _refuse(
    session: Session,
    reason: str,
    user: User | None,
    named: str,
    subject: str,
    address: str,
) -> NoReturn:
    """Audit the refusal, end the person's sessions if they hold any, and raise."""
    ended = end_sessions(session, user.id) if user is not None else 0
    who = user.username if user is not None else (named or printable(subject))
    audit.record(
        session,
        ANONYMOUS,
        "login.failed",
        "user",
        who,
        {
            "method": "oidc",
            "subject": printable(subject),
            "address": printable(address),
            "reason": reason,
            "sessions_ended": ended,
        },
    )
    raise SsoRefusal(reason, username=who)


def refuse_answer(session: Session, refusal: SsoRefusal, *, address: str = "") -> None:
    """Audit a refusal that came before any claims were read (state, code, token checks)."""
    audit.record(
        session,
        ANONYMOUS,
        "login.failed",
        "user",
        refusal.username or "-",
        {"method": "oidc", "address": printable(address), "reason": str(refusal)},
    )
