"""Expert search: people ranked by the records they created that match (as the asker may see
them), with declared and endorsed skills, each strand labelled; the CLI and its batch mode."""

from __future__ import annotations

import json

from edrm.access import Principal
from harvest.directory.profiles import set_opt_out
from harvest.expert_search import ExpertResult, find_experts, query_words
from tests.conftest import Cli, World, file_text
from tests.harvest.directory_helpers import author, endorse_skill, index, people, skill, taxonomy


def _find(world: World, asker: str | Principal, text: str, limit: int = 10) -> ExpertResult:
    rt = world.runtime
    index(rt)
    who = world.people[asker] if isinstance(asker, str) else asker
    with rt.uow() as s:
        return find_experts(s, rt, who, text, limit=limit, taxonomy=taxonomy(world))


def _by_name(result: ExpertResult) -> dict[str, object]:
    return {p.username: p for p in result.people}


def test_scenario_6_x_with_five_relevant_records_ranks_above_y_with_one(world: World) -> None:
    people(world, "xavier", "yusuf")
    x_docs = author(
        world,
        "xavier",
        [f"Flood defence procurement note {n}" for n in range(5)],
    )
    y_docs = author(world, "yusuf", ["Flood defence procurement summary"])
    author(world, "yusuf", ["Canteen rota for March"])

    result = _find(world, "clerk", "who knows about flood defence procurement?")

    ranked = [p.username for p in result.people]
    assert ranked[:2] == ["xavier", "yusuf"]
    x, y = result.people[0], result.people[1]
    assert x.score > y.score
    assert {e.document_id for e in x.evidence if e.kind == "inferred"} == set(x_docs)
    assert {e.document_id for e in y.evidence if e.kind == "inferred"} == set(y_docs)
    assert x.records == 5 and y.records == 1
    assert all(e.title.startswith("Flood defence procurement") for e in x.evidence)


def test_scenario_7_only_an_endorsed_skill_is_labelled_endorsed_not_inferred(
    world: World,
) -> None:
    people(world, "zara", "xavier")
    with world.runtime.uow() as s:
        skill_id = skill(s, world, "zara", "commercial.procurement", level=3)
        endorse_skill(s, world, "xavier", skill_id)

    result = _find(world, "clerk", "procurement")

    zara = _by_name(result)["zara"]
    assert zara.kinds == ("endorsed",)  # type: ignore[attr-defined]
    assert [e.skill for e in zara.evidence] == ["commercial.procurement"]  # type: ignore[attr-defined]
    assert zara.evidence[0].endorsements == 1  # type: ignore[attr-defined]
    assert zara.records == 0  # type: ignore[attr-defined]


def test_a_skill_nobody_endorsed_is_labelled_declared(world: World) -> None:
    people(world, "zara")
    with world.runtime.uow() as s:
        skill(s, world, "zara", "policy.flood-risk", level=4)
    zara = _by_name(_find(world, "clerk", "coastal flooding"))["zara"]
    assert zara.kinds == ("declared",)  # type: ignore[attr-defined]


def test_scenario_8_a_record_the_asker_cannot_see_is_neither_counted_nor_shown(
    world: World,
) -> None:
    people(world, "wendy", "xavier")
    with world.runtime.uow() as s:
        # Discipline cases are open to the hr group only: the clerk cannot see this one.
        hidden = file_text(
            s,
            world.runtime,
            "HR-CASE-DIS",
            "Flood damage discipline case",
            actor=world.people["recman"],
        )
    with world.runtime.uow() as s:
        from edrm.documents.models import Document

        s.get(Document, hidden).creator = "wendy"
    seen = author(world, "xavier", ["Flood damage survey"])

    as_clerk = _find(world, "clerk", "flood damage")
    evidence = [e.document_id for p in as_clerk.people for e in p.evidence]
    assert hidden not in evidence
    assert "wendy" not in _by_name(as_clerk)
    assert evidence == seen
    assert as_clerk.records == 1

    # Someone who may see it finds it, and its creator.
    as_hr = _find(world, "hrofficer", "flood damage")
    assert "wendy" in _by_name(as_hr)
    assert hidden in [e.document_id for p in as_hr.people for e in p.evidence]


def test_scenario_9_a_person_who_opted_out_appears_only_through_declared_skills(
    world: World,
) -> None:
    people(world, "olga", "xavier")
    author(world, "olga", [f"Tender evaluation report {n}" for n in range(3)])
    author(world, "olga", ["Estates lease renewal"])
    author(world, "xavier", ["Tender evaluation guidance"])
    with world.runtime.uow() as s:
        skill(s, world, "olga", "commercial.procurement", level=4)
        set_opt_out(s, world.people["olga"], True)

    olga = _by_name(_find(world, "clerk", "tender evaluation"))["olga"]
    assert olga.kinds == ("declared",)  # type: ignore[attr-defined]
    assert all(e.kind == "declared" for e in olga.evidence)  # type: ignore[attr-defined]
    # Her records alone no longer put her anywhere.
    assert "olga" not in _by_name(_find(world, "clerk", "lease renewal"))
    # Others still gain from records like hers.
    assert "xavier" in _by_name(_find(world, "clerk", "tender evaluation"))


def test_a_record_shares_its_relevance_among_creator_and_filer(world: World) -> None:
    people(world, "xavier", "yusuf")
    with world.runtime.uow() as s:
        import io

        from edrm.documents.service import NewDocument, add_document

        add_document(
            s,
            world.runtime.blobs,
            io.BytesIO(b"text"),
            NewDocument(
                filename="m.txt", into_code="FIN-AP-INV", title="Drainage survey", creator="Xavier"
            ),
            actor=world.people["yusuf"],
        )
    found = _by_name(_find(world, "clerk", "drainage"))
    assert found["xavier"].score > found["yusuf"].score  # type: ignore[attr-defined]
    assert found["xavier"].evidence[0].via == "creator"  # type: ignore[attr-defined]
    assert found["yusuf"].evidence[0].via == "filer"  # type: ignore[attr-defined]


