"""Roles a person holds in edrm, and what each may do beyond seeing records."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CIVIL_SERVANT = "civil_servant"
    RECORDS_MANAGER = "records_manager"
    HR = "hr"
    ADMINISTRATOR = "administrator"
    INFORMATION_RIGHTS_OFFICER = "information_rights_officer"

    @classmethod
    def parse(cls, value: str) -> Role:
        key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
        for role in cls:
            if key == role.value:
                return role
        choices = ", ".join(r.value for r in cls)
        raise ValueError(f"unknown role {value!r} (use one of: {choices})")

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def manages_records(self) -> bool:
        """Records managers and administrators maintain the file plan and see audit history."""
        return self in (Role.RECORDS_MANAGER, Role.ADMINISTRATOR)

    @property
    def handles_information_requests(self) -> bool:
        """Information-rights officers answer FOI, EIR and subject access requests; records
        managers and administrators may see and work them too."""
        return self is Role.INFORMATION_RIGHTS_OFFICER or self.manages_records
