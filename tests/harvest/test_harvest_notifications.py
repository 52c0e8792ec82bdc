"""E-mail out for harvest (issue 13 part 5): HR is e-mailed of interviews due as leaving dates
near (the reminders used to write only a log line), and the leaver and line manager when a
write-up waits for their approval; sent to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edrm.notifications.delivery import deliver_due
from edrm.settings import Settings
from harvest.interviews.filing import approve
from harvest.interviews.plans import start_plan
from harvest.interviews.questions import QuestionBanks, load_question_banks
from harvest.interviews.sessions import record_session
from harvest.jobs import interview_reminders
from tests.harvest.leaver_support import CONFIG, TODAY, Office, fixed_clock, office, register
from tests.notification_support import (
    BASE,
    Mailbox,
    address,
    give_everyone_an_address,
    mailbox,
    smtp_server,
    smtp_settings,
    text_of,
)

__all__ = ["fixed_clock", "mailbox", "office", "smtp_server", "smtp_settings"]

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def staff(office: Office) -> Office:
    give_everyone_an_address(office.runtime)
    return office


def _write_up(office: Office, banks: QuestionBanks, answer: str) -> None:
    with office.runtime.uow() as s:
        record_session(
            s,
            "lena",
            actor=office["hana"],
            held_on=TODAY,
            attendees=["Lena", "Hana"],
            answers={"unique_knowledge.only_you": answer},
        )


def test_a_leaver_near_their_date_with_no_interview_emails_hr(
    staff: Office, mailbox: Mailbox
) -> None:
    """The interview reminders job e-mails HR (and no one else) about a leaver ten days from
    their leaving date with no interview held, linking to the leaver's page; a second run the
    same day sends nothing more."""
    with staff.runtime.uow() as s:
        register(s, staff, leaving=TODAY + timedelta(days=10))
    interview_reminders(staff.runtime)
    deliver_due(staff.runtime)
    (mail,) = mailbox.messages
    assert mail["To"] == f"Hana <{address('hana')}>"
    assert mail["Subject"] == "A knowledge harvest interview is due"
    body = text_of(mail)
    assert "lena leaves on 20 March 2025 (in 10 days)" in body
    assert f"Open: {BASE}/leavers/lena" in body
    interview_reminders(staff.runtime)
    deliver_due(staff.runtime)
    assert len(mailbox.messages) == 1


def test_a_write_up_with_answers_asks_the_leaver_and_line_manager_to_approve(
    staff: Office, mailbox: Mailbox, settings: Settings
) -> None:
    """Once a session has answers, the leaver and the line manager are each asked to approve,
    once however often the write-up is saved that day; the successor and HR are not asked,
    and approving sends nothing more."""
    banks = load_question_banks(settings.config_dir)
    with staff.runtime.uow() as s:
        register(s, staff)
        start_plan(s, "lena", actor=staff["hana"], config=CONFIG, banks=banks)
    _write_up(staff, banks, "The reconciliation workbook is on the finance drive.")
    _write_up(staff, banks, "The reconciliation workbook is on the shared finance drive.")
    deliver_due(staff.runtime)
    assert mailbox.recipients() == [f"Lena <{address('lena')}>", f"Mo <{address('mo')}>"]
    for mail in mailbox.messages:
        assert mail["Subject"] == "A knowledge harvest write-up is waiting for your approval"
        assert f"Open: {BASE}/leavers/lena/plan/approve" in text_of(mail)
    assert "line manager" in text_of(mailbox.to(address("mo"))[0])
    with staff.runtime.uow() as s:
        approve(s, "lena", actor=staff["lena"])
    deliver_due(staff.runtime)
    assert len(mailbox.messages) == 2
