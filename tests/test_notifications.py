"""E-mail out (issue 13 part 5): notifications of review due, triage waiting, harvest interview
due, a write-up awaiting approval and a hold on one's records, written to an outbox in the
event's transaction and sent to a real SMTP server on 127.0.0.1 (aiosmtpd), per each person's
preferences, immediately or in a daily digest."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from edrm import clock
from edrm.access import Principal
from edrm.documents.service import NewDocument, create_document
from edrm.notifications.delivery import deliver_due
from edrm.notifications.jobs import daily_digest
from edrm.notifications.models import DIGEST, DIGESTED, IMMEDIATE, PENDING, SENT, SKIPPED
from edrm.notifications.preferences import set_preferences
from edrm.people.models import User
from edrm.runtime import Runtime
from retention.holds import place_hold
from tests.conftest import World, add_person, file_text
from tests.notification_support import (
    BASE,
    Mailbox,
    address,
    give_everyone_an_address,
    mailbox,
    outbox,
    smtp_server,
    smtp_settings,
    text_of,
)
from tests.retention.disposal_helpers import with_records_management
from tests.retention.disposal_world import queue_due

__all__ = ["mailbox", "smtp_server", "smtp_settings"]

# A real SMTP server; the outbox's SQL is the webhooks' pattern: one engine is enough.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def at() -> Iterator[list[datetime]]:
    """The clock, held at a time the test moves on (at[0])."""
    moment = [clock.now()]
    clock.set_clock(lambda: moment[0])
    yield moment
    clock.set_clock(None)


@pytest.fixture
def people(world: World) -> World:
    give_everyone_an_address(world.runtime)
    return world


def _prefer(rt: Runtime, username: str, **choices: tuple[bool, str]) -> None:
    with rt.uow() as s:
        set_preferences(s, username, choices)


def _hold(world: World, document: str, reason: str = "Litigation Zebedee v Crown") -> None:
    with world.runtime.uow() as s:
        place_hold(
            s,
            reason=reason,
            authority="Legal adviser",
            actor=world.people["recman"],
            document_id=world.docs[document],
        )


def _on_triage(rt: Runtime, owner: Principal, title: str) -> int:
    with rt.uow() as s:
        stored = rt.blobs.put_stream(io.BytesIO(f"{title}\n".encode()))
        document = create_document(
            s,
            stored.sha256,
            stored.size,
            "text/plain",
            NewDocument(filename="note.txt", into_code="", title=title),
            actor=owner,
            triage=True,
        )
        return document.id


def test_records_queued_for_review_email_every_records_manager(
    people: World, mailbox: Mailbox
) -> None:
    """The sweep queues records for disposal review: each records manager gets an e-mail with
    a plain subject, the records they may see, and a link to the disposal queue; no one else
    does."""
    world = with_records_management(people)
    give_everyone_an_address(world.runtime)
    assert queue_due(world.runtime)
    result = deliver_due(world.runtime)
    assert len(result.sent) == 2
    assert mailbox.recipients() == [
        f"Recman <{address('recman')}>",
        f"Recman2 <{address('recman2')}>",
    ]
    mail = mailbox.to(address("recman"))[0]
    assert mail["Subject"] == "Records are waiting for your review"
    assert mail["From"] == "edrm <records@edrm.test>"
    assert mail.get_content_type() == "text/plain"
    body = text_of(mail)
    assert "Hello Recman," in body
    assert "Invoice 1001 from Acme Ltd" in body
    assert f"Open: {BASE}/records-management/queue" in body
    assert f"{BASE}/documents/{world.docs['invoice']}" in body


def test_a_reviewer_never_gets_the_title_of_a_record_they_may_not_see(
    people: World, mailbox: Mailbox
) -> None:
    """Access: a records manager cleared only for OFFICIAL is told records wait, but the
    OFFICIAL-SENSITIVE record's title (and link) is left out of their e-mail."""
    world = with_records_management(people)
    with world.runtime.uow() as s:
        add_person(s, "lowrm", "records_manager", "OFFICIAL")
    give_everyone_an_address(world.runtime)
    queue_due(world.runtime)
    deliver_due(world.runtime)
    (low,) = mailbox.to(address("lowrm"))
    (high,) = mailbox.to(address("recman"))
    assert "Supplier bank details" in text_of(high)
    assert "Supplier bank details" not in text_of(low)
    assert f"/documents/{world.docs['sensitive']}" not in text_of(low)
    assert "Invoice 1001 from Acme Ltd" in text_of(low)


def test_a_document_on_the_triage_list_emails_its_filer(people: World, mailbox: Mailbox) -> None:
    """A document the classifier could not place tells the person who uploaded it, with a
    link to that document on their triage list."""
    rt = people.runtime
    _prefer(rt, "clerk", triage_waiting=(True, IMMEDIATE))
    doc_id = _on_triage(rt, people.people["clerk"], "Note about the Hartwell contract")
    deliver_due(rt)
    (mail,) = mailbox.messages
    assert mail["To"] == f"Clerk <{address('clerk')}>"
    assert mail["Subject"] == "Documents are waiting on your triage list"
    body = text_of(mail)
    assert "Note about the Hartwell contract" in body
    assert f"Open: {BASE}/triage/{doc_id}" in body


def test_a_hold_emails_the_people_who_filed_the_records_it_covers(
    people: World, mailbox: Mailbox
) -> None:
    """A legal hold on a record tells the person who filed it, naming the record but not the
    hold's reason (which may name a case they are not party to)."""
    _hold(people, "invoice")
    deliver_due(people.runtime)
    (mail,) = mailbox.messages
    assert mail["To"] == f"Clerk <{address('clerk')}>"
    assert mail["Subject"] == "A legal hold has been placed on your records"
    body = text_of(mail)
    assert "Invoice 1001 from Acme Ltd" in body
    assert f"Open: {BASE}/documents/{people.docs['invoice']}" in body
    assert "Zebedee" not in body


