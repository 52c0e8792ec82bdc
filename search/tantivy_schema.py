"""The tantivy index schema: fields, analysers, and IndexedDocument -> tantivy.Document.

Bump `SCHEMA_VERSION` whenever fields or analysis change: an index built with an older version
is then reported by `TantivyBackend.needs_rebuild()`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import tantivy

from search.base import IndexedDocument

# 2: no separate unstemmed/lower-cased copies (fuzzy, prefix, spelling on stems)
# 3: folder_code, for the "folder" filter
# 4: several class_code and folder_code values (a record filed in further locations)
SCHEMA_VERSION = 4

# Scoring weights for free text: a word in the title counts three times a word in the body.
TITLE_BOOST = 3.0
REFS_BOOST = 2.0
CREATOR_BOOST = 2.0

STEMMED = "en_stem"  # tantivy built-in: simple tokenizer, remove long (40), lowercase, English
PLAIN = "default"  # tantivy built-in: simple tokenizer, remove long (40), lowercase
RAW = "raw"

#: facet name -> the raw fast field whose terms it counts
FACET_FIELDS = {
    "class": "class_code",
    "type": "doc_type",
    "year": "year",
    "creator": "creator_kw",
    "marking": "marking",
}
#: filter name -> raw field (every facet, plus status and folder)
FILTER_FIELDS = {**FACET_FIELDS, "status": "status", "folder": "folder_code"}
#: query-language keyword field -> raw field (matched case-insensitively through its dictionary)
KEYWORD_FIELDS = {"class": "class_code", "type": "doc_type", "marking": "marking"}


def _analyzer(stem: bool) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
    )
    if stem:
        builder = builder.filter(tantivy.Filter.stemmer("english"))
    return builder.build()


_STEM = _analyzer(stem=True)
_PLAIN = _analyzer(stem=False)


def stem_tokens(text: str) -> list[str]:
    """The terms `en_stem` makes of `text` (title, body)."""
    return _STEM.analyze(text)


def plain_tokens(text: str) -> list[str]:
    """The terms `default` makes of `text` (refs, creator)."""
    return _PLAIN.analyze(text)


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    # ranked text; the stems of title and body also serve prefix, fuzzy and spelling
    sb.add_text_field("title", stored=True, tokenizer_name=STEMMED)
    sb.add_text_field("body", stored=True, tokenizer_name=STEMMED)
    sb.add_text_field("refs", tokenizer_name=PLAIN)
    sb.add_text_field("creator", tokenizer_name=PLAIN)
    # keywords, exact: facets, filters, visibility
    for name in ("class_code", "doc_type", "marking"):
        sb.add_text_field(name, stored=True, fast=True, tokenizer_name=RAW, index_option="basic")
    for name in ("creator_kw", "status"):
        sb.add_text_field(name, fast=True, tokenizer_name=RAW, index_option="basic")
    sb.add_text_field("folder_code", tokenizer_name=RAW, index_option="basic")
    sb.add_text_field("keys", tokenizer_name=RAW, index_option="basic")
    sb.add_unsigned_field("year", indexed=True, fast=True)
    sb.add_date_field("created", stored=True, indexed=True, fast=True)
    return sb.build()


def to_document(doc: IndexedDocument) -> tantivy.Document:
    out = tantivy.Document()
    out.add_unsigned("id", doc.id)
    out.add_text("title", doc.title)
    out.add_text("body", doc.body)
    for ref in doc.references:
        out.add_text("refs", ref)
    out.add_text("creator", doc.creator)
    out.add_text("creator_kw", doc.creator)
    for code in doc.class_codes:  # its own class first: hits name the first stored value
        out.add_text("class_code", code)
    out.add_text("doc_type", doc.doc_type)
    out.add_text("marking", doc.marking)  # exactly one term per document, even ""
    out.add_text("status", doc.status)
    for code in doc.folder_codes:
        out.add_text("folder_code", code)
    for key in doc.access_keys:
        out.add_text("keys", key)
    out.add_unsigned("year", doc.created.year)
    out.add_date("created", doc.created)
    return out


def stored_datetime(value: object) -> datetime:
    """A stored date as an aware UTC datetime."""
    if not isinstance(value, datetime):
        return datetime.fromtimestamp(0, UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
