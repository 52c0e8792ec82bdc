"""Numbers and dates from the request, within what the databases can hold.

Every table's ids are 64-bit at most (SQLite's INTEGER, PostgreSQL's BIGINT), so an id beyond
that cannot name anything: in a route it does not match (404, like any id that does not exist),
in a form or query string it is no id at all. A page number, limit or version that is not a
whole number in range is refused with a message naming the parameter (400).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from werkzeug.routing import IntegerConverter, Map

from edrm import clock
from edrm.errors import InvalidInputError
from edrm.ids import MAX_ID, id_from_text

#: No listing pages deeper than this (search refuses beyond its first 100,000 hits anyway).
MAX_PAGE = 100_000


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in routes: 1 to MAX_ID unless the rule says otherwise; anything else is 404."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def id_or_none(value: str | None) -> int | None:
    """An id as typed in a form or query string ("123"), or None when it is not one."""
    return id_from_text(value)


def ids_from(values: list[str]) -> list[int]:
    """The ids among form values, each once, in order (what is not an id is left out)."""
    found = (id_or_none(v) for v in values)
    return sorted({n for n in found if n is not None})


def int_arg(name: str, default: int, *, minimum: int = 1, maximum: int = MAX_ID) -> int:
    """A whole number from the query string (or form), or `default` when it is not given."""
    raw = request.values.get(name)
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    digits = text[1:] if text[:1] in "+-" else text
    if digits.isascii() and digits.isdigit() and len(digits) <= 20:
        number = int(text)
        if minimum <= number <= maximum:
            return number
    raise InvalidInputError(
        f"{name} must be a whole number from {minimum:,} to {maximum:,} (got {text[:40]!r})"
    )


def page_arg(name: str = "page") -> int:
    """A page number from the query string: 1 when not given."""
    return int_arg(name, 1, minimum=1, maximum=MAX_PAGE)


def optional_int_arg(name: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """Like `int_arg`, but None when the parameter is not given."""
    raw = request.values.get(name)
    if raw is None or not raw.strip():
        return None
    return int_arg(name, minimum, minimum=minimum, maximum=maximum)


def date_arg(name: str, errors: dict[str, str]) -> date | None:
    """A day given in the query string as year-month-day (None when empty); a bad one notes
    its message under `name` in `errors`, for the page to show beside the field."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = f"Enter the date as year-month-day, for example {clock.now():%Y-%m-%d}"
        return None
