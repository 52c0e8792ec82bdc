"""Format readers: one module per family of formats (PDF, images, office, email, web, text),
and the limits that keep a hostile file from exhausting the reader.

`edrm.ingest.extract` picks the reader for a sniffed file. Nothing here touches the database
or the blob store: each reader takes a path on disk and the ingest settings, and returns the
plain types of `edrm.ingest.types` or raises `RejectedInputError` with a reason code and a
message that never names the file.
"""
