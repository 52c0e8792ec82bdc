"""Importing a retention schedule CSV through the page: it is checked and previewed first (what
rules change, how many records would be re-dated, each problem with its line), and imported
only when the person confirms."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from retention.schedule import get_rule
from tests.conftest import World, sign_in
from tests.retention.disposal_helpers import with_records_management

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def rm(world: World) -> World:
    return with_records_management(world)


def _token(client: FlaskClient) -> str:
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def _edited_schedule(client: FlaskClient, code: str, column: str, value: str) -> bytes:
    header, *rows = client.get("/records-management/schedule.csv").text.splitlines()
    columns = header.split(",")
    for n, row in enumerate(rows):
        cells = row.split(",")
        if cells[columns.index("code")] == code:
            cells[columns.index(column)] = value
            rows[n] = ",".join(cells)
    return "\n".join([header, *rows]).encode()


def _upload(client: FlaskClient, content: bytes) -> Any:
    return client.post(
        "/records-management/schedule",
        data={"file": (io.BytesIO(content), "schedule.csv"), "csrf_token": _token(client)},
        content_type="multipart/form-data",
    )


def _years(rm: World) -> int:
    with rm.runtime.uow() as s:
        return get_rule(s, "DESTROY-7Y").period.years


def test_an_uploaded_schedule_is_previewed_and_changes_nothing_until_confirmed(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: the upload shows which rules change (was / becomes) and how many
    records would be re-dated; nothing is imported until the confirmation, and a POST without
    it imports nothing."""
    sign_in(client, "recman")
    preview = _upload(client, _edited_schedule(client, "DESTROY-7Y", "years", "8"))
    assert preview.status_code == 200
    changed = preview.text[preview.text.index('id="changed-rules"') :]
    assert "DESTROY-7Y" in changed and "Was:" in changed and "Becomes:" in changed
    redated = re.search(r'<span id="count-redated">(\d+)</span>', preview.text)
    assert redated and int(redated.group(1)) > 0
    assert _years(rm) == 7
    fields = {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', preview.text)
    }
    unconfirmed = {k: v for k, v in fields.items() if k != "confirm"}
    assert client.post("/records-management/schedule/import", data=unconfirmed).status_code == 302
    assert _years(rm) == 7
    done = client.post("/records-management/schedule/import", data=fields)
    assert done.status_code == 302 and _years(rm) == 8
    page = client.get(done.headers["Location"]).text
    assert f"{redated.group(1)} records&#39; dates recomputed" in page


def test_a_schedule_with_mistakes_lists_each_problem_with_its_line_and_imports_nothing(
    client: FlaskClient, rm: World
) -> None:
    """Issue 12 item 2: errors are listed per CSV line, with the line number, before any
    preview; nothing changes."""
    sign_in(client, "recman")
    text = _edited_schedule(client, "DESTROY-7Y", "action", "shred").decode()
    lines = text.splitlines()
    line = next(n for n, row in enumerate(lines, start=1) if row.startswith("DESTROY-7Y,"))
    response = _upload(client, text.encode())
    assert response.status_code == 400
    table = response.text[response.text.index('id="schedule-problems"') :]
    table = table[: table.index("</table>")]
    assert re.search(
        rf'<td class="govuk-table__cell">{line}</td><td[^>]*>DESTROY-7Y: unknown action', table
    )
    assert "nothing was imported" in response.text
    assert _years(rm) == 7
