"""The renditions table: one row per (version, kind), its bytes in the blob store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime

PDFA = "pdfa"  # a searchable PDF/A-2b of a scanned image or PDF
PDF = "pdf"  # a PDF of an office document (LibreOffice)
KINDS = (PDFA, PDF)


class Rendition(Base):
    """A derived copy of one version; `sha256` names its bytes in the blob store.

    Made at most once per version and kind (the unique constraint): the ingest transaction
    that files the document inserts it, so a job done again after a crash makes none twice.
    """

    __tablename__ = "renditions"
    __table_args__ = (UniqueConstraint("version_id", "kind", name="uq_renditions_version_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("document_versions.id"))
    kind: Mapped[str] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime: Mapped[str] = mapped_column(String(100), default="application/pdf")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def describe(self) -> dict[str, object]:
        """What `edrm doc show --json` and the API say of it."""
        return {
            "kind": self.kind,
            "sha256": self.sha256,
            "size": self.size,
            "created": self.created_at.isoformat(),
        }
