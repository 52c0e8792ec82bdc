"""Expert finding credits every creator and contributor of a record, scores each person on all
the records they may be credited for (that the asker may see), normalised so that volume does
not win, and keeps skills as evidence that never drowns the records (issue 15 part 2)."""

from __future__ import annotations

import json
from pathlib import Path

from edrm.documents.contributors import add_people
from harvest.expert_search import ExpertResult, find_experts
from tests.conftest import Cli, World, file_text
from tests.harvest.directory_helpers import author, endorse_skill, index, people, skill, taxonomy


def _find(world: World, asker: str, text: str, **kw: int) -> ExpertResult:
    rt = world.runtime
    index(rt)
    with rt.uow() as s:
        return find_experts(s, rt, world.people[asker], text, taxonomy=taxonomy(world), **kw)


def _ranked(result: ExpertResult) -> list[str]:
    return [p.username for p in result.people]


def _filed_by_clerk(
    world: World, titles: list[str], creators: list[str], helpers: tuple[str, ...] = ()
) -> list[int]:
    """Records the clerk files on behalf of their creators and contributors."""
    ids = []
    with world.runtime.uow() as s:
        for title in titles:
            doc = file_text(s, world.runtime, "FIN-AP-INV", title, actor=world.people["clerk"])
            add_people(s, doc, creators, "creator")
            add_people(s, doc, list(helpers), "contributor")
            ids.append(doc)
    return ids


def test_every_named_creator_and_contributor_is_credited_and_the_filer_is_not(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    people(world, "xavier", "yusuf", "zara")
    paper = tmp_path / "paper.txt"
    paper.write_text("Culvert inspection\n\nA survey of culvert blockages.\n", encoding="utf-8")
    result = cli(
        "ingest", str(paper), "--into", "FIN-AP-INV", "--as", "recman",
        "--creator", "xavier", "--creator", "yusuf", "--contributor", "zara",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    found = cli("expert", "find", "culvert", "inspection", "--json", "--as", "analyst")
    data = json.loads(found.stdout)
    ranked = [p["username"] for p in data["people"]]
    assert set(ranked) == {"xavier", "yusuf", "zara"}  # not recman, who only filed it
    assert ranked.index("zara") == 2  # a contributor counts for less than a creator
    vias = {p["username"]: p["evidence"][0]["via"] for p in data["people"]}
    assert vias == {"xavier": "creator", "yusuf": "creator", "zara": "contributor"}


def _hidden_record_created_by_wendy(world: World) -> None:
    """An HR case record (the clerk may not see it) that names wendy its creator."""
    with world.runtime.uow() as s:
        hidden = file_text(
            s,
            world.runtime,
            "HR-CASE-DIS",
            "Culvert collapse grievance",
            actor=world.people["recman"],
        )
        add_people(s, hidden, ["wendy"], "creator")


def test_a_creator_gets_no_credit_from_a_record_the_asker_cannot_see(world: World) -> None:
    people(world, "wendy")
    _hidden_record_created_by_wendy(world)
    assert "wendy" not in _ranked(_find(world, "clerk", "culvert collapse"))
    as_hr = _find(world, "hrofficer", "culvert collapse")
    assert "wendy" in _ranked(as_hr)


def test_a_hidden_record_adds_nothing_to_a_visible_creators_score(world: World) -> None:
    people(world, "wendy")
    _filed_by_clerk(world, ["Culvert collapse survey"], ["wendy"])
    before = _find(world, "clerk", "culvert collapse").people[0]
    _hidden_record_created_by_wendy(world)
    after = _find(world, "clerk", "culvert collapse").people[0]
    assert after.username == "wendy" and after.records == before.records == 1
    assert after.score == before.score


def test_a_person_is_scored_on_all_their_records_not_only_the_engines_top_hits(
    world: World,
) -> None:
    people(world, "xavier")
    author(world, "xavier", [f"Culvert inspection report {n}" for n in range(4)])
    found = _find(world, "clerk", "culvert inspection", depth=1)
    assert _ranked(found) == ["xavier"]
    assert found.people[0].records == 4


def test_a_prolific_person_does_not_win_by_volume(world: World) -> None:
    people(world, "xavier", "yusuf")
    _filed_by_clerk(world, ["Culvert inspection method", "Culvert inspection results"], ["xavier"])
    _filed_by_clerk(world, ["Culvert inspection note"], ["yusuf"])
    _filed_by_clerk(
        world, [f"Canteen rota {n} for staff" for n in range(12)] + ["Culvert repair"], ["yusuf"]
    )
    assert _ranked(_find(world, "clerk", "culvert inspection"))[:2] == ["xavier", "yusuf"]


def test_a_question_keeps_its_phrases(world: World) -> None:
    people(world, "xavier", "yusuf")
    _filed_by_clerk(world, ["Flood risk modelling for the estuary"], ["xavier"])
    _filed_by_clerk(world, ["Risk of delay to the flood barrier modelling"], ["yusuf"])
    found = _find(world, "clerk", "who has done flood risk modelling?")
    assert _ranked(found)[:2] == ["xavier", "yusuf"]


def test_an_endorsed_skill_stays_visible_but_does_not_outrank_strong_records(
    world: World,
) -> None:
    people(world, "xavier", "zara")
    author(world, "xavier", [f"Procurement tender evaluation {n}" for n in range(5)])
    with world.runtime.uow() as s:
        skill_id = skill(s, world, "zara", "commercial.procurement", level=4)
        endorse_skill(s, world, "clerk", skill_id)
    found = _find(world, "analyst", "procurement tender evaluation")
    assert _ranked(found)[:2] == ["xavier", "zara"]
    assert found.people[1].kinds == ("endorsed",)
