"""Who sees what: clearance at least the marking AND the file-plan access rule admits a group.

Roles never bypass access rules; only the system principal sees everything. (The web layer's
404s are tested with the web tests.)
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from edrm.access import (
    SYSTEM,
    Principal,
    document_filter,
    get_visible_document,
    get_visible_node,
    may_change_document,
    may_see_document,
    may_see_node,
)
from edrm.documents.models import Document
from edrm.documents.service import list_in_node
from edrm.errors import NotFoundError
from edrm.fileplan.service import get_node
from tests.conftest import World

ALL_DOCS = {"invoice", "sensitive", "secret", "discipline", "old"}

# Who sees which of the world's documents.
EXPECTED = {
    "clerk": {"invoice", "old"},
    "analyst": {"invoice", "old", "sensitive"},
    "hrofficer": {"invoice", "old", "sensitive", "discipline"},
    "recman": ALL_DOCS,
    "admin": {"invoice", "old", "sensitive", "secret"},
}


def _principal(world: World, name: str) -> Principal:
    return SYSTEM if name == "system" else world.people[name]


def _visible(session: Session, world: World, principal: Principal) -> set[str]:
    ids = set(session.scalars(select(Document.id).where(document_filter(session, principal))))
    return {name for name, doc_id in world.docs.items() if doc_id in ids}


def _sees(session: Session, world: World, person: str, doc: str) -> bool:
    document = session.get(Document, world.docs[doc])
    assert document is not None
    return may_see_document(_principal(world, person), document)


def _count_in(session: Session, world: World, person: str, code: str) -> int:
    _docs, total = list_in_node(session, get_node(session, code), _principal(world, person))
    return total


@pytest.mark.parametrize("person", sorted(EXPECTED))
def test_may_see_document_follows_clearance_and_access_rules(
    world: World, session: Session, person: str
) -> None:
    seen = {doc for doc in ALL_DOCS if _sees(session, world, person, doc)}
    assert seen == EXPECTED[person]


@pytest.mark.parametrize("person", sorted(EXPECTED))
def test_the_document_filter_agrees_with_may_see_document(
    world: World, session: Session, person: str
) -> None:
    assert _visible(session, world, world.people[person]) == EXPECTED[person]


def test_a_clerk_sees_official_documents_only(world: World, session: Session) -> None:
    assert _sees(session, world, "clerk", "invoice")
    assert _sees(session, world, "clerk", "old")
    assert not _sees(session, world, "clerk", "sensitive")
    assert not _sees(session, world, "clerk", "secret")
    assert not _sees(session, world, "clerk", "discipline")


def test_an_analyst_sees_sensitive_but_not_secret_nor_hr_cases(
    world: World, session: Session
) -> None:
    assert _sees(session, world, "analyst", "sensitive")
    assert not _sees(session, world, "analyst", "secret")
    assert not _sees(session, world, "analyst", "discipline")


def test_an_hr_officer_sees_discipline_cases(world: World, session: Session) -> None:
    assert _sees(session, world, "hrofficer", "discipline")
    assert not _sees(session, world, "hrofficer", "secret")


def test_a_records_manager_with_secret_clearance_in_hr_sees_secret_and_discipline(
    world: World, session: Session
) -> None:
    assert _sees(session, world, "recman", "secret")
    assert _sees(session, world, "recman", "discipline")


def test_an_administrator_does_not_see_what_the_access_rule_excludes(
    world: World, session: Session
) -> None:
    assert _sees(session, world, "admin", "secret")
    assert not _sees(session, world, "admin", "discipline")


def test_the_system_principal_sees_everything(world: World, session: Session) -> None:
    assert all(_sees(session, world, "system", doc) for doc in ALL_DOCS)
    assert _visible(session, world, SYSTEM) == ALL_DOCS


def test_get_visible_document_returns_a_visible_document(world: World, session: Session) -> None:
    document = get_visible_document(session, world.people["clerk"], world.docs["invoice"])
    assert document.id == world.docs["invoice"]


def test_a_hidden_document_is_not_found_just_like_a_missing_one(
    world: World, session: Session
) -> None:
    clerk = world.people["clerk"]
    hidden_id = world.docs["secret"]
    missing_id = max(world.docs.values()) + 1000
    with pytest.raises(NotFoundError) as hidden:
        get_visible_document(session, clerk, hidden_id)
    with pytest.raises(NotFoundError) as missing:
        get_visible_document(session, clerk, missing_id)
    assert str(hidden.value) == f"document {hidden_id} not found"
    assert str(missing.value) == f"document {missing_id} not found"


def test_a_document_hidden_by_an_access_rule_is_not_found(world: World, session: Session) -> None:
    with pytest.raises(NotFoundError, match="not found"):
        get_visible_document(session, world.people["admin"], world.docs["discipline"])


@pytest.mark.parametrize(
    ("person", "code", "count"),
    [
        ("clerk", "FIN-AP-INV", 0),
        ("analyst", "FIN-AP-INV", 1),
        ("clerk", "FIN-AP-INV-2024", 1),
        ("clerk", "FIN-AP-INV-2019", 1),
        ("analyst", "SEC-OPS-INC", 0),
        ("admin", "SEC-OPS-INC", 1),
        ("recman", "SEC-OPS-INC", 1),
        ("analyst", "HR-CASE-DIS", 0),
        ("admin", "HR-CASE-DIS", 0),
        ("hrofficer", "HR-CASE-DIS", 1),
        ("recman", "HR-CASE-DIS", 1),
        ("system", "HR-CASE-DIS", 1),
    ],
)
def test_listing_a_node_counts_only_what_the_person_may_see(
    world: World, session: Session, person: str, code: str, count: int
) -> None:
    docs, total = list_in_node(session, get_node(session, code), _principal(world, person))
    assert total == count
    assert len(docs) == count


def test_the_document_filter_counts_in_sql(world: World, session: Session) -> None:
    for person, expected in EXPECTED.items():
        total = session.scalar(
            select(func.count())
            .select_from(Document)
            .where(document_filter(session, world.people[person]))
        )
        assert total == len(expected), person


def test_a_restricted_node_is_hidden_with_everything_below_it(
    world: World, session: Session
) -> None:
    clerk = world.people["clerk"]
    assert may_see_node(clerk, get_node(session, "HR"))
    assert not may_see_node(clerk, get_node(session, "HR-CASE"))
    assert not may_see_node(clerk, get_node(session, "HR-CASE-DIS"))
    with pytest.raises(NotFoundError):
        get_visible_node(session, clerk, "HR-CASE-DIS")
    assert get_visible_node(session, world.people["hrofficer"], "HR-CASE-DIS").code == (
        "HR-CASE-DIS"
    )


def test_someone_who_cannot_see_a_document_cannot_change_it(world: World, session: Session) -> None:
    document = session.get(Document, world.docs["discipline"])
    assert document is not None
    assert not may_change_document(world.people["admin"], document)
    assert may_change_document(world.people["recman"], document)
