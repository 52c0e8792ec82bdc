"""E-mail in (issue 13 part 6): file by forwarding to the capture address, through a real SMTP
listener (aiosmtpd, sent to with smtplib); the class from the subject or a plus-address,
attachments as child documents, unknown senders refused, and the transmission data shown and
never changed. The IMAP poller is in test_mail_in_imap.py, the killed listener in
test_mail_in_crash.py."""

from __future__ import annotations

import re
import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from edrm.documents.models import Document
from edrm.ingest.models import IngestJob
from edrm.ingest.worker import Worker
from edrm.mailin.listener import start_listener
from edrm.mailin.message import plus_code, subject_codes, title_without
from edrm.mailin.models import Transmission
from edrm.people.models import User
from edrm.runtime import Runtime
from tests.conftest import Cli, World, sign_in

CAPTURE = "records@dept.gov.uk"
CLERK = "clerk@dept.gov.uk"


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, Any]) -> dict[str, Any]:
    return {**settings_overrides, "mail_capture_address": CAPTURE}


def give_addresses(runtime: Runtime, **addresses: str) -> None:
    with runtime.uow() as s:
        for username, address in addresses.items():
            s.execute(update(User).where(User.username == username).values(email=address))


@pytest.fixture
def mail_world(world: World) -> World:
    give_addresses(world.runtime, clerk=CLERK, analyst="Analyst@Dept.gov.uk")
    return world


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def listener(mail_world: World) -> Iterator[Controller]:
    controller = start_listener(mail_world.runtime, "127.0.0.1", free_port())
    yield controller
    controller.stop()


def _port(controller: Controller) -> int:
    return int(controller.port)


