"""Small pieces the directory and expert-search tests share."""

from __future__ import annotations

from sqlalchemy.orm import Session

from edrm.access import Principal
from edrm.runtime import Runtime
from edrm.search_indexer import apply_outbox
from harvest.directory.skills import declare_skill, endorse
from harvest.directory.taxonomy import Taxonomy, taxonomy_for
from tests.conftest import World, add_person, file_text


def index(runtime: Runtime) -> None:
    """Make everything filed so far searchable."""
    apply_outbox(runtime.sessions, runtime.search)


def people(world: World, *names: str, clearance: str = "OFFICIAL") -> dict[str, Principal]:
    """Civil servants added to the world (and to world.people)."""
    with world.runtime.uow() as s:
        for name in names:
            world.people[name] = add_person(s, name, "civil_servant", clearance)
    return {n: world.people[n] for n in names}


def author(world: World, who: str, titles: list[str], into: str = "FIN-AP-INV") -> list[int]:
    """Records filed (and so created) by `who`."""
    with world.runtime.uow() as s:
        return [file_text(s, world.runtime, into, t, actor=world.people[who]) for t in titles]


def taxonomy(world: World) -> Taxonomy:
    return taxonomy_for(world.runtime.settings)


def skill(session: Session, world: World, who: str, name: str, level: int = 3) -> int:
    return declare_skill(session, world.people[who], taxonomy(world), name, level).id


def endorse_skill(session: Session, world: World, by: str, skill_id: int) -> None:
    endorse(session, world.people[by], skill_id)
