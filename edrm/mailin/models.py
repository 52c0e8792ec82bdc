"""What a message said about its own sending, kept as it was received and never changed.

A row is written once, with the ingest job of the message (`receive.store`); the database
refuses every UPDATE of it (triggers made by migration 0012_mail_in), and no code path offers
one: the document's edit form changes the document, never this.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from edrm.db import Base, UTCDateTime


class Transmission(Base):
    """The sending of one message filed by e-mail: its headers as received, the envelope
    (SMTP) and who it was filed as."""

    __tablename__ = "mail_transmissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ingest_job_id: Mapped[int] = mapped_column(ForeignKey("ingest_jobs.id"), unique=True)
    # Who filed it and the message's Message-ID (else "sha256:<hex>" of its bytes): a message
    # is filed once by each person who sends it.
    receipt_key: Mapped[str] = mapped_column(String(500), unique=True)
    received_via: Mapped[str] = mapped_column(String(10))  # smtp | imap
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_as: Mapped[str] = mapped_column(String(100))
    envelope_sender: Mapped[str] = mapped_column(Text, default="")
    envelope_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    from_header: Mapped[str] = mapped_column(Text, default="")
    to_header: Mapped[str] = mapped_column(Text, default="")
    cc_header: Mapped[str] = mapped_column(Text, default="")
    date_header: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    # Every address the message was sent to, as received: [{"field", "name", "address"}].
    distribution: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    class_chosen_by: Mapped[str] = mapped_column(String(40), default="")