def message(
    subject: str,
    *,
    sender: str = CLERK,
    to: str = CAPTURE,
    cc: str = "",
    body: str = "Please file the attached invoice.\n",
    attachments: tuple[tuple[str, bytes], ...] = (),
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Clerk Person <{sender}>"
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = "Tue, 01 Dec 2026 09:30:00 +0000"
    msg["Message-ID"] = make_msgid(domain="dept.gov.uk")
    msg.set_content(body)
    for name, data in attachments:
        msg.add_attachment(data, maintype="text", subtype="plain", filename=name)
    return msg


def send(
    controller: Controller, msg: EmailMessage, *, envelope_from: str | None = None, to: str = ""
) -> tuple[int, str]:
    """Send by SMTP; the server's answer to the message (code, text)."""
    with smtplib.SMTP("127.0.0.1", _port(controller), timeout=10) as smtp:
        smtp.ehlo()
        code, reply = smtp.mail(envelope_from or msg["From"].addresses[0].addr_spec)
        if code != 250:
            return code, reply.decode()
        code, reply = smtp.rcpt(to or str(msg["To"]))
        if code != 250:
            return code, reply.decode()
        code, reply = smtp.data(msg.as_bytes())
        return code, reply.decode()


def file_all(runtime: Runtime) -> None:
    with Worker(runtime, ocr_processes=1, poll_seconds=0.05) as worker:
        worker.drain("mail")


def _documents(runtime: Runtime) -> list[Document]:
    with runtime.uow() as s:
        docs = list(
            s.scalars(
                select(Document)
                .join(IngestJob, IngestJob.document_id == Document.id)
                .where(IngestJob.batch == "mail")
                .order_by(Document.id)
            )
        )
        for d in docs:
            s.expunge(d)
        return docs


def _codes(docs: list[Document]) -> list[str | None]:
    return [d.node.code if d.node else None for d in docs]


# --- reading a message ------------------------------------------------------------------------


def test_the_class_comes_from_a_code_in_brackets_or_a_plus_address() -> None:
    """Issue 13 part 6: "[FIN-AP-INV] invoice" and records+FIN-AP-INV@… name a class; the code
    is taken out of the title; another address's tag is not the capture address's."""
    assert subject_codes("Fwd: [EXTERNAL] [fin-ap-inv] invoice") == ["EXTERNAL", "FIN-AP-INV"]
    assert title_without("[FIN-AP-INV] Invoice 4471", "FIN-AP-INV") == "Invoice 4471"
    assert plus_code(["records+FIN-AP-INV@Dept.gov.uk"], CAPTURE) == "FIN-AP-INV"
    assert plus_code(["someone+FIN@dept.gov.uk", CAPTURE], CAPTURE) is None


# --- the SMTP listener ------------------------------------------------------------------------


def test_a_known_sender_with_a_subject_code_is_filed_there_with_attachments_as_children(
    mail_world: World, listener: Controller
) -> None:
    """Issue 13 part 6: the body is the parent document (its original the .eml), filed in
    the class the subject names (an "[EXTERNAL]" tag is not a code), and every attachment is
    a child document beside it, related to the parent."""
    msg = message(
        "Fwd: [EXTERNAL] [FIN-AP-INV] Invoice 4471 from Acme",
        attachments=(
            ("invoice-4471.txt", b"Invoice 4471\nTotal 120.00\n"),
            ("remittance.txt", b"Remittance advice for 4471\n"),
        ),
    )
    code, reply = send(listener, msg)
    assert code == 250, reply
    assert "received for filing as clerk" in reply
    file_all(mail_world.runtime)
    parent, *children = _documents(mail_world.runtime)
    assert parent.title == "Fwd: [EXTERNAL] Invoice 4471 from Acme"
    assert parent.latest.filename.endswith(".eml") and parent.node is not None
    assert _codes([parent, *children]) == ["FIN-AP-INV"] * 3
    assert sorted(c.latest.filename for c in children) == ["invoice-4471.txt", "remittance.txt"]
    assert all(
        c.relations == [{"type": "attachment_of", "document_id": parent.id}] for c in children
    )
    with mail_world.runtime.uow() as s:
        assert s.get(User, parent.filed_by_id).username == "clerk"  # type: ignore[union-attr]


def test_a_plus_address_chooses_the_class(mail_world: World, listener: Controller) -> None:
    """Issue 13 part 6: records+SEC-OPS-INC@… files into SEC-OPS-INC whatever the subject;
    the sender's address matches whatever its case."""
    msg = message("Door left open", sender="analyst@dept.gov.uk")
    code, reply = send(listener, msg, to="records+SEC-OPS-INC@dept.gov.uk")
    assert code == 250, reply
    file_all(mail_world.runtime)
    assert _codes(_documents(mail_world.runtime)) == ["SEC-OPS-INC"]


def test_a_message_naming_no_class_goes_to_the_classifier(
    mail_world: World, listener: Controller
) -> None:
    """Issue 13 part 6: with no code the normal classifier and triage decide (here, with no
    model trained, the sender's triage list)."""
    assert send(listener, message("Some thoughts"))[0] == 250
    file_all(mail_world.runtime)
    (doc,) = _documents(mail_world.runtime)
    assert doc.status in ("triage", "filed")


def test_an_unknown_sender_is_refused_with_550_and_nothing_is_kept(
    mail_world: World, listener: Controller
) -> None:
    """Issue 13 part 6: mail from an address no account has is refused at MAIL FROM, with the
    reason; so is a From that is not the envelope sender's account, and a recipient that is not
    the capture address (it relays nothing)."""
    code, reply = send(listener, message("Hello", sender="stranger@example.com"))
    assert code == 550 and "not the e-mail address of anyone with an edrm account" in reply
    forged = message("Hello", sender="analyst@dept.gov.uk")
    code, reply = send(listener, forged, envelope_from=CLERK)
    assert code == 550 and "a different account" in reply
    code, reply = send(listener, message("Hello"), to="someone@elsewhere.org")
    assert code == 550 and "not this edrm's capture address" in reply
    with mail_world.runtime.uow() as s:
        assert s.scalars(select(Transmission)).all() == []
        assert s.scalars(select(IngestJob).where(IngestJob.source == "mail")).all() == []


def test_a_message_sent_again_is_filed_once(mail_world: World, listener: Controller) -> None:
    """Issue 13 part 6: a sending server that retries (its 250 lost) sends the same
    Message-ID; it is answered 250 and not filed twice."""
    msg = message("[FIN-AP-INV] Invoice 9")
    assert send(listener, msg)[0] == 250
    code, reply = send(listener, msg)
    assert code == 250 and "already received" in reply
    file_all(mail_world.runtime)
    assert len(_documents(mail_world.runtime)) == 1


# --- transmission data ------------------------------------------------------------------------


def _filed_invoice(world: World, controller: Controller) -> Document:
    msg = message(
        "[FIN-AP-INV] Invoice 5120",
        to=f"{CAPTURE}, Accounts <accounts@dept.gov.uk>",
        cc="Head of Finance <hof@dept.gov.uk>",
        attachments=(("invoice-5120.txt", b"Invoice 5120\n"),),
    )
    assert send(controller, msg, to=CAPTURE)[0] == 250
    file_all(world.runtime)
    return _documents(world.runtime)[0]


def test_the_transmission_is_shown_on_the_document_page(
    mail_world: World, listener: Controller, client: FlaskClient
) -> None:
    """Issue 13 part 6: "Sent by e-mail" shows from, to, cc, date, message-id, how it came
    and links to the attachments; an attachment's page links back to the message."""
    doc = _filed_invoice(mail_world, listener)
    sign_in(client, "clerk")
    page = client.get(f"/documents/{doc.id}").text
    block = page[page.index('id="sent-by-email-heading"') :]
    block = block[: block.index("</dl>")]
    plain = (
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))
        .replace("&lt;", "<")
        .replace("&gt;", ">")
    )
    for shown in (
        "Clerk Person <clerk@dept.gov.uk>",
        "Accounts <accounts@dept.gov.uk>",
        "Head of Finance <hof@dept.gov.uk>",
        "1 December 2026 09:30",
        "@dept.gov.uk>",
        "by SMTP, for records@dept.gov.uk",
        "Attachments Invoice 5120",
        "This cannot be changed",
    ):
        assert shown in plain or shown in block, shown
    child = _documents(mail_world.runtime)[1]
    child_page = client.get(f"/documents/{child.id}").text
    assert 'id="sent-by-email"' not in child_page
    assert f'as an attachment of <a class="govuk-link" href="/documents/{doc.id}">' in child_page


