"""The redaction pages: a record's pages with boxes drawn (typed here, as without script), the
proposals with approve and reject by a second person, the bundle export, the response and the
disclosure log; and 404 for everyone who does not handle requests."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import sign_in
from tests.disclosure.bundle_checks import assert_absent
from tests.disclosure.redaction_samples import SECRET
from tests.disclosure.redaction_world import RedactionWorld, make_world

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def rw(app: object) -> RedactionWorld:
    return make_world(app.extensions["edrm"])  # type: ignore[attr-defined]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_draw_approve_export_respond_and_log(rw: RedactionWorld, client: FlaskClient) -> None:
    sign_in(client, "officer")
    base = f"/requests/{rw.request_id}"
    page = client.get(f"{base}/records/{rw.docs['scan']}/redact")
    assert page.status_code == 200 and 'data-redact-page="1"' in page.text
    image = client.get(f"{base}/records/{rw.docs['scan']}/pages/1.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert client.get(f"{base}/records/{rw.docs['scan']}/pages/9.png").status_code == 404
    token = _csrf(page.text)
    bad = client.post(
        f"{base}/records/{rw.docs['scan']}/redact",
        data={"csrf_token": token, "kind": "area", "page": "1", "box": "x", "exemption": "s40"},
    )
    assert bad.status_code == 400 and "X,Y,W,H" in bad.text
    for doc, data in (
        (rw.docs["scan"], {"kind": "area", "page": "1", "box": "0.05,0.0,0.9,0.1"}),
        (rw.docs["scan"], {"kind": "term", "term": SECRET}),
        (rw.docs["pdf"], {"kind": "term", "term": SECRET}),
    ):
        done = client.post(
            f"{base}/records/{doc}/redact",
            data={"csrf_token": token, "exemption": "s40", "note": "a name", **data},
        )
        assert done.status_code == 302, done.text
    listing = client.get(f"{base}/redactions")
    assert (
        listing.text.count("Waiting for a second person") == 3
        and "must be approved" in listing.text
    )
    client.post("/sign-out", data={"csrf_token": _csrf(listing.text)})

    sign_in(client, "second")
    listing = client.get(f"{base}/redactions")
    ids = re.findall(r'id="approve-(\d+)"', listing.text)
    assert len(ids) == 3
    for rid in ids:
        assert (
            client.post(
                f"/redactions/{rid}/approve", data={"csrf_token": _csrf(listing.text)}
            ).status_code
            == 302
        )
    listing = client.get(f"{base}/redactions")
    assert 'id="export"' in listing.text
    bundle = client.post(f"{base}/export", data={"csrf_token": _csrf(listing.text)})
    assert bundle.status_code == 200 and bundle.mimetype == "application/pdf"
    assert_absent(bundle.data, SECRET)
    sent = client.post(
        f"{base}/respond",
        data={"csrf_token": _csrf(listing.text), "letter": "part", "publish": "yes"},
    )
    assert sent.status_code == 302
    assert "Published" in client.get(f"{base}/redactions").text
    log = client.get("/disclosure-log")
    assert "FOI-2026-0001" in log.text and "A. Requester" not in log.text
    assert client.get("/disclosure-log/FOI-2026-0001.pdf").mimetype == "application/pdf"
    assert "FOI-2026-0001" in client.get("/disclosure-log.csv").text


def test_people_who_do_not_handle_requests_are_told_nothing(
    rw: RedactionWorld, client: FlaskClient
) -> None:
    sign_in(client, "clerk")
    base = f"/requests/{rw.request_id}"
    for url in (
        f"{base}/redactions",
        f"{base}/records/{rw.docs['pdf']}/redact",
        f"{base}/records/{rw.docs['pdf']}/pages/1.png",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/disclosure-log").status_code == 200  # the log is for everyone
