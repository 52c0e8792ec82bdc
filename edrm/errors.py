"""Errors the services raise; entry points turn them into pages, JSON or one CLI line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class EdrmError(Exception):
    """Base class: the message is written for the person who asked."""


class NotFoundError(EdrmError):
    """It does not exist, or the person may not know that it exists."""


@dataclass(frozen=True)
class AuditNote:
    """An audit entry to keep even though the refused change's transaction rolls back."""

    actor: str
    action: str
    entity_type: str
    entity_id: int | str | None
    details: dict[str, Any] = field(default_factory=dict)


class RefusedError(EdrmError):
    """The person may see it but may not do this to it (or the object's state forbids it).

    With `audit`, the unit of work records the refusal in a fresh transaction after rolling
    back (see `edrm.unit_of_work`)."""

    def __init__(self, message: str, *, audit: AuditNote | None = None) -> None:
        super().__init__(message)
        self.audit = audit


class InvalidInputError(EdrmError):
    """The input is wrong; the message says which part and why."""


class GoneError(EdrmError):
    """It existed but has been destroyed (e.g. under its retention rule): only a residual stub
    remains. Web answers 410 Gone."""

    def __init__(self, message: str, *, document_id: int | None = None) -> None:
        super().__init__(message)
        self.document_id = document_id
