"""Browser tests: a records manager reviews the disposal queue, approves a batch, carries it out
and downloads the certificate; a civil servant sees what filing in a class will mean."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.retention.disposal_helpers import with_records_management
from tests.retention.disposal_world import queue_due
from tests.test_browser import _sign_in, live_server, page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]
__all__ = ["live_server", "page"]


@pytest.fixture
def due(world: World) -> World:
    """Three invoices past their retention, put in the queue by the sweep."""
    with_records_management(world)
    assert len(queue_due(world.runtime)) == 3
    return world


def test_a_records_manager_approves_a_batch_carries_it_out_and_gets_the_certificate(
    live_server: str, page: Any, due: World
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, "recman")

    page.click("nav >> text=Records management")
    assert page.locator("#count-pending").inner_text() == "3"
    page.click("h2 >> text=Disposal queue")
    page.click("#batches >> text=Review this batch")
    page.wait_for_url("**/queue?*class_code=FIN-AP-INV*")
    assert page.locator("#queue-items tbody tr").count() == 3

    page.check("#select-all")  # the bulk selection ticks every item shown
    assert page.locator("input[name=item]:checked").count() == 3
    page.check("input[name=decision][value=approve]")
    page.fill("#reason", "Past its retention period; no further business need")
    page.click("#decide-button")
    page.wait_for_selector("text=3 decisions recorded: 3 approved, ready to carry out.")

    page.click("#execute-button")  # the check page first: nothing is destroyed yet
    page.wait_for_url(f"{live_server}/records-management/execute/check")
    assert page.locator("#destroy-list li").count() == 3
    page.click("#confirm-button")
    page.wait_for_url(f"{live_server}/records-management/execute/done")
    assert "3 records destroyed; 1 certificate filed" in page.content()
    page.click("text=Certificates and transfer receipts")
    batch = page.locator("#batches tbody tr").first
    assert "3 of 3 done" in batch.inner_text()
    with page.expect_download() as download:
        batch.locator("text=Download the certificate").click()
    assert download.value.suggested_filename.endswith(".pdf")

    batch.locator("td >> nth=4 >> a >> nth=0").click()
    assert "Certificate of destruction" in page.locator("h1").inner_text()
    assert errors == []  # no script, style or CSP errors on the way
    response = page.goto(f"{live_server}/documents/{due.docs['invoice']}/download")
    assert response is not None and response.status == 410  # only the stub is left


def test_a_civil_servant_sees_what_filing_in_a_class_will_mean(
    live_server: str, page: Any, world: World
) -> None:
    _sign_in(page, live_server, "clerk")
    page.goto(f"{live_server}/upload")
    page.fill("#into", "FIN-AP-INV")
    page.wait_for_selector("#into-consequence >> text=then destroyed")
    assert (
        page.locator("#into-consequence").inner_text().startswith("Filed in FIN-AP-INV: kept until")
    )
    page.fill("#into", "NO-SUCH-CLASS")
    page.wait_for_selector("#into-consequence >> text=no class or folder")
