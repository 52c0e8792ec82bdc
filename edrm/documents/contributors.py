"""The people who made a document (e-GMS `creator`) and who contributed to it (`contributor`).

A filer names them (`edrm ingest --creator U --contributor V`, the upload page, the API), and
the file's own properties add those that identify an account: a Word or PDF author, an
e-mail's From (creators) and To and Cc (contributors), matched to a user's username, e-mail
address or full name. Each is a row of `document_people`, written in the filing transaction,
so a crash files the document with all of its people or not at all. Expert finding credits
every one of them (harvest/expert_search.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from email.utils import getaddresses
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from edrm.documents.models import DocumentPerson
from edrm.errors import InvalidInputError
from edrm.people.models import User

CREATOR, CONTRIBUTOR = "creator", "contributor"
ROLES = (CREATOR, CONTRIBUTOR)
NAMED, PROPERTY = "named", "property"
#: Property keys (from the format readers) naming who made the file, and who received it.
_CREATOR_KEYS = ("author", "sender_email", "sender")
_CONTRIBUTOR_KEYS = ("to", "cc")
_SPLIT = re.compile(r"\s*[;,]\s*")


def split_names(values: Iterable[str]) -> list[str]:
    """Repeated options and comma-separated lists alike: 'ann, bob' and 'ann' 'bob'."""
    out: list[str] = []
    for value in values:
        for part in _SPLIT.split(value or ""):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def find_account(session: Session, name: str) -> User | None:
    """The account `name` identifies: its username or e-mail address (any case), or a full
    name that only one account has. None when it identifies no one, or several people."""
    key = (name or "").strip().lower()
    if not key:
        return None
    found = session.scalars(
        select(User).where(
            or_(
                func.lower(User.username) == key,
                func.lower(User.email) == key,
                func.lower(User.full_name) == key,
            )
        )
    ).all()
    exact = [u for u in found if u.username.lower() == key or (u.email or "").lower() == key]
    if exact:
        return exact[0]
    return found[0] if len(found) == 1 else None


def named_accounts(session: Session, names: Sequence[str]) -> list[str]:
    """The usernames of the people a filer named, in order; InvalidInputError naming any that
    identifies no account (nothing is filed with a person nobody can find)."""
    usernames: list[str] = []
    for name in split_names(names):
        user = find_account(session, name)
        if user is None:
            raise InvalidInputError(f"no account is called {name!r} (a username, e-mail or name)")
        if user.username not in usernames:
            usernames.append(user.username)
    return usernames


def accounts_in_properties(
    session: Session, properties: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """(creators, contributors) the file's properties identify: its author or sender, and an
    e-mail's recipients; names and addresses that match no account are left out."""

    def people(keys: Sequence[str]) -> list[str]:
        found: list[str] = []
        for key in keys:
            value = str(properties.get(key) or "")
            if not value:
                continue
            candidates = [value]
            for display, address in getaddresses([value]):
                candidates += [address, display]
            for candidate in candidates:
                user = find_account(session, candidate)
                if user is not None and user.username not in found:
                    found.append(user.username)
                    break
        return found

    creators = people(_CREATOR_KEYS)
    contributors = [u for u in people(_CONTRIBUTOR_KEYS) if u not in creators]
    return creators, contributors


def add_people(
    session: Session, document_id: int, usernames: Sequence[str], role: str, source: str = NAMED
) -> None:
    """Record each person (by username) in `role` on the document, once; unknown usernames
    are skipped (the caller checked them when they were named)."""
    if role not in ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(ROLES)}")
    if not usernames:
        return
    have = set(
        session.scalars(
            select(DocumentPerson.user_id).where(
                DocumentPerson.document_id == document_id, DocumentPerson.role == role
            )
        )
    )
    for user_id in session.scalars(select(User.id).where(User.username.in_(list(usernames)))):
        if user_id not in have:
            session.add(
                DocumentPerson(document_id=document_id, user_id=user_id, role=role, source=source)
            )
            have.add(user_id)
    session.flush()


def people_of(session: Session, document_id: int) -> dict[str, list[str]]:
    """{"creators": [...], "contributors": [...]}: usernames, in the order they were added.
    The caller has already checked that the asker may see the document."""
    rows = session.execute(
        select(DocumentPerson.role, User.username)
        .join(User, User.id == DocumentPerson.user_id)
        .where(DocumentPerson.document_id == document_id)
        .order_by(DocumentPerson.id)
    ).all()
    return {
        "creators": [u for role, u in rows if role == CREATOR],
        "contributors": [u for role, u in rows if role == CONTRIBUTOR],
    }


def names_of(session: Session, document_id: int) -> dict[str, list[tuple[str, str]]]:
    """As `people_of`, with each person's full name: (username, name) pairs, for pages."""
    rows = session.execute(
        select(DocumentPerson.role, User.username, User.full_name)
        .join(User, User.id == DocumentPerson.user_id)
        .where(DocumentPerson.document_id == document_id)
        .order_by(DocumentPerson.id)
    ).all()
    return {
        "creators": [(u, n or u) for role, u, n in rows if role == CREATOR],
        "contributors": [(u, n or u) for role, u, n in rows if role == CONTRIBUTOR],
    }


def submission_hints(
    session: Session, creators: Sequence[str], contributors: Sequence[str]
) -> dict[str, Any]:
    """What a filer's named people add to an ingest job's hints: the usernames of each role
    (checked now, so a typo fails before anything is stored) and, when creators are named,
    the first one's name as the document's `creator` element."""
    hints: dict[str, Any] = {}
    named = named_accounts(session, creators)
    helpers = [u for u in named_accounts(session, contributors) if u not in named]
    if named:
        hints["creators"] = named
        first = session.scalar(select(User).where(User.username == named[0]))
        hints["creator"] = (first.full_name or first.username) if first else named[0]
    if helpers:
        hints["contributors"] = helpers
    return hints


def record_people(
    session: Session, document_id: int, hints: dict[str, Any], properties: dict[str, Any]
) -> None:
    """The filing step: the people the filer named, then those the file's properties
    identify (in the caller's transaction)."""
    named = [str(u) for u in hints.get("creators") or []]
    helpers = [str(u) for u in hints.get("contributors") or []]
    add_people(session, document_id, named, CREATOR, NAMED)
    add_people(session, document_id, helpers, CONTRIBUTOR, NAMED)
    found_creators, found_helpers = accounts_in_properties(session, properties)
    if not named:
        add_people(session, document_id, found_creators, CREATOR, PROPERTY)
    else:
        found_helpers = [u for u in found_creators if u not in named] + found_helpers
    add_people(
        session,
        document_id,
        [u for u in found_helpers if u not in named and u not in helpers],
        CONTRIBUTOR,
        PROPERTY,
    )
