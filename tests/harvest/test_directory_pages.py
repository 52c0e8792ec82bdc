"""The directory's pages and JSON: the home page's four ways in, the directory, profiles (edit
your own, endorse a colleague, opt out), find an expert, communities, the people beside record
search results, and GET /api/v1/experts and /api/v1/people/<username>."""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest
from flask.testing import FlaskClient

from harvest.directory.hr_import import import_people
from harvest.inference import recompute
from tests.conftest import PASSWORD, World, file_text, sign_in
from tests.harvest.directory_helpers import author, endorse_skill, index, people, skill

# Pages over services tested on both databases (see tests/conftest.py).
pytestmark = pytest.mark.sqlite_only


def _csrf(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def _basic(username: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _drainage_experts(world: World) -> list[int]:
    people(world, "xavier", "yusuf")
    docs = author(world, "xavier", ["Drainage survey", "Drainage works order"])
    author(world, "yusuf", ["Drainage budget"])
    index(world.runtime)
    return docs


def test_the_home_page_offers_the_four_ways_in(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    home = client.get("/").text
    for path, words in (
        ("/search", "Search records"),
        ("/fileplan/", "Browse the file plan"),
        ("/find-an-expert", "Find an expert"),
        ("/communities/browse", "Explore people and communities"),
    ):
        assert f'href="{path}">{words}</a>' in home
    # The model's four names are explained in help, not on the cards (issue 12, item 4).
    assert 'href="/help/knowledge-harvesting"' in home


def test_the_old_expert_and_community_addresses_lead_to_the_pages(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    assert client.get("/experts?q=drainage").headers["Location"] == "/find-an-expert?q=drainage"
    assert client.get("/communities").headers["Location"] == "/communities/browse"


def test_the_directory_lists_people_and_filters_by_unit(client: FlaskClient, world: World) -> None:
    with world.runtime.uow() as s:
        import_people(
            s,
            world.people["hrofficer"],
            "username,name,unit,location\n"
            "clerk,Carol Clerk,Finance,Leeds\nanalyst,Anil Analyst,Policy,London\n",
        )
    sign_in(client, "clerk")
    page = client.get("/people")
    assert page.status_code == 200
    assert "Carol Clerk" in page.text and "Anil Analyst" in page.text
    finance = client.get("/people?unit=Finance").text
    assert "Carol Clerk" in finance and "Anil Analyst" not in finance


def test_a_profile_shows_unit_location_and_manager_as_links_not_as_escaped_html(
    client: FlaskClient, world: World
) -> None:
    """Issue 12, item 1: the summary list showed `<a class="govuk-link" …>` as text."""
    with world.runtime.uow() as s:
        import_people(
            s,
            world.people["hrofficer"],
            "username,name,unit,location,manager\n"
            "analyst,Anil Analyst,Policy & Strategy,London,clerk\n"
            "clerk,Carol Clerk,Finance,Leeds,\n",
        )
    sign_in(client, "clerk")
    page = client.get("/people/analyst").text
    assert "&lt;a" not in page
    assert re.search(
        r'<a class="govuk-link" href="/communities/unit/[^"]+">Policy &amp; Strategy</a>', page
    )
    assert re.search(r'<a class="govuk-link" href="/communities/location/London">London</a>', page)
    assert '<a class="govuk-link" href="/people/clerk">Carol Clerk</a>' in page


def test_a_profile_shows_skills_labelled_and_a_colleague_endorses_one(
    client: FlaskClient, world: World
) -> None:
    with world.runtime.uow() as s:
        skill_id = skill(s, world, "analyst", "commercial.procurement", level=4)
    sign_in(client, "clerk")
    page = client.get("/people/analyst")
    assert page.status_code == 200
    assert "Procurement" in page.text and 'data-kind="declared"' in page.text
    token = _csrf(client, "/people/analyst")
    response = client.post(f"/people/analyst/skills/{skill_id}/endorse", data={"csrf_token": token})
    assert response.status_code == 302
    page = client.get("/people/analyst").text
    assert 'data-kind="endorsed"' in page
    assert "Withdraw endorsement" in page


def test_your_own_profile_has_no_endorse_button_but_an_edit_link(
    client: FlaskClient, world: World
) -> None:
    with world.runtime.uow() as s:
        skill(s, world, "clerk", "commercial.procurement")
    sign_in(client, "clerk")
    page = client.get("/people/clerk").text
    assert "Edit your profile" in page
    assert 'data-module="govuk-button">Endorse' not in page


def test_a_person_adds_a_skill_and_opts_out_on_the_edit_page(
    client: FlaskClient, world: World
) -> None:
    sign_in(client, "clerk")
    token = _csrf(client, "/profile")
    client.post(
        "/profile/skills",
        data={"csrf_token": token, "skill": "finance.budgeting", "tag": "", "level": "3"},
    )
    client.post(
        "/profile/skills",
        data={"csrf_token": token, "skill": "finance.budgeting", "tag": "Welsh", "level": "2"},
    )
    client.post("/profile/opt-out", data={"csrf_token": token, "opted_out": "yes"})
    page = client.get("/profile").text
    assert "Budgeting and forecasting" in page and "welsh" in page
    assert re.search(r'value="yes" checked', page)
    profile = client.get("/people/clerk").text
    assert "chose not to have expertise inferred" in profile


def test_a_bad_skill_level_is_explained(client: FlaskClient, world: World) -> None:
    sign_in(client, "clerk")
    token = _csrf(client, "/profile")
    response = client.post(
        "/profile/skills",
        data={"csrf_token": token, "skill": "finance.budgeting", "level": "9"},
        follow_redirects=True,
    )
    assert "level: 1 awareness" in response.text


def test_find_an_expert_shows_people_with_their_evidence(client: FlaskClient, world: World) -> None:
    docs = _drainage_experts(world)
    sign_in(client, "clerk")
    page = client.get("/find-an-expert?q=drainage").text
    xavier, yusuf = page.index('data-username="xavier"'), page.index('data-username="yusuf"')
    assert xavier < yusuf
    for doc in docs:
        assert f'data-document="{doc}"' in page
    assert 'data-kind="inferred"' in page


def test_find_an_expert_never_shows_a_record_the_asker_cannot_see(
    client: FlaskClient, world: World
) -> None:
    people(world, "wendy")
    with world.runtime.uow() as s:
        file_text(
            s, world.runtime, "HR-CASE-DIS", "Drainage dispute case", actor=world.people["recman"]
        )
    index(world.runtime)
    sign_in(client, "clerk")
    page = client.get("/find-an-expert?q=drainage dispute").text
    assert "Drainage dispute case" not in page
    assert "No one found" in page


def test_a_person_who_left_shows_as_left_with_their_successor(
    client: FlaskClient, world: World
) -> None:
    from harvest.leavers import register_leaver

    _drainage_experts(world)
    with world.runtime.uow() as s:
        register_leaver(
            s, "xavier", date(2021, 3, 31), successor="yusuf", actor=world.people["hrofficer"]
        )
    sign_in(client, "clerk")
    profile = client.get("/people/xavier").text
    assert "has left" in profile and 'href="/people/yusuf"' in profile
    found = client.get("/find-an-expert?q=drainage").text
    assert "edrm-left" in found


def test_record_search_shows_the_top_people_beside_the_hits(
    client: FlaskClient, world: World
) -> None:
    _drainage_experts(world)
    sign_in(client, "clerk")
    page = client.get("/search?q=drainage").text
    assert "People who know about this" in page
    start = page.index('class="edrm-people-panel"')
    panel = page[start : page.index("</aside>", start)]
    assert panel.index("xavier") < panel.index("yusuf")
    assert "People who know about this" not in client.get("/search?q=class:FIN-AP-INV").text


def test_communities_group_people_by_topic_unit_and_place(
    client: FlaskClient, world: World
) -> None:
    people(world, "xavier", "yusuf")
    author(world, "xavier", ["Culvert inspection", "Culvert repairs"])
    author(world, "yusuf", ["Culvert survey", "Canteen menu"])
    with world.runtime.uow() as s:
        import_people(
            s,
            world.people["hrofficer"],
            "username,name,unit,location\n"
            "xavier,Xavier X,Estates,Leeds\nyusuf,Yusuf Y,Estates,York\n",
        )
        recompute(s)
    index(world.runtime)
    sign_in(client, "clerk")
    browse = client.get("/communities/browse").text
    assert 'href="/communities/topic/culvert"' in browse
    assert 'href="/communities/unit/Estates"' in browse
    assert 'href="/communities/location/Leeds"' in browse
    topic = client.get("/communities/topic/culvert").text
    assert "Xavier X" in topic and "Yusuf Y" in topic
    assert "Culvert inspection" in topic  # its most relevant records, as the viewer
    unit = client.get("/communities/unit/Estates").text
    assert "Xavier X" in unit and "Yusuf Y" in unit
    assert client.get("/communities/topic/nothing-here").status_code == 404


def test_api_experts_answers_json_for_the_asker(client: FlaskClient, world: World) -> None:
    docs = _drainage_experts(world)
    response = client.get("/api/v1/experts?q=drainage&limit=1", headers=_basic("clerk"))
    assert response.status_code == 200
    data = response.json
    assert [p["username"] for p in data["people"]] == ["xavier"]
    person = data["people"][0]
    assert {"username", "name", "score", "evidence"} <= set(person)
    assert {e["document_id"] for e in person["evidence"]} == set(docs)
    assert client.get("/api/v1/experts?q=drainage").status_code == 401
    assert client.get("/api/v1/experts", headers=_basic("clerk")).status_code == 400


def test_api_people_shows_a_profile_and_404_for_no_one(client: FlaskClient, world: World) -> None:
    with world.runtime.uow() as s:
        skill_id = skill(s, world, "clerk", "commercial.procurement")
        endorse_skill(s, world, "analyst", skill_id)
    data = client.get("/api/v1/people/clerk", headers=_basic("analyst")).json
    assert data["username"] == "clerk"
    assert data["skills"][0]["kind"] == "endorsed"
    assert data["skills"][0]["endorsed_by_me"] is True
    assert client.get("/api/v1/people/nobody", headers=_basic("analyst")).status_code == 404


def test_find_an_expert_has_a_paragraph_sized_box_and_leaves_out_the_searcher(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 11: the question box is a proper textarea (six rows) and the person
    searching is not among their own results."""
    _drainage_experts(world)
    sign_in(client, "xavier")
    page = client.get("/find-an-expert?q=drainage").text
    assert re.search(r'<textarea class="govuk-textarea[^"]*" id="q" name="q" rows="6"', page)
    assert 'data-username="yusuf"' in page
    assert 'data-username="xavier"' not in page
    assert "You are not listed in your own results" in page


def test_the_profile_skills_table_labels_each_cell_so_it_can_stack_on_a_phone(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 11: each cell of the Skills table carries its column's name, which the
    phone layout shows above the value instead of four columns running off the screen."""
    with world.runtime.uow() as s:
        skill(s, world, "analyst", "commercial.procurement", level=4)
    sign_in(client, "clerk")
    page = client.get("/people/analyst").text
    for label in ("Skill", "Level", "How we know"):
        assert f'<td class="govuk-table__cell" data-label="{label}">' in page
    assert "edrm-skills__action" in page


def test_a_profile_names_its_inferred_classes_by_title_not_by_code(
    client: FlaskClient, world: World
) -> None:
    """Issue 12 item 4: a profile's inferred file-plan classes read as the class's name, the code
    beside it in small type."""
    people(world, "xavier")
    author(world, "xavier", ["Culvert inspection", "Culvert repairs"])
    with world.runtime.uow() as s:
        recompute(s)
    sign_in(client, "clerk")
    page = client.get("/people/xavier").text
    classes = page[page.index("edrm-inferred-classes") :]
    assert ">Supplier invoices</a>" in classes
    assert ">FIN-AP-INV</a>" not in classes
