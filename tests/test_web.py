"""The web shell: sign-in, the home page, browsing, documents, downloads and health."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.conftest import World, sign_in


def _without_nonce(html: str) -> str:
    """The page without what differs on every response: the CSP nonce and the CSRF token
    (signed with a timestamp, so two requests a second apart get different tokens)."""
    html = re.sub(r'nonce="[^"]+"', "", html)
    return re.sub(r'(name="csrf_token"(?: type="hidden")? value=)"[^"]+"', r"\1", html)


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def test_pages_ask_for_sign_in_first(client: FlaskClient, world: World) -> None:
    response = client.get("/fileplan/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_signing_in_shows_the_four_ways_in(client: FlaskClient, world: World) -> None:
    response = sign_in(client, "clerk")
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    for way in (
        "Search records",
        "Browse the file plan",
        "Find an expert",
        "Explore people and communities",
    ):
        assert way in home.text


def test_a_wrong_password_is_refused_and_audited(client: FlaskClient, world: World) -> None:
    from edrm.audit import AuditEvent

    response = sign_in(client, "clerk", "not-the-password")
    assert response.status_code == 200
    assert "The username or password is not right" in response.text
    assert client.get("/").status_code == 302
    with world.runtime.uow() as s:
        actions = [e.action for e in s.query(AuditEvent).filter_by(object_id="clerk")]
    assert "login.failed" in actions


def test_sign_in_without_a_csrf_token_is_refused(client: FlaskClient, world: World) -> None:
    response = client.post("/sign-in", data={"username": "clerk", "password": "x" * 12})
    assert response.status_code == 400


def test_sign_in_never_redirects_to_another_site(client: FlaskClient, world: World) -> None:
    token = _csrf(client, "/sign-in")
    response = client.post(
        "/sign-in?next=//evil.example/steal",
        data={"username": "clerk", "password": "correct-horse-battery", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_signing_out_ends_the_session(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    token = _csrf(client, "/")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_http_only_and_same_site(client: FlaskClient, world: World) -> None:
    response = sign_in(client, "clerk")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_the_file_plan_tree_lists_classes_the_person_may_see(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    page = client.get("/fileplan/")
    assert "Supplier invoices" in page.text
    assert "Employee relations" not in page.text  # HR-CASE is for the hr group only


def test_a_folder_page_lists_only_what_the_person_may_see(
    client: FlaskClient, world: World
) -> None:
    from edrm.search_indexer import apply_outbox

    apply_outbox(world.runtime.sessions, world.runtime.search)  # pages list what is indexed
    sign_in(client, "clerk")
    page = client.get("/fileplan/FIN-AP-INV")
    assert page.status_code == 200
    assert "Supplier bank details" not in page.text  # OFFICIAL-SENSITIVE
    assert "Supplier invoices 2024-25" in page.text  # the folder
    folder = client.get("/fileplan/FIN-AP-INV-2024")
    assert "Invoice 1001 from Acme Ltd" in folder.text


def test_a_restricted_class_is_not_found_for_outsiders(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    assert client.get("/fileplan/HR-CASE").status_code == 404
    assert client.get("/fileplan/HR-CASE-DIS").status_code == 404


def test_a_secret_document_is_not_found_for_a_civil_servant(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "analyst")  # OFFICIAL-SENSITIVE clearance
    doc_id = world.docs["secret"]
    assert client.get(f"/documents/{doc_id}").status_code == 404
    assert client.get(f"/documents/{doc_id}/download").status_code == 404
    assert client.get(f"/documents/{doc_id}/versions/1/download").status_code == 404
    listing = client.get("/fileplan/SEC-OPS-INC")
    assert "Intrusion at the data centre" not in listing.text
    missing = client.get("/documents/999999")
    assert missing.status_code == 404
    hidden = client.get(f"/documents/{doc_id}")
    assert _without_nonce(missing.text) == _without_nonce(hidden.text)


def test_a_cleared_person_opens_and_downloads_a_secret_document(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "recman")
    doc_id = world.docs["secret"]
    page = client.get(f"/documents/{doc_id}")
    assert page.status_code == 200
    assert "Intrusion at the data centre" in page.text
    download = client.get(f"/documents/{doc_id}/download")
    assert download.status_code == 200
    assert download.data.startswith(b"Intrusion at the data centre")
    assert "attachment" in download.headers["Content-Disposition"]


def test_records_managers_see_a_documents_history(client: FlaskClient, world: World) -> None:
    sign_in(client, "recman")
    page = client.get(f"/documents/{world.docs['invoice']}")
    assert "History" in page.text
    assert "document.create" in page.text


def test_civil_servants_do_not_see_the_audit_history(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    page = client.get(f"/documents/{world.docs['invoice']}")
    assert page.status_code == 200
    assert "document.create" not in page.text


def test_viewing_and_downloading_restricted_documents_is_audited(
    client: FlaskClient, world: World
) -> None:
    from edrm.audit import AuditEvent

    sign_in(client, "recman")
    doc_id = world.docs["secret"]
    client.get(f"/documents/{doc_id}")
    client.get(f"/documents/{doc_id}/download")
    with world.runtime.uow() as s:
        actions = [
            e.action
            for e in s.query(AuditEvent).filter_by(object_type="document", object_id=str(doc_id))
        ]
    assert "document.view" in actions
    assert "document.download" in actions


def test_the_filer_can_declare_a_record_from_its_page(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    doc_id = world.docs["invoice"]
    token = _csrf(client, f"/documents/{doc_id}")
    response = client.post(f"/documents/{doc_id}/declare", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Declared a record" in client.get(f"/documents/{doc_id}").text


def test_health_reports_the_database_and_data_directory(client: FlaskClient, world: World) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "data_directory": "ok"}


def test_health_answers_a_signed_in_person_at_once(client: FlaskClient, world: World) -> None:
    import time

    sign_in(client, "clerk")
    started = time.monotonic()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert time.monotonic() - started < 5  # not after SQLite's busy timeout (15 s)


def test_health_reports_a_missing_data_directory(client: FlaskClient, world: World) -> None:
    import shutil

    shutil.rmtree(world.runtime.settings.blob_dir)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["data_directory"] == "missing"


def test_pages_carry_security_headers(client: FlaskClient, world: World) -> None:
    response = client.get("/sign-in")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_page_shows_the_gov_uk_crown_or_transport_font(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    for path in ("/", "/fileplan/", "/sign-in"):
        text = client.get(path).text.lower()
        assert "govuk-header__logotype" not in text
        assert "crown" not in text
        assert "gds transport" not in text


def test_experts_with_a_hostile_query_string_answers_200_and_keeps_only_the_question(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    hostile = "/experts?q=x&_external=1&_scheme=javascript&_anchor=y&_method=POST"
    first = client.get(hostile)
    assert first.status_code == 302
    assert first.headers["Location"] == "/find-an-expert?q=x"
    followed = client.get(hostile, follow_redirects=True)
    assert followed.status_code == 200
    assert client.get("/experts?_external=1&_scheme=javascript").headers["Location"] == (
        "/find-an-expert"
    )
