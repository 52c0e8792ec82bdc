"""Retention tables: the schedule's rules, recorded events, each record's computed disposal date,
legal holds, the disposal queue with its decisions, execution batches, residual stubs and
transfers to the archive.

The schedule lives in config/retention.toml (and CSV); `retention_rules` is its loaded copy so
that SQL can join on it. Classes, folders and documents name their rule by `code` (the core's
`retention_rule` columns); a rule in use cannot be deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime, table_of
from edrm.documents.models import Document


class RetentionRule(Base):
    __tablename__ = "retention_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    # created | declared | last_modified | folder_closed | event:<name>
    trigger: Mapped[str] = mapped_column(String(120))
    cutoff: Mapped[str | None] = mapped_column(String(30), nullable=True)  # month_end|year_end|...
    period_years: Mapped[int] = mapped_column(Integer, default=0)
    period_months: Mapped[int] = mapped_column(Integer, default=0)
    period_days: Mapped[int] = mapped_column(Integer, default=0)
    action: Mapped[str] = mapped_column(String(30))  # destroy|transfer|review|retain_permanently
    authority: Mapped[str] = mapped_column(Text, default="")
    review_stages: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RetentionEvent(Base):
    """Something that happened (e.g. `employee_left`) to a folder or a record, on a date."""

    __tablename__ = "retention_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("fileplan_nodes.id"), nullable=True, index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True, index=True
    )
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(100))


class RecordRetention(Base):
    """Each record's computed retention: the winning rule, its trigger date and due date.

    `due_on` is None while the trigger has not happened (state `pending`) and for records kept
    permanently (state `permanent`); `scheduled` records fall due on `due_on`.
    """

    __tablename__ = "record_retention"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    rule_code: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))  # pending|scheduled|permanent
    trigger_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # A reviewer's new date (reject / extend) that overrides the computed one until it passes.
    review_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # No secondary index on purpose: the sweep and the forecast read the whole table in key
    # order (a large share of it is due at any time), and every index would slow the sweep's
    # bulk writes; single records are found by their key.


# The sweep finds the records that carry a rule of their own through this index (the column is
# the core's `documents.retention_rule`; the index serves retention alone, so it is kept here).
Index("ix_documents_retention_rule", table_of(Document).c.retention_rule)


class LegalHold(Base):
    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str] = mapped_column(String(20))  # doc|folder|query
    target: Mapped[str] = mapped_column(Text)  # document id, node code or query text
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    placed_by: Mapped[str] = mapped_column(String(100))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    lifted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lift_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class LegalHoldItem(Base):
    """What a hold covers: one document, or one node (and everything below it)."""

    __tablename__ = "legal_hold_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hold_id: Mapped[int] = mapped_column(
        ForeignKey("legal_holds.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True, index=True
    )
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("fileplan_nodes.id"), nullable=True, index=True
    )


class DisposalItem(Base):
    """One record in the disposal queue. At most one open item (pending/approved/executing)
    per record; closed items (rejected/extended/done) are kept as history."""

    __tablename__ = "disposal_queue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    rule_code: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(30))
    class_code: Mapped[str] = mapped_column(String(100), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    stage: Mapped[int] = mapped_column(Integer, default=1)
    stages: Mapped[int] = mapped_column(Integer, default=1)
    # pending | approved | executing | done | rejected | extended | transferred
    status: Mapped[str] = mapped_column(String(20), index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("disposal_batches.id"), nullable=True, index=True
    )
    # Parts of execution already finished (idempotent resume): e.g. {"blobs": true, "index": true}
    progress: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


#: Queue statuses in which a record is still on its way out: the sweep neither recomputes nor
#: re-queues it. ("transferred": exported to the archive, waiting for its receipt.)
OPEN_STATUSES = ("pending", "approved", "executing", "transferred")


class DisposalDecision(Base):
    __tablename__ = "disposal_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_queue.id"), index=True)
    stage: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(20))  # approve|reject|extend|refer
    reason: Mapped[str] = mapped_column(Text)
    new_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisposalBatch(Base):
    """A run of approved destructions; its certificate is issued only when every item is done."""

    __tablename__ = "disposal_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20), index=True)  # executing|complete
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    certificate_document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id"), nullable=True
    )


class ResidualStub(Base):
    """What remains of a destroyed record: enough to prove what it was and who disposed of it."""

    __tablename__ = "residual_stubs"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    class_code: Mapped[str] = mapped_column(String(100))
    folder_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    marking: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rule_code: Mapped[str] = mapped_column(String(100))
    authority: Mapped[str] = mapped_column(Text)
    approvers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    destroyed_by: Mapped[str] = mapped_column(String(100))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("disposal_batches.id"), nullable=True)
    # How it went, e.g. "transferred to The National Archives in bag X" ("" for destruction).
    note: Mapped[str] = mapped_column(Text, default="")

    @property
    def transferred(self) -> bool:
        """Whether the record left for the archive (retention.transfer.stub_note) rather than
        being destroyed."""
        return self.note.startswith("transferred to ")

    @property
    def outcome(self) -> str:
        """In words, e.g. "Transferred to The National Archives on 2 December 2026 (bag X)" or
        "Destroyed on 2 December 2026"."""
        on = f"{self.destroyed_at:%-d %B %Y}"
        if not self.transferred:
            return f"Destroyed on {on}"
        where, _, bag = self.note.removeprefix("transferred to ").partition(" in bag ")
        return f"Transferred to {where} on {on}" + (f" (package {bag})" if bag else "")


class Transfer(Base):
    """A BagIt package of records for the archive; local destruction waits for `confirmed`."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bag_id: Mapped[str] = mapped_column(String(100), unique=True)
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # exported|confirmed|complete
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    receipt: Mapped[str | None] = mapped_column(Text, nullable=True)


class TransferItem(Base):
    __tablename__ = "transfer_items"
    __table_args__ = (UniqueConstraint("transfer_id", "item_id", name="uq_transfer_items"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("transfers.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("disposal_queue.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)


class VitalRecord(Base):
    """A record flagged as vital: one the department needs to go on working after a disaster.
    The flag is set and cleared with a reason by records managers, and reviewed every cycle
    (retention.vital)."""

    __tablename__ = "vital_records"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_due: Mapped[date] = mapped_column(Date, index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RuleVersion(Base):
    """One version of a retention rule, kept when the schedule changes: the rule as it became
    (None once removed), who changed it, why, from which file, and how many records the change
    re-dated (retention.rule_history)."""

    __tablename__ = "retention_rule_versions"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_rule_versions_code_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(10))  # added | updated | removed
    rule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    records_redated: Mapped[int] = mapped_column(Integer, default=0)


class RecordClosure(Base):
    """A record's closure, as The National Archives' transfer metadata names it: whether it is
    open or closed to the public once transferred, for how long from when, under which FOI
    exemption (asserted when), and whether its title and description are closed too (with an
    alternate title to show instead). No row: the record is open (retention.closure)."""

    __tablename__ = "record_closures"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    closure_type: Mapped[str] = mapped_column(String(10))  # Open | Closed
    closure_period: Mapped[int | None] = mapped_column(Integer, nullable=True)  # years
    closure_start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    foi_exemption_code: Mapped[str] = mapped_column(String(200), default="")
    foi_exemption_asserted: Mapped[date | None] = mapped_column(Date, nullable=True)
    title_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    description_closed: Mapped[bool] = mapped_column(Boolean, default=False)
    title_alternate: Mapped[str] = mapped_column(String(500), default="")
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
