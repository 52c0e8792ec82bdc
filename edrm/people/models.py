"""User accounts and groups (teams and units)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edrm.db import Base, UTCDateTime
from edrm.markings import Marking
from edrm.people.roles import Role

user_groups = Table(
    "user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)

ALL_STAFF = "all-staff"
#: Kinds of account: a person signs in; a service account (another system) only holds API tokens.
PERSON, SERVICE = "person", "service"


class Group(Base):
    """A named set of people: a team (e.g. 'legal') or an organisational unit."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="team")  # team | unit
    description: Mapped[str] = mapped_column(String(500), default="")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role_value: Mapped[str] = mapped_column("role", String(30))
    clearance_value: Mapped[str] = mapped_column("clearance", String(30))
    unit: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(20), default=PERSON, server_default=PERSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    groups: Mapped[list[Group]] = relationship(secondary=user_groups, lazy="selectin")

    @property
    def is_service(self) -> bool:
        """A service account: no password, never signs in, acts only through API tokens."""
        return self.kind == SERVICE

    @property
    def role(self) -> Role:
        return Role(self.role_value)

    @property
    def clearance(self) -> Marking:
        return Marking(self.clearance_value)

    @property
    def group_names(self) -> set[str]:
        return {g.name for g in self.groups} | {ALL_STAFF}


class OidcIdentity(Base):
    """Issue 13 part 1: the provider's subject (issuer + sub) that signs this account in."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_oidc_identities_subject"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_sign_in_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")
