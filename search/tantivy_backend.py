"""The embedded search engine: a tantivy index in a local directory (the default backend).

One writer (created on the first write, so read-only processes never take tantivy's writer
lock); readers reload after each commit, and notice when a rebuild in any process has swapped
in a new index generation (see `search.tantivy_store`).
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import ClassVar

import tantivy
from tantivy import Occur, Query

from search.base import (
    FacetCount,
    Hit,
    IndexedDocument,
    SearchError,
    SearchQuery,
    SearchResult,
    Visibility,
)
from search.query import STOP_WORDS, ParsedQuery, parse
from search.tantivy_compile import Compiler, VisibilityCache, match_count
from search.tantivy_schema import (
    FACET_FIELDS,
    SCHEMA_VERSION,
    build_schema,
    stored_datetime,
    to_document,
)
from search.tantivy_store import (
    Meta,
    new_generation,
    pointer_stamp,
    read_meta,
    read_pointer,
    remove_generations,
    swap_to,
    write_meta,
)
from search.tantivy_suggest import Speller, highlight_stems, snippet_marker

HIGHLIGHT_CHARS = 200
PROGRESS_EVERY = 1000
HELPERS = 2  # threads counting facets, shared by every search of a backend
AGG_SEGMENT_SIZE = 65_000  # per-segment terms kept before merging: counts stay exact below this
#: a facet filter value written into tantivy's query syntax as it is (others: a pass per facet)
_SAFE_VALUE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 _.,/:+-]*[A-Za-z0-9_.,/:+-])?")


@contextmanager
def _engine(what: str) -> Iterator[None]:
    """Turn tantivy's errors (ValueError, and Rust panics) into SearchError."""
    try:
        yield
    except SearchError:
        raise
    except (ValueError, OSError, RuntimeError) as exc:
        raise SearchError(f"{what}: {exc}") from exc
    except BaseException as exc:
        if type(exc).__name__ == "PanicException":
            raise SearchError(f"{what}: {exc}") from exc
        raise


#: Commits after which the index and its writer are opened afresh. An index object that lives
#: through many small commits holds on to memory it no longer needs (about 3 KB a commit, in
#: tantivy itself: bench/soak.py shows it on raw tantivy too); reopening lets it go, and costs
#: a few milliseconds.
REOPEN_EVERY = 1000


