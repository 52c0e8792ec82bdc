"""Submitting through the web: the JSON API, the upload page and the triage page."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from edrm.ingest.worker import Worker
from edrm.runtime import Runtime
from tests.conftest import PASSWORD, World, sign_in


def _basic(username: str, password: str = PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _csrf(client: FlaskClient, path: str = "/upload") -> str:
    match = re.search(r'data-csrf="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


@pytest.fixture
def worker(world: World) -> Iterator[Worker]:
    with Worker(world.runtime) as w:
        yield w


def _post(client: FlaskClient, headers: dict[str, str], **form: str) -> object:
    data: dict[str, object] = {"files": (io.BytesIO(b"Invoice INV-1234 from Acme"), "inv.txt")}
    data.update(form)
    return client.post(
        "/api/v1/documents", data=data, headers=headers, content_type="multipart/form-data"
    )


def test_posting_a_document_answers_202_with_the_job(client: FlaskClient, world: World) -> None:
    response = _post(client, _basic("clerk"), into="FIN-AP-INV")
    assert response.status_code == 202  # type: ignore[attr-defined]
    body = response.json  # type: ignore[attr-defined]
    assert body["job_id"] == body["jobs"][0]["id"]
    assert body["jobs"][0]["status"] == "queued"


def test_the_job_can_be_followed_until_the_document_is_filed(
    client: FlaskClient, world: World, worker: Worker
) -> None:
    job_id = _post(client, _basic("clerk"), into="FIN-AP-INV").json["job_id"]  # type: ignore[attr-defined]
    while worker.run_one():
        pass
    job = client.get(f"/api/v1/jobs/{job_id}", headers=_basic("clerk")).json
    assert job["status"] == "done" and job["outcome"] == "filed"
    doc = client.get(f"/api/v1/documents/{job['document_id']}", headers=_basic("clerk")).json
    assert "INV-1234" in doc["text"]


def test_wrong_credentials_get_401(client: FlaskClient, world: World) -> None:
    response = client.get("/api/v1/jobs/1", headers=_basic("clerk", "wrong-password"))
    assert response.status_code == 401


def test_the_api_needs_a_signed_in_person(client: FlaskClient, world: World) -> None:
    assert client.get("/api/v1/jobs/1").status_code == 401


def test_a_signed_in_post_needs_the_csrf_header(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    assert _post(client, {}).status_code == 400  # type: ignore[attr-defined]
    response = _post(client, {"X-CSRFToken": _csrf(client)})
    assert response.status_code == 202  # type: ignore[attr-defined]


def test_someone_elses_job_is_not_found(client: FlaskClient, world: World) -> None:
    job_id = _post(client, _basic("clerk")).json["job_id"]  # type: ignore[attr-defined]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=_basic("analyst")).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=_basic("recman")).status_code == 200


def test_a_hidden_document_is_not_found_through_the_api(client: FlaskClient, world: World) -> None:
    response = client.get(f"/api/v1/documents/{world.docs['secret']}", headers=_basic("clerk"))
    assert response.status_code == 404


def test_posting_without_files_is_a_clear_400(client: FlaskClient, world: World) -> None:
    response = client.post("/api/v1/documents", data={}, headers=_basic("clerk"))
    assert response.status_code == 400
    assert "files" in response.json["error"]


def test_the_upload_page_offers_several_files_at_once(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    page = client.get("/upload")
    assert page.status_code == 200
    assert 'type="file"' in page.text and "multiple" in page.text


def test_a_triage_item_is_filed_from_the_triage_page(
    client: FlaskClient, world: World, worker: Worker, runtime: Runtime
) -> None:
    body = b"Nothing that says where it belongs."
    job_id = client.post(
        "/api/v1/documents",
        data={"files": (io.BytesIO(body), "vague.txt")},
        headers=_basic("clerk"),
        content_type="multipart/form-data",
    ).json["job_id"]  # type: ignore[index]
    while worker.run_one():
        pass
    job = client.get(f"/api/v1/jobs/{job_id}", headers=_basic("clerk")).json
    assert (job["status"], job["outcome"]) == ("done", "triage")  # type: ignore[index]
    doc_id = job["document_id"]  # type: ignore[index]
    sign_in(client, "clerk")
    page = client.get("/triage")
    assert f'/triage/{doc_id}"' in page.text and "vague" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        f"/triage/{doc_id}", data={"csrf_token": token, "class_code": "FIN-AP-INV"}
    )
    assert response.status_code == 302
    assert client.get(f"/documents/{doc_id}").status_code == 200
    filed = client.get(f"/api/v1/documents/{doc_id}", headers=_basic("clerk")).json
    assert filed["class_code"] == "FIN-AP-INV"  # type: ignore[index]
    assert f'/triage/{doc_id}"' not in client.get("/triage").text
