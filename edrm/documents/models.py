"""Documents, their versions and their extracted text. Metadata follows Dublin Core / e-GMS
element names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from edrm.db import Base, UTCDateTime
from edrm.fileplan.models import FilePlanNode
from edrm.markings import Marking


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None while the document waits on its filer's triage list for a class to be chosen.
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("fileplan_nodes.id"), nullable=True, index=True
    )
    status: Mapped[str] = mapped_column(
        String(20), default="filed", index=True
    )  # filed | triage | destroyed (only its residual stub remains)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    creator: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    identifier: Mapped[str] = mapped_column(String(100), default="", index=True)
    doc_type: Mapped[str] = mapped_column(String(100), default="")
    format: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(20), default="en")
    coverage: Mapped[str] = mapped_column(String(200), default="")
    marking_value: Mapped[str] = mapped_column("marking", String(30), default="OFFICIAL")
    relations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it was filed in the plan (None while on a triage list): set once, then the database
    # refuses any change to it (migration 0016).
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    is_record: Mapped[bool] = mapped_column(Boolean, default=False)
    declared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    declared_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # A rule for this record alone (besides its class's); the longest retention wins.
    retention_rule: Mapped[str | None] = mapped_column(String(100), nullable=True)

    node: Mapped[FilePlanNode | None] = relationship(lazy="joined")
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", lazy="selectin"
    )
    # The further classes and folders it is filed in besides `node` (multi-filing).
    links: Mapped[list[RecordLink]] = relationship(
        order_by="RecordLink.id", lazy="selectin", cascade="all, delete-orphan"
    )

    @property
    def marking(self) -> Marking:
        return Marking(self.marking_value)

    @property
    def latest(self) -> DocumentVersion:
        return self.versions[-1]

    @property
    def in_triage(self) -> bool:
        return self.node is None

    @property
    def class_code(self) -> str | None:
        return self.node.class_node().code if self.node is not None else None

    @property
    def folder_code(self) -> str | None:
        return self.node.code if self.node is not None and self.node.is_folder else None

    @property
    def linked_nodes(self) -> list[FilePlanNode]:
        """The further classes and folders it is linked into (not its primary node)."""
        return [link.node for link in self.links]

    @property
    def locations(self) -> list[FilePlanNode]:
        """Every node it is filed in: the primary one first, then the linked ones."""
        return ([self.node] if self.node is not None else []) + self.linked_nodes


class RecordLink(Base):
    """A record filed in a further class or folder besides its primary node (multi-filing):
    it appears there, the longest retention of all its locations wins, a hold on any of them
    covers it and a person must satisfy every location's access rule. Destroying the record
    deletes its links (the stub stays in the primary node)."""

    __tablename__ = "record_links"
    __table_args__ = (UniqueConstraint("document_id", "node_id", name="uq_record_links_node"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("fileplan_nodes.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    linked_by: Mapped[str] = mapped_column(String(100))

    node: Mapped[FilePlanNode] = relationship(lazy="joined")


class DocumentVersion(Base):
    """One immutable content version; the bytes live in the blob store under `sha256`."""

    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number", name="uq_document_versions_document_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    filename: Mapped[str] = mapped_column(String(300))
    mime: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))

    document: Mapped[Document] = relationship(back_populates="versions")


class DocumentText(Base):
    """The text extracted from a document's current version, and how each page was read."""

    __tablename__ = "document_texts"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    pages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    extracted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DocumentPerson(Base):
    """A person who made the document (e-GMS `creator`) or contributed to it (`contributor`):
    named by the filer, or found in the file's own properties (its author, an e-mail's From
    and To) where they identify an account. Expert finding credits every one of them."""

    __tablename__ = "document_people"
    __table_args__ = (
        UniqueConstraint("document_id", "user_id", "role", name="uq_document_people_role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))  # creator | contributor
    source: Mapped[str] = mapped_column(String(20), default="named")  # named | property
