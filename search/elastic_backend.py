"""The scale-out search engine: Elasticsearch 8 through the official client.

`ElasticBackend` implements `search.base.SearchBackend` with the same semantics as the tantivy
backend (the conformance suite in tests/search runs on both when EDRM_TEST_ELASTICSEARCH_URL is
set). Request bodies are built in `search.elastic_dsl`, responses read in
`search.elastic_results`, the index defined in `search.elastic_schema`.

- Reads and writes go through an alias (`{index_prefix}-documents`) pointing at one concrete
  index `{alias}-v{schema}-{timestamp}`. The first use creates an empty one (not "complete", so
  `needs_rebuild()` is true until a rebuild). `rebuild` fills a new concrete index, then moves
  the alias with one atomic `update_aliases` call (remove from the old, add to the new) and
  deletes the old index; until then searches use the old one; on failure the new one is deleted.
- `commit()` refreshes the index (Elasticsearch also refreshes on its own every second, so a
  change may become searchable before `commit()`; never later).
- The visibility filter is a `filter` clause of every query (hits, total, facets,
  more-like-this and the counts that vet "did you mean"); nothing is post-filtered in Python.
- Paging is from/size within the index's result window (`max_result_window`, 10,000 hits).
  A page beyond it (up to `SearchQuery`'s MAX_PAGE_DEPTH) is reached with `search_after` in a
  point in time: requests of at most a window's hits each step over the hits before the page
  (sort values only), then one request asks for the page after the last of them, with the
  total, facets and highlights as usual. Every sort ends with the `id` tiebreaker, so the
  order is total and the page is the one from/size would give. The point in time is closed
  afterwards, whatever happened.
- Every failure of the cluster (HTTP errors, connection errors, refused bulk items) is raised as
  `SearchError` with what was being done and what Elasticsearch said.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import Any, ClassVar

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers
from elasticsearch.helpers import BulkIndexError

from search import elastic_dsl as dsl
from search import elastic_results as results
from search.base import Hit, IndexedDocument, SearchError, SearchQuery, SearchResult, Visibility
from search.elastic_schema import (
    RESULT_WINDOW,
    SCHEMA_VERSION,
    concrete_name,
    concrete_pattern,
    mappings,
    name_stamp,
    settings,
    to_source,
)
from search.query import ParsedQuery, parse, replace_spans
from search.spelling import match_case

log = logging.getLogger(__name__)

PROGRESS_EVERY = 1000
BULK_CHUNK = 500
PIT_KEEP_ALIVE = "1m"  # between two requests of one deep page
SKIP_FIELDS = "hits.hits.sort,pit_id,_shards,timed_out"  # all a step over hits needs back


class ElasticBackend:
    """`SearchBackend` on an Elasticsearch 8 cluster at `url`.

    `index` names the alias explicitly (default `{index_prefix}-documents`); `client` replaces
    the client made from `url` (the backend then does not close it). `shards` and `replicas`
    apply to the indices it creates (`replicas=None`: the cluster's default). Pages reaching
    beyond `result_window` hits (at most the index's `max_result_window`) are fetched with
    `search_after`.
    """

    SCHEMA_VERSION: ClassVar[int] = SCHEMA_VERSION

    def __init__(
        self,
        url: str,
        *,
        index_prefix: str = "edrm",
        index: str | None = None,
        client: Elasticsearch | None = None,
        shards: int = 1,
        replicas: int | None = None,
        facet_size: int = 50,
        request_timeout: float = 30.0,
        result_window: int = RESULT_WINDOW,
    ) -> None:
        if not 1 <= result_window <= RESULT_WINDOW:
            raise ValueError(f"result_window must be 1..{RESULT_WINDOW}, got {result_window}")
        self.url = url
        self.alias = index or f"{index_prefix}-documents"
        if self.alias != self.alias.lower() or not self.alias.strip():
            raise ValueError(f"an Elasticsearch index name must be lower case, got {self.alias!r}")
        self._owns_client = client is None
        self._client = client or Elasticsearch(
            url, request_timeout=request_timeout, retry_on_timeout=True, max_retries=2
        )
        self._shards = shards
        self._replicas = replicas
        self._facet_size = facet_size
        self._window = result_window
        self._lock = threading.RLock()
        self._ready = False
        self._closed = False

    @property
    def client(self) -> Elasticsearch:
        if self._closed:
            raise SearchError("the search backend is closed")
        return self._client

    # ---------------------------------------------------------------------------- errors
    @contextmanager
    def _cluster(self, what: str) -> Iterator[None]:
        """Turn the client's errors into SearchError with a clear message."""
        try:
            yield
        except SearchError:
            raise
        except BulkIndexError as exc:
            raise SearchError(f"{what}: {_bulk_failure(exc)}") from exc
        except ApiError as exc:
            raise SearchError(
                f"{what}: Elasticsearch at {self.url} answered HTTP {exc.status_code}: "
                f"{_api_reason(exc)}"
            ) from exc
        except TransportError as exc:
            raise SearchError(f"{what}: cannot reach Elasticsearch at {self.url} ({exc})") from exc

    # ------------------------------------------------------------------------- the index
    def _ensure(self) -> None:
        """Create an empty concrete index behind the alias if the alias is missing."""
        if self._ready:
            return
        with self._lock:
            if self._ready:
                return
            with self._cluster(f"checking the search index {self.alias!r}"):
                exists = bool(self.client.indices.exists_alias(name=self.alias))
            if not exists:
                self._create_first()
            self._ready = True

    def _create_first(self) -> None:
        name = concrete_name(self.alias)
        try:
            with self._cluster(f"creating the search index {name!r}"):
                self.client.indices.create(
                    index=name,
                    settings=settings(shards=self._shards, replicas=self._replicas),
                    mappings=mappings(complete=False),
                    aliases={self.alias: {"is_write_index": True}},
                )
        except SearchError:
            # Another process may have created it meanwhile: then use theirs.
            with suppress(SearchError), self._cluster("checking the search index"):
                if self.client.indices.exists_alias(name=self.alias):
                    self._delete_quietly([name])
                    return
            raise

    def _aliased(self) -> list[str]:
        """The concrete indices the alias points at (normally one)."""
        try:
            found = self.client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return []
        return sorted(found.body)

    def _delete_quietly(self, names: Sequence[str]) -> None:
        if not names:
            return
        try:
            with self._cluster(f"deleting the old search indices {', '.join(names)}"):
                self.client.indices.delete(index=",".join(names), ignore_unavailable=True)
        except SearchError as exc:  # a later rebuild removes them
            log.warning("%s", exc)

    # ---------------------------------------------------------------------------- writing
    def index(self, docs: Iterable[IndexedDocument]) -> None:
        latest = {doc.id: doc for doc in docs}  # the last version of each id wins
        if not latest:
            return
        self._ensure()
        actions = (
            {"_op_type": "index", "_index": self.alias, "_id": str(d.id), "_source": to_source(d)}
            for d in latest.values()
        )
        with self._cluster("indexing"):
            helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, require_alias=True)

    def delete(self, ids: Iterable[int]) -> None:
        wanted = sorted({int(doc_id) for doc_id in ids})
        if not wanted:
            return
        self._ensure()
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": str(i)} for i in wanted)
        with self._cluster("deleting"):
            # a 404 item is an id that was not indexed: ignored, as the protocol says
            helpers.bulk(self.client, actions, chunk_size=BULK_CHUNK, ignore_status=(404,))

    def commit(self) -> None:
        self._ensure()
        with self._cluster("committing (refreshing the index)"):
            self.client.indices.refresh(index=self.alias)

    def rebuild(
        self,
        docs: Iterable[IndexedDocument],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Fill a new concrete index from `docs`, then swap the alias to it atomically and
        delete the old one. Searches use the old index until the swap; on failure the new index
        is deleted and the old one stays in place. The caller's own errors (from `docs`)
        propagate as they are."""
        with self._lock:
            name = concrete_name(self.alias)
            with self._cluster(f"creating the new search index {name!r}"):
                self.client.indices.create(
                    index=name,
                    settings=settings(shards=self._shards, replicas=self._replicas, building=True),
                    mappings=mappings(complete=False),
                )
            try:
                done = self._fill(name, docs, progress)
                old = self._swap(name, done)
            except BaseException:
                self._delete_quietly([name])
                raise
            self._ready = True
            self._delete_quietly(self._leftovers(name, old))
            if progress is not None:
                progress(done)

    def _fill(
        self, name: str, docs: Iterable[IndexedDocument], progress: Callable[[int], None] | None
    ) -> int:
        actions = (
            {"_op_type": "index", "_index": name, "_id": str(d.id), "_source": to_source(d)}
            for d in docs
        )
        done = 0
        with self._cluster(f"rebuilding the search index into {name!r}"):
            for _ok, _item in helpers.streaming_bulk(
                self.client, actions, chunk_size=BULK_CHUNK, raise_on_error=True
            ):
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(done)
            self.client.indices.put_settings(index=name, settings={"refresh_interval": None})
            self.client.indices.refresh(index=name)
            self.client.indices.put_mapping(
                index=name, meta=mappings(complete=True, documents=done)["_meta"]
            )
        return done

    def _swap(self, name: str, done: int) -> list[str]:
        """Point the alias at `name` in one atomic call; returns the indices it left."""
        with self._cluster(f"swapping the search alias {self.alias!r} to {name!r}"):
            old = self._aliased()
            actions: list[dict[str, Any]] = [
                {"remove": {"index": index, "alias": self.alias}} for index in old
            ]
            actions.append({"add": {"index": name, "alias": self.alias, "is_write_index": True}})
            self.client.indices.update_aliases(actions=actions)
        log.info("search index %s swapped in (%d documents)", name, done)
        return old

    def _leftovers(self, name: str, old: Sequence[str]) -> list[str]:
        """The indices the swap left, and older concrete indices of this alias that nothing
        points at (from rebuilds that died); never a newer one another rebuild may be filling."""
        stamp = name_stamp(self.alias, name) or ""
        leftovers = set(old)
        try:
            with self._cluster("listing the old search indices"):
                found = self.client.indices.get_alias(
                    index=concrete_pattern(self.alias), allow_no_indices=True
                ).body
        except SearchError as exc:
            log.warning("%s", exc)
            found = {}
        for index, info in found.items():
            other = name_stamp(self.alias, index)
            if other is not None and other < stamp and self.alias not in info.get("aliases", {}):
                leftovers.add(index)
        leftovers.discard(name)
        return sorted(leftovers)

    def drop(self) -> None:
        """Delete the alias and every concrete index made for it (tests, uninstalling)."""
        with self._cluster(f"dropping the search index {self.alias!r}"):
            found = self.client.indices.get_alias(
                index=concrete_pattern(self.alias), allow_no_indices=True
            ).body
        self._delete_quietly(sorted(found))
        self._ready = False

    # ---------------------------------------------------------------------------- reading
    def _meta(self) -> Mapping[str, Any] | None:
        """The `_meta` of the one index behind the alias; None when missing or ambiguous."""
        try:
            found = self.client.indices.get_mapping(index=self.alias).body
        except NotFoundError:
            return None
        if len(found) != 1:
            return None
        (info,) = found.values()
        meta = info.get("mappings", {}).get("_meta")
        return meta if isinstance(meta, Mapping) else {}

    def schema_version(self) -> int:
        try:
            with self._cluster("reading the search index's schema version"):
                meta = self._meta()
        except SearchError:
            return 0
        try:
            return int((meta or {}).get("schema_version", 0))
        except (TypeError, ValueError):
            return 0

    def needs_rebuild(self) -> bool:
        """True when the alias is missing (or points at several indices), the index was not
        filled by a complete rebuild, or its schema is older than this code's."""
        try:
            with self._cluster("reading the search index's schema version"):
                meta = self._meta()
        except SearchError:
            return True
        if meta is None:
            return True
        try:
            version = int(meta.get("schema_version", 0))
        except (TypeError, ValueError):
            return True
        return version < SCHEMA_VERSION or meta.get("complete") is not True

    def count(self) -> int:
        self._ensure()
        with self._cluster("counting"):
            return int(self.client.count(index=self.alias)["count"])

    def search(self, query: SearchQuery) -> SearchResult:
        parsed = parse(query.text)
        if query.visibility.sees_nothing:
            empty = {name: () for name in query.facets}
            return SearchResult(0, (), empty, None, parsed.warning)
        self._ensure()
        body = dsl.search_body(query, parsed, self._facet_size)
        with self._cluster("searching"):
            if dsl.deep_page(query, self._window):
                response = self._deep_page(body, query.offset)
            else:
                response = self._search(body)
            has_text = dsl.compile_node(parsed.node) is not None
            total = results.total_of(response)
            suggestion = None
            if has_text and total < dsl.SUGGEST_BELOW and "suggest" in body:
                suggestion = self._did_you_mean(query, parsed, response, total)
        scored = query.sort == "relevance" and has_text
        return SearchResult(
            total=total,
            hits=results.hits_of(response, scored=scored),
            facets=results.facets_of(response, query.facets),
            did_you_mean=suggestion,
            warning=parsed.warning,
        )

    def _search(self, body: dict[str, Any], filter_path: str | None = None) -> Mapping[str, Any]:
        """Run a search: on the alias, or in the point in time `body` names."""
        index = None if "pit" in body else self.alias
        response = self.client.search(
            index=index, body=body, allow_partial_search_results=False, filter_path=filter_path
        ).body
        _check_shards(response)
        return response

    def _deep_page(self, body: dict[str, Any], offset: int) -> Mapping[str, Any]:
        """The response to `body` (from `search_body`) for the page at `offset`, reached with
        `search_after` in a point in time: step over the `offset` hits before it, at most a
        result window at a time, then ask for the page after the last of them."""
        opened = self.client.open_point_in_time(index=self.alias, keep_alive=PIT_KEEP_ALIVE)
        pit = str(opened["id"])
        try:
            after: list[Any] | None = None
            left, empty = offset, False
            while left > 0 and not empty:
                size = min(left, self._window)
                step = dsl.in_pit(dsl.skip_body(body, size, after), pit, PIT_KEEP_ALIVE)
                response = self._search(step, filter_path=SKIP_FIELDS)
                pit = str(response.get("pit_id") or pit)
                hits = response.get("hits", {}).get("hits", [])
                empty = len(hits) < size  # fewer hits than the offset: an empty page
                if hits:
                    after = list(hits[-1]["sort"])
                left -= size
            page = dsl.in_pit(dsl.page_after(body, after, empty=empty), pit, PIT_KEEP_ALIVE)
            response = self._search(page)
            pit = str(response.get("pit_id") or pit)
            return response
        finally:
            self._close_pit(pit)

    def _close_pit(self, pit: str) -> None:
        """Free a point in time (it would expire on its own after PIT_KEEP_ALIVE anyway)."""
        try:
            with self._cluster("closing a point in time"):
                self.client.close_point_in_time(id=pit)
        except SearchError as exc:
            log.warning("%s", exc)

    def _did_you_mean(
        self, query: SearchQuery, parsed: ParsedQuery, response: Mapping[str, Any], total: int
    ) -> str | None:
        """A corrected query text, from the suggester's candidates that visible documents hold
        (counted with the visibility filter), offered only if it finds more visible documents
        than the original."""
        terms = dsl.correctable(parsed)
        options = results.suggestion_options(response, terms)
        if not any(options):
            return None
        words = {t.text.lower() for t in terms} | {w for found in options for w in found}
        counted = self._search(dsl.word_counts_body(query.visibility, sorted(words)))
        counts = results.word_counts(counted)
        replacements: dict[tuple[int, int], str] = {}
        for term, found in zip(terms, options, strict=True):
            word = term.text.lower()
            own = counts.get(word, 0)
            if own >= dsl.SUGGEST_BELOW or not found:
                continue
            best = results.best_correction(word, own, {w: counts.get(w, 0) for w in found})
            if best is not None and term.span is not None:
                replacements[term.span] = match_case(term.text, best)
        if not replacements:
            return None
        corrected = replace_spans(parsed.text, replacements)
        found_total = self.client.count(index=self.alias, query=dsl.count_query(corrected, query))[
            "count"
        ]
        return corrected if int(found_total) > total else None

    def similar(self, doc_id: int, visibility: Visibility, limit: int = 5) -> tuple[Hit, ...]:
        if visibility.sees_nothing or limit < 1:
            return ()
        self._ensure()
        with self._cluster("finding similar documents"):
            answer = self.client.msearch(
                index=self.alias, searches=dsl.similar_searches(int(doc_id), visibility, limit)
            ).body
        responses = answer.get("responses", [])
        if len(responses) != 2:
            raise SearchError("finding similar documents: Elasticsearch answered badly")
        for part in responses:
            if "error" in part:
                raise SearchError(
                    f"finding similar documents: Elasticsearch answered HTTP "
                    f"{part.get('status', '?')}: {_error_reason(part['error'])}"
                )
            _check_shards(part, "finding similar documents")
        source, like = responses
        if not source.get("hits", {}).get("hits"):
            return ()  # unknown, or hidden from this person
        hits = results.hits_of(like)
        return tuple(h for h in hits if h.id != doc_id)[:limit]

    def close(self) -> None:
        with self._lock:
            if not self._closed and self._owns_client:
                with suppress(Exception):
                    self._client.close()
            self._closed = True

    def __enter__(self) -> ElasticBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------- messages


def _error_reason(error: object) -> str:
    """'type: reason' from an Elasticsearch error object (the root cause when there is one)."""
    if not isinstance(error, Mapping):
        return str(error)
    causes = error.get("root_cause")
    cause = causes[0] if isinstance(causes, list) and causes else error
    if not isinstance(cause, Mapping):
        return str(cause)
    kind, reason = cause.get("type"), cause.get("reason")
    if kind and reason:
        return f"{kind}: {reason}"
    return str(kind or reason or error)


def _api_reason(exc: ApiError) -> str:
    body = exc.body
    if isinstance(body, Mapping) and "error" in body:
        return _error_reason(body["error"])
    return str(exc.message)


def _bulk_failure(exc: BulkIndexError) -> str:
    errors = exc.errors
    op, item = next(iter(errors[0].items())) if errors and errors[0] else ("?", {})
    reason = _error_reason(item.get("error", "unknown error"))
    return (
        f"Elasticsearch refused {len(errors)} document(s); the first ({op} of id "
        f"{item.get('_id', '?')}, HTTP {item.get('status', '?')}): {reason}"
    )


def _check_shards(response: Mapping[str, Any], what: str = "searching") -> None:
    """A search that some shards could not answer would undercount: refuse it."""
    shards = response.get("_shards", {})
    if response.get("timed_out") or int(shards.get("failed", 0) or 0) > 0:
        failures = shards.get("failures") or [{}]
        reason = _error_reason(failures[0].get("reason", "timed out"))
        raise SearchError(f"{what}: Elasticsearch answered only in part ({reason})")
