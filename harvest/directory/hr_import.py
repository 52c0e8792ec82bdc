"""HR data imported from CSV: name, unit, location, job title, manager and dates for each
person who has an account.

All or nothing: the first bad row stops the import before anything changes, and the whole
import is one audited change in the caller's transaction. Only HR, administrators and the
system import.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from edrm import audit, clock
from edrm.access import Principal
from edrm.errors import InvalidInputError, RefusedError
from edrm.people.models import User
from edrm.people.roles import Role
from harvest.directory.profiles import ensure_profile
from harvest.models import Profile

CSV_COLUMNS = (
    "username",
    "name",
    "unit",
    "location",
    "role",
    "manager",
    "start_date",
    "leaving_date",
)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def may_import_people(actor: Principal) -> bool:
    return actor.is_system or actor.role in (Role.HR, Role.ADMINISTRATOR)


def _date(row: int, column: str, value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InvalidInputError(f"row {row}: {column} {value!r} is not a date (use YYYY-MM-DD)")


@dataclass
class _Row:
    number: int
    username: str
    name: str
    unit: str
    location: str
    role: str
    manager: str
    start_date: date | None
    leaving_date: date | None


def _read_rows(text: str) -> list[_Row]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "username" not in header:
        raise InvalidInputError("the first line must name the columns: " + ", ".join(CSV_COLUMNS))
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown:
        raise InvalidInputError(
            f"unknown column {unknown[0]!r}; the columns are: " + ", ".join(CSV_COLUMNS)
        )
    reader.fieldnames = header
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=1):
        if None in raw:
            raise InvalidInputError(f"row {number}: more values than columns")
        cells = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(cells.values()):
            continue
        username = cells.get("username", "").lower()
        if not username:
            raise InvalidInputError(f"row {number}: the username is missing")
        if username in seen:
            raise InvalidInputError(
                f"row {number}: {username!r} appears again (first in row {seen[username]})"
            )
        seen[username] = number
        start = _date(number, "start_date", cells.get("start_date", ""))
        leaving = _date(number, "leaving_date", cells.get("leaving_date", ""))
        if start and leaving and leaving < start:
            raise InvalidInputError(f"row {number}: leaving_date is before start_date")
        for column in ("name", "unit", "location", "role"):
            if len(cells.get(column, "")) > 200:
                raise InvalidInputError(f"row {number}: {column} is longer than 200 characters")
        rows.append(
            _Row(
                number=number,
                username=username,
                name=cells.get("name", ""),
                unit=cells.get("unit", ""),
                location=cells.get("location", ""),
                role=cells.get("role", ""),
                manager=cells.get("manager", "").lower(),
                start_date=start,
                leaving_date=leaving,
            )
        )
    return rows


def import_people(session: Session, actor: Principal, text: str) -> ImportResult:
    """Import HR data (CSV with the columns in CSV_COLUMNS; `role` is the job title, `manager`
    a username). All or nothing: the first bad row stops the import, named by its number
    (row 1 is the first line after the header). Each username must have an account."""
    if not may_import_people(actor):
        raise RefusedError("only HR and administrators import HR data")
    rows = _read_rows(text)
    names = {r.username for r in rows} | {r.manager for r in rows if r.manager}
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    for row in rows:
        if row.username not in users:
            raise InvalidInputError(f"row {row.number}: no user account {row.username!r}")
        if row.manager and row.manager not in users:
            raise InvalidInputError(f"row {row.number}: manager {row.manager!r} has no account")
        if row.manager == row.username:
            raise InvalidInputError(f"row {row.number}: a person cannot be their own manager")
    existing = {
        p.user_id: p
        for p in session.scalars(
            select(Profile).where(Profile.user_id.in_([u.id for u in users.values()]))
        )
    }
    profiles = {
        username: existing.get(user.id) or ensure_profile(session, user)
        for username, user in users.items()
    }
    created = sum(1 for r in rows if users[r.username].id not in existing)
    updated = len(rows) - created
    now = clock.now()
    for row in rows:
        profile = profiles[row.username]
        profile.name = row.name or profile.name
        profile.unit = row.unit
        profile.location = row.location
        profile.role_title = row.role
        profile.manager_id = profiles[row.manager].id if row.manager else None
        profile.start_date = row.start_date
        profile.leaving_date = row.leaving_date
        profile.updated_at = now
    session.flush()
    audit.record(
        session,
        actor.username,
        "profile.import",
        "profile",
        "hr-csv",
        {"rows": len(rows), "created": created, "updated": updated},
    )
    return ImportResult(created=created, updated=updated)
