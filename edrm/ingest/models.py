"""Ingest tables: durable jobs, classification suggestions and corrections.

The extracted text belongs to the document: `edrm.documents.models.DocumentText`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime

# Job states: queued -> running -> done | failed (running -> queued again on a retry).
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# What became of the file: filed, triage, duplicate or failed.
FILED, TRIAGE, DUPLICATE = "filed", "triage", "duplicate"
# The job's error_reason when the class or folder it was sent to refused it (it is on triage).
INTO_REFUSED = "into_refused"


class IngestJob(Base):
    """One file to ingest. Its bytes are in the blob store before this row is committed."""

    __tablename__ = "ingest_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch: Mapped[str] = mapped_column(String(64), default="", index=True)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    original_name: Mapped[str] = mapped_column(Text)
    safe_name: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(30))  # upload|api|cli|dropfolder|attachment|demo
    source_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_by: Mapped[str] = mapped_column(String(100))
    into_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    marking: Mapped[str | None] = mapped_column(String(30), nullable=True)
    parent_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True
    )
    hints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    class_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    error_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def reported_error(self) -> str | None:
        """What to tell the submitter: why it failed, or why it is not where it was sent
        (it waits on the triage list); None otherwise (an earlier attempt's error included)."""
        if self.status == FAILED or self.outcome == FAILED or self.error_reason == INTO_REFUSED:
            return self.error
        return None


class DocumentSuggestion(Base):
    """A class the classifier suggested for a document, best first."""

    __tablename__ = "document_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer)
    class_code: Mapped[str] = mapped_column(String(100))
    confidence: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)


class ClassificationCorrection(Base):
    """A person chose a class on the triage page: training data for the next model."""

    __tablename__ = "classification_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    suggested_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    chosen_code: Mapped[str] = mapped_column(String(100))
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
