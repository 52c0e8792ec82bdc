"""Storing a received message: the one door by which mail becomes an ingest job.

Crash story: the raw message goes to the blob store first (written to a temporary file,
fsynced, renamed: `edrm.storage`); then one transaction commits its ingest job (source "mail",
the .eml as the file, filed as the sender's account) and its transmission row. Only after that
commit does the SMTP listener answer 250, or the mailbox poller move the message on the server.
A crash before the commit leaves nothing but an unreferenced blob, and the message is still the
sender's (no 250) or still in the mailbox; a crash after it leaves a queued job that any ingest
worker runs, after a restart too. A message seen again (the sender retrying because the 250
never reached it, or the poller reading it again before it could move it) has the same
receipt key (its sender and Message-ID) and is recognised, not filed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.fileplan.models import FilePlanNode
from edrm.ingest import jobs
from edrm.mailin.message import (
    SMTP,
    Headers,
    Received,
    plus_code,
    read_headers,
    receipt_key,
    recipients_for_plus,
    subject_codes,
    title_without,
)
from edrm.mailin.models import Transmission
from edrm.mailin.senders import account_sending
from edrm.runtime import Runtime
from edrm.unit_of_work import unit_of_work

log = logging.getLogger(__name__)
SOURCE = "mail"


@dataclass(frozen=True)
class Stored:
    """A message taken: its ingest job, whether it had been taken before, who it is filed as
    and the class it asked for (None: the classifier decides)."""

    job_id: int
    again: bool
    filed_as: str
    into_code: str | None = None


def choose_class(
    session: Session, received: Received, headers: Headers, capture: str
) -> tuple[str | None, str]:
    """The class the message asks for, and how: a plus-address (taken as given: a code that
    does not exist lands on the sender's triage list saying so), else the first code in
    brackets in the subject that the file plan has ("[EXTERNAL]" tags added by mail gateways
    are not codes); (None, "") when it asks for none."""
    code = plus_code(recipients_for_plus(received, headers), capture)
    if code:
        return code, "plus-address"
    candidates = subject_codes(headers.subject)
    if candidates:
        known = set(
            session.scalars(select(FilePlanNode.code).where(FilePlanNode.code.in_(candidates)))
        )
        for candidate in candidates:
            if candidate in known:
                return candidate, "subject"
    return None, ""


def store(runtime: Runtime, received: Received) -> Stored:
    """Take one message for filing (see the crash story above); SenderRefused when its
    sender has no account (checked again in the storing transaction)."""
    headers = read_headers(received.raw)
    envelope = received.envelope_sender if received.via == SMTP else None
    with runtime.uow() as session:
        username = account_sending(session, headers.from_address, envelope).username
    # Once per person: two people whose rules redirect the same message (its Message-ID
    # unchanged) each file it.
    key = f"{username} {receipt_key(headers, received.raw)}"[:500]
    try:
        with durable_unit(runtime) as session:
            return _store(runtime, session, received, headers, key)
    except IntegrityError:
        # The same message stored at the same moment by another connection or poller.
        with runtime.uow() as session:
            again = _taken_before(session, key)
        if again is None:
            raise
        return again


@contextmanager
def durable_unit(runtime: Runtime) -> Iterator[Session]:
    """A unit of work whose commit is on disk once it returns. PostgreSQL's commits are; an
    SQLite database in WAL mode at synchronous=NORMAL (edrm.db) syncs its log only at
    checkpoints, so a power cut could undo a commit a 250 had promised: this one commit is
    made at synchronous=FULL (the log synced at the commit)."""
    if runtime.engine.dialect.name != "sqlite":
        with runtime.uow() as session:
            yield session
        return
    with runtime.engine.connect() as connection:
        raw = connection.connection.dbapi_connection  # outside any transaction: SQLite
        assert raw is not None  # changes the level only there
        raw.execute("PRAGMA synchronous=FULL")
        try:
            with unit_of_work(lambda: runtime.sessions(bind=connection)) as session:
                yield session
        finally:
            connection.rollback()
            raw.execute("PRAGMA synchronous=NORMAL")


def _taken_before(session: Session, key: str) -> Stored | None:
    found = session.scalar(select(Transmission).where(Transmission.receipt_key == key))
    if found is None:
        return None
    return Stored(found.ingest_job_id, True, found.filed_as)


def _store(
    runtime: Runtime, session: Session, received: Received, headers: Headers, key: str
) -> Stored:
    envelope = received.envelope_sender if received.via == SMTP else None
    user = account_sending(session, headers.from_address, envelope)
    before = _taken_before(session, key)
    if before is not None:
        return before
    capture = runtime.settings.mail_capture_address
    code, chosen_by = choose_class(session, received, headers, capture)
    blob = runtime.blobs.put_bytes(received.raw)
    title = title_without(headers.subject, code if chosen_by == "subject" else None)
    job = jobs.submit_stored(
        session,
        blob.sha256,
        blob.size,
        f"{title or 'message'}.eml",
        jobs.Submission(
            submitted_by=user.username,
            source=SOURCE,
            batch=SOURCE,
            into_code=code,
            hints={"title": title} if title else None,
        ),
    )
    session.add(
        Transmission(
            ingest_job_id=job.id,
            receipt_key=key,
            received_via=received.via,
            received_at=clock.now(),
            filed_as=user.username,
            envelope_sender=received.envelope_sender,
            envelope_recipients=list(received.envelope_recipients),
            from_header=headers.from_header,
            to_header=headers.to_header,
            cc_header=headers.cc_header,
            date_header=headers.date_header,
            sent_at=headers.sent_at,
            message_id=headers.message_id,
            subject=headers.subject,
            distribution=headers.distribution,
            class_chosen_by=chosen_by,
        )
    )
    audit.record(
        session,
        user.username,
        "mail.received",
        "ingest_job",
        job.id,
        {"via": received.via, "message_id": headers.message_id},
    )
    session.flush()
    log.info("mail: message %s from %s taken as job %d", key, user.username, job.id)
    return Stored(job.id, False, user.username, code)
