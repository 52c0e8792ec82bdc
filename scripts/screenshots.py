"""Take full-page screenshots of edrm pages at desk (1280 px) and phone (390 px) width.

A developer's tool for looking at what people see, not a test. Start a server first, for example:

    EDRM_HOME=/tmp/demo .venv/bin/edrm init && EDRM_HOME=/tmp/demo .venv/bin/edrm demo
    EDRM_HOME=/tmp/demo .venv/bin/edrm serve --port 5055 &

then:

    .venv/bin/python scripts/screenshots.py --base http://127.0.0.1:5055 --user asmith \\
        --out /tmp/shots /search?q=invoice /people/asmith

Each page is saved as OUT/<name>-desk.png and OUT/<name>-phone.png; the script prints each file
and warns about escaped HTML shown as text and elements wider than the viewport.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
DEMO_PASSWORD = "demo-password-2025"
WIDTHS = {"desk": 1280, "phone": 390}

OVERFLOW_JS = """(width) => {
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 1 && getComputedStyle(el).position !== 'fixed') {
      let inside = false;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const s = getComputedStyle(p);
        if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden') {
          inside = true; break;
        }
      }
      if (!inside) wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                              + ' ' + Math.round(r.right) + 'px');
    }
  }
  return wide.slice(0, 5);
}"""


def _name_for(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"


def _sign_in(page: Any, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/sign-in")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")
    # The password check takes a moment on a busy machine: wait until the redirect away from
    # the sign-in page has happened, or a screenshot shows the sign-in page again.
    page.wait_for_url(lambda url: "/sign-in" not in url, timeout=30_000)
    page.wait_for_load_state()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="http://127.0.0.1:PORT")
    parser.add_argument("--user", help="sign in as this person first (demo password)")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--out", default="/tmp/shots")
    parser.add_argument("paths", nargs="+", help="paths to visit, e.g. /search?q=invoice")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        for label, width in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            if args.user:
                _sign_in(page, args.base, args.user, args.password)
            for path in args.paths:
                response = page.goto(args.base + path)
                status = response.status if response else "?"
                file = out / f"{_name_for(path)}-{label}.png"
                page.screenshot(path=str(file), full_page=True)
                text = page.inner_text("body")
                notes = []
                if "&lt;" in text or "<a " in text or "<a class=" in text:
                    notes.append("ESCAPED HTML SHOWN")
                wide = page.evaluate(OVERFLOW_JS, width)
                if wide:
                    notes.append("wider than viewport: " + "; ".join(wide))
                print(f"{status} {file} {' | '.join(notes)}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
