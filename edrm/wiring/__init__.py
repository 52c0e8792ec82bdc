"""The composition root: the one place that names concrete adapters and the area packages.

Only the entry points (`edrm.web`, `edrm.cli`, tests, bench and migrations) import it.
`build_runtime` registers every table, installs the change guards (a held or destroyed record
cannot change, whichever entry point built the runtime), gives every session the audit trail's
keys and checkpoint log (`edrm.audit.AuditTrail`) and chooses the search engine.
"""

from __future__ import annotations

import edrm.wiring.tables  # noqa: F401  (every table, and the outbox's session hook)
from edrm.audit import TRAIL_INFO_KEY, AuditTrail
from edrm.db import engine_from_settings, session_factory
from edrm.runtime import Runtime
from edrm.settings import Settings
from edrm.storage import BlobStore, FileBlobStore
from edrm.wiring.guards import install_guards
from search.base import SearchBackend

__all__ = ["Runtime", "build_runtime", "open_blob_store", "open_search"]


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store chosen in settings: the data directory's folder or an S3 bucket."""
    if settings.blob_store == "s3":
        from edrm.s3_store import S3BlobStore

        return S3BlobStore(
            settings.blob_dir,
            bucket=settings.s3_bucket,
            prefix=settings.s3_prefix,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
        )
    return FileBlobStore(settings.blob_dir)


def open_search(settings: Settings) -> SearchBackend:
    """The search engine chosen in settings."""
    if settings.search_backend == "elasticsearch":
        from search.elastic_backend import ElasticBackend

        return ElasticBackend(settings.elasticsearch_url)
    from search.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir, helper_threads=settings.search_helper_threads)


def build_runtime(settings: Settings) -> Runtime:
    install_guards()
    engine = engine_from_settings(settings)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine, {TRAIL_INFO_KEY: AuditTrail.from_settings(settings)}),
        blobs=open_blob_store(settings),
        open_search=open_search,
    )
