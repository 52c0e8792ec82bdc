"""Records name several creators and contributors (e-GMS `creator`, `contributor`): the filer
names them on `edrm ingest`, the API and the upload page; the file's own properties add the
people they identify; the record page and `edrm doc show --json` list them (issue 15 part 2)."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import docx
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edrm.documents.contributors import accounts_in_properties, people_of
from edrm.ingest.models import IngestJob
from edrm.ingest.worker import Worker
from tests.conftest import PASSWORD, Cli, World, sign_in


def _note(tmp_path: Path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text("Culvert inspection notes.\n", encoding="utf-8")
    return path


def _ingest(cli: Cli, *args: str) -> dict:
    result = cli("ingest", *args, "--into", "FIN-AP-INV", "--as", "clerk", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.splitlines()[0])


def _shown(cli: Cli, document_id: int, as_user: str = "clerk") -> dict:
    result = cli("doc", "show", str(document_id), "--json", "--as", as_user)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_names_several_creators_and_contributors_listed_by_doc_show_json(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    line = _ingest(
        cli,
        str(_note(tmp_path)),
        "--creator",
        "analyst",
        "--creator",
        "Recman",  # a full name does as well as a username
        "--contributor",
        "hrofficer",
    )
    shown = _shown(cli, line["document_id"])
    assert shown["creators"] == ["analyst", "recman"]
    assert shown["contributors"] == ["hrofficer"]
    assert shown["metadata"]["creator"] == "Analyst"  # the first creator, by name


def test_ingest_without_named_people_lists_none(cli: Cli, world: World, tmp_path: Path) -> None:
    shown = _shown(cli, _ingest(cli, str(_note(tmp_path)))["document_id"])
    assert (shown["creators"], shown["contributors"]) == ([], [])


def test_ingest_naming_someone_with_no_account_files_nothing_and_says_who(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    result = cli(
        "ingest", str(_note(tmp_path)), "--into", "FIN-AP-INV", "--creator", "nobody-here",
        "--as", "clerk",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "nobody-here" in result.output
    with world.runtime.uow() as s:
        assert s.scalar(select(func.count()).select_from(IngestJob)) == 0


def _basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_the_api_takes_repeated_creator_and_contributor_fields(
    client: FlaskClient, world: World
) -> None:
    response = client.post(
        "/api/v1/documents",
        data={
            "files": (io.BytesIO(b"Drainage survey of the depot"), "survey.txt"),
            "into": "FIN-AP-INV",
            "creator": ["analyst", "recman"],
            "contributor": "hrofficer",
        },
        headers=_basic("clerk"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 202
    with Worker(world.runtime) as worker:
        while worker.run_one():
            pass
    answer = response.get_json()
    job = client.get(f"/api/v1/jobs/{answer['job_id']}", headers=_basic("clerk")).get_json()
    doc = client.get(f"/api/v1/documents/{job['document_id']}", headers=_basic("clerk")).get_json()
    assert doc["creators"] == ["analyst", "recman"]
    assert doc["contributors"] == ["hrofficer"]


def test_the_api_refuses_a_creator_with_no_account(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/documents",
        data={"files": (io.BytesIO(b"text"), "a.txt"), "creator": "ghost"},
        headers=_basic("clerk"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "ghost" in response.get_data(as_text=True)


def test_the_upload_page_asks_who_created_and_contributed(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    page = client.get("/upload").text
    assert re.search(r'<input[^>]+name="creator"', page)
    assert re.search(r'<input[^>]+name="contributor"', page)


def test_the_record_page_shows_its_creators_and_contributors(
    client: FlaskClient, world: World, cli: Cli, tmp_path: Path
) -> None:
    line = _ingest(
        cli, str(_note(tmp_path)), "--creator", "analyst,recman", "--contributor", "hrofficer"
    )
    sign_in(client, "clerk")
    page = client.get(f"/documents/{line['document_id']}").text
    creators = page[page.index("edrm-creators") :][:600]
    assert "Creators" in creators and "Analyst, Recman" in creators
    assert "Hrofficer" in page[page.index("edrm-contributors") :][:600]


def test_a_word_authors_name_matched_to_an_account_makes_them_its_creator(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    document = docx.Document()
    document.add_paragraph("Flood defence procurement note.")
    document.core_properties.author = "Analyst"
    path = tmp_path / "note.docx"
    document.save(str(path))
    shown = _shown(cli, _ingest(cli, str(path))["document_id"])
    assert shown["creators"] == ["analyst"]


def test_an_emails_sender_and_recipients_with_accounts_become_creator_and_contributors(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    mail = tmp_path / "mail.eml"
    mail.write_text(
        "From: Analyst <analyst@example.org>\n"
        "To: Recman <recman@example.org>, Someone Else <else@example.org>\n"
        "Subject: Culvert inspection\n\nThe culvert inspection is next week.\n",
        encoding="utf-8",
    )
    shown = _shown(cli, _ingest(cli, str(mail))["document_id"])
    assert shown["creators"] == ["analyst"]
    assert shown["contributors"] == ["recman"]


def test_named_people_win_over_the_files_author_who_becomes_a_contributor(
    world: World,
) -> None:
    with world.runtime.uow() as s:
        creators, contributors = accounts_in_properties(
            s, {"author": "Hrofficer", "to": "Nobody <nobody@example.org>"}
        )
    assert (creators, contributors) == (["hrofficer"], [])


def test_doc_show_of_a_record_the_person_may_not_see_shows_no_people(
    cli: Cli, world: World
) -> None:
    from edrm.documents.contributors import add_people

    with world.runtime.uow() as s:
        add_people(s, world.docs["discipline"], ["hrofficer"], "creator")
        assert people_of(s, world.docs["discipline"])["creators"] == ["hrofficer"]
    result = cli("doc", "show", str(world.docs["discipline"]), "--json", "--as", "clerk")
    assert result.exit_code != 0
    assert "hrofficer" not in result.output
