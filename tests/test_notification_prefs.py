"""E-mail out (issue 13 part 5): each person sets their notification preferences, on a page
(GOV.UK checkboxes and radios) and with `edrm notifications prefs`; administrators list the
outbox. Here no e-mail is set up, so notifications are recorded and the page and CLI say they
are not sent."""

from __future__ import annotations

import json
import re

import pytest
from flask.testing import FlaskClient

from edrm.notifications.preferences import preferences_of
from retention.holds import place_hold
from tests.conftest import Cli, World, sign_in

pytestmark = pytest.mark.sqlite_only


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def test_a_person_sets_which_emails_they_get_and_when_on_their_page(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    page = client.get("/account/notifications")
    assert page.status_code == 200
    assert "Notification e-mails" in page.text
    assert 'name="kinds" type="checkbox" value="hold_placed"' in page.text
    assert 'name="timing-triage_waiting" type="radio" value="digest" checked' in page.text
    assert "not set up" in page.text  # no smtp_host, no Notify key
    saved = client.post(
        "/account/notifications",
        data={
            "csrf_token": _csrf(page.text),
            "kinds": ["triage_waiting", "hold_placed"],
            "timing-triage_waiting": "immediate",
            "timing-hold_placed": "digest",
        },
        follow_redirects=True,
    )
    assert "Your notification settings have been saved" in saved.text
    with world.runtime.uow() as s:
        prefs = {k: (p.enabled, p.timing) for k, p in preferences_of(s, "clerk").items()}
    assert prefs["triage_waiting"] == (True, "immediate")
    assert prefs["hold_placed"] == (True, "digest")
    assert prefs["plan_approval"][0] is False
    assert prefs["review_due"][0] is True  # not offered to a civil servant: left as it was
    assert "disposal review" not in page.text


def test_records_managers_are_offered_review_emails(client: FlaskClient, world: World) -> None:
    sign_in(client, "recman")
    page = client.get("/account/notifications").text
    assert 'value="review_due"' in page
    assert 'value="interview_due"' not in page


def test_the_tokens_page_links_to_the_notification_settings(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    assert 'href="/account/notifications"' in client.get("/account/tokens").text


def test_the_cli_shows_and_changes_a_persons_preferences(cli: Cli, world: World) -> None:
    done = cli("notifications", "prefs", "--as", "clerk", "--off", "hold_placed", "--json")
    assert done.exit_code == 0, done.output
    out = json.loads(done.output)
    assert out["username"] == "clerk"
    by_kind = {p["kind"]: p for p in out["preferences"]}
    assert by_kind["hold_placed"]["enabled"] is False
    assert by_kind["triage_waiting"] == {
        "kind": "triage_waiting",
        "enabled": True,
        "timing": "digest",
    }
    assert "recorded but not sent" in out["sending"]
    plain = cli("notifications", "prefs", "--as", "clerk", "--digest", "review_due")
    assert "review_due\ton\tdaily digest" in plain.output
    assert cli("notifications", "prefs").exit_code != 0  # whose? --as is needed


def test_without_email_set_up_notifications_are_recorded_and_listed_not_sent(
    cli: Cli, world: World
) -> None:
    with world.runtime.uow() as s:
        place_hold(
            s,
            reason="Inquiry",
            authority="Legal adviser",
            actor=world.people["recman"],
            document_id=world.docs["invoice"],
        )
    sent = cli("notifications", "send-due", "--as", "admin")
    assert sent.exit_code == 0
    assert "not set up" in sent.output and "recorded but not sent" in sent.output
    listed = json.loads(cli("notifications", "list", "--as", "admin", "--json").output)
    assert [(n["recipient"], n["kind"], n["status"]) for n in listed] == [
        ("clerk", "hold_placed", "pending")
    ]
    refused = cli("notifications", "list", "--as", "clerk", "--json")
    assert refused.exit_code == 1
    assert "only administrators" in refused.output
