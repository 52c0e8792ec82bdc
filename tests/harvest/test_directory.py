"""The expertise directory: HR data from CSV, skills from the taxonomy or free tags with levels,
endorsements, the opt-out of inferred expertise, and the `edrm people` commands."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from edrm.audit import AuditEvent
from edrm.errors import InvalidInputError, NotFoundError, RefusedError
from edrm.settings import DEFAULT_CONFIG_DIR
from harvest.directory.hr_import import import_people
from harvest.directory.profiles import get_profile, set_opt_out
from harvest.directory.public_profile import profile_as_dict
from harvest.directory.skills import declare_skill, endorse
from harvest.directory.taxonomy import load_taxonomy
from harvest.inference import recompute
from harvest.models import InferredExpertise, Skill
from tests.conftest import Cli, World, file_text
from tests.harvest.directory_helpers import author, people, skill, taxonomy

HEADER = "username,name,unit,location,role,manager,start_date,leaving_date\n"


def _import(world: World, rows: str, who: str = "hrofficer") -> None:
    with world.runtime.uow() as s:
        import_people(s, world.people[who], HEADER + rows)


def test_the_taxonomy_in_config_has_areas_and_skills_with_keywords() -> None:
    found = load_taxonomy(DEFAULT_CONFIG_DIR / "skills.toml")
    assert len(found.areas) >= 8 and len(found.skills) >= 30
    procurement = found.skills["commercial.procurement"]
    assert procurement.title == "Procurement"
    assert "tender" in procurement.keywords
    assert all(s.area in {a.code for a in found.areas} for s in found.skills.values())


def test_hr_imports_people_from_csv(world: World) -> None:
    _import(
        world,
        "clerk,Carol Clerk,Finance Directorate,Leeds,Accounts officer,analyst,2019-04-01,\n"
        "analyst,Anil Analyst,Finance Directorate,London,Senior analyst,,01/09/2015,\n",
    )
    with world.runtime.uow() as s:
        profile, _user = get_profile(s, "clerk")
        assert (profile.name, profile.unit, profile.location, profile.role_title) == (
            "Carol Clerk",
            "Finance Directorate",
            "Leeds",
            "Accounts officer",
        )
        assert profile.start_date == date(2019, 4, 1)
        manager, _ = get_profile(s, "analyst")
        assert profile.manager_id == manager.id
        assert manager.start_date == date(2015, 9, 1)


def test_importing_again_updates_the_same_profiles(world: World) -> None:
    _import(world, "clerk,Carol Clerk,Finance,Leeds,Officer,,,\n")
    with world.runtime.uow() as s:
        result = import_people(
            s, world.people["hrofficer"], HEADER + "clerk,Carol,Audit,York,,,,\n"
        )
        assert (result.created, result.updated) == (0, 1)
        assert get_profile(s, "clerk")[0].unit == "Audit"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("clerk,C,U,L,R,,2019-13-01,\n", "row 1: start_date '2019-13-01' is not a date"),
        ("clerk,C,U,L,R,,,\nnobody,N,U,L,R,,,\n", "row 2: no user account 'nobody'"),
        ("clerk,C,U,L,R,ghost,,\n", "row 1: manager 'ghost' has no account"),
        ("clerk,C,U,L,R,,,\nclerk,C,U,L,R,,,\n", "row 2: 'clerk' appears again"),
        (",C,U,L,R,,,\n", "row 1: the username is missing"),
        ("clerk,C,U,L,R,,2020-01-01,2019-01-01\n", "row 1: leaving_date is before start_date"),
    ],
)
def test_a_bad_row_stops_the_import_and_is_named(world: World, rows: str, message: str) -> None:
    with world.runtime.uow() as s, pytest.raises(InvalidInputError, match=message):
        import_people(s, world.people["hrofficer"], HEADER + rows)


def test_an_unknown_column_is_refused(world: World) -> None:
    with (
        world.runtime.uow() as s,
        pytest.raises(InvalidInputError, match="unknown column 'salary'"),
    ):
        import_people(s, world.people["hrofficer"], "username,salary\nclerk,1\n")


def test_only_hr_and_administrators_import(world: World) -> None:
    with world.runtime.uow() as s, pytest.raises(RefusedError):
        import_people(s, world.people["clerk"], HEADER + "clerk,C,U,L,R,,,\n")


def test_a_person_declares_taxonomy_skills_and_free_tags_with_levels(world: World) -> None:
    with world.runtime.uow() as s:
        tx = taxonomy(world)
        declared = declare_skill(s, world.people["clerk"], tx, "Procurement", 4)
        tag = declare_skill(s, world.people["clerk"], tx, "Welsh language", "2")
        again = declare_skill(s, world.people["clerk"], tx, "commercial.procurement", 3)
        assert (declared.name, declared.is_tag) == ("commercial.procurement", False)
        assert (tag.name, tag.is_tag) == ("welsh language", True)
        assert again.id == declared.id and again.level == 3
        data = profile_as_dict(s, tx, world.people["analyst"], "clerk")
    assert [(x["title"], x["level"], x["kind"]) for x in data["skills"]] == [
        ("Procurement", 3, "declared"),
        ("welsh language", 2, "declared"),
    ]


def test_a_level_outside_1_to_4_is_refused(world: World) -> None:
    with world.runtime.uow() as s, pytest.raises(InvalidInputError, match="level"):
        declare_skill(s, world.people["clerk"], taxonomy(world), "Procurement", 5)


def test_a_colleague_endorses_a_skill_once_and_never_their_own(world: World) -> None:
    with world.runtime.uow() as s:
        skill_id = skill(s, world, "clerk", "finance.accounts-payable")
        endorse(s, world.people["analyst"], skill_id)
        endorse(s, world.people["analyst"], skill_id)  # once only
        with pytest.raises(RefusedError):
            endorse(s, world.people["clerk"], skill_id)
        data = profile_as_dict(s, taxonomy(world), world.people["admin"], "clerk")
        actions = s.scalars(select(AuditEvent.action)).all()
    assert data["skills"][0]["kind"] == "endorsed"
    assert data["skills"][0]["endorsed_by"] == ["Analyst"]
    assert "profile.endorse" in actions and "profile.skill" in actions


def test_opting_out_removes_inferred_expertise_and_keeps_it_away(world: World) -> None:
    people(world, "xavier")
    author(world, "xavier", ["Drainage survey", "Drainage works order"])
    with world.runtime.uow() as s:
        recompute(s)
        pid = get_profile(s, "xavier")[0].id
        assert s.scalars(select(InferredExpertise).where(InferredExpertise.profile_id == pid)).all()
        set_opt_out(s, world.people["xavier"], True)
        recompute(s)
        assert not s.scalars(
            select(InferredExpertise).where(InferredExpertise.profile_id == pid)
        ).all()
        data = profile_as_dict(s, taxonomy(world), world.people["clerk"], "xavier")
    assert data["opted_out"] is True
    assert data["inferred"] == {"topics": [], "classes": []}


def test_the_system_has_no_profile_to_change(world: World) -> None:
    from edrm.access import SYSTEM

    with world.runtime.uow() as s, pytest.raises(RefusedError):
        declare_skill(s, SYSTEM, taxonomy(world), "Procurement", 2)


def test_an_unknown_person_is_not_found(world: World) -> None:
    with world.runtime.uow() as s, pytest.raises(NotFoundError):
        get_profile(s, "nobody")


# --- the CLI ----------------------------------------------------------------------------------


def test_people_import_cli_imports_and_names_a_bad_row(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    good = tmp_path / "hr.csv"
    good.write_text(HEADER + "clerk,Carol Clerk,Finance,Leeds,Officer,,2019-04-01,\n")
    out = cli("people", "import", str(good))
    assert out.exit_code == 0, out.output
    assert "edrm: imported 1 person (1 new, 0 updated)" in out.output

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "clerk,C,U,L,R,,,\nanalyst,A,U,L,R,,someday,\n")
    out = cli("people", "import", str(bad))
    assert out.exit_code == 1
    assert (
        out.output.strip()
        == "edrm: error: row 2: start_date 'someday' is not a date (use YYYY-MM-DD)"
    )


def test_people_import_cli_as_a_civil_servant_is_refused(
    world: World, cli: Cli, tmp_path: Path
) -> None:
    good = tmp_path / "hr.csv"
    good.write_text(HEADER + "clerk,Carol Clerk,Finance,Leeds,Officer,,,\n")
    out = cli("people", "import", str(good), "--as", "clerk")
    assert out.exit_code == 1
    assert "only HR" in out.output


def test_people_show_cli_as_json(world: World, cli: Cli) -> None:
    assert cli("people", "skill", "Procurement", "--level", "4", "--as", "clerk").exit_code == 0
    assert cli("people", "endorse", "clerk", "Procurement", "--as", "analyst").exit_code == 0
    out = cli("people", "show", "clerk", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["username"] == "clerk"
    assert data["skills"][0]["skill"] == "commercial.procurement"
    assert data["skills"][0]["kind"] == "endorsed"
    text = cli("people", "show", "clerk")
    assert "Procurement — Expert (endorsed, endorsed by 1)" in text.output


def test_people_opt_out_cli(world: World, cli: Cli) -> None:
    assert cli("people", "opt-out", "--as", "clerk").exit_code == 0
    with world.runtime.uow() as s:
        assert get_profile(s, "clerk")[0].opted_out is True
        assert s.scalars(select(Skill)).all() == []


def test_the_demo_directory_gives_demo_people_profiles_skills_and_endorsements(
    world: World,
) -> None:
    from harvest.demo import load_demo_directory

    people(world, "asmith", "dwilliams", "fnowak")
    message = load_demo_directory(world.runtime)
    assert "endorsements" in message
    with world.runtime.uow() as s:
        data = profile_as_dict(s, taxonomy(world), world.people["clerk"], "dwilliams")
    assert data["location"] == "Cardiff" and data["role"] == "Commercial lead"
    procurement = next(x for x in data["skills"] if x["skill"] == "commercial.procurement")
    assert procurement["kind"] == "endorsed" and procurement["endorsements"] == 2
    assert load_demo_directory(world.runtime) == "the demo directory is already loaded"


def test_inferred_topics_leave_out_names_codes_and_fragments(world: World) -> None:
    """Issue 12 item 11: people's names from the directory, parts of reference codes
    (CON-2020-0117, TND-2025-14) and short fragments are never inferred topics."""
    people(world, "xavier", "dafydd")
    body = (
        "Drainage survey for Dafydd, ref CON-2020-0117 and TND-2025-14.\n\n"
        "Dafydd's drainage culvert survey, with Xavier. PDF via TNDR. Con."
    )
    with world.runtime.uow() as s:
        for n in range(3):
            file_text(
                s,
                world.runtime,
                "FIN-AP-INV",
                f"Drainage culvert survey {n}",
                actor=world.people["xavier"],
                body=body,
            )
        recompute(s)
        pid = get_profile(s, "xavier")[0].id
        topics = set(
            s.scalars(
                select(InferredExpertise.key).where(
                    InferredExpertise.profile_id == pid, InferredExpertise.kind == "term"
                )
            )
        )
    assert {"drainage", "culvert", "survey"} <= topics
    assert not topics & {"dafydd", "dafydds", "xavier", "con", "tnd", "tndr", "pdf", "ref"}


def test_topic_words_keep_short_words_written_in_lower_case() -> None:
    """Issue 12 item 11: a three-letter word is a topic when written as a word ("tax"), not
    when it is a capitalised fragment ("CON") or has no vowel."""
    from harvest.terms import topic_words

    assert topic_words("Council tax arrears. CON and TND.", frozenset()) == [
        "council",
        "tax",
        "arrears",
    ]
    assert topic_words("Ask Williams about rates", frozenset({"williams"})) == ["rates"]
