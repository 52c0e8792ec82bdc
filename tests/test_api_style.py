"""The API's one style (issue 13 part 3): an OpenAPI 3.1 document naming every /api/ route, a
reference page, cursor pagination, problem details, ETag/If-Match and idempotent uploads."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edrm import clock, idempotency
from edrm.ingest.models import IngestJob
from edrm.people.tokens import TokenPolicy, create_token
from tests.conftest import World

pytestmark = pytest.mark.sqlite_only  # the web layer over services tested on both engines


def bearer(world: World, who: str, *scopes: str) -> dict[str, str]:
    with world.runtime.uow() as s:
        made = create_token(s, world.people[who], list(scopes), policy=TokenPolicy(90, 365))
    return {"Authorization": f"Bearer {made.token}"}


def openapi_path(rule: str) -> str:
    """/api/v1/documents/<int:document_id> → /api/v1/documents/{document_id}"""
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_every_api_route_is_in_the_openapi_document(app: Flask, client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        operations = document["paths"].get(openapi_path(rule.rule), {})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if method.lower() not in operations:
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def test_the_reference_page_lists_the_operations_without_a_sign_in(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "API reference" in html and "/api/v1/documents/{document_id}" in html
    assert "https://" not in html.split("<footer")[0].replace("https://www.gov.uk", "")


def test_a_request_the_schema_refuses_is_a_422_problem_naming_the_field(
    world: World, client: FlaskClient
) -> None:
    answer = client.get("/api/v1/search?limit=0", headers=bearer(world, "clerk", "read"))
    assert answer.status_code == 422
    assert answer.mimetype == "application/problem+json"
    body = answer.get_json()
    assert body["status"] == 422 and "limit" in body["detail"]
    assert body["errors"][0]["field"] == "limit"


def _upload(client: FlaskClient, headers: dict[str, str], content: bytes) -> Any:
    data = {"files": (io.BytesIO(content), "note.txt"), "into": "FIN-AP-INV-2024"}
    return client.post("/api/v1/documents", data=data, headers=headers)


def _jobs(world: World) -> int:
    with world.runtime.uow() as s:
        return s.scalar(select(func.count()).select_from(IngestJob)) or 0


def test_an_upload_sent_twice_with_one_key_is_submitted_once(
    world: World, client: FlaskClient
) -> None:
    headers = {**bearer(world, "clerk", "read", "write"), "Idempotency-Key": "abc-1"}
    first = _upload(client, headers, b"the same bytes")
    again = _upload(client, headers, b"the same bytes")
    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _jobs(world) == 1


def test_one_key_with_a_different_upload_is_refused(world: World, client: FlaskClient) -> None:
    headers = {**bearer(world, "clerk", "read", "write"), "Idempotency-Key": "abc-2"}
    assert _upload(client, headers, b"one").status_code == 202
    other = _upload(client, headers, b"another")
    assert other.status_code == 422
    assert other.mimetype == "application/problem+json"
    assert _jobs(world) == 1


def test_a_key_older_than_its_days_is_purged_and_a_retry_is_new_work(
    world: World, client: FlaskClient
) -> None:
    headers = {**bearer(world, "clerk", "read", "write"), "Idempotency-Key": "abc-3"}
    assert _upload(client, headers, b"kept a week").status_code == 202
    later = clock.now() + timedelta(days=world.runtime.settings.api_idempotency_days, minutes=1)
    clock.set_clock(lambda: later)
    try:
        assert idempotency.scheduled_purge(world.runtime).startswith("1 idempotency key(s)")
        again = _upload(client, headers, b"kept a week")
    finally:
        clock.set_clock(None)
    assert "Idempotent-Replayed" not in again.headers
    assert _jobs(world) == 2


def test_a_key_within_its_days_survives_the_purge(world: World, client: FlaskClient) -> None:
    headers = {**bearer(world, "clerk", "read", "write"), "Idempotency-Key": "abc-4"}
    assert _upload(client, headers, b"fresh").status_code == 202
    assert idempotency.scheduled_purge(world.runtime).startswith("0 idempotency key(s)")
    assert _upload(client, headers, b"fresh").headers["Idempotent-Replayed"] == "true"


def test_a_single_resource_answers_with_an_etag(world: World, client: FlaskClient) -> None:
    answer = client.get("/api/v1/fileplan/FIN-AP-INV", headers=bearer(world, "clerk", "read"))
    assert answer.status_code == 200
    assert answer.headers["ETag"].startswith('"')
