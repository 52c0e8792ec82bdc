"""Help pages, the one-line hints that link to them, the home page's plain words and the
header's link to one's own profile (issue 12: help where it's needed, items 4 and 11)."""

from __future__ import annotations

import re

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from edrm.web.help import TOPICS
from tests.conftest import World, sign_in

MODEL_TERMS = ("Harvest", "Hunting", "Harness", "Hypothesise")


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_help_pages_each_answer_with_their_title_to_anyone_signed_in(
    client: FlaskClient, world: World, topic: str
) -> None:
    """help pages: every topic has a short page with its title as the heading."""
    sign_in(client, "clerk")
    page = client.get(f"/help/{topic}")
    assert page.status_code == 200
    assert f'<h1 class="govuk-heading-l">{TOPICS[topic].title}</h1>' in page.text


def test_help_pages_cover_the_terms_a_newcomer_meets(client: FlaskClient, world: World) -> None:
    """help pages: file plan and classes, triage, search syntax, disposal and retention, legal
    holds, knowledge harvesting and security markings, all listed on /help."""
    sign_in(client, "clerk")
    index = client.get("/help").text
    for topic in (
        "file-plan",
        "triage",
        "search",
        "disposal",
        "legal-holds",
        "knowledge-harvesting",
        "security-markings",
    ):
        assert f'href="/help/{topic}"' in index


def test_help_on_knowledge_harvesting_explains_the_four_terms_and_the_matrix(
    client: FlaskClient, world: World
) -> None:
    """help pages: the codification / personalisation model, with its four names, is
    explained on the knowledge harvesting page."""
    sign_in(client, "clerk")
    page = client.get("/help/knowledge-harvesting").text
    for term in (*MODEL_TERMS, "codification", "personalisation"):
        assert term in page


def test_help_pages_need_a_signed_in_person_and_an_unknown_topic_is_not_found(
    client: FlaskClient, world: World
) -> None:
    """help pages: nobody signed in is sent to sign in; an unknown topic is 404."""
    assert client.get("/help").status_code == 302
    sign_in(client, "clerk")
    assert client.get("/help/no-such-topic").status_code == 404


def test_the_help_hint_macro_renders_one_line_linking_to_its_topic(app: Flask) -> None:
    """help pages: `help_hint(text, topic)` is a one-line hint with a link to /help/<topic>."""
    with app.test_request_context("/"):
        html = render_template_string(
            '{% from "macros.html" import help_hint %}'
            '{{ help_hint("Records under a hold cannot change.", "legal-holds") }}'
        )
    assert html.count("<p ") == 1 and "Records under a hold cannot change." in html
    assert 'href="/help/legal-holds">Help: Legal holds</a>' in html


def test_the_help_hint_macro_refuses_a_topic_that_has_no_page(app: Flask) -> None:
    """help pages: a mistyped topic fails as the page is drawn, not as a dead link."""
    with app.test_request_context("/"), pytest.raises(KeyError, match="no help page"):
        render_template_string(
            '{% from "macros.html" import help_hint %}{{ help_hint("x", "legal-hold") }}'
        )


@pytest.mark.parametrize(
    ("path", "topic"),
    [
        ("/", "knowledge-harvesting"),
        ("/triage", "triage"),
        ("/upload", "triage"),
        ("/fileplan/", "file-plan"),
    ],
)
def test_pages_with_terms_a_newcomer_may_not_know_have_a_help_hint(
    client: FlaskClient, world: World, path: str, topic: str
) -> None:
    """help pages: home, triage, upload and the file plan link to their help page."""
    sign_in(client, "clerk")
    page = client.get(path).text
    assert re.search(
        rf'class="govuk-body-s edrm-help-hint">[^<]+<a [^>]*href="/help/{topic}"', page
    )


def test_a_file_plan_class_page_links_its_retention_rule_to_help_on_disposal(
    client: FlaskClient, world: World
) -> None:
    """help pages: a class's page hints at what its retention rule means."""
    sign_in(client, "clerk")
    assert 'href="/help/disposal"' in client.get("/fileplan/FIN-AP-INV").text


def test_the_home_cards_keep_plain_words_and_the_model_is_explained_in_help(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: the home page cards carry no Harvest / Hunting / Harness /
    Hypothesise; a hint links to the help page that explains the model."""
    sign_in(client, "clerk")
    home = client.get("/").text
    for term in MODEL_TERMS:
        assert term not in home
    assert "Search records" in home and "Find an expert" in home
    assert 'href="/help/knowledge-harvesting"' in home


def test_the_signed_in_persons_name_in_the_header_links_to_their_profile(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 11: the header's name is a link to /people/<username>."""
    sign_in(client, "clerk")
    page = client.get("/").text
    assert re.search(
        r'<a class="[^"]*edrm-signed-in-as[^"]*" href="/people/clerk">'
        r'<span class="govuk-visually-hidden">Your profile: </span>Clerk</a>',
        page,
    )
    assert client.get("/people/clerk").status_code == 200


@pytest.mark.parametrize(
    ("username", "path", "topic"),
    [
        ("recman", "/records-management/", "disposal"),
        ("recman", "/records-management/queue", "disposal"),
        ("recman", "/records-management/schedule", "disposal"),
        ("recman", "/records-management/certificates", "disposal"),
        ("recman", "/records-management/transfers", "disposal"),
        ("recman", "/records-management/holds", "legal-holds"),
        ("hrofficer", "/leavers", "knowledge-harvesting"),
        ("clerk", "/harvests", "knowledge-harvesting"),
        ("clerk", "/find-an-expert", "knowledge-harvesting"),
    ],
)
def test_records_management_and_harvest_pages_have_a_help_hint(
    client: FlaskClient, world: World, username: str, path: str, topic: str
) -> None:
    """help pages: the disposal, hold and harvesting pages explain their term in one line and
    link to its help page."""
    sign_in(client, username)
    response = client.get(path)
    assert response.status_code == 200
    assert re.search(
        rf'class="govuk-body-s edrm-help-hint">[^<]+<a [^>]*href="/help/{topic}"', response.text
    )
