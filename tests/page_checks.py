"""Checks on what a browser shows, for any Playwright page (sync API): escaped HTML shown as
text, elements wider than the viewport, and axe-core's serious and critical violations.

Each check returns a list of short, readable findings (empty when the page is right), so a test
can collect them over many pages and report them together:

    assert escaped_html_visible(page) == []
    assert elements_wider_than_viewport(page) == []
    assert axe_violations(page) == []       # needs a context made with bypass_csp=True

axe-core is the npm devDependency (node_modules/axe-core/axe.min.js); the page's Content
Security Policy refuses inline scripts, so the context must bypass it for the injection.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

AXE_PATH = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
#: Debian's Chromium headless, with nothing that reaches out to the network on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright: Any) -> Any:
    """A headless Debian Chromium browser (never one Playwright downloads)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


# Markup that reached the page as text: an entity-escaped tag (`&lt;a`), a double-escaped
# entity (`&amp;amp;`), or a literal tag with attributes or a closing tag (`<a class=`, `</a>`).
_ESCAPED = re.compile(
    r"&lt;/?[a-zA-Z]"
    r"|&amp;(?:[a-z]+|#\d+);"
    r"|<[a-zA-Z][a-zA-Z0-9]*\s+[a-zA-Z-]+=[\"']"
    r"|</(?:a|p|div|span|strong|em|li|ul|ol|dd|dt|dl|td|tr|th|table|h[1-6]|button|form)>"
)


def escaped_html_visible(page: Any) -> list[str]:
    """Markup shown as text in the page's `innerText`, each with a little context."""
    text: str = page.evaluate("document.body ? document.body.innerText : ''")
    found = []
    for match in _ESCAPED.finditer(text):
        start, end = max(0, match.start() - 30), min(len(text), match.end() + 40)
        found.append("escaped HTML shown as text: " + " ".join(text[start:end].split()))
    return found[:5]


_WIDER_JS = """() => {
  const width = document.documentElement.clientWidth;
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (typeof el.className === 'string' ? el.className : '').trim().split(/\\s+/);
    if (cls[0]) s += '.' + cls.slice(0, 2).join('.');
    const text = (el.innerText || '').trim().split(/\\s+/).slice(0, 6).join(' ');
    return text ? `${s} ("${text.slice(0, 50)}")` : s;
  };
  const scrolls = (s) => s.overflowX === 'auto' || s.overflowX === 'scroll';
  const clips = (s) => s.overflowX === 'hidden' || s.overflowX === 'clip';
  // A region that scrolls sideways on purpose: keyboard users can reach it (tabindex) and
  // screen-reader users are told what it is (a label).
  const intended = (el) => el.tabIndex >= 0 && (el.hasAttribute('aria-label') ||
                            el.hasAttribute('aria-labelledby'));
  const found = new Map();
  for (const el of document.body.querySelectorAll('*')) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= width + 1) continue;
    let exempt = false, culprit = el;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const ps = getComputedStyle(p);
      if (clips(ps) && p.getBoundingClientRect().right <= width + 1) { exempt = true; break; }
      if (scrolls(ps)) {
        if (intended(p)) { exempt = true; break; }
        culprit = p;  // scrolls sideways, but is not reachable or not labelled
        break;
      }
    }
    if (exempt) continue;
    // Report the outermost element that is too wide, not each of its descendants.
    let outer = culprit;
    for (let p = culprit.parentElement; p && p !== document.body; p = p.parentElement) {
      if (p.getBoundingClientRect().right > width + 1) outer = p;
    }
    if (found.has(outer)) continue;
    const box = outer.getBoundingClientRect();
    const right = Math.round(culprit !== el ? box.left + outer.scrollWidth : box.right);
    const what = culprit !== el
      ? `${describe(culprit)} scrolls sideways to ${right}px but is not focusable and labelled`
      : `${describe(outer)} reaches ${right}px`;
    found.set(outer, what);
  }
  const out = [...found.values()];
  const page = document.documentElement.scrollWidth;
  if (!out.length && page > width + 1) out.push(`the page scrolls sideways to ${page}px`);
  return out.map((w) => `wider than the ${width}px viewport: ${w}`);
}"""


def elements_wider_than_viewport(page: Any) -> list[str]:
    """Visible elements that reach past the viewport's right edge (the outermost of each), not
    counting what a clipping ancestor hides or what lies inside a region that scrolls sideways
    on purpose (focusable and labelled); such a region that is not labelled is reported."""
    found: list[str] = page.evaluate(_WIDER_JS)
    return found[:5]


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """axe-core's violations of the given impacts, one line each with its first few elements.
    The page's context must be made with `bypass_csp=True` (axe is injected inline)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_PATH))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " targets: v.nodes.map(n => n.target.join(' '))}))"
    )
    lines = []
    for v in result:
        if v["impact"] in impacts:
            where = ", ".join(v["targets"][:3]) + (" …" if len(v["targets"]) > 3 else "")
            lines.append(f"axe {v['impact']} {v['id']}: {v['help']} ({where})")
    return lines
