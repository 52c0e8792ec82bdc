"""Request ids and log lines (issue 14 part 4): every request has an id (a safe incoming
X-Request-Id, or a new one), returned in the response header, carried by the JSON log line of
the request and by the audit entries the request wrote — inside the MAC-chained details, so
the chain still verifies."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from edrm import audit, request_context
from edrm.audit import AuditEvent
from edrm.logs import configure_logging, handler_for
from edrm.request_context import request_id_from
from edrm.settings import load_settings
from tests.conftest import World, sign_in

pytestmark = pytest.mark.sqlite_only  # the web layer over services tested on both engines


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What edrm's loggers write at INFO, as JSON lines."""
    out = io.StringIO()
    handler = handler_for("json", out)
    logger = logging.getLogger("edrm")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(level)


def request_lines(out: io.StringIO) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "edrm.request"]


def test_the_request_id_is_in_the_header_the_log_line_and_the_audit_entry(
    world: World, client: FlaskClient, log_lines: io.StringIO
) -> None:
    answer = sign_in(client, "clerk", "not-the-password")
    request_id = answer.headers["X-Request-Id"]
    [line] = [x for x in request_lines(log_lines) if x["request_id"] == request_id]
    assert line["method"] == "POST" and line["path"] == "/sign-in" and line["status"] == 200
    assert line["route"] == "auth.sign_in" and line["level"] == "INFO"
    assert line["duration_ms"] >= 0 and line["time"].endswith("+00:00")
    with world.runtime.uow() as s:
        failed = s.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).one()
        assert failed.details_dict["request_id"] == request_id
        assert audit.verify(s).ok


def test_the_log_line_names_the_signed_in_person(
    world: World, client: FlaskClient, log_lines: io.StringIO
) -> None:
    sign_in(client, "clerk")
    answer = client.get(f"/documents/{world.docs['invoice']}")
    [line] = [
        x for x in request_lines(log_lines) if x["request_id"] == answer.headers["X-Request-Id"]
    ]
    assert line["user"] == "clerk" and line["route"] == "documents.show"


def test_a_safe_incoming_request_id_is_kept_and_any_other_replaced(
    world: World, client: FlaskClient
) -> None:
    kept = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.42"})
    assert kept.headers["X-Request-Id"] == "lb-7f3a.42"
    for bad in ("x" * 65, "two words", "<script>", "-starts-with-a-dash", ""):
        new = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert new != bad and request_id_from(new) == new  # a fresh, safe id


def test_work_outside_a_request_writes_no_request_id(world: World) -> None:
    with world.runtime.uow() as s:
        event = audit.record(s, "system", "test.event", "thing", 1, {"n": 1})
        assert event.details_dict == {"n": 1}


def test_text_lines_for_a_terminal_and_json_otherwise() -> None:
    record = {"name": "edrm.test", "msg": "hello", "levelname": "INFO"}
    text = io.StringIO()
    token = request_context.begin("req-1")
    try:
        handler_for("text", text).handle(logging.makeLogRecord(record))
    finally:
        request_context.end(token)
    assert text.getvalue().endswith("INFO edrm.test: hello [req-1]\n")
    piped = io.StringIO()  # not a terminal: "auto" writes JSON
    handler_for("auto", piped).handle(logging.makeLogRecord(record))
    assert json.loads(piped.getvalue())["message"] == "hello"


def test_configure_logging_leaves_a_test_runners_handlers_alone() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    configure_logging(load_settings({"log_format": "json"}, environ={}), stream=sys.stderr)
    assert before and root.handlers == before  # pytest captures logs through the root logger
