"""Row ids as people type them: every table's ids fit in 64 bits (SQLite INTEGER, PostgreSQL
BIGINT), so a larger number, a negative one or one in other digits names nothing."""

from __future__ import annotations

#: The largest id any table can hold.
MAX_ID = 2**63 - 1


def is_id(value: int) -> bool:
    return 1 <= value <= MAX_ID


def id_from_text(value: str | None) -> int | None:
    """The id written as `value` ("123"), or None when it is not one."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    number = int(text)
    return number if is_id(number) else None
