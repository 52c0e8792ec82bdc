"""Browser test: an information-rights officer draws a redaction on a record's page, a second
officer approves it, the bundle is exported (burned in: the redacted word is nowhere in it),
the response is sent and published, and the disclosure log lists it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdf
import pytest

from tests.conftest import World
from tests.disclosure.bundle_checks import assert_absent
from tests.disclosure.redaction_samples import SECRET
from tests.disclosure.redaction_world import RedactionWorld, make_world
from tests.test_browser import _sign_in, live_server, page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]
__all__ = ["live_server", "page"]


@pytest.fixture
def rw(world: World) -> RedactionWorld:
    return make_world(world.runtime, on_top_of_world=True, with_request=False)


def pages_text(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _sign_out(page: Any) -> None:
    page.click("button:has-text('Sign out'), a:has-text('Sign out')")


def test_open_search_add_draw_approve_as_a_second_person_export_and_close(
    rw: RedactionWorld, live_server: str, page: Any, tmp_path: Path
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, "officer")
    page.click("nav >> text=Information requests")
    page.goto(f"{live_server}/requests/new")
    page.fill("#received", "2026-11-02")
    page.fill("#requester", "A. Requester")
    page.fill("#summary", "Minutes of the contract renewal meetings")
    page.click("button:has-text('Open request')")
    page.wait_for_selector("text=FOI-2026-0001")
    request_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.fill("#query", "Meeting")
    page.click("#search button:has-text('Search'), form:has(#query) button:has-text('Search')")
    page.click("[data-add-all]")
    page.wait_for_selector("[data-bundle] >> text=Meeting scan")
    page.click("#redact-link")
    page.wait_for_url(f"{live_server}/requests/{request_id}/redactions")
    page.click("#records >> text=Meeting scan")
    page.wait_for_selector("#page-1 img")
    image = page.locator("#page-1 img")
    page.wait_for_function("document.querySelector('#page-1 img').naturalWidth > 0")
    page.evaluate("document.querySelector('#page-1').scrollIntoView({block: 'start'})")
    box = image.bounding_box()
    assert box is not None
    # The second line ("Attendees: Alice Pemberton and the finance team") sits 1.4 in down an
    # A4 page: a box across the whole line, from 11% to 13.7% of the page's height.
    top, bottom = box["y"] + box["height"] * 0.112, box["y"] + box["height"] * 0.136
    page.mouse.move(box["x"] + box["width"] * 0.05, top)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, (top + bottom) / 2, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.95, bottom, steps=5)
    page.mouse.up()
    assert page.input_value("#page") == "1"
    x, y, w, h = (float(v) for v in page.input_value("#box").split(","))
    assert 0.04 < x < 0.06 and 0.10 < y < 0.12 and 0.85 < w < 0.95 and h > 0.02
    page.select_option("#exemption", "s40")
    page.fill("#note", "A junior official's name")
    page.click("#propose-button")
    page.wait_for_selector("text=a second person must approve it")
    assert page.locator(".edrm-redact-box--proposed").count() == 1
    for record in ("Meeting scan", "Meeting pdf"):  # and the name wherever it is
        page.goto(f"{live_server}/requests/{request_id}/redactions")
        page.click(f"#records >> text={record}")
        page.check("#kind-term")
        page.fill("#term", SECRET)
        page.select_option("#exemption", "s40")
        page.click("#propose-button")
        page.wait_for_selector("text=a second person must approve it")
    page.goto(f"{live_server}/requests/{request_id}/redactions")
    assert page.content().count("Waiting for a second person") == 3
    _sign_out(page)

    _sign_in(page, live_server, "second")
    page.goto(f"{live_server}/requests/{request_id}/redactions")
    for _ in range(3):
        page.click("#redactions button:has-text('Approve') >> nth=0")
        page.wait_for_selector("text=approved.")
    with page.expect_download() as download:
        page.click("#export")
    target = tmp_path / "bundle.pdf"
    download.value.save_as(target)
    data = target.read_bytes()
    cover, pdf_record, scan = pages_text(data)
    assert "FOI-2026-0001" in cover
    assert "finance team" in pdf_record and "finance team" not in scan  # the line is burned in
    assert "budget" in scan
    assert_absent(data, SECRET)

    page.check("#letter-part")
    page.fill("#public_interest", "")
    page.check("#publish")
    page.click("#respond")
    page.wait_for_selector("text=Response sent")
    assert "Published" in page.locator("#response").inner_text()
    page.goto(f"{live_server}/disclosure-log")
    assert "FOI-2026-0001" in page.locator("#disclosure-log").inner_text()

    page.goto(f"{live_server}/requests/{request_id}")
    page.check("#outcome-part")
    page.click("button:has-text('Close request')")
    page.wait_for_selector("text=Closed")
    assert errors == []
