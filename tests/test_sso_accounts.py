"""Which account a provider's subject signs in as (issue 13 part 1), on every database: the
service behind the SSO pages, given claims as the provider's validated ID token would."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from edrm.people.oidc_claims import ClaimMapping
from edrm.people.oidc_provider import SsoRefusal
from edrm.people.roles import Role
from edrm.people.sso import SsoPolicy, sso_sign_in
from tests.conftest import add_person

POLICY = SsoPolicy(
    "https://login.example.gov.uk", ClaimMapping(role_map={"Edrm.User": Role.CIVIL_SERVANT})
)


def claims(sub: str, name: str) -> dict[str, object]:
    return {"sub": sub, "preferred_username": f"{name}@dept.gov.uk", "roles": ["Edrm.User"]}


def test_an_account_made_before_sso_is_linked_and_then_known_by_its_subject(
    session: Session,
) -> None:
    add_person(session, "clerk", "records_manager", "SECRET")
    linked = sso_sign_in(session, claims("s-1", "clerk"), POLICY)
    assert (linked.username, linked.role_value) == ("clerk", "civil_servant")
    renamed = sso_sign_in(session, claims("s-1", "clerk.renamed"), POLICY)
    assert renamed.id == linked.id  # the subject, not the name, says who it is


def test_a_name_already_linked_to_another_subject_is_refused(session: Session) -> None:
    sso_sign_in(session, claims("s-1", "pat"), POLICY)
    with pytest.raises(SsoRefusal, match="already used by another account"):
        sso_sign_in(session, claims("s-2", "pat"), POLICY)


def test_a_name_reserved_for_the_audit_trail_is_refused(session: Session) -> None:
    with pytest.raises(SsoRefusal, match="no account can be made for you"):
        sso_sign_in(session, claims("s-3", "anonymous"), POLICY)
