"""Inferred expertise (topic terms and classes from a person's records, only from records all
staff may see, never for people who opted out; a scheduled job) and communities of interest
(clusters by shared topics, classes, skills, units and places; records as the viewer)."""

from __future__ import annotations

from edrm.documents.models import Document
from harvest.communities import (
    class_communities,
    community_page,
    overview,
    skill_communities,
    topic_communities,
)
from harvest.directory.profiles import get_profile, set_opt_out
from harvest.directory.public_profile import inferred_of
from harvest.inference import recompute
from harvest.jobs import scheduled_recompute
from tests.conftest import Cli, World, file_text
from tests.harvest.directory_helpers import author, index, people, skill, taxonomy


def _inferred(world: World, username: str) -> dict[str, list[str]]:
    with world.runtime.uow() as s:
        found = inferred_of(s, get_profile(s, username)[0].id)
    return {kind: [key for key, _w in rows] for kind, rows in found.items()}


def test_topics_and_classes_are_inferred_from_a_persons_records(world: World) -> None:
    people(world, "xavier", "yusuf")
    author(world, "xavier", ["Culvert inspection", "Culvert repairs", "Bridge survey"])
    author(world, "yusuf", ["Canteen menu"], into="SEC-OPS-INC")
    with world.runtime.uow() as s:
        result = recompute(s)
    assert result.people == 3  # and the clerk, who filed an invoice
    xavier = _inferred(world, "xavier")
    assert xavier["term"][0] == "culvert"
    assert {"bridge", "inspection"} <= set(xavier["term"])
    assert xavier["class"] == ["FIN-AP-INV"]
    assert _inferred(world, "yusuf")["class"] == ["SEC-OPS-INC"]


def test_nothing_is_inferred_from_records_not_everyone_may_see(world: World) -> None:
    people(world, "wendy")
    with world.runtime.uow() as s:
        hidden = file_text(
            s, world.runtime, "HR-CASE-DIS", "Grievance hearing", actor=world.people["recman"]
        )
        sensitive = file_text(
            s, world.runtime, "FIN-AP-INV", "Whistleblowing payment", marking="OFFICIAL-SENSITIVE"
        )
        for doc_id in (hidden, sensitive):
            s.get(Document, doc_id).creator = "wendy"
        recompute(s)
    assert _inferred(world, "wendy") == {"term": [], "class": []}


def test_nothing_is_inferred_for_someone_who_opted_out(world: World) -> None:
    people(world, "olga")
    author(world, "olga", ["Culvert inspection"])
    with world.runtime.uow() as s:
        set_opt_out(s, world.people["olga"], True)
        recompute(s)
    assert _inferred(world, "olga") == {"term": [], "class": []}


def test_the_scheduled_job_recomputes_and_reports(world: World) -> None:
    people(world, "xavier")
    author(world, "xavier", ["Culvert inspection"])
    message = scheduled_recompute(world.runtime)
    assert message.startswith("inferred expertise for 2 people from 3 records")
    assert _inferred(world, "xavier")["term"]


def test_terms_shared_by_the_same_people_make_one_community(world: World) -> None:
    people(world, "xavier", "yusuf", "zara")
    author(world, "xavier", ["Culvert drainage inspection", "Culvert drainage works"])
    author(world, "yusuf", ["Culvert drainage survey"])
    author(world, "zara", ["Lease renewal", "Lease break clause"])
    with world.runtime.uow() as s:
        recompute(s)
        clusters = topic_communities(s)
        usernames = {
            c.key: {get_profile(s, u)[0].id for u in ("xavier", "yusuf")} == set(c.members)
            for c in clusters
        }
    drainage = next(c for c in clusters if "culvert" in c.terms)
    assert "drainag" not in drainage.terms  # spelt as people write it
    assert {"culvert", "drainage"} <= set(drainage.terms)
    assert usernames[drainage.key]
    assert not any("lease" in c.terms for c in clusters)  # one person is not a community


def test_opted_out_people_join_communities_only_through_declared_skills(world: World) -> None:
    people(world, "olga", "xavier", "yusuf")
    author(world, "olga", ["Culvert inspection", "Culvert repairs"])
    author(world, "xavier", ["Culvert survey"])
    author(world, "yusuf", ["Culvert drainage"])
    with world.runtime.uow() as s:
        skill(s, world, "olga", "commercial.procurement")
        skill(s, world, "xavier", "commercial.procurement")
        set_opt_out(s, world.people["olga"], True)
        recompute(s)
        olga = get_profile(s, "olga")[0].id
        topics = topic_communities(s)
        skills = skill_communities(s, taxonomy(world))
        classes = class_communities(s, world.people["clerk"])
    assert all(olga not in c.members for c in topics + classes)
    assert any(olga in c.members for c in skills if c.key == "commercial.procurement")


def test_a_community_page_lists_only_records_the_viewer_may_see(world: World) -> None:
    people(world, "xavier", "yusuf")
    author(world, "xavier", ["Culvert inspection"])
    author(world, "yusuf", ["Culvert survey"])
    with world.runtime.uow() as s:
        hidden = file_text(
            s, world.runtime, "HR-CASE-DIS", "Culvert grievance", actor=world.people["recman"]
        )
        recompute(s)
    index(world.runtime)
    with world.runtime.uow() as s:
        as_clerk = community_page(
            s, world.runtime, world.people["clerk"], taxonomy(world), "topic", "culvert"
        )
        as_hr = community_page(
            s, world.runtime, world.people["hrofficer"], taxonomy(world), "topic", "culvert"
        )
    assert {m.username for m in as_clerk.people} == {"xavier", "yusuf"}
    assert hidden not in [h.id for h in as_clerk.records]
    assert len(as_clerk.records) == 2
    assert hidden in [h.id for h in as_hr.records]


def test_class_communities_hide_classes_the_viewer_may_not_see(world: World) -> None:
    people(world, "xavier", "yusuf")
    with world.runtime.uow() as s:
        for who in ("xavier", "yusuf"):
            doc = file_text(s, world.runtime, "FIN-AP-INV", "Invoice run", actor=world.people[who])
            s.get(Document, doc).creator = who
        recompute(s)
        seen = overview(s, world.people["clerk"], taxonomy(world))
        assert [c.key for c in seen.classes] == ["FIN-AP-INV"]


def test_people_infer_cli_recomputes_on_demand(world: World, cli: Cli) -> None:
    people(world, "xavier")
    author(world, "xavier", ["Culvert inspection"])
    out = cli("people", "infer")
    assert out.exit_code == 0, out.output
    assert out.output.startswith("edrm: inferred expertise for 2 people")
    assert _inferred(world, "xavier")["term"][0] == "culvert"
