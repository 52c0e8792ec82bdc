"""A browser smoke test: headless Chromium (Debian's) signs in, browses and opens a document."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, World, create_app_for_tests
from tests.page_checks import CHROMIUM, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_server(settings_overrides: dict[str, Any], world: World) -> Iterator[str]:
    from waitress.server import create_server

    # The secure session cookie is on, as in production: browsers accept it on 127.0.0.1.
    from edrm.ingest.worker import Worker

    app = create_app_for_tests({**settings_overrides, "cookie_secure": True})
    server = create_server(app, host="127.0.0.1", port=_free_port(), threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    from edrm.search_indexer import apply_outbox

    runtime = app.extensions["edrm"]
    apply_outbox(runtime.sessions, runtime.search)
    worker = Worker(runtime, poll_seconds=0.2)
    worker_thread = threading.Thread(target=worker.run_forever, daemon=True)
    worker_thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    worker.close()
    worker_thread.join(timeout=10)
    server.close()
    thread.join(timeout=5)
    app.extensions["edrm"].close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        context = browser.new_context()
        yield context.new_page()
        context.close()
        browser.close()
    shutil.rmtree(tmp_path / "chromium", ignore_errors=True)


def _sign_in(page: Any, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/sign-in")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/")


def test_a_person_signs_in_browses_and_opens_a_document(
    live_server: str, page: Any, world: World
) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/fileplan/")
    assert "/sign-in" in page.url

    page.fill("#username", "clerk")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live_server}/fileplan/")

    page.click("text=Supplier invoices")
    page.click("text=Supplier invoices 2024-25")
    page.click("text=Invoice 1001 from Acme Ltd")
    assert page.locator("h1").inner_text() == "Invoice 1001 from Acme Ltd"
    assert page.locator(".govuk-summary-list").count() == 1

    with page.expect_download() as download:
        page.click("text=Download")
    assert download.value.suggested_filename == "Invoice 1001 from Acme Ltd.txt"

    # The GOV.UK Frontend stylesheet and script loaded (no CSP or 404 errors).
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "transport" not in font.lower()
    assert page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    assert errors == []


def test_a_secret_document_is_not_found_in_the_browser(
    live_server: str, page: Any, world: World
) -> None:
    _sign_in(page, live_server, "clerk")
    response = page.goto(f"{live_server}/documents/{world.docs['secret']}")
    assert response is not None and response.status == 404
    assert "Page not found" in page.content()


def test_uploading_several_files_shows_each_ones_result(
    live_server: str, page: Any, world: World, tmp_path: Path
) -> None:
    invoice = tmp_path / "invoice.txt"
    invoice.write_text("Supplier invoice INV-5512 for toner cartridges, VAT included.\n")
    program = tmp_path / "program.pdf"
    program.write_bytes(Path("/bin/true").read_bytes()[:4096])
    _sign_in(page, live_server, "clerk")
    page.goto(f"{live_server}/upload")
    page.set_input_files("#files", [str(invoice), str(program)])
    page.fill("#into", "FIN-AP-INV")
    page.click("#upload-button")
    results = page.locator("#upload-results tbody")
    results.locator("tr:has-text('invoice.txt') >> text=Filed in FIN-AP-INV").wait_for(
        timeout=60000
    )
    rejected = results.locator("tr:has-text('program.pdf')")
    rejected.locator("text=Rejected").wait_for(timeout=20000)
    assert "does not accept" in rejected.inner_text()


def test_a_person_searches_narrows_by_a_facet_and_opens_a_hit(
    live_server: str, page: Any, world: World
) -> None:
    _sign_in(page, live_server, "clerk")
    page.click("text=Search records >> nth=0")
    page.fill("#q", "invoice")
    page.click("button:has-text('Search')")
    page.wait_for_selector(".edrm-results")
    assert "Intrusion" not in page.content()
    page.click("[data-facet=class] a:has-text('FIN-AP-INV')")
    page.wait_for_selector(".edrm-facet--chosen")
    assert page.locator(".edrm-result").count() == 2  # invoices 1001 and 17, both OFFICIAL
    page.click(".edrm-result h2 a >> nth=0")
    assert "Invoice" in page.locator("h1").inner_text()
