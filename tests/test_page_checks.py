"""The page checks the crawler uses (tests/page_checks.py), on small pages of known faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.page_checks import axe_violations, elements_wider_than_viewport, escaped_html_visible

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 390, "height": 800}, bypass_csp=True)
        yield context.new_page()
        browser.close()


def _show(page: Any, body: str) -> None:
    page.set_content(
        f"<!doctype html><html lang='en'><head><title>t</title></head>"
        f"<body><main><h1>Test</h1>{body}</main></body></html>"
    )


def test_markup_shown_as_text_is_found_and_markup_rendered_is_not(page: Any) -> None:
    """Issue 12, look at what people see: `&lt;a` and `<a class=` in innerText are found."""
    _show(page, '<p>Unit: &lt;a class="govuk-link" href="/x"&gt;Finance&lt;/a&gt;</p>')
    assert escaped_html_visible(page) != []
    _show(page, '<p>Unit: <a class="govuk-link" href="/x">Finance</a>, 3 &lt; 4</p>')
    assert escaped_html_visible(page) == []


def test_an_element_wider_than_a_phone_is_found(page: Any) -> None:
    """Issue 12, look at what people see: a 600 px table on a 390 px page is reported once."""
    _show(page, "<table style='width:600px'><tr><td>Wide</td></tr></table>")
    [found] = elements_wider_than_viewport(page)
    assert "table" in found and "608px" in found  # 8 px body margin + 600


def test_a_labelled_focusable_scroll_region_may_be_wide_inside(page: Any) -> None:
    """Issue 12, look at what people see: a region that scrolls sideways on purpose (focusable,
    labelled) is accepted; the same region without a label is reported."""
    wide = "<table style='width:900px'><tr><td>Wide</td></tr></table>"
    _show(page, f"<div style='overflow-x:auto' tabindex='0' aria-label='Forecast'>{wide}</div>")
    assert elements_wider_than_viewport(page) == []
    _show(page, f"<div style='overflow-x:auto'>{wide}</div>")
    [found] = elements_wider_than_viewport(page)
    assert "not focusable and labelled" in found


def test_axe_reports_serious_violations_only(page: Any) -> None:
    """Issue 12, look at what people see: a link with no text is a serious axe violation."""
    _show(page, "<p><a href='/x'></a></p>")
    assert any("link-name" in v for v in axe_violations(page))
    _show(page, "<p><a href='/x'>Somewhere</a></p>")
    assert axe_violations(page) == []
