"""The ingest pipeline: receive → sniff → extract → OCR → metadata → classify → file → index.

One module per step, side by side: receive is `jobs` (the bytes go to the blob store, then a
durable job row is committed), then `sniff`, `extract` (which picks a reader in `formats/` and
runs in a child process, see `isolation`), `ocr`, `metadata`, `classify/` and `filing` (the one
transaction that files the document, or puts it on the filer's triage list). `pipeline` runs the
steps for one job in order; `worker` claims jobs and runs the pipeline. Index is the core's
outbox (`edrm.outbox`, written in the filing transaction) applied by `edrm.search_indexer`.
"""
