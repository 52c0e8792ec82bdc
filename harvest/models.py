"""Knowledge tables: the expertise directory (profiles, skills, endorsements, inferred
expertise), leavers with their at-risk classes, and harvest plans with their interview sessions
and approvals.

HR-only data (leaving reasons, risk, interview drafts) lives in the leaver and harvest tables and
is only ever read through the services that check the viewer's role.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime


class Profile(Base):
    """A person in the directory, linked to their user account (HR data imported from CSV)."""

    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200), default="", index=True)
    location: Mapped[str] = mapped_column(String(200), default="", index=True)
    role_title: Mapped[str] = mapped_column(String(200), default="")
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    leaving_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    about: Mapped[str] = mapped_column(Text, default="")
    # Opted out of inferred expertise: found only through what they declared.
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Skill(Base):
    """A declared skill: a taxonomy code from config/skills.toml or a free tag, with a level."""

    __tablename__ = "skills"
    __table_args__ = (UniqueConstraint("profile_id", "name", name="uq_skills_profile_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), index=True)  # taxonomy code or free tag
    is_tag: Mapped[bool] = mapped_column(Boolean, default=False)
    level: Mapped[int] = mapped_column(Integer, default=2)  # 1 awareness … 4 expert
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Endorsement(Base):
    __tablename__ = "endorsements"
    __table_args__ = (UniqueConstraint("skill_id", "endorser_id", name="uq_endorsements"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    endorser_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    endorsed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InferredExpertise(Base):
    """A topic term or file-plan class a person's records point to, with a weight; recomputed
    by a scheduled job and on demand; never for people who opted out."""

    __tablename__ = "inferred_expertise"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10))  # term | class
    key: Mapped[str] = mapped_column(String(200), index=True)
    weight: Mapped[float] = mapped_column(Float)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Leaver(Base):
    """HR's record of someone leaving (HR-only: the reason and everything derived from it)."""

    __tablename__ = "leavers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), unique=True)
    leaving_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    line_manager_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), nullable=True)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), nullable=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(100))


class ClassCriticality(Base):
    """The line manager's view of how critical a class is to the leaver's work (1-5)."""

    __tablename__ = "class_criticality"
    __table_args__ = (UniqueConstraint("leaver_id", "class_code", name="uq_class_criticality"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leaver_id: Mapped[int] = mapped_column(ForeignKey("leavers.id", ondelete="CASCADE"))
    class_code: Mapped[str] = mapped_column(String(100))
    criticality: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HarvestPlan(Base):
    __tablename__ = "harvest_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leaver_id: Mapped[int] = mapped_column(ForeignKey("leavers.id"), index=True)
    template: Mapped[str] = mapped_column(String(100))
    # The questions chosen from the bank, and the at-risk areas they were pre-filled with.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    focus_classes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)  # draft|approved|filed
    marking: Mapped[str] = mapped_column(String(30), default="OFFICIAL-SENSITIVE")
    target_class: Mapped[str | None] = mapped_column(String(100), nullable=True)
    record_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HarvestSession(Base):
    """One interview: when, who attended, the answers (rich text) and follow-ups."""

    __tablename__ = "harvest_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("harvest_plans.id", ondelete="CASCADE"), index=True
    )
    scheduled_for: Mapped[date | None] = mapped_column(Date, nullable=True)
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    attendees: Mapped[list[str]] = mapped_column(JSON, default=list)
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # question id -> text
    follow_ups: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(100))


class HarvestApproval(Base):
    __tablename__ = "harvest_approvals"
    __table_args__ = (UniqueConstraint("plan_id", "role", name="uq_harvest_approvals"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("harvest_plans.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))  # leaver | line_manager
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Stewardship(Base):
    """Who keeps a piece of knowledge fresh: a filed harvest record (`harvest_record`, the
    harvest plan's id) or a declared skill (`expertise`, the skill's id), with its owner and
    when it is next reviewed (harvest.stewardship)."""

    __tablename__ = "stewardships"
    __table_args__ = (UniqueConstraint("kind", "item_id", name="uq_stewardships_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # harvest_record | expertise
    item_id: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)
    review_months: Mapped[int] = mapped_column(Integer, default=12)
    review_due: Mapped[date] = mapped_column(Date, index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
