"""The search page's filter layout in headless Chromium, at phone and desk width (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World
from tests.test_browser import _sign_in, live_server, page  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sqlite_only]

#: Elements whose right edge passes the viewport, outside any box that scrolls or clips.
TOO_WIDE_JS = """(width) => {
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    let inside = false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) { inside = true; break; }
    }
    if (!inside) wide.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(r.right)}`);
  }
  return wide;
}"""


def _box(tab: Any, selector: str) -> dict[str, float]:
    box = tab.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return dict(box)


def test_on_a_phone_the_query_box_is_wide_and_results_come_before_the_filters(
    live_server: str,  # noqa: F811
    page: Any,  # noqa: F811
    world: World,
) -> None:
    """Issue 12 item 3: at 390 px the query box is at least 250 px wide, the first result is
    within the first 900 px and above every facet (they fold behind "Show filters", which opens
    them), and nothing is wider than the screen; at 1280 px the filters sit in a left column."""
    page.set_viewport_size({"width": 390, "height": 844})
    _sign_in(page, live_server, "clerk")
    page.goto(f"{live_server}/search?q=invoice&class=FIN-AP-INV")
    assert _box(page, "#q")["width"] >= 250
    first = _box(page, ".edrm-result")
    assert first["y"] < 900
    assert not page.locator("[data-facet=class]").is_visible(), "facets fold away on a phone"
    assert page.evaluate(TOO_WIDE_JS, 390) == []
    page.click("summary:has-text('Show filters')")
    assert _box(page, "[data-facet=class]")["y"] < _box(page, ".edrm-result")["y"]
    assert page.evaluate(TOO_WIDE_JS, 390) == []

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    assert not page.locator("summary:has-text('Show filters')").is_visible()
    facets, result = _box(page, "[data-facet=class]"), _box(page, ".edrm-result")
    assert facets["x"] + facets["width"] <= result["x"], "filters in a column left of results"
    assert facets["y"] < 900 and result["y"] < 900
    assert page.evaluate(TOO_WIDE_JS, 1280) == []
