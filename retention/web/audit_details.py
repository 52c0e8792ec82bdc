"""An audit entry's details (its JSON object) as rows a person can read: each key as a label
("new_date" → "New date"), lists and objects as short text, and hashes shortened with the full
value kept (the page shows it on request)."""

from __future__ import annotations

import json
import re
from typing import Any

HASH = re.compile(r"^[0-9a-f]{32,128}$")
SHOWN_ITEMS = 20
SHORT = 12

#: Labels that read better than the key made into words.
LABELS = {
    "sha256": "SHA-256",
    "prev_hash": "Previous hash",
    "id": "Number",
    "item": "Queue item",
    "items": "Queue items",
    "batch": "Disposal batch",
    "bag": "Transfer package",
    "pii": "Personal data found",
}


def label(key: str) -> str:
    return LABELS.get(key) or key.replace("_", " ").replace(".", " ").strip().capitalize()


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        shown = ", ".join(_text(v) for v in value[:SHOWN_ITEMS])
        more = len(value) - SHOWN_ITEMS
        return (shown or "none") + (f" and {more} more" if more > 0 else "")
    if isinstance(value, dict):
        return "; ".join(f"{label(str(k))}: {_text(v)}" for k, v in value.items()) or "none"
    return str(value)


def detail_rows(details: str) -> list[dict[str, Any]]:
    """[{"label", "text", "hash"}]: `hash` is the full value when it is a hash (`text` is then
    its first characters), else None."""
    try:
        data = json.loads(details or "{}")
    except ValueError:
        return [{"label": "Details", "text": details, "hash": None}]
    if not isinstance(data, dict):
        return [{"label": "Details", "text": _text(data), "hash": None}]
    rows: list[dict[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, str) and HASH.match(value):
            rows.append({"label": label(key), "text": value[:SHORT] + "…", "hash": value})
        else:
            rows.append({"label": label(key), "text": _text(value), "hash": None})
    return rows
