"""Issue 17 part 3: vital records — records managers set and clear the flag with a reason,
each vital record is reviewed once a cycle with reminders, and a report lists them by class."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import clock
from edrm.audit.chain import AuditEvent
from edrm.errors import InvalidInputError, RefusedError
from edrm.notifications.kinds import VITAL_REVIEW_DUE
from edrm.notifications.models import Notification
from edrm.wiring.scheduler import run_job
from retention.models import VitalRecord
from retention.rules import add_months
from retention.vital import clear_vital, review_vital, set_vital, vital_report
from tests.conftest import Cli, World, file_text, sign_in

pytestmark = pytest.mark.sqlite_only  # one table and the audit trail, tested on both elsewhere


def _actions(world: World, document_id: int) -> list[str]:
    with world.runtime.uow() as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_id == str(document_id), AuditEvent.action.like("%vital%"))
                .order_by(AuditEvent.seq)
            )
        )


def test_a_records_manager_marks_a_record_vital_with_a_reason_and_it_shows(
    world: World, cli: Cli
) -> None:
    invoice = world.docs["invoice"]

    done = cli(
        "doc",
        "vital",
        str(invoice),
        "--set",
        "--reason",
        "Needed to pay suppliers",
        "--as",
        "recman",
        "--json",
    )

    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    due = add_months(clock.now().date(), 12).isoformat()
    assert body == {
        "id": invoice,
        "vital": True,
        "vital_reason": "Needed to pay suppliers",
        "vital_review_due": due,
    }
    shown = json.loads(cli("doc", "show", str(invoice), "--as", "clerk", "--json").output)
    assert shown["vital"] is True and shown["vital_review_due"] == due
    assert _actions(world, invoice) == ["document.vital_set"]


def test_the_flag_needs_a_reason_and_a_records_manager(world: World, cli: Cli) -> None:
    invoice = world.docs["invoice"]
    with world.runtime.uow() as s:
        with pytest.raises(InvalidInputError, match="give a reason"):
            set_vital(s, invoice, "  ", actor=world.people["recman"], cycle_months=12)
        with pytest.raises(RefusedError):
            set_vital(s, invoice, "Because", actor=world.people["clerk"], cycle_months=12)
    refused = cli("doc", "vital", str(invoice), "--set", "--reason", "x", "--as", "clerk")
    assert refused.exit_code == 1
    assert refused.output.strip() == "edrm: error: only records managers may mark records as vital"
    with world.runtime.uow() as s:
        assert s.get(VitalRecord, invoice) is None


def test_clearing_the_flag_needs_a_reason_and_is_audited(world: World, cli: Cli) -> None:
    invoice, recman = world.docs["invoice"], world.people["recman"]
    with world.runtime.uow() as s:
        set_vital(s, invoice, "Needed to pay suppliers", actor=recman, cycle_months=12)
    with world.runtime.uow() as s, pytest.raises(InvalidInputError, match="give a reason"):
        clear_vital(s, invoice, "", actor=recman)

    done = cli(
        "doc",
        "vital",
        str(invoice),
        "--clear",
        "--reason",
        "Superseded",
        "--as",
        "recman",
        "--json",
    )

    assert json.loads(done.output)["vital"] is False
    assert _actions(world, invoice) == ["document.vital_set", "document.vital_clear"]


def test_a_review_starts_the_next_cycle(world: World) -> None:
    invoice, recman = world.docs["invoice"], world.people["recman"]
    with world.runtime.uow() as s:
        set_vital(s, invoice, "Needed to pay suppliers", actor=recman, cycle_months=12)
        s.get(VitalRecord, invoice).review_due = clock.now().date() - timedelta(days=3)  # type: ignore[union-attr]
    with world.runtime.uow() as s:
        flag = review_vital(s, invoice, "Still the only copy", actor=recman, cycle_months=6)
        assert flag.review_due == add_months(clock.now().date(), 6)
        assert flag.reviewed_by == "recman"
    assert _actions(world, invoice)[-1] == "document.vital_review"


def test_the_report_lists_vital_records_by_class_and_only_those_the_asker_may_see(
    world: World,
) -> None:
    rt, recman, admin = world.runtime, world.people["recman"], world.people["admin"]
    with rt.uow() as s:
        secret = file_text(s, rt, "FIN-AP-INV", "Top secret ledger", marking="TOP SECRET")
        set_vital(s, world.docs["discipline"], "Open case", actor=recman, cycle_months=12)
        set_vital(
            s, world.docs["invoice"], "Needed to pay suppliers", actor=recman, cycle_months=12
        )
        set_vital(s, secret, "Only copy", actor=admin, cycle_months=12)
    with rt.uow() as s:
        seen = [(e.class_code, e.document_id) for e in vital_report(s, recman)]
        assert seen == [
            ("FIN-AP-INV", world.docs["invoice"]),
            ("HR-CASE-DIS", world.docs["discipline"]),
        ]
        # the administrator sees the TOP SECRET record, and not the HR case (not in hr)
        assert {e.document_id for e in vital_report(s, admin)} == {world.docs["invoice"], secret}


def test_records_managers_are_reminded_of_reviews_that_fell_due(world: World) -> None:
    rt = world.runtime
    with rt.uow() as s:
        set_vital(s, world.docs["invoice"], "Needed", actor=world.people["recman"], cycle_months=12)
    assert run_job(rt, "vital-review-reminders").startswith("no vital record")
    with rt.uow() as s:
        s.get(VitalRecord, world.docs["invoice"]).review_due = clock.now().date()  # type: ignore[union-attr]

    result = run_job(rt, "vital-review-reminders")

    assert result.startswith("1 vital record(s) due"), result
    with rt.uow() as s:
        told = s.scalars(select(Notification).where(Notification.kind == VITAL_REVIEW_DUE)).all()
        assert [n.recipient for n in told] == ["recman"]
    run_job(rt, "vital-review-reminders")  # the same day again: no second reminder
    with rt.uow() as s:
        assert (
            len(s.scalars(select(Notification).where(Notification.kind == VITAL_REVIEW_DUE)).all())
            == 1
        )


def _csrf(client: FlaskClient, path: str) -> str:
    import re

    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, path
    return found.group(1)


def test_the_record_page_marks_a_record_vital_and_the_report_lists_it(
    world: World, client: FlaskClient
) -> None:
    invoice = world.docs["invoice"]
    sign_in(client, "recman")
    token = _csrf(client, f"/documents/{invoice}")

    made = client.post(
        f"/records-management/vital/{invoice}",
        data={"csrf_token": token, "action": "set", "reason": "Needed to pay suppliers"},
        follow_redirects=True,
    )

    assert made.status_code == 200
    assert "Vital record" in made.text and "Needed to pay suppliers" in made.text
    report = client.get("/records-management/vital")
    assert "Invoice 1001 from Acme Ltd" in report.text and "FIN-AP-INV" in report.text


def test_an_empty_reason_is_refused_on_the_page_and_nothing_changes(
    world: World, client: FlaskClient
) -> None:
    invoice = world.docs["invoice"]
    sign_in(client, "recman")
    token = _csrf(client, f"/documents/{invoice}")
    page = client.post(
        f"/records-management/vital/{invoice}",
        data={"csrf_token": token, "action": "set", "reason": ""},
        follow_redirects=True,
    )
    assert "Not changed: give a reason" in page.text
    with world.runtime.uow() as s:
        assert s.get(VitalRecord, invoice) is None


def test_others_see_the_flag_but_cannot_change_it(world: World, client: FlaskClient) -> None:
    invoice = world.docs["invoice"]
    with world.runtime.uow() as s:
        set_vital(s, invoice, "Needed", actor=world.people["recman"], cycle_months=12)
    sign_in(client, "clerk")
    page = client.get(f"/documents/{invoice}")
    assert "Vital record" in page.text and 'id="vital-form"' not in page.text
    token = _csrf(client, f"/documents/{invoice}")
    refused: Any = client.post(
        f"/records-management/vital/{invoice}",
        data={"csrf_token": token, "action": "clear", "reason": "no"},
    )
    assert refused.status_code == 403


def test_a_destroyed_record_is_no_longer_vital(world: World) -> None:
    from retention.execution import execute_approved
    from tests.retention.disposal_helpers import approve, queue, with_records_management

    rm = with_records_management(world)
    rt, recman = rm.runtime, rm.people["recman"]
    invoice = rm.docs["invoice"]
    with rt.uow() as s:
        set_vital(s, invoice, "Needed", actor=recman, cycle_months=12)
    item = queue(rt, invoice)
    approve(rt, [item], recman)

    assert execute_approved(rt, actor=recman).finished == [item]

    with rt.uow() as s:
        assert s.get(VitalRecord, invoice) is None
        assert vital_report(s, recman) == []
