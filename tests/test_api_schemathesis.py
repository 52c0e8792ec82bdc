"""Schemathesis drives the live app from its own OpenAPI document (issue 13 part 3): with a
records manager's token, every GET and the safe POSTs (save a search, make a folder) answer
with no server error, a documented status and content type, and a body that fits the
document's schemas. Bounded: a few examples an operation, one installation for them all."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from edrm.people.tokens import TokenPolicy, create_token
from edrm.settings import ensure_home, load_settings
from edrm.wiring import build_runtime
from tests.conftest import SMALL_PLAN_CSV, add_person, create_app_for_tests, file_text

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SAFE_POSTS = r"^/api/v1/(saved-searches|fileplan/\{code\}/folders)$"


@dataclass
class Live:
    app: Flask
    headers: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Live]:
    """One small installation (a plan, a records manager, two documents) and a token."""
    from edrm.fileplan.io import parse_csv
    from edrm.fileplan.service import create_folder, import_rows

    root = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(sqlite_template, root / "edrm.db")
    overrides: dict[str, Any] = {
        "home": str(root / "home"),
        "database_url": f"sqlite:///{root / 'edrm.db'}",
        "cookie_secure": False,
        "secret_key": "test-secret-key",
        "api_token_requests_per_minute": 100_000,
    }
    ensure_home(load_settings(overrides, environ={}))
    runtime = build_runtime(load_settings(overrides, environ={}))
    with runtime.uow() as s:
        import_rows(s, parse_csv(SMALL_PLAN_CSV))
        create_folder(s, "FIN-AP-INV-2024", "FIN-AP-INV", "Supplier invoices 2024-25")
        recman = add_person(s, "recman", "records_manager", "SECRET", ("hr",))
        file_text(s, runtime, "FIN-AP-INV-2024", "Invoice 1001 from Acme Ltd")
        file_text(s, runtime, "HR-CASE-DIS", "Discipline case 17")
        scopes = ["read", "write", "records", "hr", "admin"]
        token = create_token(s, recman, scopes, policy=TokenPolicy(90, 365)).token
    runtime.close()
    app = create_app_for_tests(overrides)
    yield Live(app, {"Authorization": f"Bearer {token}"})
    app.extensions["edrm"].close()


def _document() -> dict[str, Any]:
    """The document, read from an app on an empty home at collection (the routes are fixed;
    the test's own installation answers the calls)."""
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        overrides = {"home": home, "database_url": f"sqlite:///{home}/unused.db"}
        app = create_app_for_tests(overrides)
        try:
            document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
        finally:
            app.extensions["edrm"].close()
    return document


def _read_or_safe(ctx: Any) -> bool:
    method, path = ctx.operation.method.upper(), ctx.operation.path
    return method == "GET" or (method == "POST" and re.match(SAFE_POSTS, path) is not None)


schema = schemathesis.openapi.from_dict(_document()).include(_read_or_safe)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_document_says(case: Any, live: Live) -> None:
    case.call_and_validate(headers=live.headers, checks=CHECKS, app=live.app)
