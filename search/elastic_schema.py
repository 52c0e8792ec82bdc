"""The Elasticsearch index: names, analysis, mapping, and IndexedDocument -> `_source`.

Searches and writes go through an alias (`edrm-documents` by default) that points at exactly one
concrete, versioned index (`edrm-documents-v{schema}-{timestamp}`). A rebuild fills a new
concrete index and moves the alias in one atomic `update_aliases` call. The schema version and
whether the index was completely built live in the mapping's `_meta`.

Bump `SCHEMA_VERSION` whenever fields or analysis change: an index built with an older version
is then reported by `ElasticBackend.needs_rebuild()`.

Analysis mirrors the tantivy backend (search/tantivy_schema.py) so that both engines answer the
same query language the same way:

- `edrm_english` (title, body): the chain of Elasticsearch's `english` analyzer (standard
  tokenizer, English possessive, lowercase, English stemmer) with Snowball English stemming
  (`porter2`, as tantivy's `en_stem`) and *without* its stop-word filter: the query parser
  already drops stop words among bare words, and keeps them where they matter (a query made only
  of stop words, a phrase), as tantivy does.
- `edrm_plain` (references, creator, and the unstemmed `words` and `title.plain` used for prefix,
  fuzzy and "did you mean"): standard tokenizer and lowercase.
- keyword fields (exact, for facets, filters and visibility) with a lower-cased `.lc` sub-field
  for the query language's `class:` / `type:` / `marking:` (case-insensitive whole values).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from search.base import IndexedDocument

SCHEMA_VERSION = 1

# Scoring weights for free text, as in the tantivy backend.
TITLE_BOOST = 3.0
REFS_BOOST = 2.0
CREATOR_BOOST = 2.0

ENGLISH = "edrm_english"
PLAIN = "edrm_plain"
LOWER = "edrm_lower"

#: facet name -> the keyword (or numeric) field whose terms it counts
FACET_FIELDS: dict[str, str] = {
    "class": "class_code",
    "type": "doc_type",
    "year": "year",
    "creator": "creator.keyword",
    "marking": "marking",
}
#: filter name -> exact field (every facet, plus status and folder)
FILTER_FIELDS: dict[str, str] = {**FACET_FIELDS, "status": "status", "folder": "folder_code"}
#: query-language keyword field -> lower-cased keyword field
KEYWORD_FIELDS: dict[str, str] = {
    "class": "class_code.lc",
    "type": "doc_type.lc",
    "marking": "marking.lc",
}
#: the fields a Hit is made of (the body stays on the server)
HIT_FIELDS: tuple[str, ...] = ("id", "title", "class_code", "doc_type", "marking", "created")
#: the unstemmed dictionary of every word in titles and bodies (copy_to target)
DICTIONARY = "words"

DATE_FORMAT = "strict_date_optional_time"
#: the index's `max_result_window`: from/size pages end here; deeper pages use `search_after`
RESULT_WINDOW = 10_000


def analysis() -> dict[str, Any]:
    return {
        "filter": {
            "edrm_english_possessive": {"type": "stemmer", "language": "possessive_english"},
            "edrm_english_stemmer": {"type": "stemmer", "language": "porter2"},
        },
        "analyzer": {
            ENGLISH: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["edrm_english_possessive", "lowercase", "edrm_english_stemmer"],
            },
            PLAIN: {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
        },
        "normalizer": {LOWER: {"type": "custom", "filter": ["lowercase"]}},
    }


def _keyword_lc() -> dict[str, Any]:
    return {"type": "keyword", "fields": {"lc": {"type": "keyword", "normalizer": LOWER}}}


def mappings(*, complete: bool, documents: int | None = None) -> dict[str, Any]:
    """The index mapping; `_meta` records the schema version and whether a rebuild filled it."""
    meta: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "complete": complete}
    if documents is not None:
        meta["documents"] = documents
    return {
        "dynamic": "strict",
        "_meta": meta,
        "properties": {
            "id": {"type": "long"},
            "title": {
                "type": "text",
                "analyzer": ENGLISH,
                "copy_to": [DICTIONARY],
                "fields": {"plain": {"type": "text", "analyzer": PLAIN, "index_options": "docs"}},
            },
            # offsets in the postings: the unified highlighter needs not re-analyse long bodies
            "body": {
                "type": "text",
                "analyzer": ENGLISH,
                "index_options": "offsets",
                "copy_to": [DICTIONARY],
            },
            DICTIONARY: {"type": "text", "analyzer": PLAIN, "index_options": "docs"},
            "references": {
                "type": "text",
                "analyzer": PLAIN,
                "fields": {"keyword": {"type": "keyword"}},
            },
            "creator": {
                "type": "text",
                "analyzer": PLAIN,
                "fields": {"keyword": {"type": "keyword"}},
            },
            "class_code": _keyword_lc(),
            "doc_type": _keyword_lc(),
            "marking": _keyword_lc(),
            "status": {"type": "keyword"},
            "folder_code": {"type": "keyword"},
            "access_keys": {"type": "keyword"},
            "year": {"type": "integer"},
            "created": {"type": "date", "format": DATE_FORMAT},
        },
    }


def settings(*, shards: int, replicas: int | None, building: bool = False) -> dict[str, Any]:
    """Index settings. While `building` (a rebuild fills it) the index is not refreshed."""
    out: dict[str, Any] = {
        "number_of_shards": shards,
        "max_result_window": RESULT_WINDOW,
        "analysis": analysis(),
    }
    if replicas is not None:
        out["number_of_replicas"] = replicas
    if building:
        out["refresh_interval"] = "-1"
    return out


def to_source(doc: IndexedDocument) -> dict[str, Any]:
    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "references": list(doc.references),
        "creator": doc.creator,
        # its own class first: a hit names the first (elastic_results.first_value)
        "class_code": list(doc.class_codes) if doc.also_class_codes else doc.class_code,
        "doc_type": doc.doc_type,
        "marking": doc.marking,
        "status": doc.status,
        "folder_code": list(doc.folder_codes) if doc.also_folder_codes else doc.folder_code,
        "access_keys": list(doc.access_keys),
        "year": doc.created.year,
        "created": doc.created.isoformat(),
    }


def source_datetime(value: object) -> datetime:
    """A `created` value from `_source` as an aware UTC datetime."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)  # epoch_millis
    return datetime.fromtimestamp(0, UTC)


# ------------------------------------------------------------------------------------- names

_STAMP = "%Y%m%d%H%M%S%f"


def concrete_name(alias: str, now: datetime | None = None) -> str:
    """A new versioned index name for `alias`: `{alias}-v{schema}-{UTC timestamp}`."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime(_STAMP)
    return f"{alias}-v{SCHEMA_VERSION}-{stamp}"


def concrete_pattern(alias: str) -> str:
    """A wildcard matching every concrete index made for `alias`."""
    return f"{alias}-v*"


def name_stamp(alias: str, name: str) -> str | None:
    """The timestamp of a concrete index made for `alias` (sortable), or None if `name` is not
    one of them."""
    m = re.fullmatch(rf"{re.escape(alias)}-v\d+-(\d{{20}})", name)
    return m.group(1) if m else None
