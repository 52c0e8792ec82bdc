"""Over-long text is refused before it is stored, naming the field, on SQLite and PostgreSQL
alike (PostgreSQL would raise on its VARCHAR limit; SQLite would silently store)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from edrm.documents.models import Document
from edrm.documents.service import update_metadata
from edrm.errors import InvalidInputError
from edrm.people.models import User
from edrm.people.service import add_user
from retention.holds import place_hold
from retention.models import LegalHold
from tests.conftest import World, sign_in


def test_an_over_long_title_is_refused_naming_the_field(world: World) -> None:
    doc_id = world.docs["invoice"]
    with pytest.raises(InvalidInputError) as refused, world.runtime.uow() as s:
        update_metadata(s, doc_id, {"title": "T" * 501}, actor=world.people["recman"])
    assert str(refused.value) == "document title is too long: 501 characters (at most 500)"
    with world.runtime.uow() as s:
        stored = s.get(Document, doc_id)
        assert stored is not None and stored.title == "Invoice 1001 from Acme Ltd"


def test_an_over_long_subject_is_refused_naming_it(world: World) -> None:
    with (
        pytest.raises(InvalidInputError, match=r"^document subject is too long: 501 "),
        world.runtime.uow() as s,
    ):
        update_metadata(
            s, world.docs["invoice"], {"subject": "S" * 501}, actor=world.people["recman"]
        )


def test_a_title_of_exactly_the_limit_is_stored(world: World) -> None:
    with world.runtime.uow() as s:
        update_metadata(
            s, world.docs["invoice"], {"title": "T" * 500}, actor=world.people["recman"]
        )
    with world.runtime.uow() as s:
        stored = s.get(Document, world.docs["invoice"])
        assert stored is not None and stored.title == "T" * 500


def test_an_over_long_hold_authority_is_refused(world: World) -> None:
    with (
        pytest.raises(InvalidInputError, match=r"legal hold authority is too long: 301"),
        world.runtime.uow() as s,
    ):
        place_hold(
            s,
            reason="Litigation",
            authority="A" * 301,
            actor=world.people["recman"],
            document_id=world.docs["invoice"],
        )
    with world.runtime.uow() as s:
        assert s.scalar(select(func.count()).select_from(LegalHold)) == 0


def test_an_over_long_name_is_refused_when_changed_too(world: World) -> None:
    with world.runtime.uow() as s:
        add_user(s, "newcomer", "correct-horse-battery", "civil_servant", "OFFICIAL")
    with (
        pytest.raises(InvalidInputError, match=r"user full name is too long: 201"),
        world.runtime.uow() as s,
    ):
        user = s.scalar(select(User).where(User.username == "newcomer"))
        assert user is not None
        user.full_name = "N" * 201
    with world.runtime.uow() as s:
        user = s.scalar(select(User).where(User.username == "newcomer"))
        assert user is not None and user.full_name != "N" * 201


@pytest.mark.sqlite_only
def test_an_over_long_value_from_a_form_is_a_400_naming_it(
    client: FlaskClient, world: World
) -> None:
    """The holds page: the form's own limits aside, the service refuses what will not fit."""
    import re

    sign_in(client, "recman")
    page = client.get("/records-management/holds")
    token = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', page.text)
    assert token
    answer = client.post(
        "/records-management/holds",
        data={
            "csrf_token": token.group(1),
            "reason": "Litigation",
            "authority": "A" * 301,
            "document_id": str(world.docs["invoice"]),
        },
    )
    assert answer.status_code == 400
    assert "authority" in answer.text.lower()
