"""Over-long text is refused before it is stored, the same on every database.

PostgreSQL raises on a value longer than its VARCHAR(N) (a 500 to whoever typed it) while
SQLite silently stores it. Every session therefore checks, before each flush, the text it is
about to write into a length-limited column, and refuses an over-long value with an error that
names the field and the limit (`InvalidInputError`: a 400 on the web, one line on the CLI).
Nothing of that flush is written.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, sessionmaker

from edrm.errors import InvalidInputError


def _thing(instance: Any) -> str:
    """The kind of object, in words: LegalHold -> "legal hold"."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(instance).__name__).lower()


def check_lengths(instance: Any) -> None:
    """Refuse the object's loaded text that does not fit its column."""
    state = sa_inspect(instance)
    loaded = state.dict
    for attr in state.mapper.column_attrs:
        value = loaded.get(attr.key)
        if not isinstance(value, str):
            continue
        for column in attr.columns:
            limit = getattr(column.type, "length", None)
            if isinstance(column.type, String) and limit and len(value) > limit:
                field = column.name.replace("_", " ")
                raise InvalidInputError(
                    f"{_thing(instance)} {field} is too long: {len(value):,} characters "
                    f"(at most {limit:,})"
                )


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for instance in (*session.new, *session.dirty):
        check_lengths(instance)


def refuse_over_long_text(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Install the check on every session the factory makes."""
    event.listen(factory, "before_flush", _before_flush)
    return factory
