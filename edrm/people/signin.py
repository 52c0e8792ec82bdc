"""Signing in and out: the password check behind the throttle, and its audit entries.

Every attempt is audited. A failed one is written with the actor "anonymous" (the typed name is
only a claim) and the typed name, made printable and cut short, in the details. An attempt for a
locked-out account or from a locked-out address is refused before any password is hashed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from edrm import audit, clock, metrics
from edrm.access import SYSTEM, Principal
from edrm.errors import RefusedError
from edrm.people import throttle
from edrm.people.models import User
from edrm.people.passwords import hash_password, needs_rehash, verify_password, verify_unknown
from edrm.people.service import find_user, may_administer
from edrm.people.sessions import SessionLimits, end_sessions
from edrm.people.throttle import Lockout, ThrottlePolicy
from edrm.settings import Settings

ANONYMOUS = "anonymous"
TYPED_NAME_LIMIT = 64


@dataclass(frozen=True)
class SignInResult:
    """The person signed in; or nobody, with the lockout in force if that is why."""

    user: User | None = None
    lockout: Lockout | None = None


def policy_for(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        account_failures=settings.sign_in_account_failures,
        address_failures=settings.sign_in_address_failures,
        window=timedelta(minutes=settings.sign_in_window_minutes),
        lockout=timedelta(minutes=settings.sign_in_lockout_minutes),
    )


def session_limits_for(settings: Settings) -> SessionLimits:
    return SessionLimits(
        idle=timedelta(minutes=settings.session_minutes),
        absolute=timedelta(minutes=settings.session_absolute_minutes),
    )


def printable(text: str, limit: int = TYPED_NAME_LIMIT) -> str:
    """`text` safe to show and store: control and other unprintable characters become '?',
    and it is cut to `limit` characters (marked with '…')."""
    clean = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def account_key(username: str) -> str:
    """The name an attempt is counted under: as the account lookup reads it, made printable."""
    return printable(username.strip().lower(), 100)


def sign_in(
    session: Session,
    username: str,
    password: str,
    *,
    address: str = "",
    policy: ThrottlePolicy | None = None,
    password_accounts: Collection[str] | None = None,
) -> SignInResult:
    """Check a sign-in attempt, in the caller's transaction (the caller commits it whatever the
    answer, so failures count even when the response is an error). With `password_accounts`
    (local passwords switched off), only those accounts may sign in with a password."""
    policy = policy or ThrottlePolicy()
    account, address = account_key(username), printable(address)
    lockout = throttle.current_lockout(session, account, address)
    if lockout is not None:
        metrics.sign_in_failed("locked_out")
        return SignInResult(lockout=lockout)
    passwords_off = password_accounts is not None and account not in password_accounts
    if passwords_off:
        verify_unknown(password)  # the same time as any other attempt
        user, reason = None, "passwords are switched off: sign in through single sign-on"
    else:
        user, reason = _check(session, account, password)
    if user is None:
        metrics.sign_in_failed("passwords_off" if passwords_off else "credentials")
        audit.record(
            session,
            ANONYMOUS,
            "login.failed",
            "user",
            account,
            {"typed": printable(username), "address": address, "reason": reason},
        )
        return SignInResult(lockout=throttle.note_failure(session, account, address, policy))
    throttle.note_success(session, account)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    audit.record(session, user.username, "login", "user", user.username, {"address": address})
    return SignInResult(user=user)


def password_accounts_for(settings: Settings) -> frozenset[str] | None:
    """Who may sign in with a password: everyone (None), or only the break-glass accounts when
    local passwords are switched off (issue 13 part 1)."""
    if settings.local_passwords:
        return None
    return frozenset(
        n.strip().lower() for n in settings.break_glass_accounts.split(",") if n.strip()
    )


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    password_accounts: Collection[str] | None = None,
) -> User | None:
    """The user if the password is right (throttled and audited like any sign-in)."""
    return sign_in(session, username, password, password_accounts=password_accounts).user


def _check(session: Session, account: str, password: str) -> tuple[User | None, str]:
    """Exactly one password hash whatever the case, so the time taken tells nothing."""
    user = find_user(session, account)
    if user is None:
        verify_unknown(password)
        return None, "no such account"
    if not verify_password(user.password_hash, password):
        return (
            None,
            "service account: it signs in only with an API token"
            if user.is_service
            else "wrong password",
        )
    if not user.active:
        return None, "account deactivated"
    return user, ""


def sign_out(session: Session, user: User) -> int:
    """End every session of this person (audited); how many ended."""
    ended = end_sessions(session, user.id)
    audit.record(session, user.username, "logout", "user", user.username, {"sessions_ended": ended})
    return ended


def unlock(
    session: Session, username: str, *, address: str = "", actor: Principal = SYSTEM
) -> dict[str, bool]:
    """Clear the lockout of an account (and of an address, if given); what was locked."""
    if not may_administer(actor):
        raise RefusedError("only an administrator may clear a sign-in lockout")
    cleared = {
        "account": throttle.unlock(
            session, throttle.ACCOUNT, account_key(username), actor=actor.username
        )
    }
    if address:
        cleared["address"] = throttle.unlock(
            session, throttle.ADDRESS, printable(address), actor=actor.username
        )
    return cleared
