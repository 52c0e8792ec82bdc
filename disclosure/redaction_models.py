"""Redaction and response tables: the redactions proposed on a request's records (and who
approved or rejected them), and the response sent (its letter and bundle, filed as records, and
whether the bundle is published in the disclosure log).

A redaction's box is in FRACTIONS of the displayed page (0-1), origin at the top-left corner,
y downwards (disclosure.page_sources.Box); `page` counts from 1. A term redaction has no box:
its boxes are every occurrence of `term` on every page, found again whenever a bundle is built
(so they can never drift from the content).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime

#: A redaction's kinds and statuses.
REDACTION_KINDS = ("term", "area")
REDACTION_STATUSES = ("proposed", "approved", "rejected")
#: The letters a response can be sent with (disclosure.letters).
LETTERS = ("granted", "part", "refused", "not-held", "vexatious")


class Redaction(Base):
    __tablename__ = "info_request_redactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("info_requests.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # term | area
    term: Mapped[str | None] = mapped_column(Text, nullable=True)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    x: Mapped[float | None] = mapped_column(Float, nullable=True)
    y: Mapped[float | None] = mapped_column(Float, nullable=True)
    w: Mapped[float | None] = mapped_column(Float, nullable=True)
    h: Mapped[float | None] = mapped_column(Float, nullable=True)
    exemption: Mapped[str] = mapped_column(String(30))  # a code from config/redaction.toml
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="proposed", index=True)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class RequestResponse(Base):
    """The response to a request: one per request (a second is refused, so a retried send
    files nothing twice)."""

    __tablename__ = "info_request_responses"

    request_id: Mapped[int] = mapped_column(
        ForeignKey("info_requests.id", ondelete="CASCADE"), primary_key=True
    )
    letter: Mapped[str] = mapped_column(String(20))  # one of LETTERS
    letter_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    bundle_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True
    )
    exemptions: Mapped[list[str]] = mapped_column(JSON, default=list)
    public_interest: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_by: Mapped[str] = mapped_column(String(100))
