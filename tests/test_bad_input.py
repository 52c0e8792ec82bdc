"""Bad input is just bad input: any id, page number, query string or header value gets a clear
4xx (never a 500), the JSON API answers every error as RFC 9457 problem details, and the pages
keep their HTML error pages."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, abort, jsonify
from flask.testing import FlaskClient
from werkzeug.exceptions import TooManyRequests

from edrm.errors import GoneError, InvalidInputError, RefusedError
from tests.conftest import World, create_app_for_tests, sign_in
from tests.web_estate import Estate, basic_auth, build_estate, rule_path, signed_in_clients

# The web layer's answers, over services tested on both databases.
pytestmark = pytest.mark.sqlite_only

HUGE = 99999999999999999999999  # beyond 64 bits: no table can hold it
PROBLEM = "application/problem+json"
ADMIN = "administrator_high"


@pytest.fixture
def estate(world: World) -> Estate:
    return build_estate(world)


def _is_problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    assert answer.mimetype == PROBLEM, answer.mimetype
    body = answer.get_json(force=True)
    assert {"type", "title", "status", "detail", "instance"} <= set(body)
    assert body["status"] == status
    assert body["detail"]
    return dict(body)


def _int_arguments(rule: Any) -> list[str]:
    return [n for n, c in rule._converters.items() if type(c).__name__ == "BoundedIntConverter"]


# --- ids ----------------------------------------------------------------------------------------


def test_an_id_beyond_64_bits_is_not_found_on_every_route(
    app: Flask, client: FlaskClient, estate: Estate
) -> None:
    rules = [
        r for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and _int_arguments(r)
    ]
    assert len(rules) >= 10
    sign_in(client, ADMIN)
    for rule in rules:
        for name in _int_arguments(rule):
            path = rule_path(rule, {**estate.values, name: HUGE})
            if path.startswith("/api/"):
                _is_problem(client.get(path, headers=basic_auth(ADMIN)), 404)
            else:
                answer = client.get(path)
                assert answer.status_code == 404, path
                assert answer.mimetype == "text/html"


def test_a_negative_or_zero_id_is_not_found(client: FlaskClient, estate: Estate) -> None:
    sign_in(client, ADMIN)
    for path in ("/documents/-1", "/documents/0", "/records-management/holds/-5"):
        assert client.get(path).status_code == 404, path
    _is_problem(client.get("/api/v1/documents/-1", headers=basic_auth(ADMIN)), 404)


def test_ids_beyond_64_bits_in_a_form_choose_nothing(client: FlaskClient, estate: Estate) -> None:
    clients = signed_in_clients(client.application, ["records_manager_high"])
    rm = clients["records_manager_high"]
    answer = rm.post(
        "/records-management/queue/decide",
        data={
            "csrf_token": rm.csrf_token,
            "item": [str(HUGE), "²", "-3"],
            "back": str(HUGE),
            "decision": "approve",
            "reason": "past its period",
        },
    )
    assert answer.status_code == 400
    assert "Choose at least one item" in answer.text
    assert rm.get(f"/records-management/audit?before={HUGE}").status_code == 200
    assert rm.get("/records-management/audit?before=²").status_code == 200
    assert rm.get("/records-management/queue?stage=²").status_code == 200


# --- page numbers and other numbers in the query string -----------------------------------------


@pytest.mark.parametrize("page", ["1e400", str(HUGE), "-1", "0", "²", "abc", "1.5"])
def test_a_bad_page_number_on_the_api_is_a_400_naming_it(
    client: FlaskClient, world: World, page: str
) -> None:
    answer = client.get(f"/api/v1/search?q=invoice&page={page}", headers=basic_auth("clerk"))
    body = _is_problem(answer, 400)
    assert body["detail"].startswith("page must be a whole number from 1")


def test_a_bad_page_number_on_a_page_is_a_400_page_naming_it(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    answer = client.get("/search?q=invoice&page=1e400")
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "page must be a whole number from 1" in answer.text


BAD_QUERY = (
    f"page=1e400&per_page={HUGE}&limit=-1&before=²&stage={HUGE}&version=1e400&q=%00%FF"
    "&facet=class&facet=%00:%00&sort=%00&show=%00&all=%00&status=%00&class_code=%00"
    "&code=%00&next=%0D%0A//evil&from=99999-99-99&to=%00&actor=%00&action=%00"
)


def test_no_query_string_makes_any_route_fail(estate: Estate, client: FlaskClient) -> None:
    """Every GET route, as an administrator, with nonsense in every parameter any route reads."""
    app = client.application
    sign_in(client, ADMIN)
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        path = rule_path(rule, estate.values)
        headers = basic_auth(ADMIN) if path.startswith("/api/") else {}
        answer = client.get(f"{path}?{BAD_QUERY}", headers=headers)
        assert answer.status_code < 500, path
        if path.startswith("/api/") and answer.status_code >= 400:
            _is_problem(answer, answer.status_code)


# --- headers ------------------------------------------------------------------------------------

BAD_HEADERS: tuple[dict[str, str], ...] = (
    {"Authorization": "Basic"},
    {"Authorization": "Basic !!!not-base64!!!"},
    {"Authorization": "Basic " + "//79"},  # bytes that are not UTF-8
    {"Authorization": "Bearer " + "x" * 5000},
    {"Authorization": 'Digest username="a\x7f"'},
    {"Cookie": "edrm_session=" + "A" * 4000},
    {"Cookie": "edrm_session=.eJx.garbage.sig"},
    {"X-CSRFToken": "\x7f" * 300},
    {"Accept-Language": "ÿ" * 200},
    {"If-None-Match": '"' + "x" * 2000},
    {"If-Modified-Since": "not a date"},
    {"Range": "bytes=99999999999999999999999-"},
    {"Content-Type": "multipart/form-data; boundary="},
    {"Content-Length": "-1"},
    {"X-Forwarded-For": "999.999.999.999, ::zz"},
)


def test_no_header_value_makes_a_route_fail(estate: Estate, client: FlaskClient) -> None:
    paths = [
        "/",
        "/sign-in",
        f"/documents/{estate.values['document_id']}",
        f"/documents/{estate.values['document_id']}/download",
        "/api/v1/search?q=invoice",
        f"/api/v1/documents/{estate.values['document_id']}/content",
        "/healthz",
        "/metrics",
    ]
    for headers in BAD_HEADERS:
        for path in paths:
            for method in ("GET", "POST"):
                answer = client.open(path, method=method, headers=headers)
                assert answer.status_code < 500, (method, path, headers)
                if path.startswith("/api/") and answer.status_code >= 400:
                    _is_problem(answer, answer.status_code)


# --- problem details on every JSON error ---------------------------------------------------------


@pytest.fixture
def raising_app(settings_overrides: dict[str, Any], world: World) -> Iterator[Flask]:
    """The app, not propagating exceptions (as in production), with API routes that fail in
    each way an error can arise."""
    app = create_app_for_tests(settings_overrides)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def http(code: int) -> Any:
        if code == 429:
            raise TooManyRequests(retry_after=900)
        abort(code)

    def service(kind: str) -> Any:
        if kind == "refused":
            raise RefusedError("you may not do that to this record")
        if kind == "gone":
            raise GoneError("document 3 has been destroyed", document_id=3)
        if kind == "invalid":
            raise InvalidInputError("title is too long")
        if kind == "hand-made":
            return jsonify({"error": "search is not available"}), 503
        raise RuntimeError("a bug with a secret in its message")

    app.add_url_rule("/api/v1/test/http/<int:code>", "test_http", http)
    app.add_url_rule("/api/v1/test/service/<kind>", "test_service", service)
    yield app
    app.extensions["edrm"].close()


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500])
def test_every_json_error_is_problem_details(raising_app: Flask, status: int) -> None:
    body = _is_problem(raising_app.test_client().get(f"/api/v1/test/http/{status}"), status)
    assert body["instance"] == f"/api/v1/test/http/{status}"
    assert body["type"] == "about:blank"


def test_a_retry_after_survives_into_the_problem(raising_app: Flask) -> None:
    answer = raising_app.test_client().get("/api/v1/test/http/429")
    _is_problem(answer, 429)
    assert answer.headers["Retry-After"] == "900"


@pytest.mark.parametrize(
    ("kind", "status"),
    [("refused", 403), ("gone", 410), ("invalid", 400), ("hand-made", 503), ("bug", 500)],
)
def test_service_errors_on_the_api_are_problem_details(
    raising_app: Flask, kind: str, status: int
) -> None:
    body = _is_problem(raising_app.test_client().get(f"/api/v1/test/service/{kind}"), status)
    assert "secret" not in body["detail"]  # an unexpected error's message is never shown


def test_a_route_the_api_does_not_have_is_a_404_problem(client: FlaskClient, world: World) -> None:
    _is_problem(client.get("/api/v1/no-such-thing", headers=basic_auth("clerk")), 404)
    _is_problem(client.get("/api/no-such-version"), 404)


def test_a_method_the_api_route_does_not_take_is_a_405_problem(
    client: FlaskClient, world: World
) -> None:
    answer = client.delete("/api/v1/search", headers=basic_auth("clerk"))
    _is_problem(answer, 405)
    assert "GET" in answer.headers["Allow"]


def test_signing_in_wrongly_on_the_api_is_a_401_problem(client: FlaskClient, world: World) -> None:
    _is_problem(client.get("/api/v1/search?q=x"), 401)
    _is_problem(client.get("/api/v1/search?q=x", headers={"Authorization": "Basic eDp5"}), 401)


def test_an_upload_over_the_limit_is_a_413_problem(
    settings_overrides: dict[str, Any], world: World
) -> None:
    import io

    app = create_app_for_tests({**settings_overrides, "max_upload_mb": 1})
    try:
        answer = app.test_client().post(
            "/api/v1/documents",
            data={"files": (io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.txt")},
            headers=basic_auth("clerk"),
            content_type="multipart/form-data",
        )
        _is_problem(answer, 413)
    finally:
        app.extensions["edrm"].close()


def test_pages_keep_their_html_error_pages(raising_app: Flask) -> None:
    client = raising_app.test_client()
    sign_in(client, "clerk")
    assert client.get(f"/documents/{HUGE}").mimetype == "text/html"
    not_allowed = client.delete("/search")
    assert not_allowed.status_code == 405
    assert not_allowed.mimetype == "text/html"
    assert "You cannot do that here" in not_allowed.text


# --- the command line -----------------------------------------------------------------------------


def _id_arguments(group: Any, prefix: str = "") -> list[tuple[str, str]]:
    """(command, parameter) for every id parameter of every command, recursively."""
    from edrm.cli.common import ID

    found: list[tuple[str, str]] = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        full = f"{prefix} {name}".strip()
        found.extend(_id_arguments(command, full))
        for param in getattr(command, "params", []):
            if param.type is ID:
                found.append((full, param.opts[0]))
    return found


def test_an_id_beyond_64_bits_on_the_command_line_is_refused_in_one_line(
    cli: Any, world: World
) -> None:
    from edrm.cli import main

    targets = _id_arguments(main)
    assert len(targets) >= 10
    for command, param in targets:
        args = command.split()
        args += [param, str(HUGE)] if param.startswith("--") else [str(HUGE)]
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f"{HUGE} is not in the range 1<=x<=" in result.output, args
        assert "Traceback" not in result.output


def test_a_hold_on_a_document_number_beyond_64_bits_is_a_400(
    client: FlaskClient, estate: Estate
) -> None:
    clients = signed_in_clients(client.application, ["records_manager_high"])
    rm = clients["records_manager_high"]
    answer = rm.post(
        "/records-management/holds",
        data={
            "csrf_token": rm.csrf_token,
            "reason": "Litigation",
            "authority": "Counsel",
            "document_id": "99999999999999999999",  # 20 digits, as the form allows
        },
    )
    assert answer.status_code == 400
    assert "is not a document number" in html.unescape(answer.text)