def test_a_long_question_is_reduced_to_its_most_informative_words(world: World) -> None:
    people(world, "xavier")
    author(world, "xavier", ["Culvert inspection schedule", "Culvert blockage report"])
    author(world, "xavier", [f"Budget note {n} for the report" for n in range(6)])
    paragraph = (
        "We have a problem with a blocked culvert near the depot and I need someone who has "
        "dealt with culvert inspections before, ideally in the last few years, because the "
        "report we have is out of date and the budget holder wants a note on what to do next "
        "and how much it will cost, and whether the schedule can be brought forward."
    )
    rt = world.runtime
    index(rt)
    with rt.uow() as s:
        chosen = query_words(s, rt, world.people["clerk"], paragraph)
    assert len(chosen) <= 6
    assert "culvert" in chosen
    assert "depot" not in chosen  # no record the asker may see uses it
    result = _find(world, "clerk", paragraph)
    assert result.people[0].username == "xavier"
    assert result.people[0].evidence[0].title.startswith("Culvert")


def test_a_person_who_left_is_marked_with_their_successor(world: World) -> None:
    from datetime import date

    from harvest.leavers import register_leaver

    people(world, "xavier", "yusuf")
    author(world, "xavier", ["Drainage survey"])
    with world.runtime.uow() as s:
        register_leaver(
            s,
            "xavier",
            date(2020, 1, 31),
            successor="yusuf",
            reason="retired",
            actor=world.people["hrofficer"],
        )
    xavier = _by_name(_find(world, "clerk", "drainage"))["xavier"]
    assert xavier.left and xavier.successor == "yusuf"  # type: ignore[attr-defined]
    assert "retired" not in json.dumps(xavier.as_dict())  # type: ignore[attr-defined]


def test_expert_find_cli_prints_people_with_evidence_as_json(world: World, cli: Cli) -> None:
    people(world, "xavier")
    docs = author(world, "xavier", ["Drainage survey", "Drainage works order"])

    out = cli("expert", "find", "drainage", "--as", "clerk", "--limit", "3", "--json")

    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    person = data["people"][0]
    assert {"username", "name", "score", "evidence"} <= set(person)
    assert person["username"] == "xavier"
    assert {e["document_id"] for e in person["evidence"]} == set(docs)
    assert {e["kind"] for e in person["evidence"]} == {"inferred"}


def test_expert_find_batch_answers_one_json_line_per_query_in_order(
    world: World, cli: Cli, tmp_path
) -> None:
    people(world, "xavier", "yusuf")
    author(world, "xavier", ["Drainage survey"])
    author(world, "yusuf", ["Lease renewal"])
    queries = tmp_path / "q.txt"
    queries.write_text("drainage\nlease\n\nnothing matches this\n")

    out = cli("expert", "find", "--batch", str(queries), "--json", "--as", "clerk")

    assert out.exit_code == 0, out.output
    lines = [json.loads(line) for line in out.output.splitlines()]
    assert [line["query"] for line in lines] == ["drainage", "lease", "", "nothing matches this"]
    assert [[p["username"] for p in line["people"]] for line in lines] == [
        ["xavier"],
        ["yusuf"],
        [],
        [],
    ]


def test_expert_find_needs_a_query(cli: Cli, world: World) -> None:
    out = cli("expert", "find")
    assert out.exit_code == 1
    assert "give a QUERY" in out.output


def test_the_database_check_of_hits_matches_the_access_module(world: World) -> None:
    from sqlalchemy import select

    from edrm.access import may_see_document, visibility_for
    from edrm.documents.models import Document
    from harvest.expert_evidence import visible_in_database

    with world.runtime.uow() as s:
        triage = file_text(s, world.runtime, "FIN-AP-INV", "Waiting", actor=world.people["clerk"])
        s.get(Document, triage).node_id = None
    with world.runtime.uow() as s:
        documents = s.scalars(select(Document)).all()
        for person in world.people.values():
            allowed = visible_in_database(visibility_for(s, person))
            found = set(s.scalars(select(Document.id).where(allowed)))
            assert found == {d.id for d in documents if may_see_document(person, d)}, person


def test_expert_find_cli_prints_each_strand_labelled(world: World, cli: Cli) -> None:
    people(world, "xavier")
    author(world, "xavier", ["Drainage survey"])
    with world.runtime.uow() as s:
        skill(s, world, "xavier", "policy.flood-risk", level=4)
    out = cli("expert", "find", "drainage", "--as", "clerk")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "Searched for: drainage"
    assert lines[1].startswith(" 1. Xavier (xavier)")
    assert any(line.split()[0] == "declared" and "Flood and coastal risk" in line for line in lines)
    assert any(line.split()[0] == "inferred" and "Drainage survey" in line for line in lines)


def test_the_asker_is_left_out_of_their_own_expert_results(world: World) -> None:
    """Issue 12 item 11: a person never sees themself in their own results (they asked for
    someone else); everyone else who knows still comes back."""
    people(world, "xavier", "yusuf")
    author(world, "xavier", [f"Flood defence procurement note {n}" for n in range(5)])
    author(world, "yusuf", ["Flood defence procurement summary"])

    mine = _find(world, "xavier", "flood defence procurement")
    theirs = _find(world, "clerk", "flood defence procurement")

    assert [p.username for p in mine.people] == ["yusuf"]
    assert [p.username for p in theirs.people][:2] == ["xavier", "yusuf"]
