"""Highlight markup shared by the engines: matched words in <mark>…</mark>, the rest escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape


def mark_bytes(fragment: str, ranges: Iterable[tuple[int, int]]) -> str:
    """HTML for `fragment` with the UTF-8 byte `ranges` marked (tantivy reports byte offsets)."""
    data = fragment.encode("utf-8")
    out: list[str] = []
    last = 0
    for start, end in sorted(ranges):
        start, end = max(start, last), min(end, len(data))
        if start >= end:
            continue
        out.append(escape(data[last:start].decode("utf-8", "replace")))
        out.append(f"<mark>{escape(data[start:end].decode('utf-8', 'replace'))}</mark>")
        last = end
    out.append(escape(data[last:].decode("utf-8", "replace")))
    return "".join(out)


def mark_tags(fragment: str, pre: str, post: str) -> str:
    """HTML for a fragment in which an engine wrapped matches in the `pre`/`post` sentinels
    (which must not occur in the text): each match in <mark>, everything else escaped. For
    engines such as Elasticsearch that return highlighted strings."""
    out: list[str] = []
    rest = fragment
    while True:
        start = rest.find(pre)
        end = rest.find(post, start + len(pre)) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(escape(rest.replace(pre, "").replace(post, "")))
            return "".join(out)
        out.append(escape(rest[:start]))
        out.append(f"<mark>{escape(rest[start + len(pre) : end])}</mark>")
        rest = rest[end + len(post) :]
