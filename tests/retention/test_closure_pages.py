"""Issue 17 part 5: closure metadata captured at review — the disposal review of a transfer
item carries a "Closure for transfer" form with The National Archives' field names, saved
through retention.closure (its problems shown beside the fields, nothing saved), shown on the
record page to records managers; approving a transfer whose record is Closed but incomplete is
refused, and a record with no closure transfers as Open."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edrm import clock
from edrm.audit import AuditEvent
from edrm.documents.models import Document
from edrm.errors import RefusedError
from retention import review
from retention.closure import Closure, closure_of
from retention.models import DisposalItem, RecordClosure
from retention.transfer import export_transfer
from tests.conftest import World, sign_in
from tests.retention.test_transfer import _transfer_rule

pytestmark = pytest.mark.sqlite_only

CLOSED_FORM = {
    "closure_type": "Closed",
    "closure_period": "20",
    "closure_start_date": ["31", "3", "2024"],  # the GOV.UK date input's day, month, year
    "foi_exemption_code": "40(2)",
}


def _pending_transfer(world: World, key: str) -> int:
    """The record queued for transfer, awaiting its one review."""
    _transfer_rule(world.runtime)
    with world.runtime.uow() as s:
        document = s.get(Document, world.docs[key])
        assert document is not None
        item = DisposalItem(
            document_id=document.id,
            rule_code="TRANSFER-20Y",
            action="transfer",
            class_code=document.class_code or "",
            due_on=date(2024, 3, 31),
            stage=1,
            stages=1,
            status="pending",
            queued_at=clock.now(),
            progress={},
        )
        s.add(item)
        s.flush()
        return item.id


def _post(client: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get("/").text)
    assert token
    return client.post(path, data={**data, "csrf_token": token.group(1)})


def _closure_audits(world: World, document_id: int) -> int:
    with world.runtime.uow() as s:
        return len(
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.object_id == str(document_id),
                    AuditEvent.action == "document.closure",
                )
            ).all()
        )


def test_a_closure_saved_on_the_review_page_is_in_the_tna_metadata_csv(
    client: FlaskClient, world: World, tmp_path: Path
) -> None:
    item_id = _pending_transfer(world, "old")
    sign_in(client, "recman")
    page = client.get(f"/records-management/queue/{item_id}").text
    assert 'id="closure-form"' in page and 'value="Open" checked' in page  # none: Open

    saved = _post(client, f"/records-management/queue/{item_id}/closure", CLOSED_FORM)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#closure")
    shown = client.get(saved.headers["Location"]).text
    assert "closed for 20 years from 31 March 2024 under FOI 40(2)" in shown
    assert 'value="40(2)"' in shown and 'value="Closed" checked' in shown  # prefilled
    assert _closure_audits(world, world.docs["old"]) == 1  # audited by the service
    record = client.get(f"/documents/{world.docs['old']}").text
    assert 'id="closure"' in record and "Closed</strong> for 20 years" in record
    assert f"/records-management/queue/{item_id}#closure" in record  # the link to the form

    approved = _post(
        client,
        "/records-management/queue/decide",
        {"item": str(item_id), "back": str(item_id), "decision": "approve", "reason": "Kept"},
    )
    assert approved.status_code == 302
    exported = export_transfer(
        world.runtime, actor=world.people["recman"], item_ids=[item_id], out_dir=tmp_path, tna=True
    )
    with open(Path(exported.path) / "data" / "metadata.csv", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert (row["closure_type"], row["closure_period"], row["closure_start_date"]) == (
        "Closed",
        "20",
        "2024-03-31",
    )
    assert row["foi_exemption_code"] == "40(2)" and row["title_closed"] == "false"


def test_an_invalid_closed_record_shows_its_errors_beside_the_fields_and_saves_nothing(
    client: FlaskClient, world: World
) -> None:
    item_id = _pending_transfer(world, "old")
    sign_in(client, "recman")
    posted = {**CLOSED_FORM, "foi_exemption_code": "", "closure_period": "", "title_closed": "y"}
    refused = _post(client, f"/records-management/queue/{item_id}/closure", posted)
    assert refused.status_code == 400
    page = refused.text
    assert "govuk-error-summary" in page
    for field in ("closure_period", "foi_exemption_code", "title_alternate"):
        assert f'href="#{field}"' in page  # the summary links to the field
        assert f'id="{field}-error"' in page  # and the error is beside it
    assert "A closed record needs an foi_exemption_code" in page
    with world.runtime.uow() as s:
        assert s.get(RecordClosure, world.docs["old"]) is None
    assert _closure_audits(world, world.docs["old"]) == 0


def test_someone_who_is_not_a_records_manager_cannot_reach_the_closure_form(
    client: FlaskClient, world: World
) -> None:
    item_id = _pending_transfer(world, "old")
    sign_in(client, "clerk")
    assert client.get(f"/records-management/queue/{item_id}").status_code == 403
    posted = _post(client, f"/records-management/queue/{item_id}/closure", CLOSED_FORM)
    assert posted.status_code == 403
    record = client.get(f"/documents/{world.docs['old']}").text
    assert 'id="closure"' not in record
    with world.runtime.uow() as s:
        assert s.get(RecordClosure, world.docs["old"]) is None


def test_approving_a_transfer_whose_record_is_closed_but_incomplete_is_refused_with_why(
    world: World,
) -> None:
    """Set on the CLI and the pages, a closure is always complete; one written otherwise (an
    import, an older rule) is caught before the transfer is approved."""
    item_id = _pending_transfer(world, "old")
    with world.runtime.uow() as s:
        s.add(RecordClosure(document_id=world.docs["old"], closure_type="Closed",
                            closure_period=20, foi_exemption_code="", title_alternate="",
                            title_closed=False, description_closed=False,
                            set_by="import", set_at=clock.now()))  # fmt: skip
    with world.runtime.uow() as s, pytest.raises(RefusedError) as refused:
        review.decide(s, item_id, "approve", reason="Kept", actor=world.people["recman"])
    assert "closure is not complete" in str(refused.value)
    assert "needs a closure_start_date" in str(refused.value)
    assert "needs an foi_exemption_code" in str(refused.value)
    with world.runtime.uow() as s:
        item = s.get(DisposalItem, item_id)
        assert item is not None and item.status == "pending"


def test_a_transfer_with_no_closure_is_approved_and_transfers_as_open(
    world: World, tmp_path: Path
) -> None:
    item_id = _pending_transfer(world, "old")
    with world.runtime.uow() as s:
        review.decide(s, item_id, "approve", reason="Kept", actor=world.people["recman"])
        assert closure_of(s, world.docs["old"]) == Closure()
    exported = export_transfer(
        world.runtime, actor=world.people["recman"], item_ids=[item_id], out_dir=tmp_path, tna=True
    )
    with open(Path(exported.path) / "data" / "metadata.csv", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["closure_type"] == "Open" and row["closure_period"] == ""


SAVE_IN_CHILD = """
import sys, time
from datetime import date
from pathlib import Path
from edrm.cli.common import _principal, runtime
from retention.closure import Closure, set_closure

