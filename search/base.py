"""The types that cross the search boundary, and the `SearchBackend` protocol.

Everything here is plain data: the core builds `IndexedDocument`s and `SearchQuery`s, a backend
(tantivy or Elasticsearch) answers with `SearchResult`s. Nothing here imports the rest of the
project, so the engines can be tested on their own.

Contract every backend honours (the conformance suite in tests/search checks it):

- **Security trimming in the engine.** `Visibility` is applied inside the engine query, so hits,
  `total`, facet counts, `did_you_mean` and `similar` only ever reflect documents the person may
  see. Nothing is post-filtered.
- **Facets** count the visible documents matching the text and the *other* facets' filters
  ("disjunctive" faceting: values are OR'ed within a facet, so a facet's own filter does not
  narrow its own counts; every other facet's filter does). Zero counts are never returned.
- **Highlights** are HTML: matched words wrapped in ``<mark>…</mark>``, everything else escaped.
- **Query syntax** is `search.query` (one parser for every backend); bad syntax never raises, it
  searches best-effort and sets `SearchResult.warning`.
- An empty query text matches every visible document (browsing with filters); its "relevance"
  order is newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal, Protocol, runtime_checkable

#: The protective markings of DESIGN.md §2, lowest first.
MARKINGS: tuple[str, ...] = ("OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET")

#: Facet name -> what it counts. Facet values are strings (years too: "2021").
FACETS: Mapping[str, str] = MappingProxyType(
    {
        "class": "file-plan class code (IndexedDocument.class_code)",
        "type": "document type (IndexedDocument.doc_type)",
        "year": "year the document was created, UTC (IndexedDocument.created.year)",
        "creator": "creator, exactly as indexed (IndexedDocument.creator)",
        "marking": "protective marking (IndexedDocument.marking)",
    }
)

#: Keys a `SearchQuery.filters` mapping may use: every facet, plus the document status and the
#: folder it is filed in (IndexedDocument.folder_code; "" for none), for browsing the file plan.
FILTERS: tuple[str, ...] = (*FACETS, "status", "folder")

SortOrder = Literal["relevance", "date"]
MAX_PER_PAGE = 1000
#: page * per_page beyond this is refused: deep paging costs the engine (tantivy collects every
#: hit before the page; Elasticsearch steps to a page beyond its result window with search_after)
MAX_PAGE_DEPTH = 100_000


class SearchError(Exception):
    """The engine could not answer (index missing or corrupt, cluster down). Not a syntax error:
    bad query syntax never raises."""


def _aware_utc(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class IndexedDocument:
    """One document as the search engine sees it. `id` is the document's database id; indexing a
    document whose id is already indexed replaces it."""

    id: int
    title: str
    body: str
    class_code: str
    folder_code: str
    doc_type: str
    creator: str
    marking: str
    created: datetime
    references: tuple[str, ...]
    access_keys: tuple[str, ...]
    status: str = "filed"
    #: further classes and folders the document is filed in (multi-filing): the "class" facet
    #: and filter and the "folder" filter find it under each of them too; hits name `class_code`.
    also_class_codes: tuple[str, ...] = ()
    also_folder_codes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.id, bool) or not isinstance(self.id, int) or self.id < 0:
            raise ValueError(f"id must be a non-negative int, got {self.id!r}")
        object.__setattr__(self, "created", _aware_utc(self.created, "created"))
        object.__setattr__(self, "references", tuple(self.references))
        object.__setattr__(self, "access_keys", tuple(self.access_keys))
        object.__setattr__(self, "also_class_codes", tuple(self.also_class_codes))
        object.__setattr__(self, "also_folder_codes", tuple(self.also_folder_codes))

    @property
    def class_codes(self) -> tuple[str, ...]:
        """Every class it is filed in, its own first (no repeats)."""
        return tuple(dict.fromkeys((self.class_code, *self.also_class_codes)))

    @property
    def folder_codes(self) -> tuple[str, ...]:
        """Every folder it is filed in, its own first ("" for none; no repeats)."""
        return tuple(dict.fromkeys((self.folder_code, *self.also_folder_codes)))


@dataclass(frozen=True, slots=True)
class Visibility:
    """What one person may see. A document is visible iff its marking is in `markings` AND
    (`keys` is None OR the document has at least one of its access keys in `keys`) AND it has
    none of its access keys in `excluded` (a location the person may not see, for documents
    filed in several: every location must admit them).

    Access keys are opaque strings chosen by the application (e.g. "node:12", "owner:5");
    `keys=None` means "no access-key restriction" (the system itself). An empty `markings` or an
    empty `keys` set sees nothing.
    """

    markings: frozenset[str]
    keys: frozenset[str] | None
    excluded: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "markings", frozenset(self.markings))
        object.__setattr__(self, "excluded", frozenset(self.excluded))
        if self.keys is not None:
            object.__setattr__(self, "keys", frozenset(self.keys))

    @classmethod
    def everything(cls) -> Visibility:
        """The system's view: every marking in `MARKINGS`, no access-key restriction."""
        return cls(markings=frozenset(MARKINGS), keys=None)

    @property
    def sees_nothing(self) -> bool:
        return not self.markings or (self.keys is not None and not self.keys)

    def allows(self, doc: IndexedDocument) -> bool:
        """The rule above, in Python (the engines apply it in their own query language)."""
        if doc.marking not in self.markings or not self.excluded.isdisjoint(doc.access_keys):
            return False
        return self.keys is None or not self.keys.isdisjoint(doc.access_keys)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One search. `text` is in the query language of `search.query`.

    `filters` maps a name from `FILTERS` to the values wanted: values are OR'ed within a name and
    names are AND'ed (year values are strings such as "2021"); a name with no values is ignored.
    `page` starts at 1. `facets` names
    the facets to count (a subset of `FACETS`); `highlight` asks for snippets.
    """

    text: str
    visibility: Visibility
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    page: int = 1
    per_page: int = 20
    sort: SortOrder = "relevance"
    facets: Sequence[str] = tuple(FACETS)
    highlight: bool = True

    def __post_init__(self) -> None:
        unknown = [name for name in self.filters if name not in FILTERS]
        if unknown:
            raise ValueError(f"unknown filter {unknown[0]!r}; expected one of {FILTERS}")
        bad_facets = [name for name in self.facets if name not in FACETS]
        if bad_facets:
            raise ValueError(f"unknown facet {bad_facets[0]!r}; expected one of {tuple(FACETS)}")
        if self.sort not in ("relevance", "date"):
            raise ValueError(f"sort must be 'relevance' or 'date', got {self.sort!r}")
        if self.page < 1:
            raise ValueError(f"page starts at 1, got {self.page}")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}, got {self.per_page}")
        if self.page * self.per_page > MAX_PAGE_DEPTH:
            raise ValueError(f"results beyond the first {MAX_PAGE_DEPTH} are not paged")
        frozen = {
            name: tuple(str(v) for v in values) for name, values in self.filters.items() if values
        }
        object.__setattr__(self, "filters", MappingProxyType(frozen))
        object.__setattr__(self, "facets", tuple(self.facets))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    score: float
    title: str
    class_code: str
    doc_type: str
    marking: str
    created: datetime
    highlights: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    count: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    """`total` counts every visible match (not just this page). `facets` maps each requested facet
    to its values, highest count first (ties by value; "year" newest first). `did_you_mean` is a
    corrected query text, offered only when it finds visible documents. `warning` explains how bad
    syntax was read."""

    total: int
    hits: tuple[Hit, ...]
    facets: Mapping[str, tuple[FacetCount, ...]]
    did_you_mean: str | None
    warning: str | None


@runtime_checkable
class SearchBackend(Protocol):
    """A full-text engine. One writer (the indexer) per index; any number of readers."""

    def index(self, docs: Iterable[IndexedDocument]) -> None:
        """Add or replace (by id) documents. Searchable after `commit()`."""
        ...

    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents by id (unknown ids are ignored). Effective after `commit()`."""
        ...

    def commit(self) -> None:
        """Make every change so far searchable; readers reload."""
        ...

    def search(self, query: SearchQuery) -> SearchResult: ...

    def similar(self, doc_id: int, visibility: Visibility, limit: int = 5) -> tuple[Hit, ...]:
        """More-like-this. Never returns `doc_id` itself or a document `visibility` hides; returns
        nothing when `doc_id` itself is hidden or unknown."""
        ...

    def count(self) -> int:
        """Every document in the index (committed), whoever may see it."""
        ...

    def rebuild(
        self,
        docs: Iterable[IndexedDocument],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Build a fresh index from `docs` (calling `progress(n_done)` as it goes) and swap it in
        only when complete; searches keep using the old index until then. On failure the old
        index stays in place."""
        ...

    def schema_version(self) -> int:
        """The schema version of the index in use (0 when unknown or missing)."""
        ...

    def needs_rebuild(self) -> bool:
        """True when the index is missing, corrupt, incomplete or built with an older schema."""
        ...

    def close(self) -> None: ...
