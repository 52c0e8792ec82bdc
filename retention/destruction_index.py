"""Destruction, part 3 of 3 (`index`): delete the chunk's records from the search index and
commit it, so that a destroyed record cannot be found from then on. (The database part has
also noted a search-outbox delete for each, which the indexer applies later, idempotently.)

Crash story: deleting an entry that is gone changes nothing, and the part is recorded as done
only when the chunk ends (retention.progress.record_outcome); after a crash the next run
deletes again. A failure of the chunk's call is retried item by item, so that it is pinned on
the items that really failed (they stay `executing` with the engine's error, for a retry).
"""

from __future__ import annotations

import logging

from edrm.runtime import Runtime

log = logging.getLogger(__name__)


def delete_from_index(rt: Runtime, documents: dict[int, int]) -> dict[int, str]:
    """Delete the documents' index entries ({item id: document id}): one call for the chunk;
    if it fails, one call per item to find which failed. Returns {item id: error} for the
    failures."""
    try:
        rt.search.delete(sorted(documents.values()))
        rt.search.commit()
        return {}
    except Exception as exc:  # any engine failure: retried item by item
        log.warning(
            "index delete of %d documents failed (%s); retrying one by one", len(documents), exc
        )
    failures: dict[int, str] = {}
    for item_id, document_id in sorted(documents.items()):
        try:
            rt.search.delete([document_id])
            rt.search.commit()
        except Exception as exc:
            failures[item_id] = str(exc) or exc.__class__.__name__
    return failures