document_id, marker = int(sys.argv[1]), Path(sys.argv[2])
closure = Closure("Closed", 20, date(2024, 3, 31), "40(2)")
with runtime() as rt, rt.uow() as s:
    set_closure(s, document_id, closure, actor=_principal(s, "recman"))
    if marker.name != "none":
        marker.write_text("flushed")  # the row and its audit entry written, not committed
        time.sleep(600)
"""


@pytest.mark.slow
def test_a_kill_9_while_a_closure_is_saved_keeps_nothing_and_saving_again_keeps_it_once(
    world: World, tmp_path: Path
) -> None:
    """The page's save is set_closure in one unit of work: killed before the commit, neither
    the row nor its audit entry is kept; saved again, the record has exactly one closure."""
    settings = world.runtime.settings
    env = {
        **os.environ,
        "EDRM_HOME": str(settings.home),
        "EDRM_DATABASE_URL": settings.database_url,
        "EDRM_SECRET_KEY": "test-secret-key",
    }
    old, marker = str(world.docs["old"]), tmp_path / "flushed"
    child = subprocess.Popen(
        [sys.executable, "-c", SAVE_IN_CHILD, old, str(marker)], env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the child never reached its save"
        os.killpg(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    with world.runtime.uow() as s:
        assert s.get(RecordClosure, world.docs["old"]) is None
    assert _closure_audits(world, world.docs["old"]) == 0

    done = subprocess.run([sys.executable, "-c", SAVE_IN_CHILD, old, "none"], env=env, check=False)
    assert done.returncode == 0
    with world.runtime.uow() as s:
        assert closure_of(s, world.docs["old"]).foi_exemption_code == "40(2)"
        count = s.scalar(select(func.count()).select_from(RecordClosure))
    assert count == 1 and _closure_audits(world, world.docs["old"]) == 1
