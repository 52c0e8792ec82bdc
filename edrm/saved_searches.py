"""Saved searches: a person keeps a query and its filters to run again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from edrm import audit, clock
from edrm.access import Principal
from edrm.db import Base, UTCDateTime
from edrm.errors import InvalidInputError, NotFoundError

MAX_PER_PERSON = 100


class SavedSearch(Base):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def save(
    session: Session, owner: Principal, name: str, query: str, filters: dict[str, list[str]]
) -> SavedSearch:
    if owner.user_id is None:
        raise InvalidInputError("only a signed-in person can save a search")
    name = " ".join(name.split())[:200]
    if not name:
        raise InvalidInputError("give the saved search a name")
    if not query.strip() and not filters:
        raise InvalidInputError("there is nothing to save: type some words or choose a filter")
    if len(mine(session, owner)) >= MAX_PER_PERSON:
        raise InvalidInputError(f"you can keep at most {MAX_PER_PERSON} saved searches")
    saved = SavedSearch(
        user_id=owner.user_id,
        name=name,
        query=query.strip(),
        filters={k: list(v) for k, v in filters.items()},
        created_at=clock.now(),
    )
    session.add(saved)
    session.flush()
    audit.record(session, owner.username, "search.save", "saved_search", saved.id, {"name": name})
    return saved


def mine(session: Session, owner: Principal) -> list[SavedSearch]:
    return list(
        session.scalars(
            select(SavedSearch)
            .where(SavedSearch.user_id == owner.user_id)
            .order_by(SavedSearch.name, SavedSearch.id)
        )
    )


def get_mine(session: Session, owner: Principal, saved_id: int) -> SavedSearch:
    saved = session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != owner.user_id:
        raise NotFoundError(f"saved search {saved_id} not found")
    return saved


def delete(session: Session, owner: Principal, saved_id: int) -> None:
    saved = get_mine(session, owner, saved_id)
    session.delete(saved)
    audit.record(session, owner.username, "search.unsave", "saved_search", saved_id)
