"""API tokens: a person's credential for scripts and other systems (issue 13 part 2).

A token reads `edrm_<lookup>_<secret>`: the lookup part is kept in the clear (an indexed column,
so a token is found without scanning), the secret only as its SHA-256 (tokens are random, not
passwords: a fast hash suffices, and a stolen copy of the table holds no usable token). The whole
token is shown once, when it is made. A token acts with its person's access narrowed by its
scopes; it stops working when it expires, is revoked (by its owner or an administrator), or its
person is deactivated. Its last use (time and address) is written at most once a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from edrm import audit, clock
from edrm.access import Principal
from edrm.db import Base, UTCDateTime
from edrm.errors import EdrmError, InvalidInputError, NotFoundError, RefusedError
from edrm.people.models import User
from edrm.people.service import may_administer
from edrm.settings import Settings

PREFIX = "edrm_"
#: What a token may be allowed: reading, changing, records management, HR work, administration.
SCOPES = ("read", "write", "records", "hr", "admin")
TOUCH_EVERY = timedelta(minutes=1)
NAME_LIMIT = 100
_LOOKUP_BYTES, _SECRET_BYTES = 9, 32


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lookup: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LIMIT), default="")
    scopes_value: Mapped[str] = mapped_column("scopes", String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_used_from: Mapped[str] = mapped_column(String(64), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str] = mapped_column(String(100), default="")

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def scopes(self) -> tuple[str, ...]:
        return tuple(s for s in self.scopes_value.split() if s)

    def in_force(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now and self.user.active


@dataclass(frozen=True)
class TokenPolicy:
    default_days: int = 90
    max_days: int = 365


def policy_for(settings: Settings) -> TokenPolicy:
    return TokenPolicy(default_days=settings.api_token_days, max_days=settings.api_token_max_days)


@dataclass(frozen=True)
class NewToken:
    """A token just made: `token` is shown once and never stored."""

    token: str
    record: ApiToken


class InvalidTokenError(EdrmError):
    """The token is unknown, expired, revoked, or its person deactivated."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_scopes(given: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    wanted = [s.strip().lower() for s in given if s.strip()]
    if not wanted:
        raise InvalidInputError(f"give at least one scope ({', '.join(SCOPES)})")
    for scope in wanted:
        if scope not in SCOPES:
            raise InvalidInputError(f"unknown scope {scope!r} (use one of: {', '.join(SCOPES)})")
    return tuple(s for s in SCOPES if s in wanted)


def create_token(
    session: Session,
    owner: Principal,
    scopes: list[str] | tuple[str, ...],
    *,
    policy: TokenPolicy,
    name: str = "",
    expires_days: int | None = None,
    actor: Principal | None = None,
) -> NewToken:
    """A new token for `owner`, made by the owner or (for a service account or anyone else) by
    an administrator `actor`; audited. The secret is returned, never kept."""
    user = session.get(User, owner.user_id) if owner.user_id else None
    if user is None or not user.active:
        raise InvalidInputError("a token belongs to a person: act as one (--as USERNAME)")
    maker = actor or owner
    if maker.user_id != owner.user_id and not may_administer(maker):
        raise RefusedError("only an administrator may make a token for another person")
    chosen = parse_scopes(scopes)
    days = policy.default_days if expires_days is None else expires_days
    if days < 1:
        raise InvalidInputError("a token must last at least 1 day")
    if days > policy.max_days:
        raise InvalidInputError(f"a token may last at most {policy.max_days} days (asked {days})")
    name = name.strip()
    if len(name) > NAME_LIMIT:
        raise InvalidInputError(f"a token's name may be at most {NAME_LIMIT} characters")
    now = clock.now()
    lookup = secrets.token_hex(_LOOKUP_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    record = ApiToken(
        lookup=lookup,
        secret_hash=_hash(secret),
        user_id=user.id,
        user=user,
        name=name,
        scopes_value=" ".join(chosen),
        created_at=now,
        expires_at=now + timedelta(days=days),
        last_used_from="",
        revoked_by="",
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        maker.username,
        "token.create",
        "api_token",
        record.id,
        {
            "owner": owner.username,
            "name": name,
            "scopes": list(chosen),
            "expires": record.expires_at.isoformat(),
        },
    )
    return NewToken(f"{PREFIX}{lookup}_{secret}", record)


def list_tokens(session: Session, owner: Principal) -> list[ApiToken]:
    """The person's own tokens, newest first (revoked and expired ones too)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == owner.user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(session: Session, token_id: int, actor: Principal) -> ApiToken:
    """Revoke a token: its owner or an administrator; for anyone else it does not exist."""
    record = session.get(ApiToken, token_id)
    if record is None or (record.user_id != actor.user_id and not may_administer(actor)):
        raise NotFoundError(f"token {token_id} not found")
    if record.revoked_at is None:
        record.revoked_at = clock.now()
        record.revoked_by = actor.username
        audit.record(
            session,
            actor.username,
            "token.revoke",
            "api_token",
            record.id,
            {"owner": record.user.username, "name": record.name},
        )
    return record


def authenticate(session: Session, presented: str, *, address: str = "") -> ApiToken:
    """The token in force that `presented` is, its last use noted (at most once a minute)."""
    rest = presented.strip()
    if not rest.startswith(PREFIX):
        raise InvalidTokenError("the token is not recognised")
    lookup, sep, secret = rest[len(PREFIX) :].partition("_")
    if not sep or not lookup or not secret or len(lookup) > 24:
        raise InvalidTokenError("the token is not recognised")
    record = session.scalar(select(ApiToken).where(ApiToken.lookup == lookup))
    if record is None or not hmac.compare_digest(record.secret_hash, _hash(secret)):
        raise InvalidTokenError("the token is not recognised")
    now = clock.now()
    if record.revoked_at is not None:
        raise InvalidTokenError("the token has been revoked")
    if record.expires_at <= now:
        raise InvalidTokenError("the token has expired")
    if not record.user.active:
        raise InvalidTokenError("the token's owner can no longer sign in")
    last = record.last_used_at
    if last is None or now - last >= TOUCH_EVERY:
        record.last_used_at = now
        record.last_used_from = address[:64]
    return record


def token_as_dict(record: ApiToken) -> dict[str, Any]:
    """A token as lists show it: never its secret."""
    return {
        "id": record.id,
        "name": record.name,
        "scopes": list(record.scopes),
        "created": record.created_at.isoformat(),
        "expires": record.expires_at.isoformat(),
        "last_used": record.last_used_at.isoformat() if record.last_used_at else None,
        "last_used_from": record.last_used_from or None,
        "revoked": record.revoked_at.isoformat() if record.revoked_at else None,
    }