class TantivyBackend:
    """`SearchBackend` on a tantivy index in `directory` (created when missing)."""

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    def __init__(
        self,
        directory: Path | str,
        *,
        writer_heap_bytes: int = 128_000_000,
        writer_threads: int = 0,
        facet_size: int = 50,
        reopen_every: int = REOPEN_EVERY,
        helper_threads: bool = True,
    ) -> None:
        """`helper_threads`: count facets on a helper thread while the hits are found (tantivy
        lets go of the GIL meanwhile); off, each search runs on the caller's thread alone. The
        results are the same either way."""
        self._dir = Path(directory)
        self._reopen_every = reopen_every
        self._commits = 0  # since the index was last opened
        self._dir.mkdir(parents=True, exist_ok=True)
        self._heap = writer_heap_bytes
        self._threads = writer_threads
        self._facet_size = facet_size
        self._helpers: ThreadPoolExecutor | None = None
        if helper_threads:
            self._helpers = ThreadPoolExecutor(HELPERS, thread_name_prefix="edrm-search-facets")
        self._visibility = VisibilityCache()
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._meta: Meta | None = None
        self._error: str | None = None
        self._stamp: tuple[int, int] | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        self._closed = False
        with self._lock:
            self._load()

    # ------------------------------------------------------------------- opening the index
    def _load(self) -> None:
        """(Re)open the generation `current` points at, creating an empty one if none."""
        self._drop_writer()
        self._commits = 0
        name = read_pointer(self._dir)
        if name is None:
            generation = new_generation(self._dir)
            tantivy.Index(build_schema(), path=str(generation))
            write_meta(generation, Meta(SCHEMA_VERSION, complete=False, documents=0))
            swap_to(self._dir, generation)
            name = generation.name
        self._stamp = pointer_stamp(self._dir)
        self._visibility.clear()  # compiled for the index being replaced
        path = self._dir / name
        self._meta = read_meta(path)
        self._index, self._error = None, None
        try:
            with _engine("opening the index"):
                index = tantivy.Index.open(str(path))
                index.config_reader(reload_policy="OnCommit")
            self._index = index
        except SearchError as exc:
            self._error = f"the search index at {path} cannot be opened ({exc}); rebuild it"

    def _reader(self) -> tantivy.Index:
        if self._closed:
            raise SearchError("the search backend is closed")
        if pointer_stamp(self._dir) != self._stamp:
            with self._lock:
                if pointer_stamp(self._dir) != self._stamp and not self._dirty:
                    self._load()
        if self._index is None:
            raise SearchError(self._error or "the search index is not available")
        return self._index

    def _writer_for(self) -> tantivy.IndexWriter:
        index = self._reader()
        if self._writer is None:
            with _engine("opening the index writer (is another process writing?)"):
                self._writer = index.writer(self._heap, self._threads)
        return self._writer

    def _drop_writer(self) -> None:
        writer, self._writer, self._dirty = self._writer, None, False
        if writer is not None:
            with suppress(SearchError), _engine("closing the index writer"):
                writer.rollback()  # uncommitted changes are discarded
            del writer

    # ------------------------------------------------------------------------------ writing
    def index(self, docs: Iterable[IndexedDocument]) -> None:
        latest = {doc.id: doc for doc in docs}  # the last version of each id wins
        if not latest:
            return
        with self._lock:
            writer = self._writer_for()
            with _engine("indexing"):
                self._delete_ids(writer, latest)
                for doc in latest.values():
                    writer.add_document(to_document(doc))

    def delete(self, ids: Iterable[int]) -> None:
        wanted = {int(doc_id) for doc_id in ids}
        if not wanted:
            return
        with self._lock:
            writer = self._writer_for()
            with _engine("deleting"):
                self._delete_ids(writer, wanted)

    def _delete_ids(self, writer: tantivy.IndexWriter, ids: Iterable[int]) -> None:
        assert self._index is not None
        query = Query.term_set_query(self._index.schema, "id", sorted(ids))
        writer.delete_documents_by_query(query)
        self._dirty = True

    def commit(self) -> None:
        with self._lock:
            if self._writer is None:
                self._reader()
                return
            if pointer_stamp(self._dir) != self._stamp:
                lost = self._dirty
                self._load()  # drops uncommitted changes: they went to a replaced index
                if lost:
                    raise SearchError("the index was rebuilt meanwhile; apply those changes again")
                return
            with _engine("committing"):
                self._writer.commit()
                self._dirty = False
                assert self._index is not None
                self._index.reload()
            self._commits += 1
            if self._reopen_every and self._commits >= self._reopen_every:
                self._reopen()

    def _reopen(self) -> None:
        """Open the index and its writer afresh, once the writer's merges are done (a merge
        dropped half-way leaves its segments unmerged, and the index grows). Everything is
        committed: nothing is lost."""
        writer, self._writer = self._writer, None
        if writer is not None:
            with suppress(SearchError), _engine("finishing the index writer's merges"):
                writer.wait_merging_threads()
            del writer
        self._load()

    def rebuild(
        self,
        docs: Iterable[IndexedDocument],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Build a new generation from `docs` (ids must be unique) and swap it in when done.
        Writes by this backend wait meanwhile; searches go on using the old generation."""
        with self._lock:
            if self._dirty:
                self.commit()
            generation = new_generation(self._dir)
            try:
                done = self._build(generation, docs, progress)
            except BaseException:
                shutil.rmtree(generation, ignore_errors=True)
                raise
            self._drop_writer()
            swap_to(self._dir, generation)
            self._load()
            remove_generations(self._dir, older_than=generation.name)
            if progress is not None:
                progress(done)

    def _build(
        self,
        generation: Path,
        docs: Iterable[IndexedDocument],
        progress: Callable[[int], None] | None,
    ) -> int:
        with _engine("creating the new index"):
            index = tantivy.Index(build_schema(), path=str(generation))
            writer = index.writer(self._heap, self._threads)
        done = 0
        try:
            for doc in docs:  # the caller's errors propagate as they are
                try:
                    writer.add_document(to_document(doc))
                except ValueError as exc:
                    raise SearchError(f"rebuilding the index: {exc}") from exc
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(done)
            with _engine("finishing the new index"):
                writer.commit()
                writer.wait_merging_threads()
        except BaseException:
            with suppress(Exception):
                writer.rollback()
            del writer, index  # stop its threads before the caller deletes the directory
            raise
        write_meta(generation, Meta(SCHEMA_VERSION, complete=True, documents=done))
        return done

    # ------------------------------------------------------------------------------ reading
    def count(self) -> int:
        index = self._reader()
        with _engine("counting"):
            return int(index.searcher().num_docs)

    def schema_version(self) -> int:
        with suppress(SearchError):
            self._reader()
        return self._meta.schema_version if self._meta else 0

    def needs_rebuild(self) -> bool:
        try:
            self._reader()
        except SearchError:
            return True
        meta = self._meta
        return meta is None or meta.schema_version != SCHEMA_VERSION or not meta.complete

    def search(self, query: SearchQuery) -> SearchResult:
        index = self._reader()
        parsed = parse(query.text)
        if query.visibility.sees_nothing:
            empty = {name: () for name in query.facets}
            return SearchResult(0, (), empty, None, parsed.warning)
        with _engine("searching"):
            search = _Search(index, query, self._facet_size, self._visibility)
            return search.run(parsed, self._helpers)

    def similar(self, doc_id: int, visibility: Visibility, limit: int = 5) -> tuple[Hit, ...]:
        index = self._reader()
        if visibility.sees_nothing or limit < 1:
            return ()
        with _engine("finding similar documents"):
            schema = index.schema
            searcher = index.searcher()
            restrict = Compiler(schema, searcher).visibility(visibility, self._visibility)
            same = Query.term_query(schema, "id", int(doc_id))
            source = searcher.search(Query.boolean_query([(Occur.Must, same), *restrict]), 1).hits
            if not source:
                return ()
            doc = searcher.doc(source[0][1])
            fields = {"title": doc.get_all("title"), "body": doc.get_all("body")}
            mlt = Query.more_like_this_document_fields_query(
                schema,
                fields,
                min_doc_frequency=2,
                min_term_frequency=1,
                max_query_terms=25,
                min_word_length=3,
                stop_words=sorted(STOP_WORDS),
            )
            query = Query.boolean_query([(Occur.Must, mlt), *restrict, (Occur.MustNot, same)])
            found = searcher.search(query, limit).hits
            return tuple(_hit(searcher.doc(addr), float(score), ()) for score, addr in found)

    def close(self) -> None:
        with self._lock:
            self._drop_writer()
            self._index = None
            self._closed = True
            if self._helpers is not None:
                self._helpers.shutdown(wait=True)

    def __enter__(self) -> TantivyBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Search:
    """One search: the main query, facets, highlights and did-you-mean."""

    def __init__(
        self,
        index: tantivy.Index,
        query: SearchQuery,
        facet_size: int,
        cache: VisibilityCache | None = None,
    ) -> None:
        self.query = query
        self.schema = index.schema
        self.searcher = index.searcher()
        self.compiler = Compiler(self.schema, self.searcher)
        self.restrict = self.compiler.visibility(query.visibility, cache)
        self.filters = self.compiler.filters(query.filters)
        self.facet_size = facet_size

    def restricted(self, base: Query, filters: Sequence[Query]) -> Query:
        """`base`, within what the person may see, under `filters`."""
        clauses = [(Occur.Must, base), *self.restrict, *((Occur.Must, f) for f in filters)]
        return Query.boolean_query(clauses)

    def run(self, parsed: ParsedQuery, helpers: Executor | None = None) -> SearchResult:
        """Hits, then did-you-mean; the facets meanwhile on a helper thread when given one."""
        text = self.compiler.text(parsed.node)
        base = text if text is not None else Query.all_query()
        main = self.restricted(base, list(self.filters.values()))
        facets: Future[Mapping[str, tuple[FacetCount, ...]]] | None = None
        if helpers is not None and self.query.facets:
            facets = helpers.submit(self._facets, base)
        speller = Speller(self.searcher, self.schema, self.restrict) if text is not None else None
        if helpers is not None and speller is not None and self.filters:
            speller.count_early(parsed, helpers)
        by_date = self.query.sort == "date" or text is None
        found = self.searcher.search(
            main,
            limit=self.query.per_page,
            count=True,
            offset=self.query.offset,
            order_by_field="created" if by_date else None,
        )
        total = match_count(found)
        marker = self._highlighter(parsed) if self.query.highlight and found.hits else None
        hits = []
        for score, addr in found.hits:
            doc = self.searcher.doc(addr)
            highlights = marker(doc) if marker else ()
            hits.append(_hit(doc, 0.0 if by_date else float(score), highlights))
        suggestion = None
        if speller is not None:
            suggestion = speller.suggest(parsed, total, self._count_text, bool(self.filters))
        return SearchResult(
            total=total,
            hits=tuple(hits),
            facets=facets.result() if facets is not None else self._facets(base),
            did_you_mean=suggestion,
            warning=parsed.warning,
        )

    def _count_text(self, text: str) -> int:
        node = self.compiler.text(parse(text).node)
        base = node if node is not None else Query.all_query()
        query = self.restricted(base, list(self.filters.values()))
        return match_count(self.searcher.search(query, 1))

    # facets: each facet counts the visible matches under every *other* facet's filter
    def _facets(self, base: Query) -> Mapping[str, tuple[FacetCount, ...]]:
        wanted = list(self.query.facets)
        out: dict[str, tuple[FacetCount, ...]] = {}
        unfiltered = [name for name in wanted if name not in self.filters]
        counted = [name for name in wanted if name in self.filters]
        if counted and all(
            _SAFE_VALUE.fullmatch(v) for n in counted for v in self.query.filters[n]
        ):
            return self._one_pass(base, wanted, counted)
        if unfiltered:
            out.update(self._aggregate(base, unfiltered, exclude=None))
        for name in counted:
            out.update(self._aggregate(base, [name], exclude=name))
        return {name: out.get(name, ()) for name in wanted}

    def _one_pass(
        self, base: Query, wanted: Sequence[str], counted: Sequence[str]
    ) -> dict[str, tuple[FacetCount, ...]]:
        """Every facet in one aggregation: over the matches under the filters no facet counts,
        each facet under a filter aggregation of the other counted facets' filters (tantivy's
        query syntax, values quoted: only values `_SAFE_VALUE` allows come here)."""
        always = [q for name, q in self.filters.items() if name not in counted]
        query = self.restricted(base, always)
        request: dict[str, object] = {}
        nested = set()
        for name in wanted:
            others = [self._filter_text(n) for n in counted if n != name]
            terms = self._terms(name)
            if others:
                request[name] = {"filter": " AND ".join(others), "aggs": {name: terms}}
                nested.add(name)
            else:
                request[name] = terms
        result = self.searcher.aggregate(query, request)
        return {
            name: self._counts(
                name, result.get(name, {}).get(name, {}) if name in nested else result.get(name, {})
            )
            for name in wanted
        }

    def _filter_text(self, name: str) -> str:
        field = FACET_FIELDS[name]
        values = sorted(set(self.query.filters[name]))
        if name == "year":
            years = sorted({v for v in values if v.strip().isdigit()})
            if not years:
                return f"({field}:0 AND NOT {field}:0)"  # matches nothing
            return "(" + " OR ".join(f"{field}:{int(v)}" for v in years) + ")"
        return "(" + " OR ".join(f'{field}:"{v}"' for v in values) + ")"

    def _terms(self, name: str) -> dict[str, object]:
        return {
            "terms": {
                "field": FACET_FIELDS[name],
                "size": 500 if name == "year" else self.facet_size,
                "segment_size": AGG_SEGMENT_SIZE,
            }
        }

    def _aggregate(
        self, base: Query, names: Sequence[str], exclude: str | None
    ) -> dict[str, tuple[FacetCount, ...]]:
        filters = [q for name, q in self.filters.items() if name != exclude]
        query = self.restricted(base, filters)
        request = {name: self._terms(name) for name in names}
        result = self.searcher.aggregate(query, request)
        return {name: self._counts(name, result.get(name, {})) for name in names}

    @staticmethod
    def _counts(name: str, found: Mapping[str, object]) -> tuple[FacetCount, ...]:
        """A terms aggregation's buckets as counts, in the order of `SearchResult.facets`."""
        buckets = found.get("buckets", [])
        assert isinstance(buckets, list)
        counts = [
            FacetCount(_facet_value(b["key"]), int(b["doc_count"]))
            for b in buckets
            if int(b["doc_count"]) > 0
        ]
        if name == "year":
            counts.sort(key=lambda c: c.value, reverse=True)
        else:
            counts.sort(key=lambda c: (-c.count, c.value))
        return tuple(counts)

    # highlights: the query's positive words (and the stems its prefixes and fuzzy words
    # expand to) marked in the best fragment of the body
    def _highlighter(self, parsed: ParsedQuery) -> Callable[[tantivy.Document], tuple[str, ...]]:
        speller = Speller(self.searcher, self.schema, self.restrict)
        stems = highlight_stems(speller, parsed)
        if not stems:
            return lambda doc: ()
        return snippet_marker(self.searcher, self.schema, stems, HIGHLIGHT_CHARS)


def _facet_value(key: object) -> str:
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _hit(doc: tantivy.Document, score: float, highlights: tuple[str, ...]) -> Hit:
    return Hit(
        id=int(doc.get_first("id") or 0),
        score=score,
        title=str(doc.get_first("title") or ""),
        class_code=str(doc.get_first("class_code") or ""),
        doc_type=str(doc.get_first("doc_type") or ""),
        marking=str(doc.get_first("marking") or ""),
        created=stored_datetime(doc.get_first("created")),
        highlights=highlights,
    )