def test_a_hold_on_a_record_its_filer_may_no_longer_see_sends_them_nothing(
    people: World, mailbox: Mailbox
) -> None:
    """Access: the analyst filed an OFFICIAL-SENSITIVE record and has since been cleared
    only for OFFICIAL: the hold's notification has nothing they may see, so no e-mail goes
    and the title never leaves edrm."""
    rt = people.runtime
    with rt.uow() as s:
        file_text(
            s,
            rt,
            "FIN-AP-INV",
            "Payroll of the Quimby unit",
            marking="OFFICIAL-SENSITIVE",
            actor=people.people["analyst"],
        )
        s.execute(update(User).where(User.username == "analyst").values(clearance_value="OFFICIAL"))
    with rt.uow() as s:
        place_hold(
            s,
            reason="Inquiry",
            authority="Legal adviser",
            actor=people.people["recman"],
            folder_code="FIN-AP-INV",
        )
    result = deliver_due(rt)
    assert all("Quimby" not in text_of(m) for m in mailbox.messages)
    assert address("analyst") not in " ".join(mailbox.recipients())
    assert result.skipped
    assert {n.status for n in outbox(rt) if n.recipient == "analyst"} == {SKIPPED}


def test_a_kind_switched_off_is_neither_written_nor_sent(people: World, mailbox: Mailbox) -> None:
    """Preferences: the clerk turned hold e-mails off, so a hold on their record writes no
    notification and sends no mail."""
    _prefer(people.runtime, "clerk", hold_placed=(False, IMMEDIATE))
    _hold(people, "invoice")
    assert outbox(people.runtime) == []
    deliver_due(people.runtime)
    assert mailbox.messages == []


def test_the_daily_digest_is_one_mail_listing_everything_waiting(
    people: World, mailbox: Mailbox
) -> None:
    """Preferences: with triage and holds in the daily digest, nothing goes at once; the
    digest job sends the clerk one e-mail listing all three items, and a second run sends
    nothing more."""
    rt = people.runtime
    _prefer(rt, "clerk", hold_placed=(True, DIGEST), triage_waiting=(True, DIGEST))
    clerk = people.people["clerk"]
    _on_triage(rt, clerk, "Minutes of the Farrow meeting")
    _on_triage(rt, clerk, "Draft letter to Gosling Ltd")
    _hold(people, "invoice")
    assert deliver_due(rt).sent == []
    assert mailbox.messages == []
    daily_digest(rt)
    (mail,) = mailbox.messages
    assert mail["To"] == f"Clerk <{address('clerk')}>"
    assert mail["Subject"] == "edrm: 3 things are waiting for you"
    body = text_of(mail)
    for title in (
        "Minutes of the Farrow meeting",
        "Draft letter to Gosling Ltd",
        "Invoice 1001 from Acme Ltd",
    ):
        assert title in body
    assert "Documents are waiting on your triage list" in body
    assert "A legal hold has been placed on your records" in body
    assert {n.status for n in outbox(rt) if n.kind != "daily_digest"} == {DIGESTED}
    daily_digest(rt)
    assert len(mailbox.messages) == 1


def test_smtp_down_then_up_is_retried_and_delivered_once(
    people: World, mailbox: Mailbox, at: list[datetime]
) -> None:
    """The outbox: with the SMTP server down the attempt fails and is retried after the
    backoff (60 s), not before; once the server is back the e-mail is delivered exactly once
    and marked sent."""
    _hold(people, "invoice")
    start = at[0]
    mailbox.stop()
    try:
        first = deliver_due(people.runtime)
    finally:
        mailbox.start()
    assert first.retrying and not first.sent
    (row,) = outbox(people.runtime)
    assert row.status == PENDING and row.attempts == 1 and row.last_error
    assert deliver_due(people.runtime).sent == []  # the backoff has not passed
    at[0] = start + timedelta(seconds=61)
    assert deliver_due(people.runtime).sent == [row.id]
    at[0] = start + timedelta(hours=1)
    assert deliver_due(people.runtime).sent == []
    (mail,) = mailbox.messages
    assert mail["X-Edrm-Notification"] == str(row.id)
    (sent,) = outbox(people.runtime)
    assert (sent.status, sent.attempts, sent.channel) == (SENT, 2, "smtp")


def test_a_notification_claimed_by_a_process_that_died_is_sent_after_its_lease(
    people: World, mailbox: Mailbox, at: list[datetime]
) -> None:
    """Crash story: a sender that claimed a notification and died before recording it leaves
    it pending and leased; once the lease (120 s) has run out the next pass sends it."""
    from edrm.notifications.delivery import _claim

    _hold(people, "invoice")
    start = at[0]
    assert len(_claim(people.runtime, start)) == 1  # … and then the process is killed
    assert deliver_due(people.runtime).sent == []
    at[0] = start + timedelta(seconds=121)
    assert len(deliver_due(people.runtime).sent) == 1
    assert len(mailbox.messages) == 1


def test_an_event_that_rolls_back_notifies_no_one(people: World, mailbox: Mailbox) -> None:
    """The notification is written in the event's transaction: a hold whose transaction
    fails leaves nothing in the outbox."""
    with pytest.raises(RuntimeError), people.runtime.uow() as s:
        place_hold(
            s,
            reason="Inquiry",
            authority="Legal adviser",
            actor=people.people["recman"],
            document_id=people.docs["invoice"],
        )
        raise RuntimeError("the change fails after the hold")
    assert outbox(people.runtime) == []
    deliver_due(people.runtime)
    assert mailbox.messages == []