def test_editing_the_documents_details_leaves_the_transmission_unchanged(
    mail_world: World, listener: Controller, client: FlaskClient
) -> None:
    """Issue 13 part 6: the edit form changes the document, never how it was sent."""
    doc = _filed_invoice(mail_world, listener)
    with mail_world.runtime.uow() as s:
        before = {
            c: getattr(t, c)
            for t in s.scalars(select(Transmission))
            for c in ("from_header", "to_header", "subject", "message_id")
        }
    sign_in(client, "clerk")
    path = f"/documents/{doc.id}/edit"
    page = client.get(path)
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert token
    details = {
        "title": "Invoice 5120 (renamed)",
        "doc_type": "invoice",
        "subject": "from: someone else",
        "description": "",
        "marking": "OFFICIAL",
        "reason": "Clearer title",
        "confirm": "1",
        "from_header": "forged@example.com",
        "csrf_token": token.group(1),
    }
    assert client.post(path, data=details).status_code == 302
    with mail_world.runtime.uow() as s:
        (t,) = s.scalars(select(Transmission)).all()
        assert {c: getattr(t, c) for c in before} == before
        assert s.get(Document, doc.id).title == "Invoice 5120 (renamed)"  # type: ignore[union-attr]


def test_the_database_refuses_to_change_a_transmission(
    mail_world: World, listener: Controller
) -> None:
    """Issue 13 part 6: transmission data can never be edited, by any path (a trigger)."""
    assert send(listener, message("[FIN-AP-INV] Invoice 77"))[0] == 250
    with pytest.raises(DatabaseError, match="cannot be changed"), mail_world.runtime.uow() as s:
        s.execute(text("UPDATE mail_transmissions SET from_header = 'someone@else'"))


def test_an_address_two_accounts_share_and_a_service_accounts_address_name_no_one(
    mail_world: World, listener: Controller
) -> None:
    """Issue 13 part 6: the sender must be one person's account: an address on two accounts
    is refused as ambiguous, and a service account (its address a contact) never sends."""
    from edrm.people.service import add_service_account

    give_addresses(mail_world.runtime, recman=CLERK)
    code, reply = send(listener, message("Hello"))
    assert code == 550 and "more than one edrm account" in reply
    with mail_world.runtime.uow() as s:
        add_service_account(s, "casework", "civil_servant", "OFFICIAL", email="cw@dept.gov.uk")
    code, reply = send(listener, message("Hello", sender="cw@dept.gov.uk"))
    assert code == 550 and "not the e-mail address of anyone" in reply


def test_the_mail_commands_say_what_is_missing_in_one_line(cli: Cli) -> None:
    """Issue 13 part 6: with no capture address, or no mailbox, the commands refuse clearly."""
    cli.env.pop("EDRM_MAIL_CAPTURE_ADDRESS", None)
    off = cli("mail", "serve")
    assert off.exit_code == 1 and "e-mail in is off: set mail_capture_address" in off.stderr
    cli.env["EDRM_MAIL_CAPTURE_ADDRESS"] = CAPTURE
    poll = cli("mail", "poll")
    assert poll.exit_code == 1 and "no mailbox to poll: set mail_imap_host" in poll.stderr


def test_the_capture_address_must_be_one_plain_address(settings_overrides: dict[str, Any]) -> None:
    """Issue 13 part 6: a capture address with a +tag, or two, is a settings error."""
    from edrm.settings import SettingsError, load_settings

    for bad in ("records+FIN@dept.gov.uk", "a@b.c, d@e.f", "records"):
        with pytest.raises(SettingsError, match="mail_capture_address"):
            load_settings({**settings_overrides, "mail_capture_address": bad}, environ={})


def test_a_message_is_committed_with_its_log_synced_before_it_is_acknowledged(
    runtime: Runtime,
) -> None:
    """Issue 13 part 6: on SQLite (WAL, synchronous=NORMAL elsewhere) the storing commit is
    made at synchronous=FULL, so a power cut cannot undo what a 250 promised."""
    from edrm.mailin.receive import durable_unit

    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's commits are durable as they are")
    with durable_unit(runtime) as s:
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    with runtime.uow() as s:
        assert s.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL again
