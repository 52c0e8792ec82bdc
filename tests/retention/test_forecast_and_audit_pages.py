"""The forecast's wide table and the audit trail's details, as a person reads them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient

from edrm import audit, clock
from tests.conftest import World, sign_in
from tests.retention.disposal_helpers import with_records_management
from tests.retention.disposal_world import queue_due

pytestmark = pytest.mark.sqlite_only

SHA = "a3f5" * 16
NOW = clock.now()


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def test_the_forecasts_sideways_scroll_is_a_labelled_focusable_region(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 11: the months' horizontal scroll can be reached from the keyboard and
    is named (axe-core scrollable-region-focusable)."""
    queue_due(rm.runtime, as_of=date(2000, 1, 1))  # computes due dates; queues nothing
    # Two months before the invoices (kept 7 years from creation) fall due.
    clock.set_clock(lambda: NOW.replace(year=NOW.year + 7) - timedelta(days=60))
    try:
        sign_in(client, "recman")
        page = client.get("/records-management/forecast").text
    finally:
        clock.set_clock(None)
    assert 'id="forecast"' in page
    region = re.search(r'<div class="edrm-scroll"([^>]*)>', page)
    assert region
    attributes = region.group(1)
    assert 'tabindex="0"' in attributes and 'role="region"' in attributes
    assert re.search(r'aria-label="[^"]+"', attributes)


def test_audit_details_read_as_labelled_rows_with_hashes_shortened_but_kept_whole(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 11: an entry's details are a summary list with readable labels, not raw
    JSON; a hash shows its first characters and opens to the whole value."""
    with rm.runtime.uow() as s:
        audit.record(
            s, "recman", "test.detail", "document", 1, {"new_date": "2031-01-01", "sha256": SHA}
        )
    queue_due(rm.runtime)
    sign_in(client, "recman")
    page = client.get("/records-management/audit?action=test.detail").text
    entries = page[page.index('id="audit-entries"') :]
    assert '{"' not in entries and "&#34;" not in entries  # no JSON shown
    assert '<dt class="govuk-summary-list__key">New date</dt>' in entries
    assert '<dt class="govuk-summary-list__key">SHA-256</dt>' in entries
    assert f"{SHA[:12]}…" in entries
    assert re.search(rf"<details[^>]*>.*{SHA}", entries, re.S)
