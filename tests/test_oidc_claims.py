"""What a provider's claims make of a person (issue 13 part 1): the pure mapping."""

from __future__ import annotations

import pytest

from edrm.markings import Marking
from edrm.people.oidc_claims import (
    Admitted,
    ClaimMapping,
    Refused,
    admit,
    pairs,
    parse_role_map,
    username_from,
)
from edrm.people.roles import Role

ROLES = {"Edrm.User": Role.CIVIL_SERVANT, "Edrm.Records": Role.RECORDS_MANAGER}
MAPPING = ClaimMapping(
    role_map=ROLES, clearance_claim="clearance", allowed_domains=frozenset({"dept.gov.uk"})
)


def claims(**extra: object) -> dict[str, object]:
    return {
        "sub": "s-1",
        "preferred_username": "Ada.Lovelace@dept.gov.uk",
        "email": "ada.lovelace@dept.gov.uk",
        "name": "Ada Lovelace",
        "roles": ["Edrm.User"],
        **extra,
    }


def test_a_person_with_a_mapped_role_is_admitted_with_a_username_from_their_claim() -> None:
    got = admit(claims(groups=["legal"], clearance="SECRET"), MAPPING)
    assert got == Admitted(
        "ada.lovelace",
        "Ada Lovelace",
        "ada.lovelace@dept.gov.uk",
        Role.CIVIL_SERVANT,
        Marking.SECRET,
        ("legal",),
    )


def test_the_strongest_of_several_mapped_roles_wins() -> None:
    got = admit(claims(roles=["Edrm.User", "Edrm.Records", "Other.App"]), MAPPING)
    assert isinstance(got, Admitted) and got.role is Role.RECORDS_MANAGER


def test_a_role_claim_given_as_one_string_counts() -> None:
    got = admit(claims(roles="Edrm.Records"), MAPPING)
    assert isinstance(got, Admitted) and got.role is Role.RECORDS_MANAGER


def test_no_mapped_role_is_refused_naming_the_person() -> None:
    got = admit(claims(roles=["Other.App"]), MAPPING)
    assert got == Refused(
        "the provider gives no role that admits you to this service", "ada.lovelace"
    )


def test_a_domain_not_allowed_is_refused() -> None:
    got = admit(claims(email="ada@elsewhere.example"), MAPPING)
    assert isinstance(got, Refused) and "elsewhere.example" in got.reason


def test_any_domain_is_admitted_when_none_are_listed() -> None:
    open_mapping = ClaimMapping(role_map=ROLES)
    assert isinstance(admit(claims(email="ada@elsewhere.example"), open_mapping), Admitted)


def test_claims_that_name_nobody_are_refused() -> None:
    got = admit({"sub": "s-1", "roles": ["Edrm.User"]}, MAPPING)
    assert isinstance(got, Refused) and "preferred_username" in got.reason


def test_a_missing_or_unknown_clearance_is_the_default_one() -> None:
    for value in (None, "", "ULTRA"):
        got = admit(claims(clearance=value), MAPPING)
        assert isinstance(got, Admitted) and got.clearance is Marking.OFFICIAL


def test_a_group_map_renames_groups_and_drops_the_unmapped() -> None:
    mapping = ClaimMapping(role_map=ROLES, group_map={"9f1c-guid": "hr"})
    got = admit(claims(groups=["9f1c-guid", "0000-other"]), mapping)
    assert isinstance(got, Admitted) and got.groups == ("hr",)


def test_usernames_keep_only_the_characters_an_account_name_may_have() -> None:
    assert username_from("O'Brien, Pat@dept.gov.uk") == "o-brien-pat"
    assert username_from("UPPER.case") == "upper.case"


def test_mappings_are_read_from_value_equals_name_pairs() -> None:
    assert parse_role_map("Edrm.User = civil_servant, Edrm.Admin=administrator") == {
        "Edrm.User": Role.CIVIL_SERVANT,
        "Edrm.Admin": Role.ADMINISTRATOR,
    }
    with pytest.raises(ValueError, match="oidc_group_map"):
        pairs("just-a-value", "oidc_group_map")
    with pytest.raises(ValueError, match="unknown role"):
        parse_role_map("Edrm.User=overlord")
