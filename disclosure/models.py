"""Information-request tables: the request (with its requester's contact details, kept only for
the request's life), its events, clarifications, the records in its bundle, the searches run for
it and the time logged against it.

Requests are never indexed as documents: nothing here reaches the search engine, the expertise
directory or communities. The requester's details live in the `requester_*` columns alone, and
the requester-erasure job blanks them a configurable time after closure (`requester_erased_at`).
`due_on` is the statutory date the clock rules (disclosure.clocks) give, kept in the row so that
lists and the dashboard can sort and filter in SQL; every change that moves it recomputes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime

#: Request types: Freedom of Information Act 2000, Environmental Information Regulations 2004,
#: UK GDPR Article 15 subject access.
KINDS = ("foi", "eir", "sar")

#: Statuses, in the order a case usually passes through them.
STATUSES = (
    "open",
    "awaiting_clarification",
    "on_hold",
    "extended",
    "responded",
    "closed",
    "internal_review",
    "ico_complaint",
)
#: Statuses in which the request is still being worked (its clock runs or is stopped).
LIVE_STATUSES = ("open", "awaiting_clarification", "on_hold", "extended", "internal_review")
#: How a request closed.
OUTCOMES = ("granted", "part", "refused", "not-held")


class InformationRequest(Base):
    __tablename__ = "info_requests"
    __table_args__ = (UniqueConstraint("kind", "year", "number", name="uq_info_requests_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)  # foi | eir | sar
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(30), unique=True)  # FOI-2026-0001
    received_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(30), index=True)
    case_officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    # The statutory date now (recomputed on every change that moves it); None while the clock
    # is stopped (a FOI or EIR request awaiting clarification).
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    # An extension: the new date, why, and (EIR) whether it is the public-interest extension.
    extended_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The requester: contact details kept only for the request's life.
    requester_name: Mapped[str] = mapped_column(String(300))
    requester_email: Mapped[str] = mapped_column(String(320), default="")
    requester_address: Mapped[str] = mapped_column(Text, default="")
    requester_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # FOI cost limit: flagged when similar requests from the same requester are aggregated.
    aggregated: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    responded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # The retention legal hold that protects the bundle (through disclosure.request_holds).
    hold_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hold_lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The last reminder sent (the reminders job sends one a day at most per request).
    reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RequestEvent(Base):
    """Something that happened to a request (opened, clarified, extended, records added, …);
    each is also an audit entry."""

    __tablename__ = "info_request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("info_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Clarification(Base):
    """A request for clarification: the clock stops from `asked_on` until `answered_on`."""

    __tablename__ = "info_request_clarifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("info_requests.id", ondelete="CASCADE"), index=True
    )
    asked_on: Mapped[date] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class BundleItem(Base):
    """A record in the request's bundle (and so under its request hold)."""

    __tablename__ = "info_request_items"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("info_requests.id", ondelete="CASCADE"), primary_key=True
    )
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    added_by: Mapped[str] = mapped_column(String(100))
    search_id: Mapped[int | None] = mapped_column(
        ForeignKey("info_request_searches.id"), nullable=True
    )


class RequestSearch(Base):
    """A search run for the request as its case officer, saved on the request."""

    __tablename__ = "info_request_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("info_requests.id", ondelete="CASCADE"), index=True
    )
    query: Mapped[str] = mapped_column(Text)
    # "words" (the full-text search) or "person" (a SAR search by identifiers)
    mode: Mapped[str] = mapped_column(String(20), default="words")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    run_as: Mapped[str] = mapped_column(String(100))
    run_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TimeEntry(Base):
    """Time spent on a request (the FOI cost limit counts it)."""

    __tablename__ = "info_request_time"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("info_requests.id", ondelete="CASCADE"), index=True
    )
    minutes: Mapped[int] = mapped_column(Integer)
    activity: Mapped[str] = mapped_column(String(200), default="")
    logged_on: Mapped[date] = mapped_column(Date)
    logged_by: Mapped[str] = mapped_column(String(100))
